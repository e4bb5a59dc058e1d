import {describe, expect, it} from '@jest/globals'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {entries} from '../scripts/build.mjs'
import {
  actionFileRunning,
  actionFiles,
  scriptsRun
} from '../scripts/action-files.js'

/**
 * src/index.ts is the one list of entrypoints; the build, the action.yml files and the runner
 * find them from it. These tests hold the three to agreement.
 */
const root = join(fileURLToPath(new URL('.', import.meta.url)), '..')
const listed = entries()

describe('the list of entrypoints (src/index.ts)', () => {
  it('is what src/index.ts exports, each a function, each in its kebab-case folder', async () => {
    const index = (await import('../src/index.js')) as Record<string, unknown>
    expect(Object.values(listed).sort()).toEqual(Object.keys(index).sort())
    for (const fn of Object.values(listed))
      expect([fn, typeof index[fn]]).toEqual([fn, 'function'])
    expect(listed['gate-post']).toBe('gatePost')
  })

  it('reads exported constants too (an entrypoint loaded lazily is one)', () => {
    expect(
      entries(
        "export const lazyStep = () => import('./steps/x.js')\nexport { run as other } from './y.js'\n"
      )
    ).toEqual({'lazy-step': 'lazyStep', other: 'other'})
  })
})

describe('the action.yml files', () => {
  it('run only listed bundles, and each listed bundle from exactly one action.yml', () => {
    const run = actionFiles(root).flatMap(file =>
      scriptsRun(root, file).map(s => s.path)
    )
    expect(run.sort()).toEqual(
      Object.keys(listed)
        .map(entry => join('dist', entry, 'index.js'))
        .sort()
    )
  })

  it('give the runner each bundle’s inputs: the gate and its post from the root action.yml', () => {
    expect(actionFileRunning(root, 'gate').folder).toBe('')
    expect(actionFileRunning(root, 'gate-post').folder).toBe('')
    for (const entry of ['create', 'wait', 'update', 'close', 'report'])
      expect(actionFileRunning(root, entry).folder).toBe(entry)
    expect(() => actionFileRunning(root, 'nowhere')).toThrow(
      '0 action.yml files run dist/nowhere/index.js; expected one'
    )
  })
})

describe('dist/', () => {
  it('holds one folder per listed entrypoint, each running its function', () => {
    const folders = readdirSync(join(root, 'dist'), {withFileTypes: true})
      .filter(e => e.isDirectory())
      .map(e => e.name)
    expect(folders.sort()).toEqual(Object.keys(listed).sort())
    for (const [entry, fn] of Object.entries(listed)) {
      expect(readFileSync(join(root, 'dist', entry, 'index.js'), 'utf8')).toBe(
        `import { ${fn} } from '../index.js'\nawait ${fn}()\nprocess.exit()\n`
      )
    }
  })
})
