import {isMissingApi} from '../servicenow/change-api.js'
import type {ChangeRecord} from '../servicenow/change-record.js'
import {lookUntil, workerDone} from '../servicenow/cm-worker.js'
import {ServiceNowError} from '../servicenow/errors.js'
import {valueOf} from '../servicenow/fields.js'
import {
  readConflicts,
  startConflictCheck,
  type ConflictRow,
  type ConflictRun
} from '../servicenow/schedule-api.js'
import type {ChangeDeps} from './deps.js'

/** One conflict, as a person reads it. */
export interface Conflict {
  kind: 'change' | 'blackout' | 'maintenance' | 'other'
  /** The instance's label of the conflict type ("CI Already Scheduled"). */
  label: string
  ci: string | undefined
  /** The other change's number, for a change already scheduled on the CI. */
  change: string | undefined
  /** The blackout or maintenance schedule's name. */
  schedule: string | undefined
  /** Where the two planned windows overlap, for a conflicting change. */
  overlap: {start: Date; end: Date} | undefined
}

/** What conflict checking found: nothing, conflicts, nothing it could tell, or nothing it could run. */
export type ConflictFinding =
  | {kind: 'clear'}
  | {kind: 'conflicts'; conflicts: Conflict[]}
  /** A run was started but its result cannot be told (failed, cancelled, did not finish). */
  | {kind: 'unknown'; why: string}
  /** Nothing was checked: no planned window, or no Change Management API. */
  | {kind: 'not-checked'; why: string}

/** How long a check may take by default: "a large CMDB" makes it slow (t_RunManualConflictDetection.md). */
export const CHECK_LIMIT_MS = 5 * 60_000
/** A log line names this many conflicts; a change on a busy CI may have a thousand (change.conflict.max_count). */
const NAMED_IN_A_LINE = 10
/** The other changes read for their windows (to say where they overlap); more are named without it. */
const OVERLAPS_READ = 5

/**
 * Runs ServiceNow's conflict checking on the change and reads its result
 * (change-management-api.md: POST /change/{sys_id}/conflict starts it and answers
 * the run's worker; GET /change/worker/{sys_id} says when it is done; GET
 * /change/{sys_id}/conflict lists what it found). Conflicts are about a planned
 * window on configuration items (c_ConflictDetection.md): a change without a
 * planned start and end is not checked, and says so.
 *
 * The result must be this run's, never the previous one's: the worker is
 * followed until Complete. Where the instance runs conflict checking with
 * progress workers (change.conflict.useprogressworker, configure-conflict-properties.md)
 * and the worker endpoint does not know the run, the conflict status is read
 * until its last run differs from the one read before starting.
 */
export async function checkConflicts(
  deps: ChangeDeps,
  record: ChangeRecord,
  deadline: number,
  /** Other changes' windows already read (a wait checking again need not read them again). */
  windows: Map<string, Window | undefined> = new Map()
): Promise<ConflictFinding> {
  const {client} = deps
  if (record.startDate === undefined || record.endDate === undefined)
    return {
      kind: 'not-checked',
      why: `${record.number} has no planned start and end date, and conflicts are found for a planned window`
    }
  if (client.changes.changeApiAvailable === false) return needsApi()
  const conn = client.connection
  try {
    const before = await conn.within(deadline, () =>
      readConflicts(conn, record.sysId)
    )
    const runId = await conn.within(deadline, () =>
      startConflictCheck(conn, record.sysId)
    )
    const run = await runResult(deps, record, runId, before, deadline)
    if (typeof run === 'string') return {kind: 'unknown', why: run}
    const conflicts = await describe(
      deps,
      record,
      run.conflicts,
      deadline,
      windows
    )
    const flagged = await outsideMaintenance(deps, record, conflicts, deadline)
    const all = [...conflicts, ...flagged]
    return all.length === 0
      ? {kind: 'clear'}
      : {kind: 'conflicts', conflicts: all}
  } catch (error) {
    if (isMissingApi(error)) {
      // The flag is on the record: readable even where conflict checking is not served.
      const flagged = await outsideMaintenance(
        deps,
        record,
        [],
        deadline
      ).catch(() => [])
      return flagged.length > 0
        ? {kind: 'conflicts', conflicts: flagged}
        : needsApi()
    }
    // A check that broke is a check with no answer: on_conflict decides what that means (fail
    // fails, wait holds, warn says so), never "no conflicts".
    if (error instanceof ServiceNowError)
      return {
        kind: 'unknown',
        why: `checking conflicts of ${record.number} failed: ${error.message}`
      }
    throw error
  }
}

/**
 * The change's outside_maintenance_schedule flag, which the instance sets when the planned window
 * falls outside its CI's maintenance schedule (monitor-maintenance-schedule.md: "informational
 * ... the instance sets this value"), as a conflict when the run did not already name one.
 */
