import {
  canCancel,
  forwardPath,
  isChangeType,
  isTerminal,
  type StateLabel
} from '../servicenow/change-model.js'
import type {ChangeRecord} from '../servicenow/change-record.js'
import type {ChangeDeps} from './deps.js'
import {readChange} from './lookup.js'
import {refusedTransition} from './transition-check.js'

/** A state change the instance refused, or accepted and then did not make. */
export class TransitionError extends Error {
  override name = 'TransitionError'
}

export interface MoveOptions {
  /** Written with the last step (e.g. close_code and close_notes with Closed). */
  finalFields?: Record<string, string>
  /** A work note written with the last step. */
  note?: string
  /**
   * Requesting approval only: an approval rejected at once sends the change back to New.
   * That (and only that: approval rejected, state New) is an answer for the wait, not a failed move.
   */
  sentBackIsAnswer?: boolean
}

/**
 * Moves a change to `target` one state at a time along its type's path,
 * skipping states it has already reached. Where the instance offers
 * nextstates, each step is checked against it first. After every write the
 * record is read again: a write the instance answered but did not carry out
 * (a business rule can silently keep the old state) is an error, not a success,
 * and the walk ends with the record at the target (or past it) or fails naming where it is.
 */
export async function moveChange(
  deps: ChangeDeps,
  start: ChangeRecord,
  target: StateLabel,
  options: MoveOptions = {}
): Promise<ChangeRecord> {
  const moved = await walk(deps, start, target, options)
  if (
    !(options.sentBackIsAnswer === true && sentBack(moved)) &&
    !reached(moved, target)
  ) {
    // A proxy or business rule can drop the state while something else changes (an approval decided at the
    // same moment): only the state itself proves the move.
    throw new TransitionError(
      `${moved.number} is ${moved.stateLabel ?? moved.stateName} (approval ${moved.approval}), not ${target}: ServiceNow answered the move but did not make it. Look at the change's history before running this step again.`
    )
  }
  return moved
}

/**
 * Sent back by a rejection: approval rejected and the change in New again (a rejected
 * normal change returns to New: markdown/it-service-management/change-management/c_ChangeStateModel.md). Any other approval change with the state
 * left behind is a lost move, not an answer.
 */
function sentBack(record: ChangeRecord): boolean {
  return record.approval === 'rejected' && record.stateLabel === 'new'
}

/** At the target or past it on the change's path (Canceled only by being canceled). */
function reached(record: ChangeRecord, target: StateLabel): boolean {
  if (record.stateLabel === undefined) return false
  return (
    forwardPath(
      isChangeType(record.type) ? record.type : 'normal',
      record.stateLabel,
      target
    )?.length === 0
  )
}

async function walk(
  deps: ChangeDeps,
  start: ChangeRecord,
  target: StateLabel,
  options: MoveOptions
): Promise<ChangeRecord> {
  const {client} = deps
  let current = start
  // The note and final fields go with the last transition, once: one write, one journal entry.
  let written = false
  const type = isChangeType(current.type) ? current.type : 'normal'
  for (;;) {
    const from = current.stateLabel
    if (from === undefined)
      throw new TransitionError(
        `${current.number} is in a state this action does not know (${current.stateName}); move it by hand.`
      )
    const path = forwardPath(type, from, target)
    if (path === undefined) {
      throw new TransitionError(
        `${current.number} is ${from}; a ${type} change cannot move from there to ${target}.`
      )
    }
    const next = path[0]
    if (next === undefined) {
      // Already there or past it: still write what the last step would have carried, unless it did.
      // Unless someone else finished it meanwhile (closed or canceled while this walked): their close
      // fields stand, and the caller compares them with its own.
      if (current !== start && isTerminal(current.stateLabel)) return current
      if (
        !written &&
        (options.note || Object.keys(options.finalFields ?? {}).length > 0)
      ) {
        await client.changes.patch(current.sysId, {
          ...options.finalFields,
          ...(options.note ? {work_notes: options.note} : {})
        })
        current = await readChange(client, current.sysId)
      }
      return current
    }
    const refused = await refusedTransition(client, current, from, next)
    if (refused !== undefined) throw new TransitionError(refused)
    const last = next === target
    await client.changes.patch(current.sysId, {
      state: await client.changes.stateValue(next),
      ...(last ? options.finalFields : {}),
      ...(last && options.note ? {work_notes: options.note} : {})
    })
    written ||= last
    const reread = await readChange(client, current.sysId)
    // The instance may have moved on by itself since (an approval decided at once): a state past
    // `next`, or an approval that changed, shows the write took effect. Only no change at all is suspect.
    const movedOn =
      reread.stateLabel !== undefined &&
      (forwardPath(type, next, reread.stateLabel)?.length ?? 0) > 0
    if (
      reread.stateLabel !== next &&
      !movedOn &&
      reread.approval === current.approval
    ) {
      throw new TransitionError(
        `ServiceNow accepted moving ${current.number} from ${from} to ${next}, but the record is still ${reread.stateLabel ?? reread.stateName}: ` +
          'a business rule or the change model ignored the write. Check the change model and business rules on change_request.'
      )
    }
    deps.timeline?.add(`${from} → ${next}`)
    deps.info(`${current.number}: ${from} → ${next}`)
    if (reread.stateLabel !== next)
      deps.info(
        `${current.number} is now ${reread.stateLabel}, approval ${reread.approval}.`
      )
    current = reread
    // Sent back rather than forward (an approval rejected at once): walking again would only
    // request approval again. The caller sees where it stands.
    if (reread.stateLabel !== next && !movedOn) return current
  }
}

/**
 * Cancels the change with a work note saying why. No log line per step: every caller says in
 * its own words why it canceled, and the walk would only repeat it.
 */
export async function cancelChange(
  deps: ChangeDeps,
  record: ChangeRecord,
  note: string
): Promise<ChangeRecord> {
  if (!canCancel(record.stateLabel)) {
    throw new TransitionError(
      `${record.number} is ${record.stateLabel ?? record.stateName} and cannot be canceled from there.`
    )
  }
  return moveChange({...deps, info: () => {}}, record, 'canceled', {note})
}
