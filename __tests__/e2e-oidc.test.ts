import {
  afterAll,
  afterEach,
  beforeAll,
  describe,
  expect,
  it
} from '@jest/globals'
import {errors} from '../scripts/local-runner.js'
import {SEED_OIDC_USER} from '../src/simulator/seed.js'
import type {OidcTrust} from '../src/simulator/jwt-verifier.js'
import type {Simulator} from '../src/simulator/server.js'
import {counted, suiteCounts} from './helpers/counts.js'
import {
  GITHUB_ISSUER,
  githubClaims,
  signingKey,
  signJwt,
  startIdTokenEndpoint,
  unsignedJwt,
  type IdTokenEndpoint
} from './helpers/oidc.js'
import {scannedSteps} from './helpers/scan.js'
import {admin, raw, withSimulator} from './helpers/sim.js'

/**
 * Secretless sign-in: GitHub's OIDC ID token, signed here with a key of the
 * test's own that the simulator's trusted JWKS holds, presented as the bearer
 * token or exchanged by the JWT bearer grant.
 */
const CLIENT_ID = 'servicenow-change-oidc'
const github = signingKey('github-1')
const stranger = signingKey('github-1')
const trust: OidcTrust = {
  issuer: GITHUB_ISSUER,
  clientId: CLIENT_ID,
  jwks: {keys: [github.jwk]},
  clockSkewSeconds: 0
}

let sim: Simulator
let endpoint: IdTokenEndpoint
let mint: (audience: string) => string
const goodToken = (audience: string): string =>
  signJwt(githubClaims(audience), github)
const counts = suiteCounts('e2e-oidc')
let runStep: ReturnType<typeof scannedSteps>

beforeAll(async () => {
  sim = await withSimulator({oidc: trust})
  endpoint = await startIdTokenEndpoint(audience => mint(audience))
  runStep = scannedSteps(sim, counts, () => endpoint.issued)
})
afterEach(() => {
  mint = goodToken
  sim.oidc.trust = trust
})
afterAll(async () => {
  await endpoint.stop()
  await sim.stop()
})
mint = goodToken

const lastRefusal = (): string | undefined => sim.oidc.refusals.at(-1)?.reason
const now = (): number => Math.floor(Date.now() / 1000)

describe('the simulator verifies ID tokens like ServiceNow', () => {
  it('accepts a token GitHub signed for the Client ID, as the user its sub names', async () => {
    const reply = await raw(
      sim,
      'GET',
      '/api/now/table/sys_user?sysparm_query=user_name=' +
        encodeURIComponent(SEED_OIDC_USER.user_name),
      {auth: `Bearer ${goodToken(CLIENT_ID)}`}
    )
    expect(reply.status).toBe(200)
    expect(sim.requests().at(-1)?.user).toBe(SEED_OIDC_USER.user_name)
  })

  it.each([
    [
      'wrong audience',
      () => signJwt(githubClaims('https://github.com/octo-org'), github),
      /^wrong audience "https:\/\/github.com\/octo-org": expected the Client ID 'servicenow-change-oidc'$/
    ],
    [
      'expired',
      () => signJwt(githubClaims(CLIENT_ID, {exp: now() - 10}), github),
      /^expired at \d{4}-/
    ],
    [
      'bad signature',
      () => signJwt(githubClaims(CLIENT_ID), stranger),
      /^bad signature: the token is not signed by key 'github-1'$/
    ],
    [
      'unknown key id',
      () => signJwt(githubClaims(CLIENT_ID), stranger, 'rotated-away'),
      /^unknown key id 'rotated-away': the provider's JWKS has 'github-1'$/
    ],
    [
      'wrong issuer',
      () =>
        signJwt(
          githubClaims(CLIENT_ID, {iss: 'https://issuer.example'}),
          github
        ),
      /^wrong issuer 'https:\/\/issuer.example'/
    ],
    [
      'not yet valid',
      () => signJwt(githubClaims(CLIENT_ID, {nbf: now() + 600}), github),
      /^not valid before/
    ],
    [
      'unsigned (alg none)',
      () => unsignedJwt(githubClaims(CLIENT_ID)),
      /^algorithm 'none' is not accepted/
    ],
    [
      'another repository',
      () =>
        signJwt(
          githubClaims(CLIENT_ID, {
            sub: 'repo:octo-org/other:ref:refs/heads/main'
          }),
          github
        ),
      /^no active user whose user_name is 'repo:octo-org\/other:ref:refs\/heads\/main'/
    ]
  ])(
    'refuses a token with %s: 401 User Not Authenticated, the reason in its log',
    counted(counts, 'bad tokens refused', async (_name, token, reason) => {
      const reply = await raw(
        sim,
        'GET',
        '/api/now/table/change_request?sysparm_limit=1',
        {auth: `Bearer ${token()}`}
      )
      expect(reply.status).toBe(401)
      expect(reply.json).toEqual({
        error: {
          message: 'User Not Authenticated',
          detail: 'Required to provide Auth information'
        },
        status: 'failure'
      })
      expect(lastRefusal()).toMatch(reason)
      expect((await admin(sim, 'GET', '/auth-refusals')).at(-1).reason).toBe(
        lastRefusal()
      )
    })
  )

  it('exchanges a token once by the JWT bearer grant, and refuses it replayed', async () => {
    const assertion = goodToken(CLIENT_ID)
    const exchange = (): Promise<Response> =>
      fetch(`${sim.url}/oauth_token.do`, {
        method: 'POST',
        headers: {'Content-Type': 'application/x-www-form-urlencoded'},
        body: new URLSearchParams({
          grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
          client_id: CLIENT_ID,
          assertion
        }).toString()
      })
    const first = await exchange()
    const token = (await first.json()) as {
      access_token: string
      refresh_token?: string
      expires_in: number
    }
    expect(first.status).toBe(200)
    expect(token).toMatchObject({token_type: 'Bearer', expires_in: 1799})
    expect(token.refresh_token).toBeUndefined()
    expect(
      (
        await raw(sim, 'GET', '/api/now/table/change_request?sysparm_limit=1', {
          auth: `Bearer ${token.access_token}`
        })
      ).status
    ).toBe(200)
    const again = await exchange()
    expect(again.status).toBe(401)
    expect(await again.json()).toEqual({
      error_description: 'access_denied',
      error: 'server_error'
    })
    expect(lastRefusal()).toMatch(
      /^token replayed: jti '[0-9a-f-]+' was already exchanged$/
    )
  })
})

