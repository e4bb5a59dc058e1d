import {afterAll, beforeAll, describe, expect, it} from '@jest/globals'
import {spawnSync} from 'node:child_process'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {runStep} from '../scripts/local-runner.js'
import {SEED_USERS} from '../src/simulator/seed.js'
import type {Simulator} from '../src/simulator/server.js'
import {withSimulator} from './helpers/sim.js'

/**
 * What a step does not use is not loaded (issue 17: the cold start). Node's own module debug log
 * (NODE_DEBUG=module,esm) names every file of dist/ a run loads: a step without a proxy that does
 * not call GitHub loads the shared bundle and the undici stand-in, never undici itself
 * (dist/undici-bundle.cjs) nor a chunk (dist/<n>.index.js: Octokit, glob).
 */
const root = join(fileURLToPath(new URL('.', import.meta.url)), '..')
const debug = {NODE_DEBUG: 'module,esm'}

/** The files directly under dist/ that a run's module debug log names, sorted. */
function loaded(stderr: string): string[] {
  return [
    ...new Set([...stderr.matchAll(/dist\/([\w.-]+\.c?js)\b/g)].map(m => m[1]!))
  ].sort()
}

let sim: Simulator
beforeAll(async () => {
  sim = await withSimulator()
})
afterAll(async () => {
  await sim.stop()
})

describe('a step loads only what it uses', () => {
  it('create and update, no proxy and no GitHub call: the shared bundle and the undici stand-in only', async () => {
    const connection = {
      instance_url: sim.url,
      username: SEED_USERS.integration.user_name,
      password: SEED_USERS.integration.password
    }
    const create = await runStep(
      'create',
      {
        ...connection,
        template: 'Deploy web application',
        correlation_id: 'load-on-first-use'
      },
      {env: debug}
    )
    expect(create.code).toBe(0)
    expect(loaded(create.stderr)).toEqual(['index.js', 'undici.cjs'])
    const update = await runStep(
      'update',
      {
        ...connection,
        change_sys_id: create.outputs.change_sys_id!,
        work_notes: 'loaded on first use'
      },
      {env: debug}
    )
    expect(update.code).toBe(0)
    expect(loaded(update.stderr)).toEqual(['index.js', 'undici.cjs'])
  }, 60_000)

  it('the undici stand-in loads undici on its first use, and offers what the bundle imports from it', () => {
    const run = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import {ProxyAgent, fetch} from './dist/undici.cjs'
const agent = new ProxyAgent('http://127.0.0.1:9')
console.log(agent.constructor.name, typeof agent.dispatch)
console.log(await (await fetch('data:,loaded')).text())
await agent.close()`
      ],
      {cwd: root, encoding: 'utf8', env: {...process.env, ...debug}}
    )
    expect(run.status).toBe(0)
    expect(run.stdout).toBe('ProxyAgent function\nloaded\n')
    expect(loaded(run.stderr)).toEqual(['undici-bundle.cjs', 'undici.cjs'])
  })
})
