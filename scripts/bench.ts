/**
 * npm run bench: what the gate costs a deployment and a shared ServiceNow instance, measured
 * against the local simulator, printed as one table of goal, measured value and verdict (and
 * written to .tmp/bench.json). BENCHMARKS.md records runs and their machine.
 *
 * `npm run bench -- scale` runs one part alone (and so on); no name runs them all:
 * - latency: approval at a random moment → the wait loop lets the deployment go.
 * - scale: 1,000 deployments at once under an hourly rate-limit rule (compressed time).
 * - cold-start: each entrypoint beside the vendor's action, paired runs.
 * - memory: peak RSS of each step, and the gate through a 6-hour wait (compressed time).
 * - simulator: the simulator's own throughput, so it is not what the figures measure.
 * - schedule: what conflict checking and the first available slot add to a create step.
 * - runner-seconds: runner time a deployment holds over a 2-hour approval: polling gate vs sync.
 */
import {coldStart} from './bench/cold-start.js'
import {detectionLatency} from './bench/latency.js'
import {memory} from './bench/memory.js'
import {scale} from './bench/scale.js'
import {schedule} from './bench/schedule.js'
import {runnerSeconds} from './bench/runner-seconds.js'
import {printTable} from './bench/table.js'
import {simulatorThroughput} from './bench/throughput.js'

const parts: Record<string, () => Promise<void>> = {
  latency: detectionLatency,
  scale,
  'cold-start': coldStart,
  memory,
  simulator: simulatorThroughput,
  schedule,
  'runner-seconds': runnerSeconds
}
const chosen = process.argv.slice(2)
const unknown = chosen.filter(name => !(name in parts))
if (unknown.length > 0) {
  process.stderr.write(
    `npm run bench: no part named ${unknown.join(', ')}; the parts: ${Object.keys(parts).join(', ')}\n`
  )
  process.exit(2)
}
for (const [name, part] of Object.entries(parts))
  if (chosen.length === 0 || chosen.includes(name)) await part()
printTable()
process.exit(0)
