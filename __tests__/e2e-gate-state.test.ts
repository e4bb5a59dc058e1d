import {afterAll, beforeAll, describe, expect, it} from '@jest/globals'
import type {Simulator} from '../src/simulator/server.js'
import {admin, withSimulator} from './helpers/sim.js'
import {errors, type StepRun} from '../scripts/local-runner.js'
import {suiteCounts} from './helpers/counts.js'
import {scannedSteps} from './helpers/scan.js'

/**
 * The gate's state (steps/gate-state.ts) through the runner's own channel, on the one path main
 * can stop at that e2e-gate does not take: main fails before it has a change. Post must load
 * "none" from what main left (nothing), say so, and write nothing.
 */
let sim: Simulator
const counts = suiteCounts('e2e-gate-state')
let runStep: ReturnType<typeof scannedSteps>
let connection: Record<string, string>
beforeAll(async () => {
  sim = await withSimulator({approval: {mode: 'auto', afterMs: 300}})
  runStep = scannedSteps(sim, counts)
  connection = {
    instance_url: sim.url,
    username: 'devops.integration',
    password: 'sn-integration-pw'
  }
})
afterAll(async () => {
  await sim.stop()
})

const changes = async (): Promise<number> =>
  ((await admin(sim, 'GET', '/changes')) as unknown[]).length

describe('the gate when main fails before it has a change', () => {
  let main: StepRun
  let post: StepRun
  let before = 0
  beforeAll(async () => {
    before = await changes()
    const inputs = {
      ...connection,
      assignment_group: 'DevOps Team',
      attachments: 'no-such-file-*.txt',
      correlation_id: 'gate-state-none'
    }
    main = await runStep('gate', inputs, {env: {GITHUB_RUN_ID: '9101'}})
    post = await runStep('gate-post', inputs, {
      env: {GITHUB_RUN_ID: '9101'},
      state: main.state
    })
  }, 30_000)

  it('main fails, names what is wrong, and saves nothing', () => {
    expect(main.code).toBe(1)
    expect(errors(main)).toEqual([
      expect.stringMatching(
        /^::error::attachments: 'no-such-file-\*\.txt' matches no file/
      )
    ])
    expect(main.state).toEqual({})
  })

  it('post finds no change, says so once, and succeeds', () => {
    expect({
      code: post.code,
      errors: errors(post),
      stderr: post.stderr
    }).toEqual({code: 0, errors: [], stderr: ''})
    expect(
      post.stdout
        .split('\n')
        .filter(l =>
          l.includes('The gate made no change request; nothing to close.')
        )
    ).toHaveLength(1)
  })

  it('no change request was made or written', async () => {
    expect(await changes()).toBe(before)
  })
})
