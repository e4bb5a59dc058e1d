import {createHash} from 'node:crypto'
import type {RunContext} from '../github-context.js'
import type {ChangeRecord} from '../servicenow/change-record.js'
import type {ChangeTask} from '../servicenow/change-task.js'
import {createChecked} from '../servicenow/checked-create.js'
import {CORRELATION_ID_MAX} from '../settings/create.js'
import type {CloseCode, JobResult} from '../settings/close.js'
import type {ChangeDeps} from './deps.js'
import {InputError} from '../servicenow/errors.js'
import {OWN_MARK} from '../servicenow/change-task.js'
import {valueOf} from '../servicenow/fields.js'
import {query} from '../servicenow/query.js'

/**
 * One change for a whole matrix (issue 13): every leg of the deployment (a matrix job's
 * legs share the change's correlation id) gets a change task of its own, named for it,
 * created idempotently and closed from that leg's own result. The change closes when every
 * expected leg has reported, the worst result deciding; one leg, and only one, closes it.
 *
 * A leg's task carries LEG_MARK in correlation_display and, in correlation_id, the change's
 * correlation id and the leg's name (hashed where that would pass ServiceNow's 100 characters),
 * so that a leg finds its own task again on a re-run and no one else's is taken for it.
 * Change tasks are closed with a close code and notes (create-a-change-task.md: "Closed:
 * Requires close code and close notes"), canceled without.
 */
export const LEG_MARK = 'servicenow-change leg'
const LEG_TITLE = 'Deployment leg: '

/** What every leg task of this change has at the start of its correlation_id. */
export function legPrefix(changeCorrelationId: string): string {
  // The change's id is at most 100 characters itself; past 60 only its hash leaves room for the leg.
  return changeCorrelationId.length <= 60
    ? `${changeCorrelationId}/leg/`
    : `#${hash(changeCorrelationId)}/leg/`
}

export function legCorrelationId(
  changeCorrelationId: string,
  leg: string
): string {
  const id = `${legPrefix(changeCorrelationId)}${leg}`
  if (id.length <= CORRELATION_ID_MAX) return id
  const tail = `#${hash(leg)}`
  return `${id.slice(0, CORRELATION_ID_MAX - tail.length)}${tail}`
}

/**
 * Legs find their tasks by the change's correlation id: a change without one (made by hand,
 * adopted by number) cannot tell its legs' tasks from anyone's, so legs refuse it.
 */
export function needsCorrelation(record: ChangeRecord): void {
  if (record.correlationId === '')
    throw new InputError(
      `${record.number} has no correlation id, so its legs' tasks could not be told from anyone else's: give legs a change this action made (create, or the gate), or no expected_legs.`
    )
}

/** A task of this change made by a leg of its deployment. */
export function isLegTask(task: ChangeTask, record: ChangeRecord): boolean {
  return (
    task.correlationDisplay === LEG_MARK &&
    record.correlationId !== '' &&
    task.correlationId.startsWith(legPrefix(record.correlationId))
  )
}

/** The leg's name, as its task's short description gives it. */
export function legName(task: ChangeTask): string {
  return task.shortDescription.startsWith(LEG_TITLE)
    ? task.shortDescription.slice(LEG_TITLE.length)
    : task.number
}

/**
 * This leg's open task, created if it has none (a task it already reported belongs to an
 * earlier attempt: a re-run reports anew). A create that fails in a way that may have landed
 * is looked for before it is tried again.
 */
export async function ensureLegTask(
  deps: ChangeDeps,
  record: ChangeRecord,
  leg: string,
  run: RunContext
): Promise<ChangeTask> {
  needsCorrelation(record)
  const {client} = deps
  const correlationId = legCorrelationId(record.correlationId, leg)
  const open = async (): Promise<ChangeTask | undefined> =>
    (await client.changes.tasks(record.sysId, {activeOnly: true}))
      .filter(
        t =>
          t.correlationDisplay === LEG_MARK && t.correlationId === correlationId
      )
      .at(-1)
  const found = await open()
  if (found !== undefined) {
    deps.info(`Leg ${leg}: change task ${found.number}.`)
    return found
  }
  const task = await createChecked(client, {
    create: () =>
      client.changes.createTask(record.sysId, {
        short_description: `${LEG_TITLE}${leg}`,
        description: `The leg ${leg} of the deployment under ${record.number}, run by ${run.runUrl}. It is closed from that leg's result.`,
        correlation_id: correlationId,
        correlation_display: LEG_MARK
      }),
    landed: open,
    onRetry: error =>
      deps.warn(
        `Creating the task for leg ${leg} failed (${error.message}); looking whether it landed before trying again.`
      ),
    ...(deps.random === undefined ? {} : {random: deps.random})
  })
  deps.info(`Leg ${leg}: change task ${task.number} created.`)
  return task
}

