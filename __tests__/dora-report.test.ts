import {describe, expect, it} from '@jest/globals'
import {buildReport} from '../src/change/dora.js'
import type {ReportSettings} from '../src/settings/dora-settings.js'
import {recordingDeps, simulatorForSuite} from './helpers/changes.js'
import {simConnection} from './helpers/sim.js'

/**
 * The whole report, read over HTTP from a simulator holding a small history written by hand, and
 * every figure checked exactly. The period is 2 to 16 November 2026; the previous one 19 October
 * to 2 November.
 *
 *   change  closed            how                       deployment line                 lead time
 *   A       3 Nov 10:00       successful (a canceled    production, oldest 1 Nov 10:00  48 h from commit
 *                             incident: no failure)
 *   B (std) 4 Nov 10:00       successful, incident 1.5h production (work note), 06:00  4 h from commit
 *   C       10 Nov 10:00      unsuccessful              none                            none (never ran)
 *   D       11 Nov 10:00      successful, rolled back   staging, oldest 10 Nov 20:00    14 h from commit
 *   R       11 Nov 12:00      successful (D's rollback) none, created 11:30             0.5 h from creation
 *   X       (A's child, canceled: not a rollback, not a deployment)
 *   O       (open: not a deployment)
 *   G       20 Oct 10:00      successful                production, oldest 19 Oct 10:00 24 h (previous period)
 *   Z       1 Oct 10:00       successful                (before both periods)
 */
const suite = simulatorForSuite()
const until = new Date('2026-11-16T00:00:00Z')

function settings(over: Partial<ReportSettings> = {}): ReportSettings {
  return {
    connection: simConnection(suite.sim),
    from: new Date(until.getTime() - 14 * 86_400_000),
    until,
    cmdbCi: '',
    assignmentGroup: '',
    correlationPrefix: 'history/',
    environment: '',
    ...over
  }
}

const line = (environment: string, oldest: string): string =>
  `servicenow-change deployment: environment=${environment}; commits=3; oldest_commit=${oldest}; newest_commit=${oldest}`

let seeded = false
function seed(): void {
  if (seeded) return
  seeded = true
  const store = suite.sim.instance.store
  const ci = (name: string): string =>
    store.findByDisplay('cmdb_ci', name)?.sys_id ?? ''
  const change = (
    id: string,
    created: string,
    closed: string,
    values: Record<string, string> = {},
    journal: Record<string, string> = {}
  ): string =>
    store.insert(
      'change_request',
      {
        type: 'normal',
        state: '3',
        active: 'false',
        close_code: 'successful',
        close_notes: 'history',
        correlation_id: `history/${id}`,
        sys_created_on: created,
        closed_at: closed,
        ...values
      },
      'history',
      journal
    ).sys_id ?? ''
  const a = change('A', '2026-11-03 08:00:00', '2026-11-03 10:00:00', {
    description: `Commits going out:\n- abc Fix\n\n${line('production', '2026-11-01T10:00:00Z')}`,
    cmdb_ci: ci('Payments API')
  })
  const b = change(
    'B',
    '2026-11-04 09:00:00',
    '2026-11-04 10:00:00',
    {
      type: 'standard',
      description: 'Deploy a web application (template)',
      cmdb_ci: ci('Payments API')
    },
    {work_notes: line('production', '2026-11-04T06:00:00Z')}
  )
  store.insert(
    'incident',
    {
      caused_by: b,
      state: '6',
      opened_at: '2026-11-04 12:00:00',
      resolved_at: '2026-11-04 13:30:00'
    },
    'history'
  )
  // Canceled (state 8): no failure of A's.
  store.insert(
    'incident',
    {caused_by: a, state: '8', opened_at: '2026-11-03 12:00:00'},
    'history'
  )
  change('C', '2026-11-10 04:00:00', '2026-11-10 10:00:00', {
    close_code: 'unsuccessful'
  })
  const d = change('D', '2026-11-10 22:00:00', '2026-11-11 10:00:00', {
    description: line('staging', '2026-11-10T20:00:00Z'),
    cmdb_ci: ci('Orders DB')
  })
  change('R', '2026-11-11 11:30:00', '2026-11-11 12:00:00', {
    type: 'emergency',
    parent: d,
    cmdb_ci: ci('Orders DB')
  })
  change('X', '2026-11-03 11:00:00', '', {
    state: '4',
    close_code: '',
    parent: a
  })
  change('O', '2026-11-12 11:00:00', '', {
    state: '-1',
    active: 'true',
    close_code: ''
  })
  change('G', '2026-10-20 09:00:00', '2026-10-20 10:00:00', {
    description: line('production', '2026-10-19T10:00:00Z')
  })
  change('Z', '2026-10-01 09:00:00', '2026-10-01 10:00:00')
}

