import { wait } from '../index.js'
await wait()
process.exit()
