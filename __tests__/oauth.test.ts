import {describe, expect, it} from '@jest/globals'
import nock from 'nock'
import {useNock} from './helpers/nock.js'
import {Connection} from '../src/servicenow/connection.js'
import type {AuthSettings} from '../src/servicenow/auth.js'
import {TOKEN_EXPIRY_MARGIN_MS} from '../src/servicenow/oauth-token.js'
import {FakeClock} from './helpers/clock.js'

const BASE = 'https://acme.service-now.com'
const password: AuthSettings = {
  method: 'oauth_password',
  clientId: 'cid',
  clientSecret: 'csecret',
  username: 'svc',
  password: 'pw'
}

function setup(auth: AuthSettings = password): {
  conn: Connection
  clock: FakeClock
  masked: string[]
} {
  const clock = new FakeClock()
  const masked: string[] = []
  return {
    conn: new Connection({
      baseUrl: BASE,
      auth,
      clock,
      random: () => 0.5,
      mask: s => masked.push(s)
    }),
    clock,
    masked
  }
}

/** Expects one form POST to /oauth_token.do with exactly these fields. */
function tokenEndpoint(
  form: Record<string, string>,
  answer: Record<string, unknown>,
  status = 200
): nock.Scope {
  return nock(BASE, {
    reqheaders: {'content-type': 'application/x-www-form-urlencoded'}
  })
    .post(
      '/oauth_token.do',
      body => JSON.stringify(body) === JSON.stringify(form)
    )
    .reply(status, answer)
}

const get = (conn: Connection) =>
  conn.request({method: 'GET', path: '/api/now/table/change_request'})

useNock()

