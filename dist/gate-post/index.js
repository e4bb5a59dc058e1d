import { gatePost } from '../index.js'
await gatePost()
process.exit()
