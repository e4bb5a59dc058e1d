import { InputError, ServiceNowError } from './errors.js'
import type { Clock } from './clock.js'
import { OidcAuthenticator } from './oidc-auth.js'

/** How the action signs in. Chosen from the connection inputs by resolveAuth. */
export type AuthSettings =
  | { method: 'basic'; username: string; password: string }
  | { method: 'oauth_password'; clientId: string; clientSecret: string; username: string; password: string }
  | { method: 'oauth_client_credentials'; clientId: string; clientSecret: string }
  | { method: 'token'; token: string }
  | { method: 'api_key'; apiKey: string }
  | { method: 'oidc'; audience: string }
  | { method: 'oidc_jwt_bearer'; clientId: string; clientSecret: string; audience: string }

export const AUTH_CHOICES = ['auto', 'basic', 'oauth_password', 'oauth_client_credentials', 'token', 'api_key', 'oidc', 'oidc_jwt_bearer'] as const
export type AuthChoice = (typeof AUTH_CHOICES)[number]

export interface CredentialInputs {
  auth: string
  username: string
  password: string
  clientId: string
  clientSecret: string
  token: string
  apiKey: string
  oidcAudience: string
}

type CredentialName = keyof Omit<CredentialInputs, 'auth'>
const INPUT_NAMES: Record<CredentialName, string> = {
  username: 'username',
  password: 'password',
  clientId: 'client_id',
  clientSecret: 'client_secret',
  token: 'token',
  apiKey: 'api_key',
  oidcAudience: 'oidc_audience'
}
/** The inputs each method needs. */
const USES: Record<Exclude<AuthChoice, 'auto'>, CredentialName[]> = {
  basic: ['username', 'password'],
  oauth_password: ['clientId', 'clientSecret', 'username', 'password'],
  oauth_client_credentials: ['clientId', 'clientSecret'],
  token: ['token'],
  api_key: ['apiKey'],
  oidc: ['oidcAudience'],
  oidc_jwt_bearer: ['clientId']
}
/** Inputs a method can use but does without: a public client has no secret; the audience defaults to the client id. */
const MAY_USE: Partial<Record<Exclude<AuthChoice, 'auto'>, CredentialName[]>> = {
  oidc_jwt_bearer: ['clientSecret', 'oidcAudience']
}

/**
 * Picks the sign-in method. With `auto`: a token means bearer; an api_key alone means a REST API key; client id+secret
 * with username+password means the OAuth password grant; client id+secret alone
 * means client credentials; username+password means basic; oidc_audience
 * means GitHub's OIDC token (exchanged by the JWT bearer grant when client_id
 * is set too). Half a pair, or inputs the chosen method would ignore, are
 * errors: a credential silently ignored is a credential someone believes is in use.
 */
export function resolveAuth(inputs: CredentialInputs): AuthSettings {
  const choice = inputs.auth.trim() === '' ? 'auto' : inputs.auth.trim()
  if (!(AUTH_CHOICES as readonly string[]).includes(choice)) {
    throw new InputError(`Invalid auth '${choice}'. Expected one of: ${AUTH_CHOICES.join(', ')}.`)
  }
  const given = (Object.keys(INPUT_NAMES) as CredentialName[]).filter((k) => inputs[k] !== '')
  const has = (k: CredentialName): boolean => given.includes(k)
  pairCheck(has, 'username', 'password')
  // A public OAuth client in the JWT bearer grant has an id and no secret.
  const jwtBearer = choice === 'oidc_jwt_bearer' || (choice === 'auto' && !has('token') && has('oidcAudience') && has('clientId'))
  if (!jwtBearer) pairCheck(has, 'clientId', 'clientSecret')

  let method: Exclude<AuthChoice, 'auto'>
  if (choice !== 'auto') {
    method = choice as Exclude<AuthChoice, 'auto'>
    const missing = USES[method].filter((k) => !has(k))
    if (missing.length > 0) {
      throw new InputError(`auth '${method}' needs ${missing.map((k) => INPUT_NAMES[k]).join(' and ')}.`)
    }
  } else if (has('token')) {
    method = 'token'
  } else if (has('apiKey')) {
    method = 'api_key'
  } else if (jwtBearer) {
    method = 'oidc_jwt_bearer'
  } else if (has('oidcAudience')) {
    method = 'oidc'
  } else if (has('clientId') && has('username')) {
    method = 'oauth_password'
  } else if (has('clientId')) {
    method = 'oauth_client_credentials'
  } else if (has('username')) {
    method = 'basic'
  } else {
    throw new InputError(
      'No ServiceNow credentials given. Set one of: token; api_key (REST API key); client_id + client_secret + username + password (OAuth password grant); ' +
        'client_id + client_secret (OAuth client credentials); username + password (basic); ' +
        'oidc_audience (GitHub OIDC, with permissions: id-token: write).'
    )
  }
  const unused = given.filter((k) => !USES[method].includes(k) && !(MAY_USE[method] ?? []).includes(k))
  if (unused.length > 0) {
    throw new InputError(
      `Conflicting credentials: auth '${method}' does not use ${unused.map((k) => INPUT_NAMES[k]).join(', ')}. ` +
        'Remove the inputs you do not mean to use, or set auth explicitly.'
    )
  }
  switch (method) {
    case 'basic':
      return { method, username: inputs.username, password: inputs.password }
    case 'oauth_password':
      return { method, clientId: inputs.clientId, clientSecret: inputs.clientSecret, username: inputs.username, password: inputs.password }
    case 'oauth_client_credentials':
      return { method, clientId: inputs.clientId, clientSecret: inputs.clientSecret }
    case 'token':
      return { method, token: inputs.token }
    case 'api_key':
      return { method, apiKey: inputs.apiKey }
    case 'oidc':
      return { method, audience: inputs.oidcAudience }
    case 'oidc_jwt_bearer':
      // The JWT entry checks that aud is its Client ID: that is the audience unless told otherwise.
      return { method, clientId: inputs.clientId, clientSecret: inputs.clientSecret, audience: inputs.oidcAudience || inputs.clientId }
  }
}

