import {describe, expect, it} from '@jest/globals'
import nock from 'nock'
import {useNock} from './helpers/nock.js'
import {Connection} from '../src/servicenow/connection.js'
import {ServiceNowError} from '../src/servicenow/errors.js'
import {FakeClock} from './helpers/clock.js'

const BASE = 'https://acme.service-now.com'

function connection(
  extra: Partial<ConstructorParameters<typeof Connection>[0]> = {}
): {conn: Connection; clock: FakeClock; masked: string[]} {
  const clock = new FakeClock()
  const masked: string[] = []
  const conn = new Connection({
    baseUrl: BASE,
    auth: {method: 'basic', username: 'svc', password: 'pa:ss'},
    clock,
    random: () => 0.5,
    mask: s => masked.push(s),
    ...extra
  })
  return {conn, clock, masked}
}

/** nock 15 delivers only Error instances to the request; plain objects never arrive. */
function netError(code: string, message: string): Error {
  return Object.assign(new Error(message), {code})
}

async function failure(promise: Promise<unknown>): Promise<ServiceNowError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof ServiceNowError) return error
    throw error
  }
  throw new Error('expected a ServiceNowError')
}

useNock()

describe('request building', () => {
  it('sends Accept, Content-Type, the Basic header and the query, and parses the result', async () => {
    const {conn, masked} = connection()
    const basic = Buffer.from('svc:pa:ss').toString('base64')
    nock(BASE, {
      reqheaders: {
        accept: 'application/json',
        'content-type': 'application/json',
        authorization: `Basic ${basic}`
      }
    })
      .post('/api/now/table/change_request', {short_description: 'x'})
      .query({sysparm_fields: 'sys_id,number'})
      .reply(201, {result: {sys_id: 'a', number: 'CHG1'}})
    const response = await conn.request({
      method: 'POST',
      path: '/api/now/table/change_request',
      query: {sysparm_fields: 'sys_id,number', sysparm_limit: undefined},
      json: {short_description: 'x'}
    })
    expect(response.status).toBe(201)
    expect(response.body).toEqual({result: {sys_id: 'a', number: 'CHG1'}})
    // The password and the derived base64 are both registered as secrets.
    expect(masked).toEqual(['pa:ss', basic])
  })

  it('never writes headers or bodies into its log lines', async () => {
    const lines: string[] = []
    const {conn} = connection({log: l => lines.push(l)})
    nock(BASE).get('/api/now/table/incident').reply(200, {result: []})
    await conn.request({method: 'GET', path: '/api/now/table/incident'})
    expect(lines).toEqual([
      expect.stringMatching(
        /^GET \/api\/now\/table\/incident → 200 \(\d+ ms\)$/
      )
    ])
    expect(lines.join('\n')).not.toContain(
      Buffer.from('svc:pa:ss').toString('base64')
    )
  })
})

