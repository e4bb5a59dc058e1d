import {describe, expect, it} from '@jest/globals'
import {toChangeRecord} from '../src/servicenow/change-record.js'
import {
  StateChoices,
  type StateChoice
} from '../src/servicenow/state-choices.js'
import {forwardPath} from '../src/servicenow/change-model.js'
import {nextOffset} from '../src/servicenow/table-api.js'
import {journalText} from '../src/servicenow/approvers.js'

const BASE = 'https://acme.service-now.com'
const ID = '0123456789abcdef0123456789abcdef'
const GROUP = 'fedcba9876543210fedcba9876543210'

/** The same change as the Table API sends it (display_value=false): every value a string. */
const tableApi = {
  sys_id: ID,
  number: 'CHG0030001',
  type: 'normal',
  state: '-2',
  approval: 'approved',
  short_description: 'Deploy octo/app@abc1234 to production',
  correlation_id: 'octo/app/123/deploy',
  close_code: '',
  start_date: '2026-11-23 10:00:00',
  end_date: '',
  assignment_group: {
    link: `${BASE}/api/now/table/sys_user_group/${GROUP}`,
    value: GROUP
  },
  cmdb_ci: '',
  parent: '',
  on_hold: 'false',
  risk: '3',
  impact: '2'
}

/** …and as the Change Management API sends it: objects with real numbers and booleans. */
const changeApi = {
  sys_id: {display_value: ID, value: ID},
  number: {display_value: 'CHG0030001', value: 'CHG0030001'},
  type: {display_value: 'Normal', value: 'normal'},
  state: {display_value: 'Scheduled', value: -2.0},
  approval: {display_value: 'Approved', value: 'approved'},
  short_description: {
    display_value: 'Deploy octo/app@abc1234 to production',
    value: 'Deploy octo/app@abc1234 to production'
  },
  correlation_id: {
    display_value: 'octo/app/123/deploy',
    value: 'octo/app/123/deploy'
  },
  close_code: {display_value: '', value: ''},
  start_date: {
    display_value: '2026-11-23 11:00:00',
    value: '2026-11-23 10:00:00',
    display_value_internal: '2026-11-23 11:00:00'
  },
  end_date: {display_value: '', value: '', display_value_internal: ''},
  assignment_group: {display_value: 'DevOps Team', value: GROUP},
  cmdb_ci: {display_value: '', value: ''},
  parent: {display_value: '', value: ''},
  on_hold: {display_value: 'false', value: false},
  // Choice numbers come as JSON numbers (the document's recorded GET answer: "risk": {"value": 3}).
  risk: {display_value: 'Moderate', value: 3},
  impact: {display_value: '2 - Medium', value: 2},
  __meta: {ignoredFields: []}
}

describe('toChangeRecord', () => {
  it('reads both APIs into the same record', () => {
    const a = toChangeRecord(tableApi, BASE)
    const b = toChangeRecord(changeApi, BASE)
    expect(a).toEqual({
      sysId: ID,
      number: 'CHG0030001',
      type: 'normal',
      state: -2,
      stateLabel: 'scheduled',
      stateName: 'Scheduled',
      approval: 'approved',
      shortDescription: 'Deploy octo/app@abc1234 to production',
      correlationId: 'octo/app/123/deploy',
      closeCode: '',
      startDate: new Date('2026-11-23T10:00:00Z'),
      endDate: undefined,
      assignmentGroup: {sysId: GROUP, display: undefined},
      cmdbCi: undefined,
      parent: undefined,
      onHold: false,
      onHoldReason: '',
      risk: '3',
      impact: '2',
      url: `${BASE}/change_request.do?sys_id=${ID}`
    })
    expect(b).toEqual({
      ...a,
      assignmentGroup: {sysId: GROUP, display: 'DevOps Team'}
    })
  })

  it('maps a display label back when one slips through, and marks unknown states', () => {
    expect(
      toChangeRecord({...tableApi, state: 'Cancelled'}, BASE).stateLabel
    ).toBe('canceled')
    expect(toChangeRecord({...tableApi, state: '42'}, BASE)).toMatchObject({
      state: 42,
      stateLabel: undefined,
      stateName: '42'
    })
  })

  it("maps states by the instance's labels, and names a custom state by its label", () => {
    const renumbered = new StateChoices([
      {value: '-5', label: 'New'},
      {value: '5', label: 'Implement'},
      {value: '6', label: 'Pending review'},
      {value: '3', label: 'Closed'}
    ])
    expect(
      toChangeRecord({...tableApi, state: '5'}, BASE, renumbered)
    ).toMatchObject({state: 5, stateLabel: 'implement', stateName: 'Implement'})
    expect(
      toChangeRecord({...tableApi, state: '6'}, BASE, renumbered)
    ).toMatchObject({
      state: 6,
      stateLabel: undefined,
      stateName: 'Pending review'
    })
    // -1 is no longer Implement on this instance; a display value is mapped through the list too.
    expect(
      toChangeRecord({...tableApi, state: 'Pending review'}, BASE, renumbered)
    ).toMatchObject({state: 6, stateLabel: undefined})
    expect(
      toChangeRecord(
        {
          ...tableApi,
          state: {display_value: 'Pending review', value: 6}
        } as never,
        BASE
      )
    ).toMatchObject({stateLabel: undefined, stateName: 'Pending review'})
  })
})

