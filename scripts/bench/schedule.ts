/**
 * What the change calendar costs a create step (schedule-plan.ts): requests sent and time taken,
 * through the built create bundle against the simulator (its workers take 200 ms, as by default),
 * for a change without a window, with one (conflict checking by default), with on_conflict:
 * ignore, and with schedule: first_available.
 */
import {runStep} from '../local-runner.js'
import {startSimulator} from '../../src/simulator/server.js'
import {auth, log, median, row} from './table.js'

export async function schedule(): Promise<void> {
  const RUNS = 5
  log(
    `6. the change calendar: requests and time of one create step, median of ${RUNS}`
  )
  const sim = await startSimulator({port: 0})
  // Each run its own day, so that no run conflicts with an earlier one (but where it is meant to).
  let days = 0
  const window = (): Record<string, string> => {
    const day = new Date(Date.now() + ++days * 86_400_000)
      .toISOString()
      .slice(0, 10)
    return {start_date: `${day} 10:00:00`, end_date: `${day} 11:00:00`}
  }
  const connection = {
    instance_url: sim.url,
    username: auth.username,
    password: auth.password,
    assignment_group: 'DevOps Team',
    cmdb_ci: 'Payments API'
  }
  const cases: [string, () => Record<string, string>][] = [
    ['create, no window', () => ({})],
    ['create, a window, no conflict (on_conflict: warn)', window],
    [
      'create, a window others booked (on_conflict: warn)',
      () => ({
        start_date: '2030-01-07 10:00:00',
        end_date: '2030-01-07 11:00:00'
      })
    ],
    [
      'create, a window, on_conflict: ignore',
      () => ({...window(), on_conflict: 'ignore'})
    ],
    ['create, schedule: first_available', () => ({schedule: 'first_available'})]
  ]
  // The change the "others booked" case meets on the CI (and, from its second run on, its own earlier runs).
  const booked = await runStep('create', {
    ...connection,
    start_date: '2030-01-07 09:00:00',
    end_date: '2030-01-07 12:00:00',
    on_conflict: 'ignore',
    correlation_id: 'bench-schedule/booked'
  })
  if (booked.code !== 0) throw new Error(booked.stdout)
  try {
    for (const [what, inputs] of cases) {
      const requests: number[] = []
      const ms: number[] = []
      for (let i = 0; i < RUNS; i++) {
        const before = sim.requests().length
        const started = Date.now()
        const run = await runStep('create', {
          ...connection,
          ...inputs(),
          correlation_id: `bench-schedule/${what}/${i}`
        })
        if (run.code !== 0) throw new Error(`${what}: ${run.stdout}`)
        if (
          what.includes('others booked') &&
          run.outputs.conflict_status !== 'found'
        )
          throw new Error(`${what}: ${run.outputs.conflict_status}`)
        ms.push(Date.now() - started)
        requests.push(sim.requests().length - before)
      }
      row(
        what,
        'reported',
        `${median(requests)} requests, ${median(ms)} ms`,
        undefined
      )
    }
  } finally {
    await sim.stop()
  }
}
