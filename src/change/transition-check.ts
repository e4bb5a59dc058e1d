import type {StateLabel} from '../servicenow/change-model.js'
import type {ChangeRecord} from '../servicenow/change-record.js'
import type {ChangeTask} from '../servicenow/change-task.js'
import type {ServiceNowClient} from '../servicenow/client.js'
import {refusal} from '../servicenow/next-states.js'
import {andList} from './words.js'

/**
 * t_PlaceAChangeRequestOnHold.md: while On Hold a change can move only to
 * Canceled. Said before any write, with the reason a person gave.
 */
export function onHoldRefusal(
  record: ChangeRecord,
  to: StateLabel
): string | undefined {
  if (!record.onHold || to === 'canceled') return undefined
  return `${record.number} is on hold (${record.onHoldReason || 'no reason given'}): ServiceNow lets a change on hold move only to Canceled. Take it off hold, then run again.`
}

/**
 * Why the instance would refuse moving the change one step, from `from` to
 * `next`, or undefined when it would not: on hold first (the record says so on
 * every instance), then the change model's nextstates where the Change
 * Management API serves it, naming each condition that does not pass
 * (change-management-api.md, GET /change/{sys_id}/nextstates).
 */
export async function refusedTransition(
  client: ServiceNowClient,
  current: ChangeRecord,
  from: StateLabel,
  next: StateLabel
): Promise<string | undefined> {
  const held = onHoldRefusal(current, next)
  if (held !== undefined) return held
  const states = await client.changes.nextStates(current.sysId)
  if (states === undefined) return undefined
  const refused = refusal(states, next)
  if (refused === undefined) return undefined
  // The instance's own names for the states (a renamed "Implementation" is shown as such).
  const choices = await client.changes.states()
  const named = (label: StateLabel): string => choices.nameOf(label)
  const model = `ServiceNow's change model does not let ${current.number} move from ${named(from)} to ${named(next)} now`
  if (refused.unmet.length > 0) {
    const tasks = refused.unmet.includes(NO_ACTIVE_TASKS)
      ? await activeTaskList(client, current)
      : ''
    return `${model}: ${andList(refused.unmet.map(n => `"${n}"`))} ${refused.unmet.length === 1 ? 'is' : 'are'} not met${tasks}.`
  }
  const allowed = states.available.filter(s => s !== from)
  return `${model} (it allows: ${allowed.map(named).join(', ') || 'nothing'}).`
}

/** The condition nextstates names while a change task is open (change-management-api.md). */
const NO_ACTIVE_TASKS = 'No active Change Tasks'

/** The active tasks that hold the change, for the one line that says so: number, group, state. */
async function activeTaskList(
  client: ServiceNowClient,
  current: ChangeRecord
): Promise<string> {
  const active = await client.changes.activeTasks(current.sysId)
  return active.length === 0
    ? ''
    : ` (active: ${active.map(describeTask).join(', ')})`
}

/** A change task as a person finds it: number (assignment group, state). */
export function describeTask(task: ChangeTask): string {
  return `${task.number} (${task.assignmentGroup ?? 'no assignment group'}, ${task.state || 'unknown state'})`
}
