import {afterAll, beforeAll, describe, expect, it} from '@jest/globals'
import {errors, type StepRun} from '../scripts/local-runner.js'
import type {Simulator} from '../src/simulator/server.js'
import {counted, suiteCounts} from './helpers/counts.js'
import {scannedSteps} from './helpers/scan.js'
import {admin, withSimulator} from './helpers/sim.js'

/**
 * Connection settings set once for a job, under `env:` as SERVICENOW_<INPUT>, instead of in every
 * step; an input given to a step wins over the environment. Secrets from the environment are masked
 * and kept out of every log line like secret inputs (the scan runs with debug logging on).
 */
let sim: Simulator
let runStep: ReturnType<typeof scannedSteps>
const counts = suiteCounts('e2e-connection-env')
beforeAll(async () => {
  sim = await withSimulator({approval: {mode: 'auto', afterMs: 200}})
  runStep = scannedSteps(sim, counts)
})
afterAll(() => sim.stop())

const jobEnv = (): Record<string, string> => ({
  SERVICENOW_INSTANCE_URL: sim.url,
  SERVICENOW_USERNAME: 'devops.integration',
  SERVICENOW_PASSWORD: 'sn-integration-pw',
  SERVICENOW_REQUEST_TIMEOUT_SECONDS: '20'
})
function ok(run: StepRun): void {
  expect({code: run.code, errors: errors(run)}).toEqual({code: 0, errors: []})
}

describe('connection settings from the environment', () => {
  it(
    'runs create → wait → close with no connection input at all',
    counted(counts, 'steps run from the environment', async () => {
      const env = jobEnv()
      const create = await runStep(
        'create',
        {
          environment: 'production',
          assignment_group: 'DevOps Team',
          correlation_id: 'env-only'
        },
        {env}
      )
      ok(create)
      expect(create.stdout).toContain('::add-mask::sn-integration-pw')
      expect(create.stdout).toMatch(
        /::debug::instance_url: http:\/\/127\.0\.0\.1:\d+; auth: basic; request timeout: 20000 ms/
      )
      const ref = {change_sys_id: create.outputs.change_sys_id!}
      ok(
        await runStep(
          'wait',
          {...ref, poll_interval_seconds: '5', timeout_minutes: '1'},
          {env}
        )
      )
      ok(await runStep('close', {...ref, result: 'success'}, {env}))
      expect(
        await admin(sim, 'GET', `/changes/${create.outputs.change_number}`)
      ).toMatchObject({state: '3', close_code: 'successful'})
      return 3
    }),
    120_000
  )

  it('lets an input win over the environment', async () => {
    // The environment points at nothing and carries a wrong password; the inputs are right.
    const env = {
      ...jobEnv(),
      SERVICENOW_INSTANCE_URL: 'http://127.0.0.1:9',
      SERVICENOW_PASSWORD: 'wrong-password-in-env'
    }
    const create = await runStep(
      'create',
      {
        instance_url: sim.url,
        password: 'sn-integration-pw',
        environment: 'production',
        assignment_group: 'DevOps Team',
        correlation_id: 'env-input-wins'
      },
      {env}
    )
    ok(create)
    expect(sim.requests().filter(r => r.status === 401)).toEqual([])
  }, 60_000)

  it('says where instance_url may come from when neither gives it', async () => {
    const create = await runStep('create', {
      username: 'devops.integration',
      password: 'sn-integration-pw',
      environment: 'production'
    })
    expect(create.code).toBe(1)
    expect(errors(create)).toEqual([
      "::error::instance_url is empty. Give the instance's address, e.g. https://acme.service-now.com, or its name, e.g. acme, as the input or as SERVICENOW_INSTANCE_URL in the job's env."
    ])
  }, 60_000)

  it('reads the numeric settings from the environment with the same checks', async () => {
    const create = await runStep(
      'create',
      {environment: 'production'},
      {env: {...jobEnv(), SERVICENOW_MAX_ATTEMPTS: '99'}}
    )
    expect(create.code).toBe(1)
    expect(errors(create)).toEqual([
      "::error::Invalid max_attempts '99': must be from 1 to 10."
    ])
  }, 60_000)
})