describe('buildReport on a small history, figure by figure', () => {
  it('gives the four keys, their bands, the frequency by environment and service, and the trend', async () => {
    seed()
    const report = await buildReport(recordingDeps(suite), settings())
    expect(report.totals).toEqual({
      deployments: 5,
      deployments_per_day: 0.357,
      deployments_per_week: 2.5,
      failures: 3,
      failed_by: {unsuccessful_close: 1, incident: 1, rollback: 1},
      change_failure_rate: 0.6,
      // 0.5, 4, 14 and 48 hours.
      lead_time_hours_median: 9,
      lead_time_from: {oldest_commit: 3, change_created: 1},
      time_to_restore_hours_median: 1.5,
      restored_incidents: 1
    })
    expect(report.bands).toEqual({
      deployment_frequency: 'high',
      lead_time: 'elite',
      change_failure_rate: 'low',
      time_to_restore: 'high'
    })
    expect(report.thresholds).toMatch(/DORA.*2023/)
    expect(
      report.by_environment.map(r => [
        r.name,
        r.deployments,
        r.per_week,
        r.band
      ])
    ).toEqual([
      ['(not recorded)', 2, 1, 'high'],
      ['production', 2, 1, 'high'],
      ['staging', 1, 0.5, 'medium']
    ])
    expect(report.by_service.map(r => [r.name, r.deployments])).toEqual([
      ['Orders DB', 2],
      ['Payments API', 2],
      ['(no configuration item)', 1]
    ])
    expect(report.weeks.map(w => [w.week, w.deployments, w.failures])).toEqual([
      ['2026-11-02', 2, 1],
      ['2026-11-09', 3, 2]
    ])
    expect(report.previous).toMatchObject({
      from: '2026-10-19T00:00:00.000Z',
      until: '2026-11-02T00:00:00.000Z',
      totals: {
        deployments: 1,
        failures: 0,
        change_failure_rate: 0,
        lead_time_hours_median: 24,
        lead_time_from: {oldest_commit: 1, change_created: 0},
        time_to_restore_hours_median: null
      },
      bands: {
        deployment_frequency: 'medium',
        lead_time: 'high',
        change_failure_rate: 'elite',
        time_to_restore: null
      }
    })
    expect(report.trend).toEqual({
      deployment_frequency: 'better',
      lead_time: 'better',
      change_failure_rate: 'worse',
      time_to_restore: null
    })
    expect(report.unattributed).toBeUndefined()
  })

  it('for one environment: only the changes whose line names it, and how many carry no line', async () => {
    seed()
    const report = await buildReport(
      recordingDeps(suite),
      settings({environment: 'production'})
    )
    expect(report.scope).toEqual({
      correlation_prefix: 'history/',
      environment: 'production'
    })
    expect(report.totals).toMatchObject({
      deployments: 2,
      failures: 1,
      lead_time_hours_median: 26,
      lead_time_from: {oldest_commit: 2, change_created: 0}
    })
    // C and R carry no line; D is staging's.
    expect(report.unattributed).toBe(2)
    expect(report.previous.totals.deployments).toBe(1)
  })

  it('reads the work notes only of the standard changes that need them, in one request', async () => {
    seed()
    const before = suite.sim.requests().length
    await buildReport(recordingDeps(suite), settings())
    const made = suite.sim.requests().slice(before)
    const paths = made.map(r => r.path.split('?')[0] ?? '')
    // Changes, standard changes' notes, rollbacks; incidents; configuration items.
    expect(paths.filter(p => p.endsWith('/change_request'))).toHaveLength(3)
    expect(paths.filter(p => p.endsWith('/incident'))).toHaveLength(1)
    expect(paths.filter(p => p.endsWith('/cmdb_ci'))).toHaveLength(1)
    const notes = made
      .map(r => new URL(r.path, 'http://x').searchParams)
      .filter(q => (q.get('sysparm_fields') ?? '').includes('work_notes'))
    const standard = suite.sim.instance.store
      .rows('change_request')
      .filter(c => c.type === 'standard')
      .map(c => c.sys_id)
    expect(notes.map(q => q.get('sysparm_query'))).toEqual([
      `sys_idIN${standard.join(',')}`
    ])
  })
})
