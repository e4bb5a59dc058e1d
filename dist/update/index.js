import { update } from '../index.js'
await update()
process.exit()
