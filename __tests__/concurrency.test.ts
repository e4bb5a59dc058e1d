import {afterAll, beforeAll, describe, expect, it} from '@jest/globals'
import {errors, type StepRun} from '../scripts/local-runner.js'
import type {Simulator} from '../src/simulator/server.js'
import {add, suiteCounts} from './helpers/counts.js'
import {scannedSteps} from './helpers/scan.js'
import {withSimulator} from './helpers/sim.js'

/**
 * 20 create steps for the same deployment, started at once. ServiceNow has no
 * unique constraint on correlation_id, so two attempts can both find nothing
 * and both create: the race is closed after the fact. Each attempt looks again
 * after creating; the oldest change survives, the others cancel themselves with
 * a work note naming it, and every attempt reports the survivor.
 */
let sim: Simulator
const counts = suiteCounts('concurrency')
let runStep: ReturnType<typeof scannedSteps>
beforeAll(async () => {
  // A little latency widens the window between "look" and "create", as on a real instance.
  sim = await withSimulator({latencyMs: 20})
  runStep = scannedSteps(sim, counts)
})
afterAll(() => sim.stop())

describe('20 create steps at once for one deployment', () => {
  const CORRELATION_ID = 'octo-org/payments/9999/deploy/production'
  let runs: StepRun[] = []
  afterAll(() => {
    const all = sim.instance.store
      .rows('change_request')
      .filter(r => r.correlation_id === CORRELATION_ID)
    const open = all.filter(r => r.active === 'true')
    add(counts, 'create steps started at once', runs.length)
    add(counts, 'change requests created', all.length)
    add(counts, 'open change requests at the end', open.length)
    add(
      counts,
      'duplicates canceled after the race',
      all.filter(r => r.state === '4').length
    )
    add(
      counts,
      'steps reporting the survivor',
      runs.filter(r => r.outputs.change_sys_id === open[0]?.sys_id).length
    )
  })

  it('end with one open change request, which every step reports', async () => {
    const connection = {
      instance_url: sim.url,
      username: 'devops.integration',
      password: 'sn-integration-pw'
    }
    runs = await Promise.all(
      Array.from({length: 20}, () =>
        runStep(
          'create',
          {
            ...connection,
            assignment_group: 'DevOps Team',
            environment: 'production'
          },
          {env: {GITHUB_RUN_ID: '9999'}}
        )
      )
    )
    for (const run of runs) expect(errors(run)).toEqual([])
    const all = sim.instance.store
      .rows('change_request')
      .filter(r => r.correlation_id === CORRELATION_ID)
    const open = all.filter(r => r.active === 'true')
    const canceled = all.filter(r => r.state === '4')
    expect(open).toHaveLength(1)
    expect(canceled).toHaveLength(all.length - 1)
    expect(new Set(runs.map(r => r.outputs.change_sys_id))).toEqual(
      new Set([open[0]!.sys_id])
    )
    expect(runs.filter(r => r.outputs.created === 'true')).toHaveLength(1)
    for (const duplicate of canceled) {
      const notes = sim.instance.store
        .journal(duplicate.sys_id!, 'work_notes')
        .map(j => j.value)
      expect(notes.join('\n')).toContain(
        `${open[0]!.number} is the change request for it`
      )
    }
    // The survivor went on to request approval once.
    expect(open[0]!.state).toBe('-4')
    expect(
      sim.instance.store
        .rows('sysapproval_approver')
        .filter(a => a.sysapproval === open[0]!.sys_id)
    ).toHaveLength(1)
  }, 60_000)
})
