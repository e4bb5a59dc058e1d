/**
 * The change_request state machine as ServiceNow ships it (markdown/it-service-management/
 * change-management/normal-standard-emergency-states.md; the numbers as the Change Management
 * API's answers carry them, markdown/api-reference/rest-apis/change-management-api.md):
 * state numbers, lower-case labels (the action's `state` output) and the path
 * each change type walks.
 */

export const STATE_VALUES = {
  new: -5,
  assess: -4,
  authorize: -3,
  scheduled: -2,
  implement: -1,
  review: 0,
  closed: 3,
  canceled: 4
} as const

export type StateLabel = keyof typeof STATE_VALUES
export const STATE_LABELS = Object.keys(STATE_VALUES) as StateLabel[]

export const CHANGE_TYPES = ['normal', 'standard', 'emergency'] as const
export type ChangeType = (typeof CHANGE_TYPES)[number]

/** The forward path of each type; Canceled sits outside it. */
export const STATE_PATHS: Record<ChangeType, readonly StateLabel[]> = {
  normal: [
    'new',
    'assess',
    'authorize',
    'scheduled',
    'implement',
    'review',
    'closed'
  ],
  emergency: ['new', 'authorize', 'scheduled', 'implement', 'review', 'closed'],
  standard: ['new', 'scheduled', 'implement', 'review', 'closed']
}

export function stateLabel(value: number): StateLabel | undefined {
  return STATE_LABELS.find(label => STATE_VALUES[label] === value)
}

export function isChangeType(value: string): value is ChangeType {
  return (CHANGE_TYPES as readonly string[]).includes(value)
}

export function isTerminal(label: StateLabel | undefined): boolean {
  return label === 'closed' || label === 'canceled'
}

/** Canceled is reachable from any state but Review and Closed (and itself). */
export function canCancel(label: StateLabel | undefined): boolean {
  return label !== undefined && label !== 'review' && !isTerminal(label)
}

/**
 * The states to pass through, one write each, to get from `from` to `to`
 * (excluding `from`). Empty when already there or past it; undefined when `to`
 * is not ahead on this type's path (e.g. from Closed, or a state the type skips).
 */
export function forwardPath(
  type: ChangeType,
  from: StateLabel,
  to: StateLabel
): StateLabel[] | undefined {
  if (to === 'canceled')
    return canCancel(from) ? ['canceled'] : from === 'canceled' ? [] : undefined
  const path = STATE_PATHS[type]
  const i = path.indexOf(from)
  const j = path.indexOf(to)
  if (i === -1 || j === -1) return undefined
  return j <= i ? [] : path.slice(i + 1, j + 1)
}
