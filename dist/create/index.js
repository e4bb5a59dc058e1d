import { create } from '../index.js'
await create()
process.exit()
