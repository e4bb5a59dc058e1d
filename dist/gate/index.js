import { gateMain } from '../index.js'
await gateMain()
process.exit()