describe('OAuth', () => {
  it('password grant: gets a token once, sends it as Bearer, masks every secret', async () => {
    const {conn, masked} = setup()
    tokenEndpoint(
      {
        client_id: 'cid',
        client_secret: 'csecret',
        grant_type: 'password',
        username: 'svc',
        password: 'pw'
      },
      {
        access_token: 'AT1',
        refresh_token: 'RT1',
        expires_in: 1799,
        token_type: 'Bearer',
        scope: 'useraccount'
      }
    )
    nock(BASE, {reqheaders: {authorization: 'Bearer AT1'}})
      .get('/api/now/table/change_request')
      .times(2)
      .reply(200, {result: []})
    await get(conn)
    await get(conn)
    expect(masked).toEqual(['pw', 'csecret', 'AT1', 'RT1'])
  })

  it('refreshes with the refresh token shortly before the access token expires', async () => {
    const {conn, clock} = setup()
    tokenEndpoint(
      {
        client_id: 'cid',
        client_secret: 'csecret',
        grant_type: 'password',
        username: 'svc',
        password: 'pw'
      },
      {access_token: 'AT1', refresh_token: 'RT1', expires_in: 1799}
    )
    nock(BASE, {reqheaders: {authorization: 'Bearer AT1'}})
      .get('/api/now/table/change_request')
      .reply(200, {result: []})
    await get(conn)
    clock.advance(1799_000 - TOKEN_EXPIRY_MARGIN_MS + 1)
    tokenEndpoint(
      {
        client_id: 'cid',
        client_secret: 'csecret',
        grant_type: 'refresh_token',
        refresh_token: 'RT1'
      },
      {access_token: 'AT2', expires_in: 1799}
    )
    nock(BASE, {reqheaders: {authorization: 'Bearer AT2'}})
      .get('/api/now/table/change_request')
      .reply(200, {result: []})
    await get(conn)
  })

  it('on a 401 mid-run, renews once and repeats the request', async () => {
    const {conn} = setup()
    tokenEndpoint(
      {
        client_id: 'cid',
        client_secret: 'csecret',
        grant_type: 'password',
        username: 'svc',
        password: 'pw'
      },
      {access_token: 'AT1', refresh_token: 'RT1', expires_in: 1799}
    )
    nock(BASE, {reqheaders: {authorization: 'Bearer AT1'}})
      .get('/api/now/table/change_request')
      .reply(401, {
        error: {
          message: 'User Not Authenticated',
          detail: 'Required to provide Auth information'
        },
        status: 'failure'
      })
    tokenEndpoint(
      {
        client_id: 'cid',
        client_secret: 'csecret',
        grant_type: 'refresh_token',
        refresh_token: 'RT1'
      },
      {access_token: 'AT2', expires_in: 1799}
    )
    nock(BASE, {reqheaders: {authorization: 'Bearer AT2'}})
      .get('/api/now/table/change_request')
      .reply(200, {result: []})
    await expect(get(conn)).resolves.toMatchObject({status: 200})
  })

  it('a second 401 after renewing is final', async () => {
    const {conn} = setup()
    tokenEndpoint(
      {
        client_id: 'cid',
        client_secret: 'csecret',
        grant_type: 'password',
        username: 'svc',
        password: 'pw'
      },
      {access_token: 'AT1', refresh_token: 'RT1', expires_in: 1799}
    )
    nock(BASE)
      .get('/api/now/table/change_request')
      .times(2)
      .reply(401, {error: {message: 'User Not Authenticated'}})
    tokenEndpoint(
      {
        client_id: 'cid',
        client_secret: 'csecret',
        grant_type: 'refresh_token',
        refresh_token: 'RT1'
      },
      {access_token: 'AT2', expires_in: 1799}
    )
    await expect(get(conn)).rejects.toMatchObject({status: 401})
  })

  it('falls back to the password grant when the refresh token is refused', async () => {
    const {conn, clock} = setup()
    const grant = {
      client_id: 'cid',
      client_secret: 'csecret',
      grant_type: 'password',
      username: 'svc',
      password: 'pw'
    }
    tokenEndpoint(grant, {
      access_token: 'AT1',
      refresh_token: 'RT1',
      expires_in: 1799
    })
    nock(BASE)
      .get('/api/now/table/change_request')
      .times(2)
      .reply(200, {result: []})
    await get(conn)
    clock.advance(3600_000)
    tokenEndpoint(
      {
        client_id: 'cid',
        client_secret: 'csecret',
        grant_type: 'refresh_token',
        refresh_token: 'RT1'
      },
      {error_description: 'access_denied', error: 'server_error'},
      401
    )
    tokenEndpoint(grant, {
      access_token: 'AT3',
      refresh_token: 'RT3',
      expires_in: 1799
    })
    await get(conn)
  })

  it('client credentials: no user, no refresh token, asks again when the token runs out', async () => {
    const {conn, clock} = setup({
      method: 'oauth_client_credentials',
      clientId: 'cid',
      clientSecret: 'csecret'
    })
    const grant = {
      client_id: 'cid',
      client_secret: 'csecret',
      grant_type: 'client_credentials'
    }
    tokenEndpoint(grant, {access_token: 'AT1', expires_in: 1799})
    nock(BASE)
      .get('/api/now/table/change_request')
      .times(2)
      .reply(200, {result: []})
    await get(conn)
    clock.advance(1800_000)
    tokenEndpoint(grant, {access_token: 'AT2', expires_in: 1799})
    await get(conn)
  })

  it('a refused sign-in names what to check', async () => {
    const {conn} = setup({
      method: 'oauth_client_credentials',
      clientId: 'cid',
      clientSecret: 'csecret'
    })
    tokenEndpoint(
      {
        client_id: 'cid',
        client_secret: 'csecret',
        grant_type: 'client_credentials'
      },
      {error_description: 'access_denied', error: 'server_error'},
      401
    )
    await expect(get(conn)).rejects.toThrow(
      /OAuth token request refused \(access_denied\).*glide\.oauth\.inbound\.client\.credential\.grant_type\.enabled/
    )
  })

  it('parallel requests share one token request', async () => {
    const {conn} = setup()
    tokenEndpoint(
      {
        client_id: 'cid',
        client_secret: 'csecret',
        grant_type: 'password',
        username: 'svc',
        password: 'pw'
      },
      {access_token: 'AT1', refresh_token: 'RT1', expires_in: 1799}
    )
    nock(BASE)
      .get('/api/now/table/change_request')
      .times(3)
      .reply(200, {result: []})
    await Promise.all([get(conn), get(conn), get(conn)])
  })

  it('retries the token endpoint on a 503 (asking twice for a token harms nothing)', async () => {
    const {conn} = setup()
    nock(BASE).post('/oauth_token.do').reply(503, 'busy')
    tokenEndpoint(
      {
        client_id: 'cid',
        client_secret: 'csecret',
        grant_type: 'password',
        username: 'svc',
        password: 'pw'
      },
      {access_token: 'AT1', expires_in: 1799}
    )
    nock(BASE).get('/api/now/table/change_request').reply(200, {result: []})
    await get(conn)
  })

  it('a given token is sent as is and masked', async () => {
    const {conn, masked} = setup({method: 'token', token: 'given-token'})
    nock(BASE, {reqheaders: {authorization: 'Bearer given-token'}})
      .get('/api/now/table/change_request')
      .reply(200, {result: []})
    await get(conn)
    expect(masked).toEqual(['given-token'])
  })
})
