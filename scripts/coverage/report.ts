/**
 * The line coverage of src/ after `npm test`: jest's own (coverage/coverage-final.json) merged with
 * what the bundles ran in the end-to-end tests' child processes (V8 coverage files under
 * $CHILD_COVERAGE/v8, mapped to src/ through $CHILD_COVERAGE/dist/index.js.map). Prints one figure
 * per folder and the total; with --check, exits 1 when a figure is under its floor.
 * Run by scripts/coverage/teardown.mjs; usage: tsx scripts/coverage/report.ts [--check]
 */
import {readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join, relative, resolve} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {
  byFolder,
  markRan,
  mergeFile,
  percent,
  sourceLinesRun,
  type FileLines,
  type IstanbulFile,
  type V8Script
} from './lines.js'

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..')

/**
 * The least every figure (each folder, and the total) may be, in % of executable lines. Each
 * folder was at 93.9 % or more when the floor was set (2026-11-23; src/ 96 %), the simulator's
 * command line counted in it (no test starts it). A new folder is held to it from its first run.
 */
const FLOOR = 90

const childDir = process.env.CHILD_COVERAGE ?? join(root, '.tmp', 'coverage')
const bundle = join(childDir, 'dist', 'index.js')
const code = readFileSync(bundle, 'utf8')
const ran = new Uint8Array(code.length)
let processes = 0
let unreadable = 0
for (const name of readdirSync(join(childDir, 'v8'))) {
  let scripts: V8Script[]
  try {
    scripts = (
      JSON.parse(readFileSync(join(childDir, 'v8', name), 'utf8')) as {
        result: V8Script[]
      }
    ).result
  } catch {
    // A child killed while writing its file: what it ran is lost, not guessed.
    unreadable++
    continue
  }
  const script = scripts.find(s => s.url === pathToFileURL(bundle).href)
  if (script === undefined) continue
  markRan(ran, script)
  processes++
}
// ncc names sources relative to the output folder it assumes (dist/): '.././src/steps/create.ts'.
const fileOf = (source: string): string | undefined => {
  const file = relative(root, resolve(root, 'dist', source))
  return file.startsWith('src/') ? file : undefined
}
const childLines = sourceLinesRun(
  ran,
  code,
  readFileSync(`${bundle}.map`, 'utf8'),
  fileOf
)

const jest = JSON.parse(
  readFileSync(join(root, 'coverage', 'coverage-final.json'), 'utf8')
) as Record<string, IstanbulFile>
const files = new Map<string, FileLines>()
for (const [path, coverage] of Object.entries(jest)) {
  const file = relative(root, path)
  files.set(file, mergeFile(coverage, childLines.get(file)))
}

// jest leaves out a file without a single statement (src/index.ts only re-exports): name them.
const sources = readdirSync(join(root, 'src'), {
  recursive: true,
  encoding: 'utf8'
})
  .filter(f => f.endsWith('.ts'))
  .map(f => join('src', f))
const statementless = sources.filter(file => !files.has(file)).sort()

const table = byFolder(files)
const width = Math.max(...table.map(([name]) => name.length))
console.log(
  `\nLines of src/ run by the tests (jest's process, and ${processes} bundle runs in child processes${unreadable ? `; ${unreadable} unreadable coverage files` : ''}):`
)
console.log(`${'folder'.padEnd(width)}  lines  tests' process  with children`)
for (const [name, lines] of table) {
  console.log(
    `${name.padEnd(width)}  ${String(lines.total).padStart(5)}  ${`${percent(lines.inProcess, lines.total)} %`.padStart(14)}  ${`${percent(lines.covered, lines.total)} %`.padStart(13)}  (floor ${FLOOR} %)`
  )
}
const perFile = [...files.entries()]
  .sort(([a], [b]) => a.localeCompare(b))
  .map(
    ([file, l]) =>
      `${file}\t${l.covered}/${l.total}\t${percent(l.covered, l.total)} %`
  )
writeFileSync(
  join(root, 'coverage', 'lines-by-file.txt'),
  `${perFile.join('\n')}\n`
)
console.log(
  `Per file: coverage/lines-by-file.txt. No executable line: ${statementless.join(', ') || 'none'}.`
)

const under = table.filter(
  ([, lines]) => lines.covered < (FLOOR / 100) * lines.total
)
if (process.argv.includes('--check') && under.length > 0) {
  console.error(
    `Coverage under its floor: ${under.map(([name, l]) => `${name} ${percent(l.covered, l.total)} % < ${FLOOR} %`).join(', ')}`
  )
  process.exit(1)
}
