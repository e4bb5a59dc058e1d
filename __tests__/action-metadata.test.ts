import { describe, expect, it } from '@jest/globals'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { parseDocument, isMap, isScalar, Scalar } from 'yaml'
import { ConnectionInput } from '../src/constants.js'

const root = join(import.meta.dirname, '..')

/**
 * Our own schema check of action.yml (@action-validator/cli rejects node24):
 * required keys, every input described, defaults quoted, main paths present,
 * input names the code reads.
 */
function load(file: string): { doc: ReturnType<typeof parseDocument>; data: any } {
  const doc = parseDocument(readFileSync(join(root, file), 'utf8'))
  expect(doc.errors).toEqual([])
  return { doc, data: doc.toJS() }
}

describe('action.yml', () => {
  const { doc, data } = load('action.yml')

  it('has the required keys and runs the bundle on node24', () => {
    expect(typeof data.name).toBe('string')
    expect(typeof data.description).toBe('string')
    expect(data.branding).toEqual({ icon: expect.any(String), color: expect.any(String) })
    expect(data.runs.using).toBe('node24')
    expect(existsSync(join(root, data.runs.main))).toBe(true)
    expect(existsSync(join(root, dirname(data.runs.main), 'package.json'))).toBe(true)
  })

  it('declares exactly the connection inputs the code reads, each described, snake_case', () => {
    expect(Object.keys(data.inputs).sort()).toEqual(Object.values(ConnectionInput).sort())
    for (const [name, input] of Object.entries<any>(data.inputs)) {
      expect([name, /^[a-z][a-z0-9_]*$/.test(name)]).toEqual([name, true])
      expect([name, typeof input.description === 'string' && input.description.length > 10]).toEqual([name, true])
    }
  })

  it('quotes every default, so YAML never turns one into a number or boolean', () => {
    const inputs = doc.get('inputs')
    expect(isMap(inputs)).toBe(true)
    if (!isMap(inputs)) return
    for (const pair of inputs.items) {
      const input = pair.value
      if (!isMap(input) || !input.has('default')) continue
      const node = input.get('default', true)
      expect([String((pair.key as Scalar).value), isScalar(node) && (node.type === Scalar.QUOTE_SINGLE || node.type === Scalar.QUOTE_DOUBLE)]).toEqual([
        String((pair.key as Scalar).value),
        true
      ])
    }
  })
})
