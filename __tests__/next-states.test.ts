import {describe, expect, it} from '@jest/globals'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseNextStates, refusal} from '../src/servicenow/next-states.js'
import {ServiceNowError} from '../src/servicenow/errors.js'

const documented = JSON.parse(
  readFileSync(
    join(
      fileURLToPath(new URL('.', import.meta.url)),
      'fixtures',
      'servicenow',
      'change-management-nextstates.json'
    ),
    'utf8'
  )
).response.body
// Booleans may come as strings: the parser takes both.
const transition = (
  to: string,
  available: boolean | string,
  conditions: [string, boolean | string][]
) => ({
  to_state: to,
  transition_available: available,
  conditions: conditions.map(([name, passed]) => ({
    passed,
    condition: {name, description: null, sys_id: 'x'}
  }))
})

describe('parseNextStates', () => {
  it('reads the documented example: the current state included, one array per "to" state', () => {
    const next = parseNextStates(documented)
    expect(next.available).toEqual(['review', 'canceled', 'implement'])
    expect(next.transitions).toEqual([
      {to: 'review', available: true, unmet: []},
      {to: 'canceled', available: true, unmet: []}
    ])
  })

  it('a state reachable by any of its transitions is allowed, even when another of them is not', () => {
    const next = parseNextStates({
      result: {
        available_states: ['-1', '0'],
        state_transitions: [
          [
            transition('0', false, [['No active Change Tasks', false]]),
            transition('0', true, [['Not On hold', true]])
          ]
        ]
      }
    })
    expect(refusal(next, 'review')).toBeUndefined()
  })

  it.each([
    [
      'one unmet condition',
      [
        [
          transition('3', false, [
            ['No active Change Tasks', false],
            ['Not On hold', true]
          ])
        ]
      ],
      ['No active Change Tasks']
    ],
    [
      'every unmet condition of every way, once',
      [
        [
          transition('3', false, [['Not On hold', false]]),
          transition('3', 'false', [
            ['Not On hold', 'false'],
            ['No active Change Tasks', false]
          ])
        ]
      ],
      ['Not On hold', 'No active Change Tasks']
    ],
    [
      'a flat array of transitions',
      [transition('3', false, [['Not On hold', false]])],
      ['Not On hold']
    ]
  ])('refuses with %s', (_name, transitions, unmet) => {
    const next = parseNextStates({
      result: {available_states: ['0'], state_transitions: transitions}
    })
    expect(refusal(next, 'closed')).toEqual({unmet})
  })

  it('without transitions (type-driven and legacy changes) decides by available_states alone', () => {
    const next = parseNextStates({
      result: [{available_states: ['-2', '-1', '4']}]
    })
    expect(refusal(next, 'implement')).toBeUndefined()
    expect(refusal(next, 'review')).toEqual({unmet: []})
  })

  // Was: "allows nothing and names no condition", which blamed the change model for an unreadable answer.
  it.each([
    undefined,
    null,
    'html',
    {},
    {result: null},
    {result: 'x'},
    {result: []},
    {result: {available_states: []}},
    {
      result: {
        available_states: 'x',
        state_transitions: [[null, 7, {to_state: ''}]]
      }
    },
    {result: {available_states: [{value: '-1', display_value: 'Implement'}]}},
    {result: {available_states: ['-1'], state_transitions: 'x'}}
  ])(
    'an answer without a list of state values (%p) is one ServiceNowError naming what was sent, not a model refusal',
    body => {
      let thrown: unknown
      try {
        parseNextStates(body, undefined, '/api/sn_chg_rest/change/x/nextstates')
      } catch (error) {
        thrown = error
      }
      expect(thrown).toBeInstanceOf(ServiceNowError)
      const message = (thrown as Error).message
      expect(message).toContain('/nextstates')
      expect(message).toContain("where the change's next states belong")
      expect(message).not.toMatch(/[\r\n]/)
    }
  )

  it('keeps transitions it cannot read out, as long as available_states is readable', () => {
    const next = parseNextStates({
      result: {
        available_states: ['-1'],
        state_transitions: [[null, 7, {to_state: ''}]]
      }
    })
    expect(next).toEqual({available: ['implement'], transitions: []})
  })
})
