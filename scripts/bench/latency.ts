/**
 * Detection latency: how long after an approval the wait loop lets the deployment go. 30 emergency
 * changes wait in Authorize, each approved at a random moment 1–6 s in; 2 s poll interval.
 */
import {pollChange} from '../../src/change/lookup.js'
import {waitForDecision} from '../../src/change/wait-loop.js'
import {ServiceNowClient} from '../../src/servicenow/client.js'
import {systemClock} from '../../src/servicenow/clock.js'
import {startSimulator} from '../../src/simulator/server.js'
import {auth, log, median, percentile, quiet, row, sleep} from './table.js'

export async function detectionLatency(): Promise<void> {
  const INTERVAL = 2000
  const TRIALS = 30
  log(`1. detection latency: ${TRIALS} trials, poll interval ${INTERVAL} ms`)
  const sim = await startSimulator({
    port: 0,
    approval: {mode: 'manual', afterMs: 0}
  })
  const latencies: number[] = []
  let polls = 0
  let pollRequests = 0
  const pollBytes: number[] = []
  await Promise.all(
    Array.from({length: TRIALS}, async (_, trial) => {
      await sleep(trial * 150)
      const client = new ServiceNowClient({baseUrl: sim.url, auth})
      const change = await client.changes.createEmergency({
        short_description: `latency trial ${trial}`
      })
      await client.changes.patch(change.sysId, {state: '-3'})
      let approvedAt = 0
      const delay = 1000 + Math.random() * 5000
      const approve = setTimeout(() => {
        const row = sim.instance.store.get('change_request', change.sysId)
        const pending =
          row === undefined ? undefined : sim.instance.pendingApprovals(row)[0]
        if (pending !== undefined)
          sim.instance.decide(pending, 'approved', 'bench')
        approvedAt = Date.now()
      }, delay)
      const outcome = await waitForDecision({
        timeoutMs: 60_000,
        pollIntervalMs: INTERVAL,
        proceedWhen: 'approved',
        honorChangeWindow: true,
        clock: systemClock,
        random: Math.random,
        poll: () => pollChange(client, change.sysId),
        info: quiet,
        warn: quiet
      })
      clearTimeout(approve)
      if (outcome.decision !== 'approved')
        throw new Error(`trial ${trial}: ${outcome.decision}`)
      latencies.push(Date.now() - approvedAt)
      polls += outcome.polls
      const requests = sim.requests({
        method: 'GET',
        path: `/api/now/table/change_request/${change.sysId}`
      })
      pollRequests += requests.length
      pollBytes.push(...requests.map(r => r.bytes))
      client.dispose()
    })
  )
  await sim.stop()
  const worst = Math.max(...latencies)
  const bound = 1.1 * INTERVAL + 1000
  row(
    'detection latency, worst of 30 trials (2 s interval)',
    `≤ ${bound} ms`,
    `${worst} ms (median ${median(latencies)}, p95 ${percentile(latencies, 95)})`,
    worst <= bound
  )
  row(
    'requests per poll',
    '1',
    (pollRequests / polls).toFixed(2),
    pollRequests === polls
  )
  const maxBytes = Math.max(...pollBytes)
  row(
    'response bytes per poll',
    '≤ 1024',
    `${maxBytes} max, ${Math.round(pollBytes.reduce((a, b) => a + b, 0) / pollBytes.length)} mean`,
    maxBytes <= 1024
  )
}
