import {
  formatGlideDate,
  parseGlideDate,
  type RawRecord,
  valueOf
} from '../servicenow/fields.js'
import {query} from '../servicenow/query.js'
import type {ReportSettings} from '../settings/dora-settings.js'
import type {ChangeDeps} from './deps.js'
import {resolveReference} from './lookup.js'

/** One week of DORA figures, from the change requests closed and the incidents they caused. */
export interface DoraWeek {
  /** Monday 00:00 UTC. */
  week: string
  /** The week begins before the period or ends after it: its figures cover only part of it. */
  partial?: boolean
  deployments: number
  failures: number
  change_failure_rate: number | null
  lead_time_hours_median: number | null
  time_to_restore_hours_median: number | null
}

export interface DoraReport {
  from: string
  until: string
  scope: Record<string, string>
  totals: Omit<DoraWeek, 'week' | 'partial'>
  weeks: DoraWeek[]
}

/** Reads every change closed in the period within the scope (page by page), and the incidents they caused. */
export async function buildReport(
  {client}: ChangeDeps,
  settings: ReportSettings
): Promise<DoraReport> {
  // Closed is 3 unless the instance renumbered it: its choice list says.
  const closed = String((await client.changes.states()).value('closed'))
  const q = query()
    .eq('state', closed)
    .atLeast('closed_at', formatGlideDate(settings.from))
    .before('closed_at', formatGlideDate(settings.until))
  const scope: Record<string, string> = {}
  if (settings.cmdbCi !== '') {
    q.eq(
      'cmdb_ci',
      await resolveReference(client, 'cmdb_ci', settings.cmdbCi, {
        table: 'cmdb_ci',
        nameField: 'name',
        what: 'configuration item'
      })
    )
    scope.cmdb_ci = settings.cmdbCi
  }
  if (settings.assignmentGroup !== '') {
    q.eq(
      'assignment_group',
      await resolveReference(
        client,
        'assignment_group',
        settings.assignmentGroup,
        {table: 'sys_user_group', nameField: 'name', what: 'group'}
      )
    )
    scope.assignment_group = settings.assignmentGroup
  }
  if (settings.correlationPrefix !== '') {
    q.startsWith('correlation_id', settings.correlationPrefix)
    scope.correlation_prefix = settings.correlationPrefix
  }
  const changes: RawRecord[] = []
  for await (const row of client.table.all('change_request', {
    query: q.orderBy('closed_at'),
    fields: ['sys_id', 'sys_created_on', 'closed_at', 'close_code'],
    pageSize: 500
  })) {
    changes.push(row)
  }
  const incidents: RawRecord[] = []
  const ids = changes.map(c => String(c.sys_id))
  // IN lists stay short enough for a URL.
  for (let i = 0; i < ids.length; i += 100) {
    const causedBy = query().in('caused_by', ids.slice(i, i + 100))
    for await (const row of client.table.all('incident', {
      query: causedBy,
      fields: ['caused_by', 'opened_at', 'resolved_at'],
      excludeReferenceLink: true,
      pageSize: 500
    })) {
      incidents.push(row)
    }
  }
  return computeDora(changes, incidents, settings.from, settings.until, scope)
}

/**
 * Deployments are changes closed in the period. A deployment failed when it
 * closed unsuccessful or an incident names it in caused_by. Lead time runs from
 * the change's creation to its closure; time to restore from an incident's
 * opening to its resolution, counted in the week of the change that caused it.
 */
export function computeDora(
  changes: RawRecord[],
  incidents: RawRecord[],
  from: Date,
  until: Date,
  scope: Record<string, string>
): DoraReport {
  const byCause = new Map<string, RawRecord[]>()
  for (const incident of incidents) {
    const cause = valueOf(incident, 'caused_by')
    byCause.set(cause, [...(byCause.get(cause) ?? []), incident])
  }
  const weeks = new Map<string, RawRecord[]>()
  for (let w = weekStart(from); w < until; w = new Date(w.getTime() + WEEK_MS))
    weeks.set(w.toISOString(), [])
  for (const change of changes) {
    const closed = parseGlideDate(valueOf(change, 'closed_at'))
    if (closed === undefined || closed < from || closed >= until) continue
    weeks.get(weekStart(closed).toISOString())?.push(change)
  }
  const figures = (group: RawRecord[]): Omit<DoraWeek, 'week' | 'partial'> => {
    const failed = group.filter(
      c =>
        valueOf(c, 'close_code') === 'unsuccessful' ||
        byCause.has(valueOf(c, 'sys_id'))
    )
    const leads = group
      .map(c =>
        hoursBetween(valueOf(c, 'sys_created_on'), valueOf(c, 'closed_at'))
      )
      .filter((h): h is number => h !== undefined)
    const restores = group
      .flatMap(c => byCause.get(valueOf(c, 'sys_id')) ?? [])
      .map(i =>
        hoursBetween(valueOf(i, 'opened_at'), valueOf(i, 'resolved_at'))
      )
      .filter((h): h is number => h !== undefined)
    return {
      deployments: group.length,
      failures: failed.length,
      change_failure_rate:
        group.length === 0 ? null : round(failed.length / group.length, 3),
      lead_time_hours_median: median(leads),
      time_to_restore_hours_median: median(restores)
    }
  }
  const all = [...weeks.values()].flat()
  return {
    from: from.toISOString(),
    until: until.toISOString(),
    scope,
    totals: figures(all),
    weeks: [...weeks.entries()].map(([week, group]) => {
      const start = new Date(week)
      const partial =
        start < from || start.getTime() + WEEK_MS > until.getTime()
      return {
        week: week.slice(0, 10),
        ...(partial ? {partial} : {}),
        ...figures(group)
      }
    })
  }
}

const WEEK_MS = 7 * 86_400_000

export function weekStart(date: Date): Date {
  const day = new Date(
    Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate())
  )
  return new Date(day.getTime() - ((day.getUTCDay() + 6) % 7) * 86_400_000)
}

function hoursBetween(start: string, end: string): number | undefined {
  const a = parseGlideDate(start)
  const b = parseGlideDate(end)
  return a === undefined || b === undefined
    ? undefined
    : (b.getTime() - a.getTime()) / 3_600_000
}

function median(values: number[]): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return round(
    sorted.length % 2 === 1
      ? sorted[mid]!
      : (sorted[mid - 1]! + sorted[mid]!) / 2,
    1
  )
}

function round(value: number, digits: number): number {
  return Math.round(value * 10 ** digits) / 10 ** digits
}
