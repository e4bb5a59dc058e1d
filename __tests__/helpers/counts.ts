import {afterAll} from '@jest/globals'
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

/**
 * Figures a suite reports (cells survived, secret hits, …). Each suite writes
 * them to .tmp/counts/<suite>.json after its tests; .ci/run prints them all.
 */
export function suiteCounts(suite: string): Record<string, number> {
  const counts: Record<string, number> = {}
  afterAll(() => {
    const dir = join(
      fileURLToPath(new URL('.', import.meta.url)),
      '..',
      '..',
      '.tmp',
      'counts'
    )
    mkdirSync(dir, {recursive: true})
    writeFileSync(
      join(dir, `${suite}.json`),
      `${JSON.stringify(counts, null, 2)}\n`
    )
  })
  return counts
}

export function add(counts: Record<string, number>, key: string, n = 1): void {
  counts[key] = (counts[key] ?? 0) + n
}

/**
 * A test body whose check, once it has passed, is counted under `key`: the body
 * only asserts, and returns how many things it checked when that is not one.
 * A failing body counts nothing. Arguments (it.each's row) pass through.
 */
export function counted<A extends unknown[]>(
  counts: Record<string, number>,
  key: string,
  body: (...args: A) => Promise<number | void> | number | void
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const n = await body(...args)
    add(counts, key, n ?? 1)
  }
}
