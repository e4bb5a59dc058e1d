import {
  afterAll,
  afterEach,
  beforeAll,
  describe,
  expect,
  it
} from '@jest/globals'
import {request} from 'node:http'
import type {Simulator} from '../src/simulator/server.js'
import {SEED_OAUTH_CLIENT} from '../src/simulator/seed.js'
import {admin, raw, withSimulator} from './helpers/sim.js'

let sim: Simulator
beforeAll(async () => {
  sim = await withSimulator()
})
afterAll(() => sim.stop())
afterEach(async () => {
  await admin(sim, 'DELETE', '/faults')
  await admin(sim, 'PATCH', '/config', {
    latencyMs: 0,
    hibernating: false,
    rateLimit: null,
    tokenLifetimeSeconds: 1800,
    clientCredentials: true
  })
})

const token = (
  form: Record<string, string>,
  contentType = 'application/x-www-form-urlencoded'
): Promise<{status: number; json(): Promise<any>}> =>
  fetch(`${sim.url}/oauth_token.do`, {
    method: 'POST',
    headers: {'Content-Type': contentType},
    body: new URLSearchParams(form).toString()
  })
const client = {
  client_id: SEED_OAUTH_CLIENT.clientId,
  client_secret: SEED_OAUTH_CLIENT.clientSecret
}

describe('OAuth', () => {
  it('issues access and refresh tokens for the password grant; the access token works until it expires', async () => {
    const answer = await (
      await token({
        ...client,
        grant_type: 'password',
        username: 'devops.integration',
        password: 'sn-integration-pw'
      })
    ).json()
    expect(answer).toEqual({
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      scope: 'useraccount',
      token_type: 'Bearer',
      expires_in: 1799
    })
    const bearer = `Bearer ${answer.access_token}`
    expect(
      (
        await raw(sim, 'GET', '/api/now/table/change_request?sysparm_limit=1', {
          auth: bearer
        })
      ).status
    ).toBe(200)
    await admin(sim, 'POST', '/tokens/expire')
    expect(
      (
        await raw(sim, 'GET', '/api/now/table/change_request?sysparm_limit=1', {
          auth: bearer
        })
      ).status
    ).toBe(401)
    const refreshed = await (
      await token({
        ...client,
        grant_type: 'refresh_token',
        refresh_token: answer.refresh_token
      })
    ).json()
    expect(
      (
        await raw(sim, 'GET', '/api/now/table/change_request?sysparm_limit=1', {
          auth: `Bearer ${refreshed.access_token}`
        })
      ).status
    ).toBe(200)
  })

  it('answers wrong credentials with the OAuth error shape, and only takes forms', async () => {
    const wrong = await token({
      ...client,
      grant_type: 'password',
      username: 'devops.integration',
      password: 'x'
    })
    expect(wrong.status).toBe(401)
    expect(await wrong.json()).toEqual({
      error_description: 'access_denied',
      error: 'server_error'
    })
    const json = await fetch(`${sim.url}/oauth_token.do`, {
      method: 'POST',
      headers: {'Content-Type': 'application/json'},
      body: '{}'
    })
    expect(json.status).toBe(400)
  })

  it('honours the client credentials switch and the token lifetime', async () => {
    await admin(sim, 'PATCH', '/config', {tokenLifetimeSeconds: 60})
    expect(
      (
        await (
          await token({...client, grant_type: 'client_credentials'})
        ).json()
      ).expires_in
    ).toBe(59)
    await admin(sim, 'PATCH', '/config', {clientCredentials: false})
    expect(
      (await token({...client, grant_type: 'client_credentials'})).status
    ).toBe(401)
  })
})

describe('faults', () => {
  const get = () => raw(sim, 'GET', '/api/now/table/cmdb_ci?sysparm_limit=1')

  it('fails the next K matching requests with a status, then recovers', async () => {
    await admin(sim, 'POST', '/faults', {
      kind: 'status',
      status: 503,
      path: '/api/now/table/cmdb_ci',
      times: 2
    })
    expect((await get()).status).toBe(503)
    expect((await get()).status).toBe(503)
    expect((await get()).status).toBe(200)
  })

  it('can answer as a proxy would, with an HTML page, and send Retry-After', async () => {
    await admin(sim, 'POST', '/faults', {
      kind: 'status',
      status: 502,
      htmlBody: true
    })
    const r = await get()
    expect(r.status).toBe(502)
    expect(r.text).toMatch(/^<html>/)
    await admin(sim, 'POST', '/faults', {
      kind: 'status',
      status: 429,
      retryAfterSeconds: 3
    })
    expect((await get()).headers.get('retry-after')).toBe('3')
  })

  it('hibernates: 200 with an HTML page, everywhere', async () => {
    await admin(sim, 'PATCH', '/config', {hibernating: true})
    const r = await get()
    expect(r.status).toBe(200)
    expect(r.headers.get('content-type')).toBe('text/html')
    expect(r.text).toMatch(/hibernating/)
  })

  it('drops the connection, truncates a body, or hangs', async () => {
    await admin(sim, 'POST', '/faults', {kind: 'drop'})
    await expect(get()).rejects.toThrow()
    await admin(sim, 'POST', '/faults', {kind: 'truncate'})
    const cut = await get()
    expect(() => JSON.parse(cut.text)).toThrow()
    await admin(sim, 'POST', '/faults', {kind: 'hang'})
    await expect(
      new Promise((resolve, reject) => {
        const req = request(
          `${sim.url}/api/now/table/cmdb_ci`,
          {timeout: 200},
          resolve
        )
        req.on('timeout', () => req.destroy(new Error('no answer')))
        req.on('error', reject)
        req.end()
      })
    ).rejects.toThrow('no answer')
  })

  it("'after' lets the write land and then loses the answer", async () => {
    await admin(sim, 'POST', '/faults', {
      kind: 'drop',
      method: 'POST',
      path: '/api/now/table/change_request',
      when: 'after'
    })
    await expect(
      raw(sim, 'POST', '/api/now/table/change_request', {
        body: {short_description: 'lost answer', correlation_id: 'lost-1'}
      })
    ).rejects.toThrow()
    const found = await raw(
      sim,
      'GET',
      '/api/now/table/change_request?sysparm_query=correlation_id=lost-1'
    )
    expect(found.json.result).toHaveLength(1)
  })

  it('adds latency', async () => {
    await admin(sim, 'PATCH', '/config', {latencyMs: 150})
    const started = Date.now()
    await get()
    expect(Date.now() - started).toBeGreaterThanOrEqual(140)
  })

  it('logs every API request with method, path, status and the client it came from', async () => {
    await admin(sim, 'DELETE', '/requests')
    await raw(sim, 'GET', '/api/now/table/cmdb_ci?sysparm_limit=1', {
      headers: {'User-Agent': 'servicenow-change bench/7/wait'}
    })
    const log = await admin(sim, 'GET', '/requests')
    expect(log).toEqual([
      {
        method: 'GET',
        path: '/api/now/table/cmdb_ci?sysparm_limit=1',
        status: 200,
        ms: expect.any(Number),
        bytes: expect.any(Number),
        user: 'devops.integration',
        agent: 'servicenow-change bench/7/wait',
        at: expect.any(Number)
      }
    ])
    expect(log[0].bytes).toBeGreaterThan(50)
  })
})

