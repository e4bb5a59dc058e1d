import {afterAll, beforeAll, describe, expect, it} from '@jest/globals'
import {spawnSync} from 'node:child_process'
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync
} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {
  markRan,
  sourceLinesRun,
  type V8Script
} from '../scripts/coverage/lines.js'

/**
 * Proof that a line the child never ran is not counted as covered, on the path npm test takes:
 * a TypeScript source bundled by ncc as scripts/build.mjs bundles it for coverage (ESM, not
 * minified, a source map beside it and no sourceMappingURL), run in a child with
 * NODE_V8_COVERAGE, and mapped back by scripts/coverage/lines.ts. The functions that are never
 * called are the shapes src/ uses: a class method, an arrow function held in a const, and the
 * branch after an early return. A function that is only defined (loaded) must not count.
 */
const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '..')

const SOURCE = [
  'export class Box {', //                                     1
  '  used(): number {', //                                      2
  '    return 1', //                                            3  ran
  '  }', //                                                     4
  '  unused(): number {', //                                    5
  '    return 2', //                                            6  never
  '  }', //                                                     7
  '}', //                                                       8
  'const neverCalled = (x: number): number => {', //            9  ran (the const is assigned)
  '  return x * 3', //                                         10  never
  '}', //                                                      11
  'export function sometimes(flag: boolean): number {', //     12
  '  if (flag) {', //                                          13  ran
  '    return 4', //                                           14  ran
  '  }', //                                                    15
  '  return 5', //                                             16  never
  '}', //                                                      17
  'console.log(new Box().used(), sometimes(true), typeof neverCalled)', // 18 ran
  ''
].join('\n')

let dir = ''
let run: Set<number> = new Set()

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'coverage-proof-'))
  mkdirSync(join(dir, 'src'))
  writeFileSync(join(dir, 'src', 'proof.ts'), SOURCE)
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n')
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2023',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        sourceMap: true
      },
      include: ['src']
    })
  )
  // The options scripts/build.mjs gives ncc for the coverage copy, in a child as npm run build runs it.
  const ncc = pathToFileURL(
    join(root, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'index.js')
  ).href
  const build = [
    `const { default: ncc } = await import(${JSON.stringify(ncc)})`,
    `const { writeFileSync } = await import('node:fs')`,
    `const { code, map } = await ncc(${JSON.stringify(join(dir, 'src', 'proof.ts'))}, { minify: false, sourceMap: true, sourceMapRegister: false, quiet: true })`,
    `writeFileSync(${JSON.stringify(join(dir, 'index.js'))}, code.replace(/\\n\\/\\/# sourceMappingURL=\\S+\\s*$/, '\\n'))`,
    `writeFileSync(${JSON.stringify(join(dir, 'index.js.map'))}, map)`
  ].join('\n')
  writeFileSync(join(dir, 'build.mjs'), build)
  const built = spawnSync(process.execPath, [join(dir, 'build.mjs')], {
    cwd: dir,
    encoding: 'utf8'
  })
  expect([
    built.status,
    built.stderr.split('\n').filter(l => /error/i.test(l))
  ]).toEqual([0, []])

  const child = spawnSync(process.execPath, [join(dir, 'index.js')], {
    cwd: dir,
    encoding: 'utf8',
    env: {...process.env, NODE_V8_COVERAGE: join(dir, 'v8')}
  })
  expect([child.status, child.stdout.trim()]).toEqual([0, '1 4 function'])

  const code = readFileSync(join(dir, 'index.js'), 'utf8')
  const ran = new Uint8Array(code.length)
  const files = readdirSync(join(dir, 'v8'))
  expect(files).toHaveLength(1)
  const scripts = (
    JSON.parse(readFileSync(join(dir, 'v8', files[0]!), 'utf8')) as {
      result: V8Script[]
    }
  ).result
  markRan(
    ran,
    scripts.find(s => s.url === pathToFileURL(join(dir, 'index.js')).href)!
  )
  const lines = sourceLinesRun(
    ran,
    code,
    readFileSync(join(dir, 'index.js.map'), 'utf8'),
    source => (source.endsWith('src/proof.ts') ? 'src/proof.ts' : undefined)
  )
  run = lines.get('src/proof.ts') ?? new Set()
}, 120_000)

afterAll(() => rmSync(dir, {recursive: true, force: true}))

describe('a child bundled by ncc, measured by V8 and mapped back through the source map', () => {
  it.each([
    [3, 'the body of the method that was called'],
    [
      9,
      'the const holding an arrow function (assigned when the module loaded)'
    ],
    [13, 'the condition of the function that was called'],
    [14, 'the branch taken'],
    [18, 'the top-level statement']
  ])('counts line %i, %s, as run', line => {
    expect(run.has(line)).toBe(true)
  })

  it.each([
    [6, 'the body of a class method that was defined and never called'],
    [10, 'the body of an arrow function that was defined and never called'],
    [16, 'the line after an early return']
  ])('does not count line %i, %s, as run', line => {
    expect(run.has(line)).toBe(false)
  })
})
