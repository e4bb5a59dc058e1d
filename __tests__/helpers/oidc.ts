import {
  generateKeyPairSync,
  randomUUID,
  sign,
  type JsonWebKey,
  type KeyObject
} from 'node:crypto'
import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {SEED_OIDC_USER} from '../../src/simulator/seed.js'

export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com'

export interface SigningKey {
  kid: string
  privateKey: KeyObject
  /** The public half, as a JWKS serves it. */
  jwk: JsonWebKey & {kid: string}
}

/** An RSA key of the test's own, standing in for one of GitHub's signing keys. */
export function signingKey(kid: string): SigningKey {
  const {privateKey, publicKey} = generateKeyPairSync('rsa', {
    modulusLength: 2048
  })
  return {
    kid,
    privateKey,
    jwk: {...publicKey.export({format: 'jwk'}), kid, alg: 'RS256', use: 'sig'}
  }
}

const part = (value: unknown): string =>
  Buffer.from(JSON.stringify(value)).toString('base64url')

/** A JWT signed RS256 with `key`, whose header says `kid` (the key's own unless told otherwise). */
export function signJwt(
  claims: Record<string, unknown>,
  key: SigningKey,
  kid = key.kid
): string {
  const signed = `${part({typ: 'JWT', alg: 'RS256', kid})}.${part(claims)}`
  return `${signed}.${sign('sha256', Buffer.from(signed), key.privateKey).toString('base64url')}`
}

/** An unsigned token (alg none), which no verifier may accept. */
export function unsignedJwt(claims: Record<string, unknown>): string {
  return `${part({typ: 'JWT', alg: 'none'})}.${part(claims)}.`
}

/** The claims of a GitHub Actions ID token for a job in octo-org/octo-repo's production environment. */
export function githubClaims(
  audience: string,
  overrides: Record<string, unknown> = {},
  lifetimeSeconds = 300
): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000)
  return {
    jti: randomUUID(),
    sub: SEED_OIDC_USER.user_name,
    aud: audience,
    ref: 'refs/heads/main',
    repository: 'octo-org/octo-repo',
    repository_owner: 'octo-org',
    environment: 'production',
    event_name: 'push',
    workflow: 'deploy',
    iss: GITHUB_ISSUER,
    nbf: now - 5,
    iat: now,
    exp: now + lifetimeSeconds,
    ...overrides
  }
}

export interface IdTokenEndpoint {
  /** For the step's environment: ACTIONS_ID_TOKEN_REQUEST_URL and _TOKEN, as the runner sets them. */
  env: Record<string, string>
  /** Every ID token handed out, in order. */
  issued: string[]
  /** The audience of each request. */
  audiences: string[]
  /** When each token was handed out (ms). */
  issuedAt: number[]
  stop(): Promise<void>
}

/**
 * The runner's ID token service: GET <url>&audience=<aud> with the request
 * token as bearer answers {"value": "<jwt>"} (what @actions/core's getIDToken
 * expects). `mint` makes each token from the audience asked for.
 */
export async function startIdTokenEndpoint(
  mint: (audience: string) => string
): Promise<IdTokenEndpoint> {
  const requestToken = `request-${randomUUID()}`
  const endpoint: IdTokenEndpoint = {
    env: {},
    issued: [],
    audiences: [],
    issuedAt: [],
    stop: async () => {}
  }
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (
      req.headers.authorization !== `Bearer ${requestToken}` ||
      url.searchParams.get('api-version') !== '2.0'
    ) {
      res
        .writeHead(401, {'Content-Type': 'application/json'})
        .end('{"message":"Unauthorized"}')
      return
    }
    const audience =
      url.searchParams.get('audience') ?? 'https://github.com/octo-org'
    const value = mint(audience)
    endpoint.audiences.push(audience)
    endpoint.issued.push(value)
    endpoint.issuedAt.push(Date.now())
    res
      .writeHead(200, {'Content-Type': 'application/json'})
      .end(JSON.stringify({count: 1, value}))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  endpoint.env = {
    ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:${port}/idtoken?api-version=2.0`,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken
  }
  endpoint.stop = () =>
    new Promise<void>(resolve => server.close(() => resolve()))
  return endpoint
}
