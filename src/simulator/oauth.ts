import {randomBytes} from 'node:crypto'
import type {OidcSignIn} from './oidc.js'
import {SEED_OAUTH_CLIENT} from './seed.js'
import type {Store, Row} from './store.js'
import type {Reply} from './reply.js'

/** RFC 7523 §2.1: the grant_type of "JWT Bearer Token as an Authorization Grant". */
const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer'

export interface OAuthConfig {
  /** Access token lifetime; ServiceNow's default is 1800 s and expires_in says 1799. */
  tokenLifetimeSeconds: number
  /** glide.oauth.inbound.client.credential.grant_type.enabled (off by default on a real instance). */
  clientCredentials: boolean
}

interface Issued {
  userId: string
  clientId: string
  expiresAt: number
}

/**
 * /oauth_token.do: password, refresh_token, client_credentials and JWT bearer grants.
 * Its errors have their own shape, not the REST envelope:
 * 401 {"error_description":"access_denied","error":"server_error"}.
 */
export class OAuthServer {
  private readonly access = new Map<string, Issued>()
  private readonly refresh = new Map<string, Issued>()
  /** Issued tokens a client sent back: proof that its answer reached the client. */
  private readonly presented = new Set<string>()

  constructor(
    private readonly store: Store,
    private readonly passwords: Map<string, string>,
    readonly config: OAuthConfig,
    private readonly now: () => number,
    private readonly oidc: OidcSignIn
  ) {}

  /** The user an access token belongs to, if it is known and not expired. */
  userFor(token: string): Row | undefined {
    const issued = this.access.get(token)
    if (issued !== undefined) this.presented.add(token)
    if (issued === undefined || issued.expiresAt <= this.now()) return undefined
    return this.store.get('sys_user', issued.userId)
  }

  /** Every token issued so far, access and refresh: what a leak scanner looks for. */
  issuedTokens(): string[] {
    return [...this.access.keys(), ...this.refresh.keys()]
  }

  /**
   * The issued tokens a client has used since (an access token as a bearer, a refresh token in a
   * refresh grant). A token whose answer never reached the client (it gave up waiting, the
   * connection was cut) is issued but never presented, and cannot have been masked by it.
   */
  presentedTokens(): string[] {
    return [...this.presented]
  }

  expireAll(): void {
    for (const issued of this.access.values()) issued.expiresAt = 0
  }

  handle(contentType: string | undefined, body: Buffer): Reply {
    if (
      !(contentType ?? '')
        .toLowerCase()
        .startsWith('application/x-www-form-urlencoded')
    ) {
      return {
        status: 400,
        json: {
          error_description:
            'Content-Type must be application/x-www-form-urlencoded',
          error: 'invalid_request'
        }
      }
    }
    const form = new URLSearchParams(body.toString('utf8'))
    const clientId = form.get('client_id') ?? ''
    if (form.get('grant_type') === JWT_BEARER_GRANT) return this.jwtBearer(form)
    if (
      clientId !== SEED_OAUTH_CLIENT.clientId ||
      form.get('client_secret') !== SEED_OAUTH_CLIENT.clientSecret
    )
      return denied()
    switch (form.get('grant_type')) {
      case 'password': {
        const user = this.store
          .rows('sys_user')
          .find(u => u.user_name === form.get('username'))
        if (
          user === undefined ||
          this.passwords.get(user.user_name ?? '') !== form.get('password') ||
          user.active !== 'true'
        )
          return denied()
        return this.issue(user.sys_id ?? '', clientId, true)
      }
      case 'refresh_token': {
        const issued = this.refresh.get(form.get('refresh_token') ?? '')
        if (issued !== undefined)
          this.presented.add(form.get('refresh_token') ?? '')
        if (
          issued === undefined ||
          issued.clientId !== clientId ||
          issued.expiresAt <= this.now()
        )
          return denied()
        return this.issue(issued.userId, clientId, false)
      }
      case 'client_credentials': {
        if (!this.config.clientCredentials) return denied()
        const user = this.store
          .rows('sys_user')
          .find(u => u.user_name === SEED_OAUTH_CLIENT.user)
        return this.issue(user?.sys_id ?? '', clientId, false)
      }
      default:
        return {
          status: 400,
          json: {
            error_description: 'unsupported_grant_type',
            error: 'invalid_request'
          }
        }
    }
  }

  /**
   * The JWT bearer grant: client_id is the JWT entry's Client ID, client_secret
   * is left out by a public client, assertion is the ID token. Each token is
   * exchanged once (JTI verification). ServiceNow's docs do not say what the
   * grant answers to a refused assertion: it is assumed to be the same
   * access_denied as any refused grant (UNVERIFIED), and no refresh token.
   */
  private jwtBearer(form: URLSearchParams): Reply {
    const trust = this.oidc.trust
    if (trust === undefined || form.get('client_id') !== trust.clientId)
      return denied()
    if (
      trust.clientSecret !== undefined &&
      form.get('client_secret') !== trust.clientSecret
    )
      return denied()
    const user = this.oidc.userFor(
      form.get('assertion') ?? '',
      '/oauth_token.do',
      {oneUse: true}
    )
    if (user === undefined) return denied()
    return this.issue(user.sys_id ?? '', trust.clientId, false)
  }

  private issue(userId: string, clientId: string, withRefresh: boolean): Reply {
    const lifetime = this.config.tokenLifetimeSeconds
    const accessToken = randomBytes(48).toString('base64url')
    this.access.set(accessToken, {
      userId,
      clientId,
      expiresAt: this.now() + lifetime * 1000
    })
    const body: Record<string, unknown> = {
      access_token: accessToken,
      scope: 'useraccount',
      token_type: 'Bearer',
      expires_in: lifetime - 1
    }
    if (withRefresh) {
      const refreshToken = randomBytes(48).toString('base64url')
      // Refresh tokens live 100 days by default on an instance.
      this.refresh.set(refreshToken, {
        userId,
        clientId,
        expiresAt: this.now() + 100 * 86_400_000
      })
      body.refresh_token = refreshToken
    }
    return {status: 200, json: body}
  }
}

function denied(): Reply {
  return {
    status: 401,
    json: {error_description: 'access_denied', error: 'server_error'}
  }
}
