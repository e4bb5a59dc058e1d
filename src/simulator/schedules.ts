import {SnError} from './errors.js'
import type {Instance} from './instance.js'
import {glideNow, type Row} from './store.js'

/** A stretch of time in epoch milliseconds, end excluded. */
export interface Interval {
  start: number
  end: number
}

const DAY = 24 * 3_600_000
const PERIOD: Record<string, number> = {daily: DAY, weekly: 7 * DAY}

/** A GMT `YYYY-MM-DD HH:MM:SS` as epoch ms; NaN for anything else. */
export function glideMs(value: string | undefined): number {
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})$/.exec(value ?? '')
  return m === null ? Number.NaN : Date.parse(`${m[1]}T${m[2]}Z`)
}

export function glideAt(ms: number): string {
  return glideNow(ms)
}

/** The planned window of a change, or undefined without both dates. */
export function windowOf(change: Row): Interval | undefined {
  const start = glideMs(change.start_date)
  const end = glideMs(change.end_date)
  return Number.isFinite(start) && Number.isFinite(end) && end > start
    ? {start, end}
    : undefined
}

export function overlaps(a: Interval, b: Interval): boolean {
  // change.conflict.allow_contiguous_changes (on by default, configure-conflict-properties.md):
  // one window ending when the other starts is no overlap.
  return a.start < b.end && b.start < a.end
}

/**
 * The schedule's spans as concrete intervals that reach into [from, to): a daily or weekly span
 * repeats from its first occurrence on.
 */
export function occurrences(
  instance: Instance,
  scheduleId: string,
  range: Interval
): Interval[] {
  const out: Interval[] = []
  for (const span of instance.store.rows('cmn_schedule_span')) {
    if (span.schedule !== scheduleId) continue
    const start = glideMs(span.start_date_time)
    const end = glideMs(span.end_date_time)
    if (!Number.isFinite(start) || !(end > start)) continue
    const period = PERIOD[span.repeat_type ?? '']
    if (period === undefined) {
      if (overlaps({start, end}, range)) out.push({start, end})
      continue
    }
    const first = Math.max(0, Math.floor((range.start - end) / period) + 1)
    for (let k = first; start + k * period < range.end; k++)
      out.push({start: start + k * period, end: end + k * period})
  }
  return out.sort((a, b) => a.start - b.start)
}

/** The blackout schedules that cover this CI: those listing it, and those listing none. */
export function blackoutsFor(instance: Instance, ciId: string): Row[] {
  return instance.store
    .rows('cmn_schedule')
    .filter(
      s =>
        s.type === 'blackout' &&
        ((s.cis ?? '') === '' || (s.cis ?? '').split(',').includes(ciId))
    )
}

/**
 * POST /__sim/schedules: {name, type: blackout | maintenance, spans: [{start, end, repeat?}], cis?}.
 * Spans are GMT `YYYY-MM-DD HH:MM:SS`. A blackout covers the CIs named (names or sys_ids; none:
 * every CI); a maintenance schedule becomes those CIs' maintenance_schedule.
 */
export function addSchedule(
  instance: Instance,
  input: Record<string, unknown>
): {sys_id: string} {
  const bad = (why: string): Error => new SnError(400, 'Invalid schedule', why)
  const type = input.type
  if (type !== 'blackout' && type !== 'maintenance')
    throw bad("type must be 'blackout' or 'maintenance'")
  const spans = Array.isArray(input.spans) ? input.spans : []
  if (spans.length === 0) throw bad('spans: at least one {start, end}')
  const cis = (Array.isArray(input.cis) ? input.cis : []).map(c => {
    const name = String(c)
    const row =
      instance.store.get('cmdb_ci', name) ??
      instance.store.findByDisplay('cmdb_ci', name)
    if (row === undefined) throw bad(`no CI '${name}'`)
    return row.sys_id ?? ''
  })
  const schedule = instance.store.insert(
    'cmn_schedule',
    {
      name: String(input.name ?? type),
      type,
      cis: type === 'blackout' ? cis.join(',') : ''
    },
    'admin'
  )
  for (const span of spans as Record<string, unknown>[]) {
    const start = String(span.start ?? '')
    const end = String(span.end ?? '')
    const repeat = String(span.repeat ?? '')
    if (!(glideMs(end) > glideMs(start)))
      throw bad(`span ${start} – ${end}: start and end in GMT, end after start`)
    if (!['', 'daily', 'weekly'].includes(repeat))
      throw bad(`repeat '${repeat}': daily, weekly or none`)
    instance.store.insert(
      'cmn_schedule_span',
      {
        name: schedule.name ?? '',
        schedule: schedule.sys_id ?? '',
        start_date_time: start,
        end_date_time: end,
        repeat_type: repeat
      },
      'admin'
    )
  }
  if (type === 'maintenance')
    for (const ci of cis) {
      const row = instance.store.get('cmdb_ci', ci)
      if (row !== undefined)
        instance.store.update(
          'cmdb_ci',
          row,
          {maintenance_schedule: schedule.sys_id ?? ''},
          'admin'
        )
    }
  return {sys_id: schedule.sys_id ?? ''}
}
