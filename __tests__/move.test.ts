import {describe, expect, it} from '@jest/globals'
import {readChange} from '../src/change/lookup.js'
import {
  cancelChange,
  moveChange,
  TransitionError,
  type MoveOptions
} from '../src/change/move.js'
import type {StateLabel} from '../src/servicenow/change-model.js'
import type {ChangeRecord} from '../src/servicenow/change-record.js'
import type {FaultRule} from '../src/simulator/faults.js'
import {
  changeIn as changeInOn,
  patches as patchesOn,
  recordingDeps,
  simulatorForSuite,
  workNotes
} from './helpers/changes.js'

/** moveChange in-process against the simulator over HTTP: each row one behaviour, the writes counted on the wire. */
const suite = simulatorForSuite()

const changeIn = (
  state: StateLabel,
  type?: 'normal' | 'standard'
): Promise<ChangeRecord> => changeInOn(suite.sim, suite.client, state, type)

const patches = (sysId: string): number => patchesOn(suite.sim, sysId)
const notes = (sysId: string): string[] => workNotes(suite.sim, sysId)

interface Row {
  from: StateLabel
  type?: 'standard'
  to: StateLabel
  options?: MoveOptions
  fault?: Omit<FaultRule, 'path'>
  /** The state the record ends in, or the error it fails with. */
  ends: StateLabel | RegExp
  writes: number
  steps: string[]
  notes?: string[]
}

describe('moveChange: one state at a time, each write read back', () => {
  it.each<[string, Row]>([
    [
      'New → Assess is one write, one timeline entry',
      {
        from: 'new',
        to: 'assess',
        ends: 'assess',
        writes: 1,
        steps: ['new → assess']
      }
    ],
    [
      'Implement → Closed walks Review first; the close fields and the note go with the last write only',
      {
        from: 'implement',
        to: 'closed',
        options: {
          finalFields: {close_code: 'successful', close_notes: 'done'},
          note: 'closing'
        },
        ends: 'closed',
        writes: 2,
        steps: ['implement → review', 'review → closed'],
        notes: ['closing']
      }
    ],
    [
      'already at the target with nothing to carry: no write at all',
      {
        from: 'implement',
        to: 'implement',
        ends: 'implement',
        writes: 0,
        steps: []
      }
    ],
    [
      'already at the target with a note: one write carrying it, no state',
      {
        from: 'implement',
        to: 'implement',
        options: {note: 'still here'},
        ends: 'implement',
        writes: 1,
        steps: [],
        notes: ['still here']
      }
    ],
    [
      'a target the change has passed: nothing written, it stays where it is',
      {from: 'implement', to: 'assess', ends: 'implement', writes: 0, steps: []}
    ],
    [
      "a state off the type's path is refused before any write",
      {
        from: 'new',
        type: 'standard',
        to: 'assess',
        ends: /a standard change cannot move from there to assess/,
        writes: 0,
        steps: []
      }
    ],
    [
      'a write the instance answers but does not make is an error naming where the change is',
      {
        from: 'new',
        to: 'assess',
        fault: {kind: 'swallow-state', method: 'PATCH'},
        ends: /still new: a business rule or the change model ignored the write/,
        writes: 1,
        steps: []
      }
    ]
  ])('%s', async (_, row) => {
    const start = await changeIn(row.from, row.type)
    if (row.fault !== undefined)
      suite.sim.faults.add({...row.fault, path: start.sysId})
    const deps = recordingDeps(suite)
    const moved = moveChange(deps, start, row.to, row.options)
    if (row.ends instanceof RegExp) {
      await expect(moved).rejects.toThrow(TransitionError)
      await expect(moved).rejects.toThrow(row.ends)
    } else {
      expect((await moved).stateLabel).toBe(row.ends)
      expect((await readChange(suite.client, start.sysId)).stateLabel).toBe(
        row.ends
      )
    }
    expect(patches(start.sysId)).toBe(row.writes)
    expect(deps.timeline.entries.map(e => e.what)).toEqual(row.steps)
    expect(notes(start.sysId)).toEqual(row.notes ?? [])
  })
})

describe('cancelChange', () => {
  it('cancels with its note in one write, and logs nothing itself (its caller says why)', async () => {
    const start = await changeIn('assess')
    const deps = recordingDeps(suite)
    const canceled = await cancelChange(deps, start, 'no longer needed')
    expect([
      canceled.stateLabel,
      patches(start.sysId),
      notes(start.sysId),
      deps.lines
    ]).toEqual(['canceled', 1, ['no longer needed'], []])
    expect(deps.timeline.entries.map(e => e.what)).toEqual([
      'assess → canceled'
    ])
  })

  it('refuses a change past Implement without writing', async () => {
    const start = await changeIn('review')
    await expect(
      cancelChange(recordingDeps(suite), start, 'too late')
    ).rejects.toThrow(/cannot be canceled from there/)
    expect(patches(start.sysId)).toBe(0)
  })
})