describe('auth oidc through the bundles', () => {
  it('runs create → wait → close as the user the token names, leaking nothing', async () => {
    const connection = {instance_url: sim.url, oidc_audience: CLIENT_ID}
    const env = endpoint.env
    const create = await runStep(
      'create',
      {
        ...connection,
        template: 'Deploy web application',
        correlation_id: 'oidc-bearer'
      },
      {env}
    )
    expect(errors(create)).toEqual([])
    expect(create.stdout).toContain('auth: oidc;')
    const id = create.outputs.change_sys_id!
    const wait = await runStep(
      'wait',
      {...connection, change_sys_id: id, poll_interval_seconds: '5'},
      {env}
    )
    expect(wait.outputs.decision).toBe('approved')
    const close = await runStep(
      'close',
      {...connection, change_sys_id: id, result: 'success'},
      {env}
    )
    expect(close.outputs.state).toBe('closed')
    expect(new Set(endpoint.audiences)).toEqual(new Set([CLIENT_ID]))
    const change = (
      await raw(
        sim,
        'GET',
        `/api/now/table/change_request/${id}?sysparm_fields=sys_created_by`
      )
    ).json.result
    expect(change.sys_created_by).toBe(SEED_OIDC_USER.user_name)
  })

  it('asks GitHub for a new token a minute before the current one expires, so none is refused', async () => {
    // Tokens that live 61 s (exp in whole seconds: at most 1 s before renewal is due) and 400 ms per
    // answer: a create step, five requests or more, outlives the time each token is used for.
    mint = audience => signJwt(githubClaims(audience, {}, 61), github)
    await admin(sim, 'PATCH', '/config', {latencyMs: 400})
    const refusalsBefore = sim.oidc.refusals.length
    const from = endpoint.issued.length
    try {
      const create = await runStep(
        'create',
        {
          instance_url: sim.url,
          oidc_audience: CLIENT_ID,
          template: 'Deploy web application',
          correlation_id: 'oidc-short'
        },
        {env: endpoint.env}
      )
      expect(errors(create)).toEqual([])
    } finally {
      await admin(sim, 'PATCH', '/config', {latencyMs: 0})
    }
    const tokens = endpoint.issued.slice(from)
    expect(tokens.length).toBeGreaterThan(1)
    for (let i = 1; i < tokens.length; i++) {
      const previousExp =
        (
          JSON.parse(
            Buffer.from(tokens[i - 1]!.split('.')[1]!, 'base64url').toString()
          ) as {exp: number}
        ).exp * 1000
      // Renewed while the previous token still had most of its last minute (not after a 401).
      expect(previousExp - endpoint.issuedAt[from + i]!).toBeGreaterThan(55_000)
    }
    expect(sim.oidc.refusals.slice(refusalsBefore)).toEqual([])
  })

  it('exchanges the token by the JWT bearer grant, once per step, with or without a client secret', async () => {
    const publicClient = {
      instance_url: sim.url,
      auth: 'oidc_jwt_bearer',
      client_id: CLIENT_ID
    }
    const issuedBefore = endpoint.issued.length
    const create = await runStep(
      'create',
      {
        ...publicClient,
        template: 'Deploy web application',
        correlation_id: 'oidc-jwt'
      },
      {env: endpoint.env}
    )
    expect(errors(create)).toEqual([])
    expect(endpoint.issued.length - issuedBefore).toBe(1)
    sim.oidc.trust = {...trust, clientSecret: 'jwt-entry-secret'}
    const confidential = {...publicClient, client_secret: 'jwt-entry-secret'}
    const close = await runStep(
      'close',
      {
        ...confidential,
        change_sys_id: create.outputs.change_sys_id!,
        result: 'success'
      },
      {env: endpoint.env}
    )
    expect(errors(close)).toEqual([])
    expect(close.outputs.state).toBe('closed')
    expect(
      sim
        .requests({path: '/oauth_token.do'})
        .slice(-2)
        .map(r => r.status)
    ).toEqual([200, 200])
  })
})

