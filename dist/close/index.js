import { close } from '../index.js'
await close()
process.exit()
