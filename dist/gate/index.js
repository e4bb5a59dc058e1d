import { gate } from '../index.js'
await gate()
process.exit()