describe('errors', () => {
  it('carries status, ServiceNow message and detail, method and path', async () => {
    const {conn} = connection()
    nock(BASE)
      .patch('/api/now/table/change_request/abc')
      .reply(403, {
        error: {
          message: 'Operation Failed',
          detail: 'ACL Exception Update Failed due to security constraints'
        },
        status: 'failure'
      })
    const error = await failure(
      conn.request({
        method: 'PATCH',
        path: '/api/now/table/change_request/abc',
        json: {}
      })
    )
    expect(error).toMatchObject({
      kind: 'http',
      status: 403,
      method: 'PATCH',
      path: '/api/now/table/change_request/abc',
      serviceNowMessage: 'Operation Failed',
      detail: 'ACL Exception Update Failed due to security constraints'
    })
    expect(error.message).toBe(
      'ServiceNow PATCH /api/now/table/change_request/abc failed 403: Operation Failed: ACL Exception Update Failed due to security constraints'
    )
  })

  it('reads the data policy message as the instance writes it', async () => {
    const {conn} = connection()
    nock(BASE)
      .patch('/api/now/table/change_request/abc')
      .reply(403, {
        error: {
          message:
            'Data Policy Exception: \n\tThe following fields are mandatory: Close code, Close notes',
          detail: null
        },
        status: 'failure'
      })
    const error = await failure(
      conn.request({
        method: 'PATCH',
        path: '/api/now/table/change_request/abc',
        json: {}
      })
    )
    expect(error.serviceNowMessage).toContain(
      'The following fields are mandatory: Close code, Close notes'
    )
    expect(error.detail).toBeUndefined()
  })

  it('explains a 200 HTML page (hibernating instance) instead of failing to parse it', async () => {
    const {conn} = connection()
    nock(BASE)
      .get('/api/now/table/change_request')
      .times(5)
      .reply(
        200,
        '<html><head><title>Instance Hibernating page</title></head></html>',
        {'Content-Type': 'text/html'}
      )
    const error = await failure(
      conn.request({method: 'GET', path: '/api/now/table/change_request'})
    )
    expect(error.kind).toBe('invalid-response')
    expect(error.attempts).toBe(5)
    expect(error.message).toMatch(/HTML page instead of JSON/)
    expect(error.message).toMatch(/hibernating developer instance/)
    expect(error.message).not.toMatch(/Unexpected token/)
  })

  it('names a proxy HTML error page by its title', async () => {
    const {conn} = connection({retry: {maxAttempts: 1}})
    nock(BASE)
      .get('/api/now/table/x')
      .reply(
        502,
        '<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>'
      )
    const error = await failure(
      conn.request({method: 'GET', path: '/api/now/table/x'})
    )
    expect(error.status).toBe(502)
    expect(error.message).toMatch(
      /HTML error page \("502 Bad Gateway"\), likely from a proxy/
    )
  })

  it('reads the OAuth endpoint error shape', async () => {
    const {conn} = connection()
    nock(BASE)
      .post('/oauth_token.do')
      .reply(401, {error_description: 'access_denied', error: 'server_error'})
    const error = await failure(
      conn.request({
        method: 'POST',
        path: '/oauth_token.do',
        form: {grant_type: 'password'},
        authenticated: false
      })
    )
    expect(error.status).toBe(401)
    expect(error.serviceNowMessage).toBe('access_denied')
  })

  it('treats a redirect as a login page, not data', async () => {
    const {conn} = connection()
    nock(BASE).get('/api/now/table/x').reply(302, '', {
      Location: 'https://sso.example.com/login?SAMLRequest=abc'
    })
    const error = await failure(
      conn.request({method: 'GET', path: '/api/now/table/x'})
    )
    expect(error.message).toMatch(
      /redirected to https:\/\/sso\.example\.com\/login:/
    )
    expect(error.message).not.toContain('SAMLRequest')
  })
})