async function outsideMaintenance(
  deps: ChangeDeps,
  record: ChangeRecord,
  found: Conflict[],
  deadline: number
): Promise<Conflict[]> {
  if (found.some(c => c.kind === 'maintenance')) return []
  const row = await deps.client.connection.within(deadline, () =>
    deps.client.table.get('change_request', record.sysId, {
      fields: ['outside_maintenance_schedule']
    })
  )
  if (valueOf(row, 'outside_maintenance_schedule') !== 'true') return []
  return [
    {
      kind: 'maintenance',
      label: 'Outside maintenance schedule',
      ci: record.cmdbCi?.display ?? record.cmdbCi?.sysId,
      change: undefined,
      schedule: undefined,
      overlap: undefined
    }
  ]
}

function needsApi(): ConflictFinding {
  return {
    kind: 'not-checked',
    why: 'conflict checking needs the Change Management API (sn_chg_rest), which this instance does not serve'
  }
}

/** The finished run's result, or why it cannot be told. */
async function runResult(
  deps: ChangeDeps,
  record: ChangeRecord,
  runId: string,
  before: ConflictRun,
  deadline: number
): Promise<ConflictRun | string> {
  const conn = deps.client.connection
  const late = `conflict checking of ${record.number} did not finish within ${Math.round((deadline - conn.clock.now()) / 1000 + 0.5)} s`
  let done
  try {
    // The run was started Waiting: the first look is a second later, not at once.
    done = await workerDone(
      conn,
      {
        sysId: runId,
        state: 'waiting',
        errors: [],
        warnings: [],
        infos: [],
        request: ''
      },
      deadline
    )
  } catch (error) {
    if (!(error instanceof ServiceNowError && error.status === 404)) throw error
    return untilNewRun(deps, record, before, deadline, late)
  }
  if (done.state === 'error')
    return `conflict checking of ${record.number} ended in error${done.errors.length > 0 ? `: ${done.errors.join('; ')}` : ''}`
  if (done.state !== 'complete') return late
  // The worker named must be this change's run, and the status must show a run other than the one
  // before: otherwise the conflicts read would be another run's. The document's worker example
  // names its change in `request` ({"task":"<sys_id>"}); a request naming other sys_ids and not
  // this one is another run's. (One naming none is accepted: what a conflict run records is
  // UNVERIFIED.)
  if (/[0-9a-f]{32}/.test(done.request) && !done.request.includes(record.sysId))
    return `the worker the instance named for ${record.number}'s conflict run works on something else (${done.request.slice(0, 80)})`
  const run = await conn.within(deadline, () =>
    readConflicts(conn, record.sysId)
  )
  // A worker whose request names this change is this run's, whatever the second its status shows
  // (two runs may start in one second); one that names nothing is believed only with a new last_run.
  if (
    !done.request.includes(record.sysId) &&
    before.lastRun !== '' &&
    run.lastRun === before.lastRun
  )
    return `the instance's conflict status for ${record.number} still shows the run before (last run ${before.lastRun})`
  return finished(run, record) ?? run
}

/** Progress-worker instances: the status until its last run is a new one and finished. */
async function untilNewRun(
  deps: ChangeDeps,
  record: ChangeRecord,
  before: ConflictRun,
  deadline: number,
  late: string
): Promise<ConflictRun | string> {
  const conn = deps.client.connection
  const run = await lookUntil(
    conn,
    deadline,
    () => readConflicts(conn, record.sysId),
    seen =>
      seen.lastRun !== before.lastRun &&
      ['2', '3', '4'].includes(seen.jobStatus)
  )
  return run === undefined ? late : (finished(run, record) ?? run)
}

/** Why a finished run tells nothing (it failed or was cancelled), or undefined when it tells. */
function finished(run: ConflictRun, record: ChangeRecord): string | undefined {
  if (run.jobStatus === '3')
    return `conflict checking of ${record.number} failed on the instance`
  if (run.jobStatus === '4')
    return `conflict checking of ${record.number} was cancelled on the instance`
  if (/not run/i.test(run.status))
    return `conflict checking of ${record.number} was cancelled on the instance (status Not Run)`
  return undefined
}