/**
 * A change an earlier attempt of this run made for the same deployment, and its leg tasks.
 * "Re-run failed jobs" runs only the legs that failed: the change the first attempt made is
 * closed (unsuccessful, from the failed leg), so the re-run makes a new one, and the legs that
 * succeeded before do not run again. Their results stand: a leg this attempt has no task for
 * counts as its newest task in the earlier changes says, if that was a success.
 */
export interface EarlierChange {
  number: string
  tasks: ChangeTask[]
}

/** At most this many earlier changes of the deployment are read: one per earlier attempt. */
const EARLIER_CHANGES = 10

/**
 * The closed changes of this deployment (same correlation id, this action's mark) that earlier
 * attempts of this run made before this one, newest first, with the leg tasks those attempts
 * made (their description names this run: a change of another run with the same correlation id
 * counts nothing here). A first attempt reads nothing.
 */
export async function earlierAttempts(
  deps: ChangeDeps,
  record: ChangeRecord,
  run: RunContext
): Promise<EarlierChange[]> {
  if (run.runAttempt <= 1 || record.correlationId === '') return []
  const {client} = deps
  const page = await client.table.list('change_request', {
    query: query()
      .eq('correlation_id', record.correlationId)
      .eq('correlation_display', OWN_MARK)
      .eq('active', 'false')
      .notEq('sys_id', record.sysId)
      .orderByDesc('number'),
    fields: ['sys_id', 'number', 'correlation_id', 'correlation_display'],
    limit: EARLIER_CHANGES
  })
  const madeByThisRun = `run by ${run.runUrl}.`
  const earlier: EarlierChange[] = []
  for (const r of page.records) {
    const number = valueOf(r, 'number')
    if (
      valueOf(r, 'correlation_id') !== record.correlationId ||
      valueOf(r, 'correlation_display') !== OWN_MARK ||
      !numberAfter(record.number, number)
    )
      continue
    const tasks = (await client.changes.tasks(valueOf(r, 'sys_id'))).filter(
      t =>
        t.correlationDisplay === LEG_MARK &&
        t.description.includes(madeByThisRun)
    )
    if (tasks.length > 0) earlier.push({number, tasks})
  }
  return earlier
}

/** Where the legs stand, from the change's tasks: the newest task of each leg speaks for it. */
export interface LegsStatus {
  legs: Leg[]
  reported: Leg[]
  waiting: Leg[]
  /** Every expected leg has reported and none is still open. */
  complete: boolean
}

export interface Leg {
  name: string
  task: ChangeTask
  /** A leg that succeeded in an earlier attempt's change (its number) and did not run again. */
  from?: string
}

export function legsStatus(
  record: ChangeRecord,
  tasks: ChangeTask[],
  expected: number,
  earlier: EarlierChange[] = []
): LegsStatus {
  const newest = newestByLeg(tasks.filter(t => isLegTask(t, record)))
  const carried = new Map<string, Leg>()
  const decided = new Set(newest.keys())
  for (const change of earlier) {
    for (const [id, task] of newestByLeg(change.tasks)) {
      if (decided.has(id)) continue
      // The newest earlier attempt that ran the leg decides: a failure there is not carried.
      decided.add(id)
      if (!task.active && taskResult(task) === 'success')
        carried.set(id, {name: legName(task), task, from: change.number})
    }
  }
  const legs: Leg[] = [
    ...[...newest.values()].map(task => ({name: legName(task), task})),
    ...carried.values()
  ].sort((a, b) => a.name.localeCompare(b.name))
  const reported = legs.filter(l => !l.task.active)
  const waiting = legs.filter(l => l.task.active)
  return {
    legs,
    reported,
    waiting,
    complete: reported.length >= expected && waiting.length === 0
  }
}

/**
 * The leg that closes the change: the one whose task was written last (then the higher
 * task number). Every leg that sees all legs reported sees the same tasks, so names the
 * same leg; and the leg whose task was written last is the one sure to have seen them all
 * (each leg waits SETTLE_MS after its own report before it reads: a write in the same second
 * as its own has landed by then).
 */
