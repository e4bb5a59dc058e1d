import {afterAll, beforeAll, describe, expect, it} from '@jest/globals'
import {errors} from '../scripts/local-runner.js'
import {SEED_API_KEY, SEED_OAUTH_CLIENT} from '../src/simulator/seed.js'
import type {Simulator} from '../src/simulator/server.js'
import {suiteCounts} from './helpers/counts.js'
import {scannedSteps} from './helpers/scan.js'
import {admin, raw, withSimulator} from './helpers/sim.js'

/** Every sign-in method through the real bundles, each step scanned for leaked secrets. */
let sim: Simulator
const counts = suiteCounts('e2e-auth')
let runStep: ReturnType<typeof scannedSteps>
beforeAll(async () => {
  sim = await withSimulator()
  runStep = scannedSteps(sim, counts)
})
afterAll(() => sim.stop())

const oauthClient = {
  client_id: SEED_OAUTH_CLIENT.clientId,
  client_secret: SEED_OAUTH_CLIENT.clientSecret
}

async function issuedToken(): Promise<string> {
  const response = await fetch(`${sim.url}/oauth_token.do`, {
    method: 'POST',
    headers: {'Content-Type': 'application/x-www-form-urlencoded'},
    body: new URLSearchParams({
      ...oauthClient,
      grant_type: 'client_credentials'
    }).toString()
  })
  return ((await response.json()) as {access_token: string}).access_token
}

describe.each([
  [
    'basic',
    async () => ({
      username: 'devops.integration',
      password: 'sn-integration-pw'
    })
  ],
  [
    'oauth_password',
    async () => ({
      ...oauthClient,
      username: 'devops.integration',
      password: 'sn-integration-pw'
    })
  ],
  ['oauth_client_credentials', async () => ({...oauthClient})],
  ['token', async () => ({token: await issuedToken()})],
  ['api_key', async () => ({api_key: SEED_API_KEY.key})]
])('auth %s', (method, credentials) => {
  it('runs create → wait → close, leaking nothing', async () => {
    const connection = {instance_url: sim.url, ...(await credentials())}
    const create = await runStep('create', {
      ...connection,
      template: 'Deploy web application',
      correlation_id: `auth-${method}`
    })
    expect(errors(create)).toEqual([])
    expect(create.stdout).toContain(`auth: ${method}`)
    const id = create.outputs.change_sys_id!
    const wait = await runStep('wait', {
      ...connection,
      change_sys_id: id,
      poll_interval_seconds: '5'
    })
    expect(wait.outputs.decision).toBe('approved')
    const close = await runStep('close', {
      ...connection,
      change_sys_id: id,
      result: 'success'
    })
    expect(close.outputs.state).toBe('closed')
  })
})

describe('OAuth token expiring mid-step', () => {
  it('renews with the refresh token, and masks the new tokens too', async () => {
    const connection = {
      instance_url: sim.url,
      ...oauthClient,
      username: 'devops.integration',
      password: 'sn-integration-pw'
    }
    const create = await runStep('create', {
      ...connection,
      template: 'Deploy web application',
      correlation_id: 'auth-expiry'
    })
    await admin(sim, 'POST', '/faults', {
      kind: 'expire-token',
      path: '/api/now/table/sysapproval_approver'
    })
    const wait = await runStep('wait', {
      ...connection,
      change_sys_id: create.outputs.change_sys_id!,
      poll_interval_seconds: '5'
    })
    expect(errors(wait)).toEqual([])
    expect(wait.outputs.decision).toBe('approved')
    const tokenCalls = sim.requests({path: '/oauth_token.do'}).slice(-2)
    expect(tokenCalls.map(r => r.status)).toEqual([200, 200])
  })
})

describe('REST API keys (x-sn-apikey)', () => {
  it("the simulator signs the key's user in from the x-sn-apikey header, and refuses a wrong key with the usual 401", async () => {
    const good = await raw(
      sim,
      'GET',
      '/api/now/table/change_request?sysparm_limit=1',
      {auth: '', headers: {'x-sn-apikey': SEED_API_KEY.key}}
    )
    expect(good.status).toBe(200)
    const wrong = await raw(
      sim,
      'GET',
      '/api/now/table/change_request?sysparm_limit=1',
      {auth: '', headers: {'x-sn-apikey': 'not-a-key'}}
    )
    expect([wrong.status, wrong.json]).toEqual([
      401,
      {
        error: {
          message: 'User Not Authenticated',
          detail: 'Required to provide Auth information'
        },
        status: 'failure'
      }
    ])
    // A key is not a bearer token.
    expect(
      (
        await raw(sim, 'GET', '/api/now/table/change_request?sysparm_limit=1', {
          auth: `Bearer ${SEED_API_KEY.key}`
        })
      ).status
    ).toBe(401)
  })

  it('a wrong key fails the step with one line saying what to check on the instance, and is never shown', async () => {
    const before = sim.requests().length
    const run = await runStep('create', {
      instance_url: sim.url,
      api_key: 'wrong-key-7d1e',
      template: 'Deploy web application',
      correlation_id: 'auth-api-key-wrong'
    })
    expect(run.code).toBe(1)
    expect(errors(run)).toEqual([
      expect.stringMatching(
        /refused the credentials \(401 User Not Authenticated\)\. Check that the REST API key is active, .*REST API Access Policy .*x-sn-apikey/
      )
    ])
    // One try: a refused key is not renewed or retried.
    expect(
      sim
        .requests()
        .slice(before)
        .map(r => r.status)
    ).toEqual([401])
  })

  it('the key passed as token goes out as a bearer and is refused: api_key is the input for it', async () => {
    const run = await runStep('create', {
      instance_url: sim.url,
      token: SEED_API_KEY.key,
      template: 'Deploy web application',
      correlation_id: 'auth-api-key-as-token'
    })
    expect(run.code).toBe(1)
    expect(errors(run)).toEqual([
      expect.stringMatching(/refused the credentials \(401/)
    ])
  })

  it('api_key beside another credential is refused before any request', async () => {
    const before = sim.requests().length
    const run = await runStep('create', {
      instance_url: sim.url,
      api_key: SEED_API_KEY.key,
      username: 'devops.integration',
      password: 'sn-integration-pw'
    })
    expect(errors(run)).toEqual([
      expect.stringMatching(
        /Conflicting credentials: auth 'api_key' does not use username, password/
      )
    ])
    expect(sim.requests().length).toBe(before)
  })
})
