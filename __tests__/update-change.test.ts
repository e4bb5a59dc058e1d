import {describe, expect, it} from '@jest/globals'
import {updateChange, type ChangeUpdate} from '../src/change/update-change.js'
import type {StateLabel} from '../src/servicenow/change-model.js'
import {
  changeIn,
  patches,
  recordingDeps,
  RUN,
  simulatorForSuite,
  workNotes
} from './helpers/changes.js'

/** updateChange in-process against the simulator over HTTP: what each kind of update writes, counted on the wire. */
const suite = simulatorForSuite()
const BY =
  'mona, Deploy run #17: https://github.com/octo-org/payments/actions/runs/4242'

interface Row {
  type?: 'standard'
  update: ChangeUpdate
  state: StateLabel
  writes: number
  notes: string[]
  timeline: string[]
  /** A field as the change holds it afterwards. */
  field?: [string, string]
  warnings?: number
}

describe('updateChange: a move, a note or fields, each said once on the record', () => {
  it.each<[string, Row]>([
    [
      'a state: the change walks there, the note says who moved it',
      {
        update: {state: 'implement', workNotes: '', fields: {}},
        state: 'implement',
        writes: 1,
        notes: [`Moved to implement by ${BY}`],
        timeline: ['scheduled → implement']
      }
    ],
    [
      'work notes alone: one write, the note signed with the run',
      {
        update: {state: undefined, workNotes: 'smoke tests passed', fields: {}},
        state: 'scheduled',
        writes: 1,
        notes: [`smoke tests passed\n(${BY})`],
        timeline: ['updated work notes']
      }
    ],
    [
      'fields alone: one write, no note',
      {
        update: {
          state: undefined,
          workNotes: '',
          fields: {test_plan: 'run the smoke suite'}
        },
        state: 'scheduled',
        writes: 1,
        notes: [],
        timeline: ['updated test_plan'],
        field: ['test_plan', 'run the smoke suite']
      }
    ],
    [
      "a standard change's template fields are not sent, with a warning; nothing left, nothing written",
      {
        type: 'standard',
        update: {state: undefined, workNotes: '', fields: {test_plan: 'ours'}},
        state: 'scheduled',
        writes: 0,
        notes: [],
        timeline: [],
        warnings: 1
      }
    ]
  ])('%s', async (_, row) => {
    const start = await changeIn(suite.sim, suite.client, 'scheduled', row.type)
    const deps = recordingDeps(suite)
    const updated = await updateChange(deps, start, row.update, RUN)
    expect(updated.stateLabel).toBe(row.state)
    expect(patches(suite.sim, start.sysId)).toBe(row.writes)
    expect(workNotes(suite.sim, start.sysId)).toEqual(row.notes)
    expect(deps.timeline.entries.map(e => e.what)).toEqual(row.timeline)
    expect(deps.lines.filter(l => l.startsWith('warn: '))).toHaveLength(
      row.warnings ?? 0
    )
    if (row.field !== undefined)
      expect(
        suite.sim.instance.store.get('change_request', start.sysId)?.[
          row.field[0]
        ]
      ).toBe(row.field[1])
  })
})
