import { sync } from '../index.js'
await sync()
process.exit()