export function closingLeg(status: LegsStatus): string | undefined {
  // A leg carried from an earlier attempt did not run now: it closes nothing.
  const last = status.reported
    .filter(l => l.from === undefined)
    .reduce<Leg | undefined>(
      (best, l) => (best === undefined || later(l.task, best.task) ? l : best),
      undefined
    )
  return last?.name
}

export const SETTLE_MS = 3000

/** The deployment's result from its legs: a failure anywhere fails it, then a cancel; success only when every leg succeeded. */
export function legsResult(
  status: LegsStatus,
  expected: number
): {result: JobResult; closeCode: CloseCode | undefined} {
  const results = status.reported.map(l => taskResult(l.task))
  const missing =
    expected - status.reported.length > 0 || status.waiting.length > 0
  if (missing || results.includes('failure'))
    return {result: 'failure', closeCode: undefined}
  if (results.includes('cancelled'))
    return {result: 'cancelled', closeCode: undefined}
  const issues = status.reported.some(
    l => l.task.closeCode === 'successful_issues'
  )
  return {
    result: 'success',
    closeCode: issues ? 'successful_issues' : undefined
  }
}

/** One line a leg: its name, how it ended and its task. */
export function legLines(status: LegsStatus, expected: number): string[] {
  const lines = status.legs.map(
    l =>
      `${l.name}: ${l.task.active ? 'not reported' : readable(l.task)} (${l.task.number}${l.from === undefined ? '' : ` in ${l.from}, an earlier attempt of this run`})`
  )
  const unseen = expected - status.legs.length
  if (unseen > 0)
    lines.push(
      `${unseen} more leg${unseen === 1 ? '' : 's'} expected, never seen (no task)`
    )
  return lines
}

/** The task's fields for a leg's result: closed with a code for a result, canceled for a cancel or skip. */
export function reportFields(
  result: JobResult,
  closeCode: CloseCode | undefined,
  notes: string
): Record<string, string> {
  if (result === 'cancelled' || result === 'skipped')
    return {state: TASK_CANCELED, close_notes: notes}
  return {
    state: TASK_CLOSED,
    close_code:
      result === 'success' ? (closeCode ?? 'successful') : 'unsuccessful',
    close_notes: notes
  }
}

/** change_task's Closed and Canceled state values in the base system. */
export const TASK_CLOSED = '3'
const TASK_CANCELED = '4'

/** Per leg (by its task's correlation id) the task made last: numbers grow with each task made. */
function newestByLeg(tasks: ChangeTask[]): Map<string, ChangeTask> {
  const newest = new Map<string, ChangeTask>()
  for (const t of tasks) {
    const seen = newest.get(t.correlationId)
    if (seen === undefined || numberAfter(t.number, seen.number))
      newest.set(t.correlationId, t)
  }
  return newest
}

function taskResult(task: ChangeTask): JobResult {
  if (task.closeCode === 'unsuccessful') return 'failure'
  if (task.closeCode === 'successful' || task.closeCode === 'successful_issues')
    return 'success'
  // Inactive without a code: canceled (or closed by a person without one: not a success).
  return task.state === 'Canceled' || task.state === TASK_CANCELED
    ? 'cancelled'
    : 'failure'
}

function readable(task: ChangeTask): string {
  const result = taskResult(task)
  if (result === 'cancelled') return 'canceled'
  return task.closeCode === ''
    ? 'closed without a close code'
    : task.closeCode.replace('_', ' with ')
}

/**
 * Reported later: by when the task was closed (closed_at, which a work note written on it
 * afterwards does not move; its last update where the instance gives no closed_at), then by
 * its number.
 */
function later(a: ChangeTask, b: ChangeTask): boolean {
  const at = (t: ChangeTask): string => t.closedAt || t.updatedOn
  return at(a) !== at(b) ? at(a) > at(b) : numberAfter(a.number, b.number)
}

/** CTASK0010010 after CTASK0010009, and after CTASK999999 when the numbers gain a digit. */
function numberAfter(a: string, b: string): boolean {
  const n = (s: string): number => Number(/\d+/.exec(s)?.[0] ?? NaN)
  return Number.isNaN(n(a)) || Number.isNaN(n(b))
    ? a.localeCompare(b) > 0
    : n(a) > n(b)
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16)
}