function pairCheck(has: (k: CredentialName) => boolean, a: CredentialName, b: CredentialName): void {
  if (has(a) !== has(b)) {
    const [set, unset] = has(a) ? [a, b] : [b, a]
    throw new InputError(`${INPUT_NAMES[set]} is set but ${INPUT_NAMES[unset]} is not: they go together.`)
  }
}

/** Supplies the Authorization header and renews it when the instance says it is no longer good. */
export interface Authenticator {
  readonly method: AuthSettings['method']
  /** The request header the credential goes in; Authorization unless the method says otherwise. */
  readonly header?: string
  authorization(): Promise<string>
  /** After a 401: get a fresh credential if that can help. Returns false when nothing can be renewed. */
  renew(): Promise<boolean>
  /** After a final 401: what the instance was shown and what it checks, when the method can say more than "check the credentials". */
  explainRefusal?(): string | undefined
}

/** Sends a form to /oauth_token.do and returns the parsed JSON answer (errors as ServiceNowError). */
export type TokenRequester = (form: Record<string, string>) => Promise<unknown>

export interface AuthDeps {
  requestToken: TokenRequester
  clock: Clock
  /** Registers a value that must never appear in a log line (core.setSecret in the action). */
  mask: (secret: string) => void
  /** Asks GitHub for an OIDC ID token with this audience (core.getIDToken in the action). */
  idToken?: (audience: string) => Promise<string>
}

/** Refresh this long before the instance's stated expiry, so no request is sent with a dying token. */
export const TOKEN_EXPIRY_MARGIN_MS = 60_000

export function createAuthenticator(settings: AuthSettings, deps: AuthDeps): Authenticator {
  switch (settings.method) {
    case 'basic': {
      deps.mask(settings.password)
      // GitHub masks the password, not its base64: that has to be registered itself.
      const encoded = Buffer.from(`${settings.username}:${settings.password}`, 'utf8').toString('base64')
      deps.mask(encoded)
      return fixed('basic', `Basic ${encoded}`)
    }
    case 'token':
      deps.mask(settings.token)
      return fixed('token', `Bearer ${settings.token}`)
    case 'api_key':
      deps.mask(settings.apiKey)
      // A REST API key is not a bearer token: the instance reads it from the x-sn-apikey header
      // (markdown/platform-security/authentication/configure-api-key.md, "Auth Parameter: x-sn-apikey: Auth Header").
      return { ...fixed('api_key', settings.apiKey), header: API_KEY_HEADER }
    case 'oauth_password':
      deps.mask(settings.password)
      deps.mask(settings.clientSecret)
      return new OAuthAuthenticator(settings, deps)
    case 'oauth_client_credentials':
      deps.mask(settings.clientSecret)
      return new OAuthAuthenticator(settings, deps)
    case 'oidc':
    case 'oidc_jwt_bearer':
      if (settings.method === 'oidc_jwt_bearer' && settings.clientSecret !== '') deps.mask(settings.clientSecret)
      return new OidcAuthenticator(settings, deps)
  }
}

export const API_KEY_HEADER = 'x-sn-apikey'

function fixed(method: 'basic' | 'token' | 'api_key', header: string): Authenticator {
  return { method, authorization: async () => header, renew: async () => false }
}

/** One sign-in at a time: requests that need one while it runs share it instead of each starting one. */
export class SingleFlight<T> {
  private pending: Promise<T> | undefined

