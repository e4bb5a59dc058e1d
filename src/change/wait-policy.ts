import type {Approver} from '../servicenow/approvers.js'
import type {ChangeRecord} from '../servicenow/change-record.js'
import type {WaitOptions} from '../settings/wait.js'
import type {ChangeDeps} from './deps.js'
import {pollChange, readChange} from './lookup.js'
import {cancelChange} from './move.js'
import type {ConflictFinding} from './conflict-check.js'
import {conflictGate} from './conflict-policy.js'
import {waitForDecision, type Decision, type WaitOutcome} from './wait-loop.js'
import {cancellationMessage} from './who-canceled.js'

/**
 * What a wait ended with, for the wait step and the gate alike: whether the deployment may go
 * on, the decision to report, what to tell a person when it may not, the record as it stands
 * afterwards (canceled, if the policy canceled it) and who approved or rejected it.
 */
export interface WaitResult {
  ok: boolean
  /** The decision users see: a run cancelled while waiting reads as canceled. */
  decision: Decision
  /** Empty when ok. */
  message: string
  outcome: WaitOutcome
  record: ChangeRecord
  approvers: Approver[]
  /** The last conflict check before proceeding; undefined with on_conflict: ignore or when none was made. */
  conflicts: ConflictFinding | undefined
}

/** The loop's outcome and what the last conflict check found. */
export type ApprovalWait = WaitOutcome & {
  conflicts: ConflictFinding | undefined
}

/**
 * A held conflict is checked again every second poll (each check is four requests or more, a
 * poll one): 1.5 intervals, so that polls jittered ±10 % still land on every second one.
 */
const CONFLICT_RECHECK_INTERVALS = 1.5

/**
 * Polls the change until it may be implemented, it may not, time runs out, or the run is
 * cancelled; once it may otherwise proceed, checks its conflicts by on_conflict.
 */
export async function waitForApproval(
  deps: ChangeDeps,
  start: ChangeRecord,
  options: WaitOptions,
  signal: AbortSignal | undefined
): Promise<ApprovalWait> {
  const {client} = deps
  const clock = client.connection.clock
  // No retry or rate-limit wait inside a poll may outlast the wait itself (check once means once).
  const until = clock.now() + options.timeoutMs
  const gate =
    options.onConflict === 'ignore'
      ? undefined
      : conflictGate(
          deps,
          options.onConflict,
          until,
          options.pollIntervalMs * CONFLICT_RECHECK_INTERVALS
        )
  const outcome = await waitForDecision({
    beforeProceed: gate?.check,
    ...options,
    clock,
    random: deps.random ?? Math.random,
    poll: () =>
      client.connection.within(until, () => pollChange(client, start.sysId)),
    signal,
    pacing: client.connection.pacing,
    info: deps.info,
    warn: deps.warn,
    onChange: r =>
      deps.timeline?.add(
        `seen ${r.stateLabel ?? r.stateName}, approval ${r.approval}`
      )
  })
  return {...outcome, conflicts: gate?.last()}
}

/**
 * After the loop: the full record once (the polls asked only for what the decision needs), the
 * change canceled when the wait ran out with on_timeout cancel or the run was cancelled with
 * cancel_on_abort, and the message a person needs: who rejected it and what they said, who
 * canceled it and why, or what ran out.
 */
export async function concludeWait(
  deps: ChangeDeps,
  start: ChangeRecord,
  outcome: ApprovalWait,
  options: WaitOptions
): Promise<WaitResult> {
  const {client} = deps
  const last = outcome.record ?? start
  let record = await readChange(client, last.sysId).catch(() => last)
  let message = ''
  const ok = outcome.decision === 'approved'
  if (!ok) {
    message =
      outcome.reason.endsWith('.') || outcome.reason.endsWith(')')
        ? outcome.reason
        : `${outcome.reason}.`
    const cancelNote = cancelNoteFor(outcome, options)
    if (cancelNote !== undefined) {
      try {
        record = await cancelChange(deps, record, cancelNote)
        message += ` ${record.number} was canceled.`
      } catch (error) {
        message += ` Canceling ${record.number} failed: ${error instanceof Error ? error.message : String(error)}`
      }
    }
  }
  const approvers = await client
    .approvers(record.sysId)
    .catch((error: unknown) => {
      deps.warn(
        `Could not read the approvers of ${record.number}: ${error instanceof Error ? error.message : String(error)}`
      )
      return [] as Approver[]
    })
  if (outcome.decision === 'rejected')
    message = rejectionMessage(record, approvers)
  if (outcome.decision === 'canceled' && record.stateLabel === 'canceled')
    message = await cancellationMessage(client, record).catch(() => message)
  return {
    ok,
    decision: outcome.decision === 'aborted' ? 'canceled' : outcome.decision,
    message,
    outcome,
    record,
    approvers,
    conflicts: outcome.conflicts
  }
}

/** The work note of a cancel the inputs ask for; undefined when the change is left as it is. */
function cancelNoteFor(
  outcome: WaitOutcome,
  options: Pick<WaitOptions, 'onTimeout' | 'cancelOnAbort'>
): string | undefined {
  if (outcome.decision === 'timeout' && options.onTimeout === 'cancel')
    return `Canceled by the pipeline: ${outcome.reason}.`
  if (outcome.decision === 'aborted' && options.cancelOnAbort)
    return 'Canceled by the pipeline: the GitHub workflow run was cancelled while waiting for approval.'
  return undefined
}

/** Who rejected it and what they said: the first thing a person needs. */
export function rejectionMessage(
  record: ChangeRecord,
  approvers: Approver[]
): string {
  const rejected = approvers.filter(a => a.state === 'rejected')
  if (rejected.length === 0) return `${record.number} was rejected.`
  const who = rejected
    .map(a => `${a.name}${a.comments ? `: "${a.comments}"` : ' (no comment)'}`)
    .join('; ')
  return `${record.number} was rejected by ${who}.`
}
