// jest's globalSetup. With coverage on, the end-to-end tests' child processes are measured too:
// this builds the copy of the bundles they then run (source-mapped, never dist/) and names the
// folder in CHILD_COVERAGE, which the test workers and their children inherit. The local runner
// runs that copy with NODE_V8_COVERAGE=$CHILD_COVERAGE/v8; teardown.mjs reports.
import {mkdir, rm} from 'node:fs/promises'
import {join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..')

export default async function setup(globalConfig) {
  if (!globalConfig.collectCoverage) return
  const dir = join(root, '.tmp', 'coverage')
  await rm(dir, {recursive: true, force: true})
  // Imported here: jest require()s this file, and build.mjs's command line awaits at top level.
  const {build} = await import('../build.mjs')
  await build(join(dir, 'dist'), {forCoverage: true})
  await mkdir(join(dir, 'v8'), {recursive: true})
  process.env.CHILD_COVERAGE = dir
}
