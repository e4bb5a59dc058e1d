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
): {deployments: number; failures: number; rolledBack: number} {
  const since = new Date(Date.now() - days * 86_400_000)
    .toISOString()
    .slice(0, 19)
    .replace('T', ' ')
  const changes = sim.instance.store.rows('change_request')
  const closed = changes.filter(
    c => c.state === '3' && (c.closed_at ?? '') >= since && filter(c)
  )
  const caused = new Set(
    sim.instance.store.rows('incident').map(i => i.caused_by)
  )
  const parents = new Set(
    changes.filter(c => c.state !== '4').map(c => c.parent)
  )
  return {
    deployments: closed.length,
    failures: closed.filter(
      c =>
        c.close_code === 'unsuccessful' ||
        caused.has(c.sys_id) ||
        parents.has(c.sys_id)
    ).length,
    rolledBack: closed.filter(c => parents.has(c.sys_id)).length
  }
}

describe('report', () => {
  it('reports the four keys with their bands and the trend, by week, environment and service, paging through the changes', async () => {
    const run = await runStep('report', {...connection(), period_days: '84'})
    expect(errors(run)).toEqual([])
    const report = JSON.parse(run.outputs.report!)
    const want = expected(84)
    expect(report.totals).toMatchObject({
      deployments: want.deployments,
      failures: want.failures,
      failed_by: expect.objectContaining({rollback: want.rolledBack})
    })
    expect(want.rolledBack).toBeGreaterThan(0)
    expect(report.totals.deployments).toBeGreaterThan(30)
    expect(report.totals.change_failure_rate).toBeCloseTo(
      want.failures / want.deployments,
      2
    )
    expect(report.totals.lead_time_from.oldest_commit).toBeGreaterThan(0)
    expect(report.totals.lead_time_from.change_created).toBeGreaterThan(0)
    expect(report.weeks.length).toBeGreaterThanOrEqual(12)
    expect(
      report.weeks.reduce(
        (n: number, w: {deployments: number}) => n + w.deployments,
        0
      )
    ).toBe(want.deployments)
    expect(
      report.days.reduce(
        (n: number, d: {deployments: number}) => n + d.deployments,
        0
      )
    ).toBe(want.deployments)
    expect(
      report.by_environment.map((r: {name: string}) => r.name).sort()
    ).toEqual(['(not recorded)', 'production', 'staging'])
    expect(report.previous.from).toBe(
      new Date(Date.parse(report.from) - 84 * 86_400_000).toISOString()
    )
    for (const key of [
      'deployment_frequency',
      'lead_time',
      'change_failure_rate',
      'time_to_restore'
    ]) {
      expect(['elite', 'high', 'medium', 'low']).toContain(report.bands[key])
      expect(['better', 'worse', 'same']).toContain(report.trend[key])
    }
    // The summary: each key with its band, this period against the previous one, named thresholds.
    for (const key of [
      'Deployment frequency (per week)',
      'Lead time for changes, median (hours)',
      'Change failure rate (%)',
      'Time to restore, median (hours)'
    ])
      expect(run.summary).toMatch(
        new RegExp(
          `<td>${key.replace(/[()%]/g, '\\$&')}</td><td>[\\d.]+</td><td>\\S+ (elite|high|medium|low)</td>`
        )
      )
    expect(run.summary).toContain('Accelerate State of DevOps Report 2023')
    expect(run.summary).toMatch(
      /Lead time is measured from the oldest commit for \d+ deployments and from the change's creation for \d+/
    )
    // Two charts over both periods, whole weeks only, labelled for a person, with a legend.
    expect(run.summary.match(/xychart-beta/g)).toHaveLength(2)
    const axis = /x-axis "Week of" \[(.*)\]/.exec(run.summary)?.[1] ?? ''
    const whole = new Set(
      [...report.previous.weeks, ...report.weeks]
        .filter((w: {partial?: boolean}) => !w.partial)
        .map((w: {week: string}) => w.week)
    )
    expect(axis.split(', ')).toHaveLength(whole.size)
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

  it('reports one environment, saying how many changes carry no line', async () => {
    const run = await runStep('report', {
      ...connection(),
      period_days: '84',
      environment: 'staging'
    })
    expect(errors(run)).toEqual([])
    const report = JSON.parse(run.outputs.report!)
    const lineOf = (c: Record<string, string>): string =>
      /environment=(\w+)/.exec(
        `${c.description ?? ''}\n${sim.instance.store
          .journal(c.sys_id ?? '', 'work_notes')
          .map(j => j.value)
          .join('\n')}`
      )?.[1] ?? ''
    expect(report.totals.deployments).toBe(
      expected(84, c => lineOf(c) === 'staging').deployments
    )
    expect(report.unattributed).toBe(
      expected(84, c => lineOf(c) === '').deployments
    )
    expect(report.unattributed).toBeGreaterThan(0)
    expect(run.summary).toContain(
      `${report.unattributed} changes closed in the period carry no deployment line`
    )
  })

  it('keeps a hostile environment name in its cell, and says so when a short period has no whole week to chart', async () => {
    const closed = new Date(Date.now() - 3_600_000)
      .toISOString()
      .slice(0, 19)
      .replace('T', ' ')
    const hostile = sim.instance.store.insert(
      'change_request',
      {
        type: 'normal',
        state: '3',
        active: 'false',
        close_code: 'successful',
        close_notes: 'x',
        correlation_id: 'hostile/1',
        closed_at: closed,
        sys_created_on: closed,
        description:
          'servicenow-change deployment: environment=%0A%0A%23%20Injected%20heading%0A%0A%5Bclick%5D(https%3A%2F%2Fevil.example%2F)'
      },
      'history'
    )
    const run = await runStep('report', {
      ...connection(),
      period_days: '3',
      correlation_prefix: 'hostile/'
    })
    // The other tests count the seeded history alone.
    sim.instance.store.delete('change_request', hostile.sys_id!)
    expect(errors(run)).toEqual([])
    expect(run.summary).not.toMatch(/\n\s*# Injected/)
    expect(run.summary).toContain(
      '<td># Injected heading [click](https://evil.example/)</td>'
    )
    expect(run.summary).not.toContain('xychart-beta')
    expect(run.summary).toContain(
      'No whole week in either period to chart: the weeks are in the table below.'
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
