/**
 * The one table every part of `npm run bench` adds to: goal, measured value and verdict per
 * figure, printed at the end and written to .tmp/bench.json. Plus the few helpers they share.
 */
import {mkdirSync, writeFileSync} from 'node:fs'
import {cpus, totalmem} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {SEED_USERS} from '../../src/simulator/seed.js'

export const root = join(
  fileURLToPath(new URL('.', import.meta.url)),
  '..',
  '..'
)

const user = SEED_USERS.integration
/** The simulator's integration user, as every benchmark signs in. */
export const auth = {
  method: 'basic' as const,
  username: user.user_name,
  password: user.password
}

export interface Row {
  what: string
  goal: string
  measured: string
  /** undefined: reported, no goal. */
  ok: boolean | undefined
}

const rows: Row[] = []

export function row(
  what: string,
  goal: string,
  measured: string,
  ok: boolean | undefined
): void {
  rows.push({what, goal, measured, ok})
}

export const quiet = (): void => {}
export const log = (line: string): void =>
  void process.stderr.write(`${line}\n`)
export const sleep = (ms: number): Promise<void> =>
  new Promise(resolve => setTimeout(resolve, ms))

/** The nearest-rank percentile (p in 0–100); NaN for no values. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return (
    sorted[
      Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)
    ] ?? NaN
  )
}

export const median = (values: number[]): number => percentile(values, 50)

/** Prints the table and writes it, with the machine, to .tmp/bench.json. */
export function printTable(): void {
  const width = Math.max(...rows.map(r => r.what.length))
  const gw = Math.max(...rows.map(r => r.goal.length))
  const machine = `${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB`
  process.stdout.write(`\nservicenow-change benchmarks — ${machine}\n\n`)
  process.stdout.write(
    `${'what'.padEnd(width)}  ${'goal'.padEnd(gw)}  verdict  measured\n`
  )
  for (const r of rows) {
    const verdict = r.ok === undefined ? '—' : r.ok ? 'met' : 'MISSED'
    process.stdout.write(
      `${r.what.padEnd(width)}  ${r.goal.padEnd(gw)}  ${verdict.padEnd(7)}  ${r.measured}\n`
    )
  }
  mkdirSync(join(root, '.tmp'), {recursive: true})
  writeFileSync(
    join(root, '.tmp/bench.json'),
    `${JSON.stringify({node: process.version, machine, rows}, null, 2)}\n`
  )
}
