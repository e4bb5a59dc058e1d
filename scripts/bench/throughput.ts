/** The simulator's own throughput, so that it is not what the other figures measure. */
import {pollChange} from '../../src/change/lookup.js'
import {ServiceNowClient} from '../../src/servicenow/client.js'
import {startSimulator} from '../../src/simulator/server.js'
import {auth, log, row} from './table.js'

export async function simulatorThroughput(): Promise<void> {
  const TOTAL = 4000
  const CONCURRENCY = 32
  log(`4. simulator: ${TOTAL} GETs, ${CONCURRENCY} at a time`)
  const sim = await startSimulator({port: 0})
  const client = new ServiceNowClient({baseUrl: sim.url, auth})
  const change = await client.changes.createEmergency({
    short_description: 'throughput'
  })
  let next = 0
  const started = Date.now()
  await Promise.all(
    Array.from({length: CONCURRENCY}, async () => {
      while (next++ < TOTAL) await pollChange(client, change.sysId)
    })
  )
  const rps = Math.round(TOTAL / ((Date.now() - started) / 1000))
  client.dispose()
  await sim.stop()
  row(
    'simulator throughput (client and server in one process)',
    '≫ the 100/min the scale test allows',
    `${rps} requests/s`,
    rps > 100
  )
}
