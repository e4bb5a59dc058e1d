import {describe, expect, it} from '@jest/globals'
import {buildReport} from '../src/change/dora.js'
import {parseGlideDate} from '../src/servicenow/fields.js'
import type {ReportSettings} from '../src/settings/dora-settings.js'
import {recordingDeps, simulatorForSuite} from './helpers/changes.js'
import {simConnection} from './helpers/sim.js'

/** buildReport in-process against the simulator's seeded history: what it reads, counted against the table itself. */
const suite = simulatorForSuite({historyWeeks: 12})

function settings(over: Partial<ReportSettings> = {}): ReportSettings {
  const until = new Date()
  return {
    connection: simConnection(suite.sim),
    from: new Date(until.getTime() - 56 * 86_400_000),
    until,
    cmdbCi: '',
    assignmentGroup: '',
    correlationPrefix: '',
    environment: '',
    ...over
  }
}

/** Changes closed within [from, until), and those closed unsuccessful, named by an incident's caused_by or by a (not canceled) change's parent. */
function expected(
  s: ReportSettings,
  keep: (row: Record<string, string | undefined>) => boolean = () => true
): {deployments: number; failures: number} {
  const store = suite.sim.instance.store
  const closed = store.rows('change_request').filter(r => {
    const at = parseGlideDate(r.closed_at ?? '')
    return (
      r.state === '3' &&
      at !== undefined &&
      at >= s.from &&
      at < s.until &&
      keep(r)
    )
  })
  const caused = new Set(store.rows('incident').map(i => i.caused_by))
  const rolledBack = new Set(
    store
      .rows('change_request')
      .filter(c => c.state !== '4')
      .map(c => c.parent)
  )
  return {
    deployments: closed.length,
    failures: closed.filter(
      c =>
        c.close_code === 'unsuccessful' ||
        caused.has(c.sys_id) ||
        rolledBack.has(c.sys_id)
    ).length
  }
}

describe('buildReport: every change closed in the period and the incidents they caused', () => {
  it.each<
    [
      string,
      Partial<ReportSettings>,
      (row: Record<string, string | undefined>) => boolean
    ]
  >([
    ['eight weeks, no scope: every change closed in them', {}, () => true],
    [
      'scoped by correlation prefix: only the changes whose id starts with it',
      {correlationPrefix: 'octo-org/payments/104'},
      r => (r.correlation_id ?? '').startsWith('octo-org/payments/104')
    ],
    [
      'scoped by group name: resolved to its sys_id first',
      {assignmentGroup: 'DevOps Team'},
      () => true
    ]
  ])('%s', async (_, over, keep) => {
    const s = settings(over)
    const want = expected(s, keep)
    const report = await buildReport(recordingDeps(suite), s)
    expect(want.deployments).toBeGreaterThan(0)
    expect([report.totals.deployments, report.totals.failures]).toEqual([
      want.deployments,
      want.failures
    ])
    expect(report.scope).toEqual(
      Object.fromEntries(
        Object.entries({
          assignment_group: s.assignmentGroup,
          correlation_prefix: s.correlationPrefix
        }).filter(([, v]) => v !== '')
      )
    )
  })
})
