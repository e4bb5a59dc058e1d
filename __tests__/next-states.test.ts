import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseNextStates, refusal } from '../src/servicenow/next-states.js'

const documented = JSON.parse(
  readFileSync(join(fileURLToPath(new URL('.', import.meta.url)), 'fixtures', 'servicenow', 'change-management-nextstates.json'), 'utf8')
).response.body
// Booleans may come as strings: the parser takes both.
const transition = (to: string, available: boolean | string, conditions: [string, boolean | string][]) => ({
  to_state: to,
  transition_available: available,
  conditions: conditions.map(([name, passed]) => ({ passed, condition: { name, description: null, sys_id: 'x' } }))
})

describe('parseNextStates', () => {
  it('reads the documented example: the current state included, one array per "to" state', () => {
    const next = parseNextStates(documented)
    expect(next.available).toEqual(['review', 'canceled', 'implement'])
    expect(next.transitions).toEqual([
      { to: 'review', available: true, unmet: [] },
      { to: 'canceled', available: true, unmet: [] }
    ])
  })

  it('a state reachable by any of its transitions is allowed, even when another of them is not', () => {
    const next = parseNextStates({
      result: { available_states: ['-1', '0'], state_transitions: [[transition('0', false, [['No active Change Tasks', false]]), transition('0', true, [['Not On hold', true]])]] }
    })
    expect(refusal(next, 'review')).toBeUndefined()
  })

  it.each([
    ['one unmet condition', [[transition('3', false, [['No active Change Tasks', false], ['Not On hold', true]])]], ['No active Change Tasks']],
    ['every unmet condition of every way, once', [[transition('3', false, [['Not On hold', false]]), transition('3', 'false', [['Not On hold', 'false'], ['No active Change Tasks', false]])]], ['Not On hold', 'No active Change Tasks']],
    ['a flat array of transitions', [transition('3', false, [['Not On hold', false]])], ['Not On hold']]
  ])('refuses with %s', (_name, transitions, unmet) => {
    const next = parseNextStates({ result: { available_states: ['0'], state_transitions: transitions } })
    expect(refusal(next, 'closed')).toEqual({ unmet })
  })

  it('without transitions (type-driven and legacy changes) decides by available_states alone', () => {
    const next = parseNextStates({ result: [{ available_states: ['-2', '-1', '4'] }] })
    expect(refusal(next, 'implement')).toBeUndefined()
    expect(refusal(next, 'review')).toEqual({ unmet: [] })
  })

  it.each([undefined, null, 'html', { result: null }, { result: { available_states: 'x', state_transitions: [[null, 7, { to_state: '' }]] } }])(
    'an answer with nothing usable in it (%p) allows nothing and names no condition',
    (body) => {
      const next = parseNextStates(body)
      expect(next).toEqual({ available: [], transitions: [] })
      expect(refusal(next, 'implement')).toEqual({ unmet: [] })
    }
  )
})