describe('StateChoices', () => {
  const cases: [string, StateChoice[], Record<string, number>][] = [
    [
      "no list: ServiceNow's numbers",
      [],
      {implement: -1, review: 0, canceled: 4}
    ],
    [
      'a renumbered state moves, the others keep their numbers',
      [{value: '5', label: 'Implement'}],
      {implement: 5, review: 0, new: -5}
    ],
    [
      'labels match whatever their case, Cancelled as Canceled',
      [{value: '9', label: 'CANCELLED'}],
      {canceled: 9}
    ],
    [
      'another language with the same number does not hide the label',
      [
        {value: '7', label: 'Abgeschlossen'},
        {value: '7', label: 'Closed'}
      ],
      {closed: 7}
    ]
  ]
  it.each(cases)('%s', (_why, choices, expected) => {
    const states = new StateChoices(choices)
    for (const [label, value] of Object.entries(expected))
      expect([label, states.value(label as never)]).toEqual([label, value])
  })

  it('keeps a label on one line, so it cannot start a workflow command in a log line', () => {
    const states = new StateChoices([
      {value: '8', label: 'Odd\n::error::injected'}
    ])
    expect(states.name(8)).toBe('Odd ::error::injected')
    expect(
      toChangeRecord(
        {
          ...tableApi,
          state: {display_value: 'x\r\n::warning::y', value: 9}
        } as never,
        BASE
      ).stateName
    ).toBe('x ::warning::y')
  })

  it('a state renamed on the instance keeps its meaning by its shipped number, and is shown by its new name', () => {
    const shipped: [string, string][] = [
      ['-5', 'New'],
      ['-2', 'Scheduled'],
      ['-1', 'Implementation'],
      ['0', 'Review'],
      ['3', 'Complete'],
      ['4', 'Canceled']
    ]
    const states = new StateChoices(
      shipped.map(([value, label]) => ({value, label}))
    )
    expect([
      states.label(-1),
      states.value('implement'),
      states.name(-1),
      states.nameOf('implement')
    ]).toEqual(['implement', -1, 'Implementation', 'Implementation'])
    expect([
      states.label(3),
      states.value('closed'),
      states.nameOf('closed')
    ]).toEqual(['closed', 3, 'Complete'])
    // A known label still wins over the number: Implement listed at 5 leaves -1 to whatever the list calls it.
    const moved = new StateChoices([
      {value: '-1', label: 'Implementation'},
      {value: '5', label: 'Implement'}
    ])
    expect([moved.label(-1), moved.label(5), moved.name(-1)]).toEqual([
      undefined,
      'implement',
      'Implementation'
    ])
  })

  it('a default number the instance gave to another state is not assumed to be the default state', () => {
    const states = new StateChoices([
      {value: '-1', label: 'Testing'},
      {value: '5', label: 'Implement'}
    ])
    expect([states.label(-1), states.name(-1), states.label(5)]).toEqual([
      undefined,
      'Testing',
      'implement'
    ])
  })
})

describe('forwardPath', () => {
  it('walks one state at a time along each type', () => {
    expect(forwardPath('normal', 'scheduled', 'closed')).toEqual([
      'implement',
      'review',
      'closed'
    ])
    expect(forwardPath('standard', 'new', 'implement')).toEqual([
      'scheduled',
      'implement'
    ])
    expect(forwardPath('emergency', 'new', 'scheduled')).toEqual([
      'authorize',
      'scheduled'
    ])
  })
  it('skips states already reached and refuses what is not ahead', () => {
    expect(forwardPath('normal', 'review', 'implement')).toEqual([])
    expect(forwardPath('standard', 'new', 'assess')).toBeUndefined()
    expect(forwardPath('normal', 'review', 'canceled')).toBeUndefined()
    expect(forwardPath('normal', 'implement', 'canceled')).toEqual(['canceled'])
  })
})

describe('helpers', () => {
  it('finds the next page in a Link header', () => {
    const link =
      '<https://x/api/now/table/t?sysparm_offset=0&sysparm_limit=2>;rel="first",<https://x/api/now/table/t?sysparm_offset=2&sysparm_limit=2>;rel="next",<https://x/api/now/table/t?sysparm_offset=8&sysparm_limit=2>;rel="last"'
    expect(nextOffset(link)).toBe(2)
    expect(
      nextOffset('<https://x/t?sysparm_offset=0>;rel="first"')
    ).toBeUndefined()
    expect(nextOffset(undefined)).toBeUndefined()
  })
  it('strips journal headers from comments', () => {
    expect(
      journalText(
        '2026-11-23 10:00:00 - Bob CAB (Comments)\nNot during the freeze\n'
      )
    ).toBe('Not during the freeze')
  })
})
