import {describe, expect, test} from '@jest/globals'
import {fileURLToPath} from 'node:url'
import {findCycles, importsOf, readImportGraph} from './helpers/imports.js'

const SRC = fileURLToPath(new URL('../src', import.meta.url))
const graph = readImportGraph(SRC)

describe('the import reader', () => {
  test.each([
    ["import { a } from './a.js'", ['./a.js']],
    [
      "import type { A } from '../servicenow/auth.js'",
      ['../servicenow/auth.js']
    ],
    ["export { b } from './b.js'", ['./b.js']],
    ["export * from './c.js'", ['./c.js']],
    ["import './side-effect.js'", ['./side-effect.js']],
    ["const m = await import('./lazy.js')", ['./lazy.js']],
    ['import {\n  a,\n  b\n} from "./multi-line.js"', ['./multi-line.js']],
    ["import { createHash } from 'node:crypto'", ['node:crypto']],
    ["const text = 'not an import'", []]
  ])('%s', (source, expected) => {
    expect(importsOf(source)).toEqual(expected)
  })

  test('resolves the tree: the simulator server imports its admin routes', () => {
    expect(graph.edges.get('simulator/server.ts')).toContain(
      'simulator/admin-routes.ts'
    )
  })
})

describe('the cycle finder', () => {
  test('finds a loop of two and a loop of three, and nothing in a diamond', () => {
    const edges = new Map([
      ['a', ['b']],
      ['b', ['a']],
      ['c', ['d']],
      ['d', ['e']],
      ['e', ['c']],
      ['top', ['left', 'right']],
      ['left', ['bottom']],
      ['right', ['bottom']],
      ['bottom', []]
    ])
    expect(findCycles(edges)).toEqual([
      ['a', 'b', 'a'],
      ['c', 'd', 'e', 'c']
    ])
  })
})

describe('src/', () => {
  test('has no import cycle, type-only imports included', () => {
    expect(findCycles(graph.edges)).toEqual([])
  })

  // A test double that shares the client's code shares its mistakes: what both need from a
  // standard (a JWT's shape, a grant type's name) each takes from the standard.
  test.each(['simulator/', 'github-simulator/'])(
    '%s imports nothing from outside itself but node: built-ins',
    folder => {
      const outside = [...graph.edges]
        .filter(([file]) => file.startsWith(folder))
        .flatMap(([file, targets]) =>
          targets
            .filter(t => !t.startsWith(folder) && !t.startsWith('node:'))
            .map(t => `${file} → ${t}`)
        )
      expect(outside).toEqual([])
    }
  )

  // The layers point one way: steps → change → settings / servicenow. A folder names what it may
  // not import; the top files (constants, github-*) are shared by all.
  test.each([
    ['servicenow/', ['change/', 'steps/', 'settings/']],
    ['settings/', ['change/', 'steps/']],
    ['change/', ['steps/']]
  ])('%s imports nothing from %j', (folder, forbidden) => {
    const upward = [...graph.edges]
      .filter(([file]) => file.startsWith(folder))
      .flatMap(([file, targets]) =>
        targets
          .filter(t => forbidden.some(f => t.startsWith(f)))
          .map(t => `${file} → ${t}`)
      )
    expect(upward).toEqual([])
  })
})
