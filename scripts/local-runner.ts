import {spawn, type ChildProcess} from 'node:child_process'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {actionFileRunning, type ActionFile} from './action-files.js'

/**
 * Runs the bundled steps on this machine the way a GitHub runner does. Used by
 * the end-to-end tests and the demo; not part of the action's bundle.
 */

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..')

const declaredByBundle = new Map<string, ActionFile['inputs']>()

/**
 * The inputs and defaults a runner applies: those of the action.yml that runs this bundle. Read
 * once per action folder and bundle: finding it parses every action.yml (~12 ms), and the suites
 * run over a thousand steps.
 */
function declaredInputs(
  actionRoot: string,
  entry: string
): ActionFile['inputs'] {
  const key = `${actionRoot}\0${entry}`
  let inputs = declaredByBundle.get(key)
  if (inputs === undefined) {
    inputs = actionFileRunning(actionRoot, entry).inputs
    declaredByBundle.set(key, inputs)
  }
  return inputs
}

export interface StepRun {
  code: number | null
  stdout: string
  stderr: string
  outputs: Record<string, string>
  /** What the step saved with core.saveState (for a post step to read). */
  state: Record<string, string>
  summary: string
  /** Environment variables the step exported for later steps. */
  exported: Record<string, string>
}

export interface RunOptions {
  env?: Record<string, string>
  /** State saved by main, for a post step. */
  state?: Record<string, string>
  /** Called with the child once it runs (to send it signals). */
  onSpawn?: (child: ChildProcess) => void
  /** The action's folder (its action.yml files and dist/): this repository unless a release tree is tested. */
  root?: string
}

/** The GITHUB_* context of a made-up run, as a runner sets it. */
export function githubEnv(
  overrides: Record<string, string> = {}
): Record<string, string> {
  return {
    GITHUB_REPOSITORY: 'octo-org/payments',
    GITHUB_SHA: '1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_ACTOR: 'mona',
    GITHUB_WORKFLOW: 'Deploy',
    GITHUB_JOB: 'deploy',
    GITHUB_RUN_ID: '4242',
    GITHUB_RUN_NUMBER: '17',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_EVENT_NAME: 'push',
    RUNNER_NAME: 'GitHub Actions 7',
    // Step debug logging on, as when a run is re-run with debug: the most a log can show.
    RUNNER_DEBUG: '1',
    ...overrides
  }
}

/**
 * Runs dist/<entry>/index.js exactly as a runner does: inputs as INPUT_*
 * variables with action.yml's defaults filled in, GITHUB_OUTPUT, GITHUB_STATE,
 * GITHUB_STEP_SUMMARY and GITHUB_ENV files, the GITHUB_* context.
 */
export async function runStep(
  entry: string,
  inputs: Record<string, string>,
  options: RunOptions = {}
): Promise<StepRun> {
  const dir = mkdtempSync(join(tmpdir(), `step-${entry}-`))
  const files = {
    GITHUB_OUTPUT: 'output',
    GITHUB_STATE: 'state',
    GITHUB_STEP_SUMMARY: 'summary',
    GITHUB_ENV: 'env'
  }
  for (const name of Object.values(files)) writeFileSync(join(dir, name), '')
  const actionRoot = options.root ?? root
  const declared = declaredInputs(actionRoot, entry)
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    ...githubEnv(),
    ...options.env
  }
  for (const [name, spec] of Object.entries(declared)) {
    let value = inputs[name] ?? spec.default ?? ''
    if (value === '${{ github.token }}')
      value = env.GITHUB_TOKEN_FOR_TESTS ?? ''
    env[`INPUT_${name.toUpperCase()}`] = value
  }
  for (const name of Object.keys(inputs)) {
    if (!(name in declared))
      throw new Error(`${entry} declares no input ${name}`)
  }
  for (const [file, name] of Object.entries(files)) env[file] = join(dir, name)
  for (const [key, value] of Object.entries(options.state ?? {}))
    env[`STATE_${key}`] = value

  // With coverage on, this repository's bundles run from the source-mapped copy that
  // scripts/coverage/setup.mjs built, and write V8 coverage for the report. A release tree's own
  // dist/ runs as it is (and is not measured).
  const measured =
    process.env.CHILD_COVERAGE !== undefined && options.root === undefined
  const bundles = measured
    ? join(process.env.CHILD_COVERAGE!, 'dist')
    : join(actionRoot, 'dist')
  if (measured) env.NODE_V8_COVERAGE = join(process.env.CHILD_COVERAGE!, 'v8')
  const child = spawn(process.execPath, [join(bundles, entry, 'index.js')], {
    env,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', d => (stdout += d))
  child.stderr?.on('data', d => (stderr += d))
  options.onSpawn?.(child)
  const code = await new Promise<number | null>(resolve =>
    child.on('close', resolve)
  )
  return {
    code,
    stdout,
    stderr,
    outputs: parseFileCommands(readFileSync(join(dir, 'output'), 'utf8')),
    state: parseFileCommands(readFileSync(join(dir, 'state'), 'utf8')),
    summary: readFileSync(join(dir, 'summary'), 'utf8'),
    exported: parseFileCommands(readFileSync(join(dir, 'env'), 'utf8'))
  }
}

/** The runner's file-command format: `name<<DELIMITER\nvalue\nDELIMITER`. */
export function parseFileCommands(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<]+)<<(.+)$/.exec(lines[i] ?? '')
    if (match === null) continue
    const [, name = '', delimiter] = match
    const value: string[] = []
    while (++i < lines.length && lines[i] !== delimiter)
      value.push(lines[i] ?? '')
    out[name] = value.join('\n')
  }
  return out
}

/** The ::error:: lines a step printed. */
export function errors(run: StepRun): string[] {
  return run.stdout.split('\n').filter(l => l.startsWith('::error::'))
}

/** A job summary (HTML) as a terminal shows it: headings and paragraphs as lines, table cells joined by |. */
export function summaryText(html: string): string {
  return html
    .replace(/<\/(h\d|p|tr|li)>/g, '\n')
    .replace(/<\/t[hd]>/g, ' | ')
    .replace(/<a href="([^"]+)">([^<]+)<\/a>/g, '$2 ($1)')
    .replace(/<[^>]+>/g, '')
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .split('\n')
    .map(l => l.trim())
    .filter(l => l !== '')
    .join('\n')
}