describe('retries', () => {
  it.each([502, 503, 504])(
    'retries an idempotent GET on %i with growing backoff, then succeeds',
    async status => {
      const {conn, clock} = connection()
      nock(BASE)
        .get('/api/now/table/x')
        .times(2)
        .reply(status, {error: {message: 'down'}})
        .get('/api/now/table/x')
        .reply(200, {result: []})
      await expect(
        conn.request({method: 'GET', path: '/api/now/table/x'})
      ).resolves.toMatchObject({status: 200})
      // Equal jitter with random()=0.5: 3/4 of 1 s, then of 2 s.
      expect(clock.sleeps).toEqual([750, 1500])
    }
  )

  it('gives up after max attempts and says how many it made', async () => {
    const {conn, clock} = connection({retry: {maxAttempts: 3}})
    nock(BASE)
      .get('/api/now/table/x')
      .times(3)
      .reply(503, {error: {message: 'Service Unavailable'}})
    const error = await failure(
      conn.request({method: 'GET', path: '/api/now/table/x'})
    )
    expect(error.status).toBe(503)
    expect(error.attempts).toBe(3)
    expect(error.message).toMatch(/gave up after 3 attempts/)
    expect(clock.sleeps).toHaveLength(2)
  })

  it('honours Retry-After on 429', async () => {
    const {conn, clock} = connection()
    nock(BASE)
      .get('/api/now/table/change_request')
      .reply(
        429,
        {error: {message: 'Rate limit exceeded'}},
        {'Retry-After': '7'}
      )
      .get('/api/now/table/change_request')
      .reply(200, {result: []})
    await conn.request({method: 'GET', path: '/api/now/table/change_request'})
    // Retry-After, plus up to as long again (random() is 0.5 here) so a herd does not return together.
    expect(clock.sleeps).toEqual([10_500])
  })

  it('waits out rate limits that say when to come back without using up max_attempts, within a time budget', async () => {
    const {conn, clock} = connection({
      retry: {maxAttempts: 2, maxRateLimitWaitMs: 60_000}
    })
    nock(BASE)
      .get('/api/now/table/x')
      .times(6)
      .reply(
        429,
        {error: {message: 'Rate limit exceeded'}},
        {'Retry-After': '1'}
      )
    nock(BASE).get('/api/now/table/x').reply(200, {result: []})
    await expect(
      conn.request({method: 'GET', path: '/api/now/table/x'})
    ).resolves.toMatchObject({status: 200})
    // Without X-RateLimit-Reset there is no window to go by: each return is spread over as long
    // again as the wait (random() is 0.5 here), doubling with every refusal in a row, up to 8 ×.
    expect(clock.sleeps).toEqual([1500, 2000, 3000, 5000, 5000, 5000])
    // The budget is the client's (the step's), not each request's: 21.5 s are spent, and waiting
    // 40 s more would pass 60 s. The refusal is final at once, naming when to come back.
    nock(BASE)
      .get('/api/now/table/y')
      .reply(
        429,
        {error: {message: 'Rate limit exceeded'}},
        {'Retry-After': '40'}
      )
    const error = await failure(
      conn.request({method: 'GET', path: '/api/now/table/y'})
    )
    expect(error.status).toBe(429)
    expect(error.comeBackAt).toBe(clock.now() + 40_000)
    // Named to the second, as the instance speaks.
    expect(error.message).toContain(
      `come back at ${new Date(Math.round((clock.now() + 40_000) / 1000) * 1000).toISOString().replace('.000Z', 'Z')}`
    )
    expect(clock.sleeps).toHaveLength(6)
  })

  it('holds every request of the client until a rate limit said to come back', async () => {
    const {conn, clock} = connection({
      retry: {maxAttempts: 1, maxRateLimitWaitMs: 60_000}
    })
    // A POST is left to its caller, but the pause holds for the next request all the same.
    nock(BASE)
      .post('/api/now/table/x')
      .reply(
        429,
        {error: {message: 'Rate limit exceeded'}},
        {'Retry-After': '10'}
      )
    await failure(
      conn.request({method: 'POST', path: '/api/now/table/x', json: {}})
    )
    nock(BASE).get('/api/now/table/other').reply(200, {result: []})
    await conn.request({method: 'GET', path: '/api/now/table/other'})
    // Until the reset and its share of the spread after it (random() is 0.5): 10 s + 5 s.
    expect(clock.sleeps).toEqual([15_000])
  })

  it('leaves a rate-limited POST to the caller, with the Retry-After, so it can check before repeating', async () => {
    const {conn, clock} = connection()
    nock(BASE)
      .post('/api/now/table/change_request')
      .reply(
        429,
        {error: {message: 'Rate limit exceeded'}},
        {'Retry-After': '7'}
      )
    const error = await failure(
      conn.request({
        method: 'POST',
        path: '/api/now/table/change_request',
        json: {}
      })
    )
    expect(error).toMatchObject({
      status: 429,
      retryAfterMs: 7000,
      mayHaveLanded: false,
      attempts: 1
    })
    expect(clock.sleeps).toEqual([])
  })

  it('does not wait out a Retry-After beyond the rate-limit budget: the caller hears when to come back', async () => {
    const {conn, clock} = connection()
    nock(BASE)
      .get('/api/now/table/x')
      .reply(
        429,
        {error: {message: 'Rate limit exceeded'}},
        {'Retry-After': '3600'}
      )
    const error = await failure(
      conn.request({method: 'GET', path: '/api/now/table/x'})
    )
    expect(error.retryAfterMs).toBe(3_600_000)
    expect(error.comeBackAt).toBe(clock.now() + 3_600_000)
    expect(clock.sleeps).toEqual([])
  })

  it.each([
    '0',
    '-5',
    'soon',
    'Thu, 01 Jan 1970 00:00:00 GMT',
    '99999999999999'
  ])(
    'backs off by itself, within max_attempts, when Retry-After is %j',
    async value => {
      const {conn, clock} = connection({retry: {maxAttempts: 3}})
      nock(BASE)
        .get('/api/now/table/x')
        .times(3)
        .reply(
          429,
          {error: {message: 'Rate limit exceeded'}},
          {'Retry-After': value}
        )
      const error = await failure(
        conn.request({method: 'GET', path: '/api/now/table/x'})
      )
      expect(error.attempts).toBe(3)
      // A floor on every wait: never 0, never NaN.
      expect(clock.sleeps).toHaveLength(2)
      for (const ms of clock.sleeps) expect(ms).toBeGreaterThanOrEqual(500)
    }
  )

  it('takes a 429 without Retry-After at its word of X-RateLimit-Reset (the next scheduled reset)', async () => {
    const {conn, clock} = connection()
    const reset = Math.ceil(clock.now() / 1000) + 90
    nock(BASE)
      .get('/api/now/table/x')
      .reply(
        429,
        {error: {message: 'Rate limit exceeded'}},
        {'X-RateLimit-Reset': String(reset)}
      )
    nock(BASE).get('/api/now/table/x').reply(200, {result: []})
    await conn.request({method: 'GET', path: '/api/now/table/x'})
    expect(clock.sleeps[0]).toBeGreaterThanOrEqual(
      reset * 1000 - clock.now() - 1000
    )
  })

  it('waits inside within() only until the caller deadline: check once means once', async () => {
    const {conn, clock} = connection()
    nock(BASE)
      .get('/api/now/table/x')
      .reply(
        429,
        {error: {message: 'Rate limit exceeded'}},
        {'Retry-After': '1'}
      )
    const error = await failure(
      conn.within(clock.now(), () =>
        conn.request({method: 'GET', path: '/api/now/table/x'})
      )
    )
    expect(error.status).toBe(429)
    expect(clock.sleeps).toEqual([])
  })

  it('never repeats a POST whose answer was a gateway error: it may have landed', async () => {
    const {conn} = connection()
    nock(BASE).post('/api/now/table/change_request').reply(502, 'Bad Gateway')
    const error = await failure(
      conn.request({
        method: 'POST',
        path: '/api/now/table/change_request',
        json: {}
      })
    )
    expect(error.status).toBe(502)
    expect(error.mayHaveLanded).toBe(true)
  })

  it('never repeats a POST cut off mid-flight, and says it may have landed', async () => {
    const {conn} = connection()
    nock(BASE)
      .post('/api/now/table/change_request')
      .replyWithError(netError('ECONNRESET', 'socket hang up'))
    const error = await failure(
      conn.request({
        method: 'POST',
        path: '/api/now/table/change_request',
        json: {}
      })
    )
    expect(error).toMatchObject({kind: 'network', mayHaveLanded: true})
    expect(error.message).toMatch(/connection failed \(ECONNRESET\)/)
  })

  it('repeats a POST refused before connecting: nothing can have landed', async () => {
    const {conn} = connection()
    nock(BASE)
      .post('/api/now/table/change_request')
      .replyWithError(netError('ECONNREFUSED', 'connect ECONNREFUSED'))
      .post('/api/now/table/change_request')
      .reply(201, {result: {sys_id: 'a'}})
    await expect(
      conn.request({
        method: 'POST',
        path: '/api/now/table/change_request',
        json: {}
      })
    ).resolves.toMatchObject({status: 201})
  })

  it('never repeats a POST answered with a page instead of JSON: it may have landed', async () => {
    const {conn} = connection()
    nock(BASE)
      .post('/api/now/table/change_request')
      .reply(200, '<html>proxy</html>')
    const error = await failure(
      conn.request({
        method: 'POST',
        path: '/api/now/table/change_request',
        json: {}
      })
    )
    expect(error).toMatchObject({
      kind: 'invalid-response',
      mayHaveLanded: true,
      attempts: 1
    })
  })

  it('retries a GET whose JSON was cut short', async () => {
    const {conn} = connection()
    nock(BASE)
      .get('/api/now/table/x')
      .reply(200, '{"result":[{"sys_id":"ab')
      .get('/api/now/table/x')
      .reply(200, {result: []})
    await expect(
      conn.request({method: 'GET', path: '/api/now/table/x'})
    ).resolves.toMatchObject({body: {result: []}})
  })

  it('does not retry what retrying cannot fix (400, 403, 404, a TLS refusal)', async () => {
    const {conn} = connection()
    nock(BASE)
      .get('/api/now/table/x')
      .reply(404, {error: {message: 'No Record found'}})
    expect(
      (await failure(conn.request({method: 'GET', path: '/api/now/table/x'})))
        .status
    ).toBe(404)
    nock(BASE)
      .get('/api/now/table/y')
      .replyWithError(
        netError(
          'SELF_SIGNED_CERT_IN_CHAIN',
          'self-signed certificate in certificate chain'
        )
      )
    const tls = await failure(
      conn.request({method: 'GET', path: '/api/now/table/y'})
    )
    expect(tls.message).toMatch(
      /TLS certificate was not accepted .*NODE_EXTRA_CA_CERTS/
    )
  })
})
