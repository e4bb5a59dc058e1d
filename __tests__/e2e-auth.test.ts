import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { errors } from '../src/local-runner.js'
import { SEED_OAUTH_CLIENT } from '../src/simulator/seed.js'
import type { Simulator } from '../src/simulator/server.js'
import { suiteCounts } from './helpers/counts.js'
import { scannedSteps } from './helpers/scan.js'
import { admin, withSimulator } from './helpers/sim.js'

/** Every sign-in method through the real bundles, each step scanned for leaked secrets. */
let sim: Simulator
const counts = suiteCounts('e2e-auth')
let runStep: ReturnType<typeof scannedSteps>
beforeAll(async () => {
  sim = await withSimulator()
  runStep = scannedSteps(sim, counts)
})
afterAll(() => sim.stop())

const oauthClient = { client_id: SEED_OAUTH_CLIENT.clientId, client_secret: SEED_OAUTH_CLIENT.clientSecret }

async function issuedToken(): Promise<string> {
  const response = await fetch(`${sim.url}/oauth_token.do`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...oauthClient, grant_type: 'client_credentials' }).toString()
  })
  return ((await response.json()) as { access_token: string }).access_token
}

describe.each([
  ['basic', async () => ({ username: 'devops.integration', password: 'sn-integration-pw' })],
  ['oauth_password', async () => ({ ...oauthClient, username: 'devops.integration', password: 'sn-integration-pw' })],
  ['oauth_client_credentials', async () => ({ ...oauthClient })],
  ['token', async () => ({ token: await issuedToken() })]
])('auth %s', (method, credentials) => {
  it('runs create → wait → close, leaking nothing', async () => {
    const connection = { instance_url: sim.url, ...(await credentials()) }
    const create = await runStep('create', { ...connection, template: 'Deploy web application', correlation_id: `auth-${method}` })
    expect(errors(create)).toEqual([])
    expect(create.stdout).toContain(`auth: ${method}`)
    const id = create.outputs.change_sys_id!
    const wait = await runStep('wait', { ...connection, change_sys_id: id, poll_interval_seconds: '5' })
    expect(wait.outputs.decision).toBe('approved')
    const close = await runStep('close', { ...connection, change_sys_id: id, result: 'success' })
    expect(close.outputs.state).toBe('closed')
  })
})

describe('OAuth token expiring mid-step', () => {
  it('renews with the refresh token, and masks the new tokens too', async () => {
    const connection = { instance_url: sim.url, ...oauthClient, username: 'devops.integration', password: 'sn-integration-pw' }
    const create = await runStep('create', { ...connection, template: 'Deploy web application', correlation_id: 'auth-expiry' })
    await admin(sim, 'POST', '/faults', { kind: 'expire-token', path: '/api/now/table/sysapproval_approver' })
    const wait = await runStep('wait', { ...connection, change_sys_id: create.outputs.change_sys_id!, poll_interval_seconds: '5' })
    expect(errors(wait)).toEqual([])
    expect(wait.outputs.decision).toBe('approved')
    const tokenCalls = sim.requests({ path: '/oauth_token.do' }).slice(-2)
    expect(tokenCalls.map((r) => r.status)).toEqual([200, 200])
  })
})