/** Conflicts as a person reads them: the other change (and where the windows overlap), the schedule, the CI. */
async function describe(
  deps: ChangeDeps,
  record: ChangeRecord,
  rows: ConflictRow[],
  deadline: number,
  windows: Map<string, Window | undefined>
): Promise<Conflict[]> {
  let read = 0
  for (const row of rows) {
    const other = row.conflictingChange?.sysId
    if (other === undefined || windows.has(other)) continue
    if (++read > OVERLAPS_READ) break
    const seen = await deps.client.connection
      .within(deadline, () => deps.client.changes.get(other))
      .catch(() => undefined)
    windows.set(
      other,
      seen?.startDate === undefined || seen.endDate === undefined
        ? undefined
        : {start: seen.startDate, end: seen.endDate}
    )
  }
  return rows.map(row => ({
    kind: kindOf(row),
    label: row.typeLabel,
    ci: row.ci?.display ?? row.ci?.sysId,
    change: row.conflictingChange?.display ?? row.conflictingChange?.sysId,
    schedule: row.schedule?.display ?? row.schedule?.sysId,
    overlap:
      row.conflictingChange === undefined
        ? undefined
        : overlapOf(record, windows.get(row.conflictingChange.sysId))
  }))
}

export interface Window {
  start: Date
  end: Date
}

function overlapOf(
  ours: ChangeRecord,
  other: Window | undefined
): Window | undefined {
  if (
    other === undefined ||
    ours.startDate === undefined ||
    ours.endDate === undefined
  )
    return undefined
  const start = Math.max(ours.startDate.getTime(), other.start.getTime())
  const end = Math.min(ours.endDate.getTime(), other.end.getTime())
  return end > start ? {start: new Date(start), end: new Date(end)} : undefined
}

/** The type by its value, or its label where a release names it differently (only not_in_maintenance_window is documented). */
function kindOf(row: ConflictRow): Conflict['kind'] {
  const both = `${row.type} ${row.typeLabel}`
  if (/blackout/i.test(both)) return 'blackout'
  if (/maint/i.test(both)) return 'maintenance'
  if (row.conflictingChange !== undefined || /scheduled/i.test(both))
    return 'change'
  return 'other'
}

/** One conflict in a few words: "CHG0030002 on Payments API overlaps 10:00–11:00 UTC". */
export function conflictText(c: Conflict): string {
  const on = c.ci === undefined ? '' : ` on ${c.ci}`
  if (c.kind === 'change')
    return `${c.change ?? 'another change'}${on} ${c.overlap === undefined ? 'is scheduled in the same window' : `overlaps ${span(c.overlap)}`}`
  if (c.kind === 'blackout')
    return `blackout ${c.schedule === undefined ? '' : `'${c.schedule}' `}covers the planned window${on}`
  if (c.kind === 'maintenance')
    return `the planned window is outside ${c.schedule === undefined ? 'the maintenance window' : `maintenance window '${c.schedule}'`}${on === '' ? '' : ` of ${c.ci}`}`
  return `${c.label}${on}${c.schedule === undefined ? '' : ` (${c.schedule})`}`
}

/** The finding in one line, naming each conflict. */
export function findingText(record: ChangeRecord, f: ConflictFinding): string {
  switch (f.kind) {
    case 'clear':
      return `No conflicts for ${record.number}'s planned window ${plannedWindow(record)}.`
    case 'conflicts': {
      const named = f.conflicts.slice(0, NAMED_IN_A_LINE).map(conflictText)
      const more = f.conflicts.length - named.length
      return `${record.number} has ${f.conflicts.length} conflict${f.conflicts.length === 1 ? '' : 's'} in its planned window ${plannedWindow(record)}: ${named.join('; ')}${more > 0 ? `; and ${more} more (all in the job summary and the conflicts output)` : ''}.`
    }
    case 'unknown':
      return `Conflicts unknown: ${f.why}.`
    case 'not-checked':
      return `Conflicts not checked: ${f.why}.`
  }
}

function plannedWindow(record: ChangeRecord): string {
  return record.startDate === undefined || record.endDate === undefined
    ? '(none)'
    : span({start: record.startDate, end: record.endDate})
}

/** "2026-11-24 10:00–11:00 UTC", or with both dates when the days differ. */
export function span(s: {start: Date; end: Date}): string {
  const a = s.start.toISOString().slice(0, 16).replace('T', ' ')
  const b = s.end.toISOString().slice(0, 16).replace('T', ' ')
  return `${a}–${a.slice(0, 10) === b.slice(0, 10) ? b.slice(11) : b} UTC`
}

/** The `conflict_status` output. */
export function findingStatus(f: ConflictFinding): string {
  return f.kind === 'clear'
    ? 'none'
    : f.kind === 'conflicts'
      ? 'found'
      : f.kind === 'unknown'
        ? 'unknown'
        : 'not_checked'
}

/** The `conflicts` output: what each conflict is, in fields a later step can read. */
export function findingJson(f: ConflictFinding): object[] {
  if (f.kind !== 'conflicts') return []
  return f.conflicts.map(c => ({
    type: c.kind,
    label: c.label,
    configuration_item: c.ci ?? null,
    change: c.change ?? null,
    schedule: c.schedule ?? null,
    overlap_start: c.overlap?.start.toISOString() ?? null,
    overlap_end: c.overlap?.end.toISOString() ?? null
  }))
}
