import {afterAll, beforeAll, describe, expect, it} from '@jest/globals'
import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {errors} from '../scripts/local-runner.js'
import type {Simulator} from '../src/simulator/server.js'
import {
  archiveBytes,
  buildReleaseTree,
  commitRelease
} from '../scripts/release.js'
import {add, suiteCounts} from './helpers/counts.js'
import {scannedSteps} from './helpers/scan.js'
import {admin, withSimulator} from './helpers/sim.js'

/**
 * The release workflow's dry run, on this machine: the release tree holds only what a runner
 * needs, the bundles run from it as a runner runs them, and the commit and tags it makes form a
 * release line of their own.
 */
const root = join(fileURLToPath(new URL('.', import.meta.url)), '..')
const work = mkdtempSync(join(tmpdir(), 'release-test-'))
const tree = join(work, 'tree')
const counts = suiteCounts('release')
let files: string[]
let sim: Simulator

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', args, {cwd, encoding: 'utf8'}).trim()

beforeAll(async () => {
  files = buildReleaseTree(tree, root)
  sim = await withSimulator({approval: {mode: 'auto', afterMs: 200}})
})
afterAll(async () => {
  await sim.stop()
  rmSync(work, {recursive: true, force: true})
})

describe('the release tree', () => {
  it('holds the action.yml files, dist/ and the licence, nothing else', () => {
    const outside = files.filter(f => !f.startsWith('dist/'))
    expect(outside).toEqual([
      'LICENSE',
      'action.yml',
      'close/action.yml',
      'create/action.yml',
      'report/action.yml',
      'sync/action.yml',
      'update/action.yml',
      'wait/action.yml'
    ])
    expect(files).toContain('dist/index.js')
    expect(files).toContain('dist/package.json')
    expect(
      files.some(f =>
        /^(src|__tests__|node_modules)\/|README|package-lock/.test(f)
      )
    ).toBe(false)
  })

  it('runs create → wait → close from the tree, as a runner that downloaded the tag would', async () => {
    const runStep = scannedSteps(sim, counts)
    const connection = {
      instance_url: sim.url,
      username: 'devops.integration',
      password: 'sn-integration-pw'
    }
    const create = await runStep(
      'create',
      {
        ...connection,
        environment: 'production',
        assignment_group: 'DevOps Team',
        correlation_id: 'release-tree-test'
      },
      {root: tree}
    )
    expect([create.code, errors(create)]).toEqual([0, []])
    const ref = {...connection, change_sys_id: create.outputs.change_sys_id!}
    const wait = await runStep(
      'wait',
      {...ref, poll_interval_seconds: '5', timeout_minutes: '1'},
      {root: tree}
    )
    expect([wait.code, wait.outputs.decision]).toEqual([0, 'approved'])
    const close = await runStep(
      'close',
      {...ref, result: 'success'},
      {root: tree}
    )
    expect([close.code, close.outputs.state]).toEqual([0, 'closed'])
    const record = await admin(
      sim,
      'GET',
      `/changes/${create.outputs.change_number}`
    )
    expect([record.state, record.close_code]).toEqual(['3', 'successful'])
  }, 120_000)

  it('refuses to build when an action.yml runs a script the tree does not have', () => {
    const broken = join(work, 'broken')
    buildReleaseTree(broken, root)
    writeFileSync(
      join(broken, 'wait', 'action.yml'),
      "name: x\ndescription: x\nruns:\n  using: node24\n  main: '../dist/nowhere/index.js'\n"
    )
    expect(() => buildReleaseTree(join(work, 'again'), broken)).toThrow(
      'wait/action.yml runs ../dist/nowhere/index.js, which is not in the release tree'
    )
  })
})

describe('the release commit and tags', () => {
  const repo = join(work, 'repo')
  beforeAll(() => {
    execFileSync('git', ['init', '-q', repo])
    git(repo, 'config', 'user.email', 'release@example.invalid')
    git(repo, 'config', 'user.name', 'Release test')
    writeFileSync(join(repo, 'README.md'), 'development tree\n')
    git(repo, 'add', '.')
    git(repo, 'commit', '-qm', 'main')
  })

  it('tags vX.Y.Z and moves vX to a commit holding only the tree', () => {
    const first = commitRelease(repo, tree, '1.0.0')
    expect([first.tag, first.major, first.parent]).toEqual([
      'v1.0.0',
      'v1',
      undefined
    ])
    expect(
      git(repo, 'ls-tree', '-r', '--name-only', 'v1.0.0').split('\n')
    ).toEqual(files)
    expect(git(repo, 'rev-parse', 'v1^{commit}')).toBe(first.commit)
    expect(git(repo, 'log', '-1', '--format=%B', first.commit)).toContain(
      `Built from ${git(repo, 'rev-parse', 'HEAD')}`
    )
    // The development branch is untouched.
    expect(git(repo, 'ls-tree', '--name-only', 'HEAD')).toBe('README.md')
  })

  it('continues the release line and moves the major tag on the next version', () => {
    const before = git(repo, 'rev-parse', 'v1.0.0^{commit}')
    const next = commitRelease(repo, tree, '1.1.0')
    expect(next.parent).toBe(before)
    expect(git(repo, 'rev-parse', 'v1^{commit}')).toBe(next.commit)
    expect(git(repo, 'rev-parse', 'v1.0.0^{commit}')).toBe(before)
  })

  it('refuses an existing version and a malformed one', () => {
    expect(() => commitRelease(repo, tree, '1.1.0')).toThrow(
      'v1.1.0 already exists: releases are immutable, pick the next version'
    )
    expect(() => commitRelease(repo, tree, '1.2')).toThrow(
      'version "1.2" is not X.Y.Z (for example 1.2.0)'
    )
    expect(() => commitRelease(repo, tree, 'v1.2.0')).toThrow('is not X.Y.Z')
  })

  it('makes the archive a job downloads smaller than the whole repository', () => {
    const release = archiveBytes(repo, 'v1')
    const whole = archiveBytes(root, 'HEAD')
    add(counts, 'release archive bytes (gzipped)', release)
    add(counts, 'repository archive bytes (gzipped)', whole)
    expect(release).toBeLessThan(whole * 0.75)
  })
})