describe('a refused OIDC token says what to check', () => {
  it.each([
    [
      'wrong audience',
      {oidc_audience: 'https://github.com/octo-org'},
      goodToken,
      /^wrong audience/,
      [
        /Client ID is 'https:\/\/github.com\/octo-org'/,
        /audience "https:\/\/github.com\/octo-org"/
      ]
    ],
    [
      'expired',
      {},
      (aud: string) => signJwt(githubClaims(aud, {exp: now() - 120}), github),
      /^expired at/,
      [/The token had expired 1\d\d s before it was sent/]
    ],
    [
      'bad signature',
      {},
      (aud: string) => signJwt(githubClaims(aud), stranger),
      /^bad signature/,
      [/its JWKS must hold key id 'github-1'/]
    ],
    [
      'unknown key id',
      {},
      (aud: string) => signJwt(githubClaims(aud), stranger, 'rotated-away'),
      /^unknown key id/,
      [/key id 'rotated-away'/]
    ]
  ])(
    '%s',
    counted(
      counts,
      'refusals explained',
      async (_name, inputs, token, reason, says) => {
        mint = token
        const issuedBefore = endpoint.issued.length
        const create = await runStep(
          'create',
          {
            instance_url: sim.url,
            oidc_audience: CLIENT_ID,
            ...inputs,
            template: 'Deploy web application',
            correlation_id: 'oidc-refused'
          },
          {env: endpoint.env}
        )
        const [message, ...rest] = errors(create)
        expect(rest).toEqual([])
        expect(message).toMatch(
          /refused the sign-in \(401 User Not Authenticated\)\. ServiceNow did not accept GitHub's OIDC token; it does not say why/
        )
        expect(message).toContain(`subject '${SEED_OIDC_USER.user_name}'`)
        for (const fragment of says) expect(message).toMatch(fragment)
        expect(lastRefusal()).toMatch(reason)
        // One token, then one fresh one after the first 401: no loop.
        expect(endpoint.issued.length - issuedBefore).toBe(2)
      }
    )
  )

  it('the JWT bearer grant refused: which entry settings to compare', async () => {
    mint = aud => signJwt(githubClaims(aud, {exp: now() - 120}), github)
    const create = await runStep(
      'create',
      {
        instance_url: sim.url,
        auth: 'oidc_jwt_bearer',
        client_id: CLIENT_ID,
        template: 'Deploy web application'
      },
      {env: endpoint.env}
    )
    expect(errors(create)).toEqual([
      expect.stringMatching(
        /refused the OAuth sign-in\. .*OAuth token request refused \(access_denied\): ServiceNow refused to exchange GitHub's OIDC token; .*The token had expired .*JWT bearer grant entry whose Client ID is 'servicenow-change-oidc'/
      )
    ])
    expect(lastRefusal()).toMatch(/^expired at/)
  })

  it('a job without permission to ask for a token is told how to give it one, and sends nothing', async () => {
    const before = sim.requests().length
    const create = await runStep('create', {
      instance_url: sim.url,
      oidc_audience: CLIENT_ID,
      template: 'Deploy web application'
    })
    expect(errors(create)).toEqual([
      expect.stringMatching(
        /add "permissions: id-token: write" to the job or workflow/
      )
    ])
    expect(sim.requests().length).toBe(before)
  })
})
