// jest's globalTeardown: after jest has written coverage/coverage-final.json, prints src/'s line
// coverage with the child processes' merged in (scripts/coverage/report.ts). The floors are held
// only when the whole suite ran: a run of some test files covers what they cover.
import {spawnSync} from 'node:child_process'
import {join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..')

export default function teardown(globalConfig) {
  if (!globalConfig.collectCoverage || process.env.CHILD_COVERAGE === undefined)
    return
  const whole =
    globalConfig.testPathPattern === '' &&
    !globalConfig.testNamePattern &&
    !globalConfig.onlyChanged &&
    !globalConfig.findRelatedTests
  const tsx = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs')
  const report = spawnSync(
    process.execPath,
    [
      tsx,
      join(root, 'scripts', 'coverage', 'report.ts'),
      ...(whole ? ['--check'] : [])
    ],
    {cwd: root, stdio: 'inherit'}
  )
  // jest exits with this code once it is done, unless its tests already failed it.
  if (report.status !== 0) process.exitCode = 1
}
