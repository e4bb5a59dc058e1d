import {describe, expect, it} from '@jest/globals'
import {spawnSync} from 'node:child_process'
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync
} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {
  byFolder,
  folderOf,
  markRan,
  mergeFile,
  sourceLinesRun,
  type IstanbulFile,
  type V8Script
} from '../scripts/coverage/lines.js'

/**
 * How npm test counts the lines the bundles ran in child processes (scripts/coverage/lines.ts):
 * V8's nested ranges, a source map back to the sources, and the merge with jest's own count.
 */

const script = (ranges: [number, number, number][][]): V8Script => ({
  url: 'file:///bundle.js',
  functions: ranges.map(r => ({
    ranges: r.map(([startOffset, endOffset, count]) => ({
      startOffset,
      endOffset,
      count
    }))
  }))
})
const marked = (ran: Uint8Array): string => [...ran].join('')

describe('markRan', () => {
  const CASES: [string, [number, number, number][][], string][] = [
    ['a script that ran whole', [[[0, 8, 1]]], '11111111'],
    [
      'a block inside it that never ran',
      [
        [
          [0, 8, 1],
          [2, 5, 0]
        ]
      ],
      '11000111'
    ],
    [
      'a function that was never called',
      [[[0, 8, 1]], [[3, 6, 0]]],
      '11100011'
    ],
    [
      'an inner function listed before its outer one',
      [[[3, 6, 0]], [[0, 8, 1]]],
      '11100011'
    ],
    [
      'ranges nested four deep: the innermost count wins',
      [
        [
          [0, 8, 1],
          [1, 7, 0]
        ],
        [
          [2, 6, 3],
          [3, 4, 0]
        ]
      ],
      '10101101'
    ]
  ]
  it.each(CASES)('%s', (_, ranges, expected) => {
    const ran = new Uint8Array(8)
    markRan(ran, script(ranges))
    expect(marked(ran)).toBe(expected)
  })

  it('keeps what earlier processes ran', () => {
    const ran = new Uint8Array(8)
    markRan(
      ran,
      script([
        [
          [0, 8, 1],
          [0, 4, 0]
        ]
      ])
    )
    markRan(
      ran,
      script([
        [
          [0, 8, 1],
          [4, 8, 0]
        ]
      ])
    )
    expect(marked(ran)).toBe('11111111')
  })
})

describe('sourceLinesRun, on V8 coverage from a real child process', () => {
  // Each generated line maps to the same line of src/a.ts, column 0: "AAAA" then "AACA" per line.
  const code = [
    'function used(x) {',
    '  if (x) {',
    '    return 1',
    '  }',
    '  return 2',
    '}',
    'function unused() {',
    '  return 3',
    '}',
    'used(true)',
    ''
  ].join('\n')
  const map = JSON.stringify({
    version: 3,
    sources: ['src/a.ts'],
    names: [],
    mappings: ['AAAA', ...Array(9).fill('AACA')].join(';')
  })

  it('maps the lines that ran, and not those in a block or function that did not', () => {
    const dir = mkdtempSync(join(tmpdir(), 'coverage-lines-'))
    try {
      writeFileSync(join(dir, 'bundle.cjs'), code)
      const child = spawnSync(process.execPath, [join(dir, 'bundle.cjs')], {
        env: {NODE_V8_COVERAGE: join(dir, 'v8')}
      })
      expect(child.status).toBe(0)
      const [file] = readdirSync(join(dir, 'v8'))
      const result = (
        JSON.parse(readFileSync(join(dir, 'v8', file!), 'utf8')) as {
          result: V8Script[]
        }
      ).result
      const ran = new Uint8Array(code.length)
      markRan(
        ran,
        result.find(s => s.url === pathToFileURL(join(dir, 'bundle.cjs')).href)!
      )
      const lines = sourceLinesRun(ran, code, map, source =>
        source.endsWith('a.ts') ? 'src/a.ts' : undefined
      )
      expect([...lines.keys()]).toEqual(['src/a.ts'])
      const run = lines.get('src/a.ts')!
      for (const line of [1, 2, 3, 10])
        expect([line, run.has(line)]).toEqual([line, true])
      for (const line of [5, 7, 8])
        expect([line, run.has(line)]).toEqual([line, false])
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('leaves out the sources it is told are not measured', () => {
    const ran = new Uint8Array(code.length).fill(1)
    expect(sourceLinesRun(ran, code, map, () => undefined).size).toBe(0)
  })
})

describe('mergeFile', () => {
  // Statements start on lines 1, 2, 2 and 5; the tests' own process ran those on lines 1 and 2.
  const file: IstanbulFile = {
    statementMap: {
      0: {start: {line: 1}},
      1: {start: {line: 2}},
      2: {start: {line: 2}},
      3: {start: {line: 5}}
    },
    s: {0: 4, 1: 0, 2: 1, 3: 0}
  }
  const CASES: [
    string,
    number[],
    {total: number; inProcess: number; covered: number}
  ][] = [
    ['nothing from children', [], {total: 3, inProcess: 2, covered: 2}],
    [
      'a child ran a line the process did not',
      [5],
      {total: 3, inProcess: 2, covered: 3}
    ],
    [
      'a child ran a line the process ran too: counted once',
      [1, 2],
      {total: 3, inProcess: 2, covered: 2}
    ],
    [
      'a child ran lines with no statement (a brace, a declaration): not counted',
      [3, 4, 6],
      {total: 3, inProcess: 2, covered: 2}
    ]
  ]
  it.each(CASES)('%s', (_, children, expected) => {
    expect(mergeFile(file, new Set(children))).toEqual(expected)
  })
})

describe('byFolder', () => {
  it('sums each folder of src/, the files at its top as one, then all of src/', () => {
    expect([
      folderOf('src/steps/gate.ts'),
      folderOf('src/constants.ts')
    ]).toEqual(['src/steps', 'src (top files)'])
    const files = new Map([
      ['src/steps/a.ts', {total: 10, inProcess: 2, covered: 9}],
      ['src/steps/b.ts', {total: 10, inProcess: 0, covered: 10}],
      ['src/constants.ts', {total: 4, inProcess: 4, covered: 4}]
    ])
    expect(byFolder(files)).toEqual([
      ['src (top files)', {total: 4, inProcess: 4, covered: 4}],
      ['src/steps', {total: 20, inProcess: 2, covered: 19}],
      ['all of src/', {total: 24, inProcess: 6, covered: 23}]
    ])
  })
})
