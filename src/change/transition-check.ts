import type { StateLabel } from '../servicenow/change-model.js'
import type { ChangeRecord } from '../servicenow/change-record.js'
import type { ServiceNowClient } from '../servicenow/client.js'
import { refusal } from '../servicenow/next-states.js'
import { andList } from './words.js'

/**
 * t_PlaceAChangeRequestOnHold.md: while On Hold a change can move only to
 * Canceled. Said before any write, with the reason a person gave.
 */
export function onHoldRefusal(record: ChangeRecord, to: StateLabel): string | undefined {
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
export async function refusedTransition(client: ServiceNowClient, current: ChangeRecord, from: StateLabel, next: StateLabel): Promise<string | undefined> {
  const held = onHoldRefusal(current, next)
  if (held !== undefined) return held
  const states = await client.changes.nextStates(current.sysId)
  if (states === undefined) return undefined
  const refused = refusal(states, next)
  if (refused === undefined) return undefined
  const model = `ServiceNow's change model does not let ${current.number} move from ${from} to ${next} now`
  if (refused.unmet.length > 0) {
    return `${model}: ${andList(refused.unmet.map((n) => `"${n}"`))} ${refused.unmet.length === 1 ? 'is' : 'are'} not met.`
  }
  const allowed = states.available.filter((s) => s !== from)
  return `${model} (it allows: ${allowed.join(', ') || 'nothing'}).`
}