  run(start: () => Promise<T>): Promise<T> {
    this.pending ??= start().finally(() => {
      this.pending = undefined
    })
    return this.pending
  }
}

export interface Token {
  access: string
  refresh: string | undefined
  expiresAt: number
}

/** Reads /oauth_token.do's answer, masking what it issued before anything else can see it. */
export function tokenFrom(answer: unknown, deps: Pick<AuthDeps, 'mask' | 'clock'>, previousRefresh?: string): Token {
  const body = answer as { access_token?: unknown; refresh_token?: unknown; expires_in?: unknown }
  if (typeof body?.access_token !== 'string' || body.access_token === '') {
    throw new ServiceNowError({
      kind: 'invalid-response',
      method: 'POST',
      path: '/oauth_token.do',
      message: 'the token endpoint answered without an access_token'
    })
  }
  deps.mask(body.access_token)
  const refresh = typeof body.refresh_token === 'string' && body.refresh_token !== '' ? body.refresh_token : previousRefresh
  if (refresh !== undefined) deps.mask(refresh)
  // ServiceNow's default access token lifespan is 1800 s; expires_in says the instance's own.
  const lifetimeSeconds = typeof body.expires_in === 'number' ? body.expires_in : Number(body.expires_in ?? 1800)
  const expiresAt = deps.clock.now() + (Number.isFinite(lifetimeSeconds) ? lifetimeSeconds : 1800) * 1000
  return { access: body.access_token, refresh, expiresAt }
}

class OAuthAuthenticator implements Authenticator {
  readonly method: 'oauth_password' | 'oauth_client_credentials'
  private token: Token | undefined
  private readonly signIns = new SingleFlight<Token>()

  constructor(
    private readonly settings: Extract<AuthSettings, { method: 'oauth_password' | 'oauth_client_credentials' }>,
    private readonly deps: AuthDeps
  ) {
    this.method = settings.method
  }

  async authorization(): Promise<string> {
    const token = this.token
    if (token !== undefined && this.deps.clock.now() < token.expiresAt - TOKEN_EXPIRY_MARGIN_MS) {
      return `Bearer ${token.access}`
    }
    return `Bearer ${(await this.obtain()).access}`
  }

  async renew(): Promise<boolean> {
    if (this.token !== undefined) this.token = { ...this.token, expiresAt: 0 }
    await this.obtain()
    return true
  }

  private obtain(): Promise<Token> {
    return this.signIns.run(() => this.fetchToken())
  }

  private async fetchToken(): Promise<Token> {
    const refresh = this.token?.refresh
    if (refresh !== undefined) {
      try {
        return this.store(await this.deps.requestToken({ ...this.client(), grant_type: 'refresh_token', refresh_token: refresh }))
      } catch (error) {
        // A refused refresh token (revoked, expired) is not fatal: sign in again from the start.
        if (!(error instanceof ServiceNowError && error.kind === 'http' && (error.status === 401 || error.status === 400))) throw error
      }
    }
    const grant: Record<string, string> =
      this.settings.method === 'oauth_password'
        ? { grant_type: 'password', username: this.settings.username, password: this.settings.password }
        : { grant_type: 'client_credentials' }
    try {
      return this.store(await this.deps.requestToken({ ...this.client(), ...grant }))
    } catch (error) {
      throw explainTokenRefusal(error, TOKEN_REFUSAL_HINTS[this.settings.method])
    }
  }

  private client(): Record<string, string> {
    return { client_id: this.settings.clientId, client_secret: this.settings.clientSecret }
  }

  private store(answer: unknown): Token {
    this.token = tokenFrom(answer, this.deps, this.token?.refresh)
    return this.token
  }
}

/** Whether the token endpoint turned the request down (bad client, credentials or assertion), rather than failing. */
function isTokenRefusal(error: unknown): error is ServiceNowError {
  return error instanceof ServiceNowError && error.kind === 'http' && (error.status === 401 || error.status === 400)
}

/** A refused token request as an error that says what to check (`hint`); any other failure as it is. */
export function explainTokenRefusal(error: unknown, hint: string): unknown {
  if (!isTokenRefusal(error)) return error
  return new ServiceNowError({
    kind: 'http',
    method: error.method,
    path: error.path,
    status: error.status,
    message: `OAuth token request refused (${error.serviceNowMessage ?? 'no reason given'})`,
    detail: hint
  })
}

const TOKEN_REFUSAL_HINTS = {
  oauth_password: 'check client_id and client_secret (System OAuth > Application Registry) and the username and password of the integration user',
  oauth_client_credentials:
    'check client_id and client_secret, and that the instance allows the client credentials grant ' +
    '(system property glide.oauth.inbound.client.credential.grant_type.enabled = true, Washington DC or later)'
} as const
