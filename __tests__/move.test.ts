import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import type { ChangeDeps } from '../src/change/deps.js'
import { readChange } from '../src/change/lookup.js'
import { cancelChange, moveChange, TransitionError, type MoveOptions } from '../src/change/move.js'
import { Timeline } from '../src/change/timeline.js'
import type { StateLabel } from '../src/servicenow/change-model.js'
import type { ChangeRecord } from '../src/servicenow/change-record.js'
import type { ServiceNowClient } from '../src/servicenow/client.js'
import type { Simulator } from '../src/simulator/server.js'
import type { FaultRule } from '../src/simulator/faults.js'
import { changeIn as changeInOn, patches as patchesOn, workNotes } from './helpers/changes.js'
import { clientFor, withSimulator } from './helpers/sim.js'

/** moveChange in-process against the simulator over HTTP: each row one behaviour, the writes counted on the wire. */
let sim: Simulator
let client: ServiceNowClient
beforeAll(async () => {
  sim = await withSimulator()
  client = clientFor(sim).client
})
afterAll(async () => {
  client.dispose()
  await sim.stop()
})

const changeIn = (state: StateLabel, type?: 'normal' | 'standard'): Promise<ChangeRecord> => changeInOn(sim, client, state, type)

function recorded(): { deps: ChangeDeps; lines: string[]; timeline: Timeline } {
  const lines: string[] = []
  const timeline = new Timeline({ now: () => Date.now(), sleep: async () => {} })
  return { deps: { client, info: (l) => lines.push(l), warn: (l) => lines.push(`warn: ${l}`), timeline }, lines, timeline }
}

const patches = (sysId: string): number => patchesOn(sim, sysId)
const notes = (sysId: string): string[] => workNotes(sim, sysId)

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
    ['New → Assess is one write, one timeline entry', { from: 'new', to: 'assess', ends: 'assess', writes: 1, steps: ['new → assess'] }],
    [
      'Implement → Closed walks Review first; the close fields and the note go with the last write only',
      {
        from: 'implement',
        to: 'closed',
        options: { finalFields: { close_code: 'successful', close_notes: 'done' }, note: 'closing' },
        ends: 'closed',
        writes: 2,
        steps: ['implement → review', 'review → closed'],
        notes: ['closing']
      }
    ],
    ['already at the target with nothing to carry: no write at all', { from: 'implement', to: 'implement', ends: 'implement', writes: 0, steps: [] }],
    ['already at the target with a note: one write carrying it, no state', { from: 'implement', to: 'implement', options: { note: 'still here' }, ends: 'implement', writes: 1, steps: [], notes: ['still here'] }],
    ['a target the change has passed: nothing written, it stays where it is', { from: 'implement', to: 'assess', ends: 'implement', writes: 0, steps: [] }],
    ["a state off the type's path is refused before any write", { from: 'new', type: 'standard', to: 'assess', ends: /a standard change cannot move from there to assess/, writes: 0, steps: [] }],
    [
      'a write the instance answers but does not make is an error naming where the change is',
      { from: 'new', to: 'assess', fault: { kind: 'swallow-state', method: 'PATCH' }, ends: /still new: a business rule or the change model ignored the write/, writes: 1, steps: [] }
    ]
  ])('%s', async (_, row) => {
    const start = await changeIn(row.from, row.type)
    if (row.fault !== undefined) sim.faults.add({ ...row.fault, path: start.sysId })
    const { deps, timeline } = recorded()
    const moved = moveChange(deps, start, row.to, row.options)
    if (row.ends instanceof RegExp) {
      await expect(moved).rejects.toThrow(TransitionError)
      await expect(moved).rejects.toThrow(row.ends)
    } else {
      expect((await moved).stateLabel).toBe(row.ends)
      expect((await readChange(client, start.sysId)).stateLabel).toBe(row.ends)
    }
    expect(patches(start.sysId)).toBe(row.writes)
    expect(timeline.entries.map((e) => e.what)).toEqual(row.steps)
    expect(notes(start.sysId)).toEqual(row.notes ?? [])
  })
})

describe('cancelChange', () => {
  it('cancels with its note in one write, and logs nothing itself (its caller says why)', async () => {
    const start = await changeIn('assess')
    const { deps, lines, timeline } = recorded()
    const canceled = await cancelChange(deps, start, 'no longer needed')
    expect([canceled.stateLabel, patches(start.sysId), notes(start.sysId), lines]).toEqual(['canceled', 1, ['no longer needed'], []])
    expect(timeline.entries.map((e) => e.what)).toEqual(['assess → canceled'])
  })

  it('refuses a change past Implement without writing', async () => {
    const start = await changeIn('review')
    await expect(cancelChange(recorded().deps, start, 'too late')).rejects.toThrow(/cannot be canceled from there/)
    expect(patches(start.sysId)).toBe(0)
  })
})
