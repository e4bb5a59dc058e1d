import type {Row} from './store.js'

/**
 * The change state model, enforced one transition at a time like the
 * "State Model - Can change state?" business rule. Transitions that approvals
 * drive (Assess → Authorize, Authorize → Scheduled) are not open to a write;
 * the approval engine makes them.
 */

export const S = {
  new: '-5',
  assess: '-4',
  authorize: '-3',
  scheduled: '-2',
  implement: '-1',
  review: '0',
  closed: '3',
  canceled: '4'
} as const

const WRITABLE: Record<string, Record<string, string[]>> = {
  normal: {
    [S.new]: [S.assess],
    [S.assess]: [S.new], // "revert to new" cancels pending approvals
    [S.authorize]: [S.new],
    [S.scheduled]: [S.implement],
    [S.implement]: [S.review],
    [S.review]: [S.closed]
  },
  emergency: {
    [S.new]: [S.authorize],
    [S.authorize]: [S.new],
    [S.scheduled]: [S.implement],
    [S.implement]: [S.review],
    [S.review]: [S.closed]
  },
  standard: {
    [S.new]: [S.scheduled],
    [S.scheduled]: [S.implement],
    [S.implement]: [S.review],
    [S.review]: [S.closed]
  }
}

/** What the conditions of a transition look at besides the change itself. */
export interface ChangeFacts {
  /** Change tasks of this change that are still active. */
  activeTasks: number
}

export interface Transition {
  from: string
  to: string
  conditions: {name: string; passed: boolean}[]
  available: boolean
}

/**
 * Every transition the model has out of the change's state, with its conditions
 * and whether all of them pass now (change-management-api.md, GET nextstates:
 * conditions such as "Not On hold" and "No active Change Tasks").
 * t_PlaceAChangeRequestOnHold.md: while On Hold a change can move only to
 * Canceled, and it can close only once no change task is active.
 */
export function transitions(row: Row, facts: ChangeFacts): Transition[] {
  const from = row.state ?? S.new
  const onHold = row.on_hold === 'true'
  const out: Transition[] = (WRITABLE[row.type ?? 'normal']?.[from] ?? []).map(
    to => {
      const conditions = [{name: 'Not On hold', passed: !onHold}]
      if (to === S.closed)
        conditions.push({
          name: 'No active Change Tasks',
          passed: facts.activeTasks === 0
        })
      return {from, to, conditions, available: conditions.every(c => c.passed)}
    }
  )
  if (![S.review, S.closed, S.canceled].includes(from as '0'))
    out.push({from, to: S.canceled, conditions: [], available: true})
  return out
}

/** The states a write may move this change to now, the current state first (as nextstates lists them). */
export function availableStates(row: Row, facts: ChangeFacts): string[] {
  return [
    row.state ?? S.new,
    ...transitions(row, facts)
      .filter(t => t.available)
      .map(t => t.to)
  ]
}

export function canTransition(
  row: Row,
  to: string,
  facts: ChangeFacts
): boolean {
  return availableStates(row, facts).includes(to)
}
