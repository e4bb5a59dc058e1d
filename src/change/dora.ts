import { parseGlideDate, type RawRecord, valueOf } from '../servicenow/fields.js'

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

/**
 * Deployments are changes closed in the period. A deployment failed when it
 * closed unsuccessful or an incident names it in caused_by. Lead time runs from
 * the change's creation to its closure; time to restore from an incident's
 * opening to its resolution, counted in the week of the change that caused it.
 */
export function computeDora(changes: RawRecord[], incidents: RawRecord[], from: Date, until: Date, scope: Record<string, string>): DoraReport {
  const byCause = new Map<string, RawRecord[]>()
  for (const incident of incidents) {
    const cause = valueOf(incident, 'caused_by')
    byCause.set(cause, [...(byCause.get(cause) ?? []), incident])
  }
  const weeks = new Map<string, RawRecord[]>()
  for (let w = weekStart(from); w < until; w = new Date(w.getTime() + WEEK_MS)) weeks.set(w.toISOString(), [])
  for (const change of changes) {
    const closed = parseGlideDate(valueOf(change, 'closed_at'))
    if (closed === undefined || closed < from || closed >= until) continue
    weeks.get(weekStart(closed).toISOString())?.push(change)
  }
  const figures = (group: RawRecord[]): Omit<DoraWeek, 'week' | 'partial'> => {
    const failed = group.filter((c) => valueOf(c, 'close_code') === 'unsuccessful' || byCause.has(valueOf(c, 'sys_id')))
    const leads = group.map((c) => hoursBetween(valueOf(c, 'sys_created_on'), valueOf(c, 'closed_at'))).filter((h): h is number => h !== undefined)
    const restores = group
      .flatMap((c) => byCause.get(valueOf(c, 'sys_id')) ?? [])
      .map((i) => hoursBetween(valueOf(i, 'opened_at'), valueOf(i, 'resolved_at')))
      .filter((h): h is number => h !== undefined)
    return {
      deployments: group.length,
      failures: failed.length,
      change_failure_rate: group.length === 0 ? null : round(failed.length / group.length, 3),
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
      const partial = start < from || start.getTime() + WEEK_MS > until.getTime()
      return { week: week.slice(0, 10), ...(partial ? { partial } : {}), ...figures(group) }
    })
  }
}

const WEEK_MS = 7 * 86_400_000

export function weekStart(date: Date): Date {
  const day = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()))
  return new Date(day.getTime() - ((day.getUTCDay() + 6) % 7) * 86_400_000)
}

function hoursBetween(start: string, end: string): number | undefined {
  const a = parseGlideDate(start)
  const b = parseGlideDate(end)
  return a === undefined || b === undefined ? undefined : (b.getTime() - a.getTime()) / 3_600_000
}

function median(values: number[]): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return round(sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2, 1)
}

function round(value: number, digits: number): number {
  return Math.round(value * 10 ** digits) / 10 ** digits
}
