import type {RunContext} from '../github-context.js'
import type {ChangeRecord} from '../servicenow/change-record.js'
import {isTerminal} from '../servicenow/change-model.js'
import type {ChangeTask} from '../servicenow/change-task.js'
import {
  claimsSuccess,
  type CloseOptions,
  type JobResult
} from '../settings/close.js'
import {closeFromResult, type CloseOutcome} from './close-change.js'
import type {ChangeDeps} from './deps.js'
import {
  closingLeg,
  earlierAttempts,
  ensureLegTask,
  type EarlierChange,
  legLines,
  legsResult,
  legsStatus,
  type LegsStatus,
  needsCorrelation,
  reportFields,
  SETTLE_MS
} from './legs.js'
import {readChange} from './lookup.js'

export interface LegReport {
  leg: string
  expected: number
  result: JobResult
  options: CloseOptions
  run: RunContext
}

export interface LegOutcome {
  task: ChangeTask | undefined
  status: LegsStatus
  /** The leg that closes (or closed) the change, when every leg has reported. */
  closer: string | undefined
  /** When this leg closed the change. */
  closed: CloseOutcome | undefined
  /** The change as it stands after this leg. */
  record: ChangeRecord
}

/**
 * A leg's end: its task closed from its own result, then, after SETTLE_MS (so that legs
 * reporting in the same moment see each other), the legs read from the change's tasks. When
 * every expected leg has reported, the leg closingLeg names closes the change from the worst
 * result, its close notes listing each leg; the others leave it. Until then the change stays in
 * Implement, and a work note says which legs are awaited. A leg counted from an earlier attempt
 * of the run (legs.ts, earlierAttempts) lets only a settling close close the change.
 */
export async function reportLeg(
  deps: ChangeDeps,
  record: ChangeRecord,
  report: LegReport
): Promise<LegOutcome> {
  const {client, info} = deps
  const {leg, expected, result, options, run} = report
  let task: ChangeTask | undefined
  needsCorrelation(record)
  if (isTerminal(record.stateLabel)) {
    // Closing or canceling the change closed its tasks: there is nothing left to report to.
    info(
      `${record.number} is already ${record.stateLabel}: leg ${leg} reports nothing.`
    )
    if (result !== 'success' && claimsSuccess(record.closeCode)) {
      // Someone closed it (or closed this leg's task by hand) before this leg ended: the record says otherwise.
      const said = `Leg ${leg} ended ${result} after ${record.number} was closed ${record.closeCode}: the close code does not tell this leg's result (${run.runUrl}).`
      deps.warn(said)
      await client.changes.patch(record.sysId, {work_notes: said})
    }
  } else {
    task = await ensureLegTask(deps, record, leg, run)
    await client.changes.updateTask(
      record.sysId,
      task.sysId,
      reportFields(
        result,
        options.closeCode,
        options.closeNotes ||
          `Leg ${leg}: ${result}. ${run.workflow} run #${run.runNumber} (attempt ${run.runAttempt}): ${run.runUrl}`
      )
    )
    info(`Leg ${leg} reported ${result} on ${task.number}.`)
    await client.connection.clock.sleep(SETTLE_MS)
  }
  const status = legsStatus(
    record,
    await client.changes.tasks(record.sysId),
    expected,
    await earlierAttempts(deps, record, run)
  )
  const closer = status.complete ? closingLeg(status) : undefined
  const awaited = awaitedLine(status, expected)
  if (task !== undefined)
    await client.changes.patch(record.sysId, {
      work_notes: `Leg ${leg}: ${result} (${task.number}, ${run.runUrl}). ${awaited ?? `All ${status.reported.length} legs have reported.`}`
    })
  if (awaited !== undefined || closer !== leg || task === undefined) {
    info(
      awaited === undefined
        ? `Every leg has reported: leg ${closer ?? '(none)'} closes ${record.number}.`
        : `${awaited} ${record.number} stays in ${record.stateName}${status.complete ? '' : ' until they do'}.`
    )
    const now = await readChange(client, record.sysId)
    return {task, status, closer, closed: undefined, record: now}
  }
  const closed = await closeFromLegs(
    deps,
    record.sysId,
    status,
    expected,
    options,
    run
  )
  return {task, status, closer, closed, record: closed.record}
}

/**
 * A final close job's settling (close with settle_legs): the legs that never reported are
 * closed unsuccessful, as is any expected leg never seen; the job's own result counts too; the
 * change closes from the worst.
 */
