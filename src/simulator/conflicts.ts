import type {Instance} from './instance.js'
import {
  blackoutsFor,
  occurrences,
  overlaps,
  windowOf,
  type Interval
} from './schedules.js'
import type {Row} from './store.js'

/** One conflict as the conflict table holds it (schema.ts, conflict). */
export interface FoundConflict {
  type: 'ci_already_scheduled' | 'blackout' | 'not_in_maintenance_window'
  ci: string
  conflictingChange: string
  schedule: string
}

/** Every CI the change is on: its cmdb_ci and its affected CIs (task_ci). */
export function cisOf(instance: Instance, change: Row): string[] {
  const affected = instance.store
    .rows('task_ci')
    .filter(r => r.task === change.sys_id)
    .map(r => r.ci_item ?? '')
  return [...new Set([change.cmdb_ci ?? '', ...affected])].filter(c => c !== '')
}

/**
 * Conflict detection as c_ConflictDetection.md describes it, for the reasons the simulator
 * models (no CI relationships, so no parent/child types, and no assigned-to check):
 * - another active change on the same CI in an overlapping window ("The configuration items
 *   are already scheduled at the given date and time"; "Inactive changes are not evaluated",
 *   t_RunManualConflictDetection.md);
 * - a blackout schedule covering the CI with a span overlapping the window ("The CI is in a
 *   blackout window");
 * - a CI with a maintenance schedule whose spans do not hold the whole window ("The CI is not
 *   in the maintenance window"; monitor-maintenance-schedule.md).
 * Every CI of the change is checked, its affected CIs too (the "advanced" mode of
 * change.conflict.mode, configure-conflict-properties.md). `window` overrides the change's own
 * (the first-available search tries windows before writing one).
 */
export function detectConflicts(
  instance: Instance,
  change: Row,
  window: Interval | undefined = windowOf(change)
): FoundConflict[] {
  if (window === undefined) return []
  const found: FoundConflict[] = []
  const cis = cisOf(instance, change)
  for (const ci of cis) {
    for (const other of instance.store.rows('change_request')) {
      if (other.sys_id === change.sys_id || other.active !== 'true') continue
      const theirs = windowOf(other)
      if (theirs === undefined || !overlaps(window, theirs)) continue
      if (!cisOf(instance, other).includes(ci)) continue
      found.push({
        type: 'ci_already_scheduled',
        ci,
        conflictingChange: other.sys_id ?? '',
        schedule: ''
      })
    }
    for (const blackout of blackoutsFor(instance, ci)) {
      if (occurrences(instance, blackout.sys_id ?? '', window).length === 0)
        continue
      found.push({
        type: 'blackout',
        ci,
        conflictingChange: '',
        schedule: blackout.sys_id ?? ''
      })
    }
    const maintenance = instance.store.get('cmdb_ci', ci)?.maintenance_schedule
    if (maintenance !== undefined && maintenance !== '') {
      const held = occurrences(instance, maintenance, window).some(
        o => o.start <= window.start && window.end <= o.end
      )
      if (!held)
        found.push({
          type: 'not_in_maintenance_window',
          ci,
          conflictingChange: '',
          schedule: maintenance
        })
    }
  }
  return found
}

/** How many records a run looked at: the other changes and the schedules (record_count). */
export function recordsChecked(instance: Instance): number {
  return (
    instance.store.rows('change_request').length -
    1 +
    instance.store.rows('cmn_schedule').length
  )
}

/**
 * The first start from `from` at which `duration` fits with no conflict, within `horizon`
 * (PATCH /change/{sys_id}/schedule/first_available; change.conflict.next_available.schedule_window,
 * 90 days by default). Exact, not stepped: a free slot can only begin at `from`, where something
 * blocking ends, or where a maintenance window opens, so only those moments are tried.
 */
export function firstAvailable(
  instance: Instance,
  change: Row,
  from: number,
  duration: number,
  horizon: number
): Interval | undefined {
  const range = {start: from, end: from + horizon}
  const candidates = new Set<number>([from])
  for (const other of instance.store.rows('change_request')) {
    const w = windowOf(other)
    if (w !== undefined && w.end > from) candidates.add(w.end)
  }
  for (const schedule of instance.store.rows('cmn_schedule')) {
    for (const o of occurrences(instance, schedule.sys_id ?? '', range))
      candidates.add(schedule.type === 'blackout' ? o.end : o.start)
  }
  const starts = [...candidates]
    .filter(s => s >= from && s + duration <= range.end)
    .sort((a, b) => a - b)
  for (const start of starts) {
    const window = {start, end: start + duration}
    if (detectConflicts(instance, change, window).length === 0) return window
  }
  return undefined
}
