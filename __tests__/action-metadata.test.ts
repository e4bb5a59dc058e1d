import {describe, expect, it} from '@jest/globals'
import {existsSync, readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseDocument, isMap, isScalar, Scalar} from 'yaml'
import {
  AttachmentInput,
  ChangeRefInput,
  CloseInput,
  ConflictInput,
  ConnectionInput,
  CreateInput,
  GateInput,
  LegInput,
  Output,
  ReportInput,
  SyncInput,
  UpdateInput,
  WaitInput
} from '../src/constants.js'

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..')

/**
 * Our own schema check of the action.yml files (@action-validator/cli rejects
 * node24): required keys, every input and output described, defaults quoted,
 * main paths present, names the code reads and writes.
 */
const names = (...enums: object[]): string[] =>
  [...new Set(enums.flatMap(e => Object.values(e) as string[]))].sort()
const closeOptions = Object.values(CloseInput).filter(
  n => n !== CloseInput.Result
)
/** Create and the gate name a leg; close also settles legs and reads the job's name itself. */
const legStart = [LegInput.ExpectedLegs, LegInput.Leg]

const ACTIONS: Record<string, string[]> = {
  'action.yml': names(
    ConnectionInput,
    CreateInput,
    AttachmentInput,
    WaitInput,
    ConflictInput,
    closeOptions,
    GateInput,
    legStart
  ),
  'create/action.yml': names(
    ConnectionInput,
    CreateInput,
    AttachmentInput,
    ConflictInput,
    legStart
  ),
  'wait/action.yml': names(
    ConnectionInput,
    ChangeRefInput,
    WaitInput,
    ConflictInput
  ),
  'update/action.yml': names(
    ConnectionInput,
    ChangeRefInput,
    UpdateInput,
    AttachmentInput
  ),
  'close/action.yml': names(
    ConnectionInput,
    ChangeRefInput,
    CloseInput,
    AttachmentInput,
    LegInput
  ),
  'report/action.yml': names(ConnectionInput, ReportInput),
  'sync/action.yml': names(ConnectionInput, SyncInput)
}

describe.each(Object.entries(ACTIONS))('%s', (file, inputs) => {
  const doc = parseDocument(readFileSync(join(root, file), 'utf8'))
  const data = doc.toJS()

  it('parses, has the required keys, and runs existing bundles on node24', () => {
    expect(doc.errors).toEqual([])
    expect(typeof data.name).toBe('string')
    expect(typeof data.description).toBe('string')
    // The Marketplace cuts a listing's description at 125 characters.
    expect([file, data.description.length <= 125]).toEqual([file, true])
    expect(data.branding).toEqual({
      icon: expect.any(String),
      color: expect.any(String)
    })
    expect(data.runs.using).toBe('node24')
    for (const key of ['main', 'post'] as const) {
      if (data.runs[key] === undefined) continue
      const bundle = join(root, dirname(file), data.runs[key])
      expect([key, existsSync(bundle)]).toEqual([key, true])
      expect(existsSync(join(dirname(dirname(bundle)), 'package.json'))).toBe(
        true
      )
    }
    if (data.runs.post !== undefined)
      expect(data.runs['post-if']).toBe('always()')
  })

  it('declares exactly the inputs the code reads, each described and snake_case', () => {
    expect(Object.keys(data.inputs).sort()).toEqual(inputs)
    for (const [name, input] of Object.entries<any>(data.inputs)) {
      expect([
        name,
        /^[a-z][a-z0-9_]*$/.test(name),
        typeof input.description === 'string' && input.description.length > 10
      ]).toEqual([name, true, true])
    }
  })

  it('declares only outputs the code sets, each described', () => {
    const known = Object.values(Output) as string[]
    for (const [name, output] of Object.entries<any>(data.outputs)) {
      expect([
        name,
        known.includes(name),
        typeof output.description === 'string'
      ]).toEqual([name, true, true])
    }
    const common =
      file === 'report/action.yml'
        ? [Output.Report, Output.Metrics]
        : file === 'sync/action.yml'
          ? [Output.Reviewed, Output.Metrics]
          : [
              Output.ChangeNumber,
              Output.ChangeSysId,
              Output.ChangeUrl,
              Output.State,
              Output.Approval
            ]
    for (const name of common) expect(Object.keys(data.outputs)).toContain(name)
  })

  it('quotes every default, so YAML never turns one into a number or boolean', () => {
    const map = doc.get('inputs')
    expect(isMap(map)).toBe(true)
    if (!isMap(map)) return
    for (const pair of map.items) {
      const input = pair.value
      if (!isMap(input) || !input.has('default')) continue
      const node = input.get('default', true)
      const name = String((pair.key as Scalar).value)
      expect([
        name,
        isScalar(node) &&
          (node.type === Scalar.QUOTE_SINGLE ||
            node.type === Scalar.QUOTE_DOUBLE)
      ]).toEqual([name, true])
    }
  })
})
