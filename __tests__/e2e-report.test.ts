import {afterAll, beforeAll, describe, expect, it} from '@jest/globals'
import {errors} from '../scripts/local-runner.js'
import type {Simulator} from '../src/simulator/server.js'
import {suiteCounts} from './helpers/counts.js'
import {scannedSteps} from './helpers/scan.js'
import {withSimulator} from './helpers/sim.js'

/** The report bundle against a simulator seeded with 16 weeks of deployments and incidents. */
let sim: Simulator
const counts = suiteCounts('e2e-report')
let runStep: ReturnType<typeof scannedSteps>
beforeAll(async () => {
  sim = await withSimulator({historyWeeks: 16})
  runStep = scannedSteps(sim, counts)
})
afterAll(() => sim.stop())

const connection = (): Record<string, string> => ({
  instance_url: sim.url,
  username: 'devops.integration',
  password: 'sn-integration-pw'
})

/** The same figures counted straight from the simulator's rows, the simple way. */
function expected(
  days: number,
  filter: (row: Record<string, string>) => boolean = () => true
): {deployments: number; failures: number} {
  const since = new Date(Date.now() - days * 86_400_000)
    .toISOString()
    .slice(0, 19)
    .replace('T', ' ')
  const closed = sim.instance.store
    .rows('change_request')
    .filter(c => c.state === '3' && (c.closed_at ?? '') >= since && filter(c))
  const caused = new Set(
    sim.instance.store.rows('incident').map(i => i.caused_by)
  )
  return {
    deployments: closed.length,
    failures: closed.filter(
      c => c.close_code === 'unsuccessful' || caused.has(c.sys_id)
    ).length
  }
}

describe('report', () => {
  it('reports deployments, failure rate, lead time and time to restore by week, paging through the changes', async () => {
    const run = await runStep('report', {...connection(), period_days: '84'})
    expect(errors(run)).toEqual([])
    const report = JSON.parse(run.outputs.report!)
    const want = expected(84)
    expect(report.totals).toMatchObject({
      deployments: want.deployments,
      failures: want.failures
    })
    expect(report.totals.deployments).toBeGreaterThan(30)
    expect(report.totals.change_failure_rate).toBeCloseTo(
      want.failures / want.deployments,
      2
    )
    expect(report.totals.lead_time_hours_median).toBeGreaterThan(2)
    expect(report.totals.time_to_restore_hours_median).toBeGreaterThan(0)
    expect(report.weeks.length).toBeGreaterThanOrEqual(12)
    expect(
      report.weeks.reduce(
        (n: number, w: {deployments: number}) => n + w.deployments,
        0
      )
    ).toBe(want.deployments)
    expect(run.summary).toContain('xychart-beta')
    expect(run.summary).toMatch(/Change failure rate \(%\)/)
    // The chart shows whole weeks only, labelled for a person, with a legend; the table marks the cut weeks.
    const axis = /x-axis "Week of" \[(.*)\]/.exec(run.summary)?.[1] ?? ''
    expect(axis.split(', ')).toHaveLength(
      report.weeks.filter((w: {partial?: boolean}) => !w.partial).length
    )
    expect(axis).toMatch(
      /^"\d{1,2} [A-Z][a-z]{2}"(, "\d{1,2} [A-Z][a-z]{2}")*$/
    )
    expect(run.summary).toContain(
      'Bars: deployments (changes closed). Line: failed deployments'
    )
    expect(run.summary.match(/\(part of the week\)/g)?.length).toBe(
      report.weeks.filter((w: {partial?: boolean}) => w.partial).length
    )
  })

  it('narrows to a configuration item or a correlation prefix', async () => {
    const byCi = JSON.parse(
      (
        await runStep('report', {
          ...connection(),
          period_days: '84',
          cmdb_ci: 'Orders DB'
        })
      ).outputs.report!
    )
    const ordersDb = sim.instance.store.findByDisplay(
      'cmdb_ci',
      'Orders DB'
    )?.sys_id
    expect(byCi.totals.deployments).toBe(
      expected(84, c => c.cmdb_ci === ordersDb).deployments
    )
    expect(byCi.scope).toEqual({cmdb_ci: 'Orders DB'})
    const none = JSON.parse(
      (
        await runStep('report', {
          ...connection(),
          correlation_prefix: 'nobody/'
        })
      ).outputs.report!
    )
    expect(none.totals).toMatchObject({
      deployments: 0,
      change_failure_rate: null
    })
  })
})