describe('rate limit', () => {
  it('answers 429 with Retry-After and X-RateLimit-* past N requests per window, per user', async () => {
    await admin(sim, 'PATCH', '/config', {
      rateLimit: {limit: 2, windowMs: 3_600_000}
    })
    const get = () => raw(sim, 'GET', '/api/now/table/cmdb_ci?sysparm_limit=1')
    // Every answer to a request that matches the rule carries its headers, not only a 429.
    const allowed = [await get(), await get()]
    const nextHour = Math.ceil((Date.now() + 1) / 3_600_000) * 3600
    for (const answer of allowed) {
      expect(answer.status).toBe(200)
      expect(answer.headers.get('x-ratelimit-limit')).toBe('2')
      expect(Number(answer.headers.get('x-ratelimit-reset'))).toBe(nextHour)
      expect(answer.headers.get('x-ratelimit-rule')).toMatch(/^[0-9a-f]{32}$/)
      expect(answer.headers.get('retry-after')).toBeNull()
    }
    const denied = await get()
    expect(denied.status).toBe(429)
    expect(denied.json.error).toEqual({
      message: 'Rate limit exceeded',
      detail: 'Rate limit of 2 requests per hour for Table API exceeded'
    })
    // The window resets on the hour, not an hour after the first request: Retry-After runs to it.
    expect(Number(denied.headers.get('retry-after'))).toBe(
      Math.max(1, Math.ceil(nextHour - Date.now() / 1000))
    )
    expect(denied.headers.get('x-ratelimit-limit')).toBe('2')
    expect(Number(denied.headers.get('x-ratelimit-reset'))).toBe(nextHour)
    expect(denied.headers.get('x-ratelimit-rule')).toMatch(/^[0-9a-f]{32}$/)
    // Another user has a window of their own.
    expect(
      (
        await raw(sim, 'GET', '/api/now/table/cmdb_ci?sysparm_limit=1', {
          auth: `Basic ${Buffer.from('admin:admin').toString('base64')}`
        })
      ).status
    ).toBe(200)
  })
})

describe('attachments', () => {
  it('stores a raw upload, lists and serves it, and enforces the size limit', async () => {
    const change = (
      await raw(sim, 'POST', '/api/now/table/change_request', {
        body: {short_description: 'with files'}
      })
    ).json.result
    const path = `/api/now/attachment/file?table_name=change_request&table_sys_id=${change.sys_id}&file_name=report.xml`
    const up = await raw(sim, 'POST', path, {
      body: '<testsuite tests="3"/>',
      headers: {'Content-Type': 'application/xml'}
    })
    expect(up.status).toBe(201)
    expect(up.json.result).toMatchObject({
      file_name: 'report.xml',
      size_bytes: '22',
      table_sys_id: change.sys_id,
      content_type: 'application/xml'
    })
    const file = await fetch(up.json.result.download_link, {
      headers: {
        Accept: '*/*',
        Authorization: `Basic ${Buffer.from('devops.integration:sn-integration-pw').toString('base64')}`
      }
    })
    expect(await file.text()).toBe('<testsuite tests="3"/>')

    await admin(sim, 'PATCH', '/config', {attachmentMaxBytes: 10})
    const big = await raw(sim, 'POST', path, {
      body: 'x'.repeat(11),
      headers: {'Content-Type': 'text/plain'}
    })
    expect(big.status).toBe(400)
    expect(big.json.error.message).toMatch(/maximum file size/)
    await admin(sim, 'PATCH', '/config', {attachmentMaxBytes: 5 * 1024 * 1024})

    const missing = await raw(
      sim,
      'POST',
      `/api/now/attachment/file?table_name=change_request&table_sys_id=${'0'.repeat(32)}&file_name=a`,
      {body: 'x', headers: {'Content-Type': 'text/plain'}}
    )
    expect(missing.status).toBe(404)
    const noName = await raw(
      sim,
      'POST',
      `/api/now/attachment/file?table_name=change_request&table_sys_id=${change.sys_id}`,
      {body: 'x', headers: {'Content-Type': 'text/plain'}}
    )
    expect([noName.status, noName.json.error.message]).toEqual([
      400,
      'Missing parameter: file_name'
    ])
  })
})
