/**
 * Loaded into a step's process by the memory benchmark (node --import): writes the process's
 * memory to BENCH_PROBE_FILE as JSON lines, a sample every BENCH_PROBE_EVERY_MS of wall time and
 * the peak RSS at exit; with BENCH_TIME_SCALE, runs the step's time that many times faster (its
 * clock and timers, from BENCH_TIME_START virtual ms), the same compression the simulator beside
 * it runs on, so that a 6-hour wait passes in a minute. Nothing of the step's own code changes.
 */
import {appendFileSync} from 'node:fs'

const file = process.env.BENCH_PROBE_FILE
const RealDate = Date
const realSetTimeout = globalThis.setTimeout
const realSetInterval = globalThis.setInterval
const wallStart = RealDate.now()
const scale = Number(process.env.BENCH_TIME_SCALE ?? 1)
const start = Number(process.env.BENCH_TIME_START ?? wallStart)
const virtualNow = () => start + (RealDate.now() - wallStart) * scale

if (scale !== 1) {
  class CompressedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(virtualNow())
      else super(...args)
    }
    static now() {
      return virtualNow()
    }
  }
  globalThis.Date = CompressedDate
  globalThis.setTimeout = (callback, ms, ...args) =>
    realSetTimeout(callback, (Number(ms) || 0) / scale, ...args)
}

const write = record => {
  if (file !== undefined) appendFileSync(file, `${JSON.stringify(record)}\n`)
}
const every = Number(process.env.BENCH_PROBE_EVERY_MS ?? 0)
if (every > 0)
  realSetInterval(() => {
    const {rss} = process.memoryUsage()
    write({at: virtualNow(), rss})
  }, every).unref()
process.on('exit', () =>
  write({at: virtualNow(), maxRss: process.resourceUsage().maxRSS * 1024})
)