export async function settleLegs(
  deps: ChangeDeps,
  record: ChangeRecord,
  expected: number,
  settle: {result: JobResult; options: CloseOptions; run: RunContext}
): Promise<{outcome: CloseOutcome; status: LegsStatus}> {
  const {client, info} = deps
  needsCorrelation(record)
  const earlier: EarlierChange[] = isTerminal(record.stateLabel)
    ? []
    : await earlierAttempts(deps, record, settle.run)
  let status = legsStatus(
    record,
    await client.changes.tasks(record.sysId),
    expected,
    earlier
  )
  if (isTerminal(record.stateLabel)) {
    info(`${record.number} is already ${record.stateLabel}; nothing to settle.`)
    return {outcome: {record, action: 'none', incident: undefined}, status}
  }
  for (const {name, task} of status.waiting) {
    await client.changes.updateTask(
      record.sysId,
      task.sysId,
      reportFields(
        'failure',
        undefined,
        `Leg ${name} never reported its result; settled as unsuccessful by ${settle.run.runUrl}.`
      )
    )
    info(`Leg ${name} never reported: ${task.number} closed unsuccessful.`)
  }
  if (status.waiting.length > 0)
    status = legsStatus(
      record,
      await client.changes.tasks(record.sysId),
      expected,
      earlier
    )
  const outcome = await closeFromLegs(
    deps,
    record.sysId,
    status,
    expected,
    settle.options,
    settle.run,
    settle.result
  )
  return {outcome, status}
}

async function closeFromLegs(
  deps: ChangeDeps,
  sysId: string,
  status: LegsStatus,
  expected: number,
  options: CloseOptions,
  run: RunContext,
  ownResult?: JobResult
): Promise<CloseOutcome> {
  const fromLegs = legsResult(status, expected)
  // The settling job's own result counts as one more: it fails the change if it failed.
  const result =
    ownResult === 'failure' || ownResult === 'cancelled'
      ? fromLegs.result === 'success'
        ? ownResult
        : fromLegs.result
      : fromLegs.result
  const listed = legLines(status, expected)
  const shown = listed.slice(0, LEGS_IN_NOTES)
  const more = listed.length - shown.length
  const notes = [
    options.closeNotes ||
      `Deployment of ${status.reported.length} of ${expected} legs: ${result}. ${run.workflow} run #${run.runNumber}: ${run.runUrl}`,
    '',
    'Legs:',
    ...shown.map(l => `- ${l}`),
    ...(more > 0
      ? [`… and ${more} more (the change's tasks list them all)`]
      : [])
  ].join('\n')
  // Read again: the change moved on while the legs ran (another leg put it in Implement).
  const record = await readChange(deps.client, sysId)
  return closeFromResult(deps, record, {
    result,
    options: {
      ...options,
      closeCode:
        result === 'success'
          ? (fromLegs.closeCode ?? options.closeCode)
          : undefined,
      closeNotes: notes
    },
    run
  })
}

/** Close notes stay within ServiceNow's 4000 characters: the first legs by name, then a count. */
const LEGS_IN_NOTES = 60

function awaitedLine(status: LegsStatus, expected: number): string | undefined {
  const carried = status.legs.filter(l => l.from !== undefined)
  if (status.complete && carried.length > 0) {
    // "Re-run all jobs" with legs still queued looks the same from here as "Re-run failed jobs":
    // a leg closing now could close the change on a result its own leg is about to replace.
    const named = carried.slice(0, 20).map(l => `${l.name} (${l.from})`)
    return `${status.reported.length - carried.length} of ${expected} legs have reported in this attempt; ${named.join(', ')}${carried.length > named.length ? ` and ${carried.length - named.length} more` : ''} succeeded in an earlier attempt of this run and ${carried.length === 1 ? 'has' : 'have'} not run in this one. A leg of this attempt may still be queued, so no leg closes the change on an earlier attempt's result: a settling close (settle_legs) does, once every leg of this attempt has ended.`
  }
  if (status.complete) return undefined
  const waiting = status.waiting.map(l => l.name)
  const unseen = Math.max(0, expected - status.legs.length)
  const named = waiting.slice(0, 20)
  const parts = [
    ...(named.length > 0
      ? [
          `${named.join(', ')}${waiting.length > named.length ? ` and ${waiting.length - named.length} more` : ''}`
        ]
      : []),
    ...(unseen > 0 ? [`${unseen} not yet seen`] : [])
  ]
  return `${status.reported.length} of ${expected} legs have reported; waiting for ${parts.join(', and ')}.`
}
