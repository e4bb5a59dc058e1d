// Builds the release tree (only what a runner needs: the action.yml files, dist/ and the licence)
// and commits it as the next release: tag vX.Y.Z, and the major tag vX moved to it. A job that
// `uses:` the action downloads the archive of that tag, so what the tree weighs is paid on every
// run; the development files (sources, tests, lock file, README) stay on the main branch.
// Usage: tsx scripts/release.ts --version X.Y.Z [--dry-run]
//   --dry-run: build and check the tree and print its size; no commit, no tag.
// The release workflow pushes the tags; this script never talks to a remote.
import {execFileSync} from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  rmSync,
  statSync
} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join, relative, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {gzipSync} from 'node:zlib'
import {actionFiles, scriptsRun} from './action-files.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')

const VERSION = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/

function filesUnder(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap(e =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]
  )
}

/**
 * Copies the release files of `from` into `to` (emptied first) and checks that every main and post
 * script an action.yml names is inside the tree. Returns the tree's files, relative to it.
 */
export function buildReleaseTree(to: string, from = root): string[] {
  rmSync(to, {recursive: true, force: true})
  mkdirSync(to, {recursive: true})
  for (const {folder} of actionFiles(from)) {
    mkdirSync(join(to, folder), {recursive: true})
    cpSync(join(from, folder, 'action.yml'), join(to, folder, 'action.yml'))
  }
  cpSync(join(from, 'dist'), join(to, 'dist'), {recursive: true})
  cpSync(join(from, 'LICENSE'), join(to, 'LICENSE'))
  for (const file of actionFiles(to)) {
    for (const {script, path} of scriptsRun(to, file)) {
      if (path.startsWith('..') || !existsSync(join(to, path))) {
        throw new Error(
          `${join(file.folder, 'action.yml')} runs ${script}, which is not in the release tree`
        )
      }
    }
  }
  return filesUnder(to)
    .map(f => relative(to, f))
    .sort()
}

function git(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {...process.env, ...env},
    stdio: ['ignore', 'pipe', 'pipe']
  }).trim()
}

/** The gzipped size of the tree as GitHub serves a tag's archive (tar of the files), in bytes. */
export function archiveBytes(repo: string, commit: string): number {
  return gzipSync(
    execFileSync('git', ['archive', '--format=tar', commit], {
      cwd: repo,
      maxBuffer: 1 << 28
    })
  ).length
}

export interface Release {
  commit: string
  tag: string
  major: string
  parent?: string
}

/**
 * Commits `tree` to `repo` as release `version`, on a line of its own whose parent is the latest
 * earlier release (so the release line has its own history, and `main` is its source, named in the
 * message), tags it vX.Y.Z and moves the major tag. Refuses a malformed or existing version.
 */
export function commitRelease(
  repo: string,
  tree: string,
  version: string
): Release {
  if (!VERSION.test(version))
    throw new Error(
      `version ${JSON.stringify(version)} is not X.Y.Z (for example 1.2.0)`
    )
  const tag = `v${version}`
  const major = `v${version.split('.')[0]}`
  if (git(repo, ['tag', '--list', tag]) !== '')
    throw new Error(
      `${tag} already exists: releases are immutable, pick the next version`
    )
  const source = git(repo, ['rev-parse', 'HEAD'])
  const index = join(tmpdir(), `release-index-${process.pid}-${Date.now()}`)
  try {
    const env = {GIT_INDEX_FILE: index}
    git(repo, ['--work-tree', tree, 'add', '--all', '--force', '.'], env)
    const treeId = git(repo, ['write-tree'], env)
    const earlier = git(repo, ['tag', '--list', 'v*.*.*', '--sort=-v:refname'])
      .split('\n')
      .filter(Boolean)[0]
    const parent = earlier
      ? git(repo, ['rev-parse', `${earlier}^{commit}`])
      : undefined
    const message = `Release ${tag}\n\nBuilt from ${source}: the action.yml files, dist/ and LICENSE only.`
    const commit = git(repo, [
      'commit-tree',
      treeId,
      ...(parent ? ['-p', parent] : []),
      '-m',
      message
    ])
    git(repo, ['tag', '-a', tag, commit, '-m', `Release ${tag}`])
    git(repo, [
      'tag',
      '-f',
      '-a',
      major,
      commit,
      '-m',
      `Latest ${major} release: ${tag}`
    ])
    return {commit, tag, major, ...(parent ? {parent} : {})}
  } finally {
    rmSync(index, {force: true})
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--version')
  const version = at === -1 ? '' : (process.argv[at + 1] ?? '')
  const dryRun = process.argv.includes('--dry-run')
  try {
    if (!VERSION.test(version))
      throw new Error(
        `--version X.Y.Z is required (got ${JSON.stringify(version)})`
      )
    const tree = join(root, '.tmp', 'release')
    const files = buildReleaseTree(tree)
    const bytes = files.reduce(
      (sum, f) => sum + statSync(join(tree, f)).size,
      0
    )
    console.log(
      `release tree: ${files.length} files, ${(bytes / 1024).toFixed(1)} KiB: ${files.filter(f => !f.startsWith('dist/')).join(', ')}, dist/`
    )
    if (dryRun) {
      console.log(`dry run: v${version} not committed or tagged`)
    } else {
      const release = commitRelease(root, tree, version)
      console.log(
        `${release.tag} and ${release.major} → ${release.commit}; archive ${(archiveBytes(root, release.commit) / 1024).toFixed(1)} KiB gzipped`
      )
    }
  } catch (error) {
    console.error(
      `release: ${error instanceof Error ? error.message : String(error)}`
    )
    process.exit(1)
  }
}
