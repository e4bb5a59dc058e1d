import type { Row } from './store.js'

/**
 * The change state model, enforced one transition at a time like the
 * "State Model - Can change state?" business rule. Transitions that approvals
 * drive (Assess → Authorize, Authorize → Scheduled) are not open to a write;
 * the approval engine makes them.
 */

export const S = { new: '-5', assess: '-4', authorize: '-3', scheduled: '-2', implement: '-1', review: '0', closed: '3', canceled: '4' } as const

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

/** The states a write may move this change to now, the current state first (as nextstates lists them). */
export function availableStates(row: Row): string[] {
  const from = row.state ?? S.new
  const next = [...(WRITABLE[row.type ?? 'normal']?.[from] ?? [])]
  if (![S.review, S.closed, S.canceled].includes(from as '0')) next.push(S.canceled)
  return [from, ...next]
}

export function canTransition(row: Row, to: string): boolean {
  return availableStates(row).includes(to)
}
