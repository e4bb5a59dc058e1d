import {stateLabel, type StateLabel} from './change-model.js'
import {ServiceNowError} from './errors.js'
import {isRecord, shown} from './fields.js'

/** One way to reach a state, as nextstates describes it. */
export interface StateTransition {
  to: StateLabel
  available: boolean
  /** Names of the conditions that do not pass (e.g. "Not On hold", "No active Change Tasks"). */
  unmet: string[]
}

export interface NextStates {
  /** The states the change may be written to now; the current one included, as the API lists it. */
  available: StateLabel[]
  /** Empty for type-driven and legacy changes, which the API gives no transitions for. */
  transitions: StateTransition[]
}

/**
 * GET /api/sn_chg_rest/change/{sys_id}/nextstates (change-management-api.md):
 * `available_states` includes the current state; `state_transitions` holds one
 * array per "to" state, with one object per differing set of conditions, each
 * with `transition_available` (may be false) and `conditions[].passed`. A flat
 * array of transitions is read too. State numbers are read through the instance's own
 * choices (custom state models); states this library does not know are left out.
 * An answer without a list of state values in available_states is a ServiceNowError naming what was sent.
 */
export function parseNextStates(
  body: unknown,
  label: (value: number) => StateLabel | undefined = stateLabel,
  path = NEXT_STATES
): NextStates {
  const sent = (body as {result?: unknown} | undefined)?.result
  const result = (Array.isArray(sent) ? sent[0] : sent) as
    {available_states?: unknown; state_transitions?: unknown} | undefined
  // An answer that does not say which states are open is an error naming it, not "the model allows nothing":
  // that would blame the change model for what a proxy or an odd release sent (and refuse a move the model allows).
  const states = isRecord(result) ? result.available_states : undefined
  if (
    !Array.isArray(states) ||
    states.length === 0 ||
    !states.every(isStateValue) ||
    !(
      result?.state_transitions === undefined ||
      Array.isArray(result.state_transitions)
    )
  ) {
    throw new ServiceNowError({
      kind: 'invalid-response',
      method: 'GET',
      path,
      message: `the instance sent ${shown(body)} where the change's next states belong (expected available_states, a list of state values)`
    })
  }
  const available = states
    .map(s => label(Number(s)))
    .filter((s): s is StateLabel => s !== undefined)
  const groups = Array.isArray(result?.state_transitions)
    ? result.state_transitions
    : []
  const transitions: StateTransition[] = []
  for (const t of groups.flatMap((g: unknown) =>
    Array.isArray(g) ? g : [g]
  )) {
    if (t === null || typeof t !== 'object') continue
    const entry = t as {
      to_state?: unknown
      transition_available?: unknown
      conditions?: unknown
    }
    const to = label(Number(entry.to_state))
    if (
      to === undefined ||
      entry.to_state === undefined ||
      entry.to_state === ''
    )
      continue
    const conditions = Array.isArray(entry.conditions)
      ? (entry.conditions as {passed?: unknown; condition?: {name?: unknown}}[])
      : []
    const unmet = conditions
      .filter(c => c?.passed === false || c?.passed === 'false')
      .map(c => String(c?.condition?.name ?? 'an unnamed condition'))
    transitions.push({
      to,
      available:
        entry.transition_available === true ||
        entry.transition_available === 'true',
      unmet
    })
  }
  return {available, transitions}
}

const NEXT_STATES = '/api/sn_chg_rest/change/{sys_id}/nextstates'

/** A state value as available_states lists it: "-1", "0" (the document's example), or a number. */
function isStateValue(value: unknown): boolean {
  return (
    (typeof value === 'string' && /^-?\d+$/.test(value.trim())) ||
    (typeof value === 'number' && Number.isInteger(value))
  )
}

/**
 * Why the model refuses moving to `to` now, or undefined when it allows it.
 * A "to" state with several transitions is reachable when any of them is
 * available; when none is, every condition that failed is named.
 */
export function refusal(
  next: NextStates,
  to: StateLabel
): {unmet: string[]} | undefined {
  const ways = next.transitions.filter(t => t.to === to)
  if (ways.length > 0)
    return ways.some(t => t.available)
      ? undefined
      : {unmet: [...new Set(ways.flatMap(t => t.unmet))]}
  return next.available.includes(to) ? undefined : {unmet: []}
}
