import {afterEach, beforeEach, describe, expect, it} from '@jest/globals'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parseFileCommands} from '../scripts/local-runner.js'
import {
  loadGateState,
  saveGateState,
  type GateState
} from '../src/steps/gate-state.js'

/** The gate's state goes through the runner's real channel: main writes GITHUB_STATE, post reads STATE_* variables. */
let stateFile: string
const saved = (): Record<string, string> =>
  parseFileCommands(readFileSync(stateFile, 'utf8'))
/** What the runner hands post: each saved name as STATE_<name>, the last value written winning. */
function asPost(state: Record<string, string>): void {
  for (const [name, value] of Object.entries(state))
    process.env[`STATE_${name}`] = value
}

beforeEach(() => {
  stateFile = join(mkdtempSync(join(tmpdir(), 'gate-state-')), 'state')
  writeFileSync(stateFile, '')
  process.env.GITHUB_STATE = stateFile
})
afterEach(() => {
  for (const name of Object.keys(process.env).filter(n =>
    n.startsWith('STATE_')
  ))
    delete process.env[name]
  delete process.env.GITHUB_STATE
})

describe('gate state: what main saves is what post loads', () => {
  it.each<
    [
      string,
      Exclude<GateState, {kind: 'none'}>[],
      Record<string, string>,
      GateState
    ]
  >([
    [
      'skipped: one key, nothing about a change',
      [{kind: 'skipped'}],
      {skipped: 'true'},
      {kind: 'skipped'}
    ],
    [
      'created, not yet implementing: post cancels',
      [{kind: 'change', sysId: 'a'.repeat(32), implementing: false}],
      {change_sys_id: 'a'.repeat(32)},
      {kind: 'change', sysId: 'a'.repeat(32), implementing: false}
    ],
    [
      'created, then moved to Implement: post closes from the job result',
      [
        {kind: 'change', sysId: 'b'.repeat(32), implementing: false},
        {kind: 'change', sysId: 'b'.repeat(32), implementing: true}
      ],
      {change_sys_id: 'b'.repeat(32), implementing: 'true'},
      {kind: 'change', sysId: 'b'.repeat(32), implementing: true}
    ]
  ])('%s', (_, saves, keys, loaded) => {
    for (const state of saves) saveGateState(state)
    expect(saved()).toEqual(keys)
    asPost(saved())
    expect(loadGateState()).toEqual(loaded)
  })

  it('nothing saved (main failed before it had a change): post loads none', () => {
    expect(loadGateState()).toEqual({kind: 'none'})
  })

  it('never saves the change number: post reads the record by sys_id alone', () => {
    saveGateState({kind: 'change', sysId: 'c'.repeat(32), implementing: true})
    expect(Object.keys(saved()).sort()).toEqual([
      'change_sys_id',
      'implementing'
    ])
  })
})
