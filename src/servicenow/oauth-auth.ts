import type {AuthDeps, Authenticator, AuthSettings} from './authenticator.js'
import {isTokenRefusal} from './failure.js'
import {
  explainTokenRefusal,
  SingleFlight,
  TOKEN_EXPIRY_MARGIN_MS,
  tokenFrom,
  type Token
} from './oauth-token.js'

type OAuthSettings = Extract<
  AuthSettings,
  {method: 'oauth_password' | 'oauth_client_credentials'}
>

/**
 * The OAuth password and client credentials grants at /oauth_token.do: a token kept until
 * shortly before it expires, renewed with its refresh token when there is one, else by signing
 * in again.
 */
export class OAuthAuthenticator implements Authenticator {
  readonly method: OAuthSettings['method']
  private token: Token | undefined
  private readonly signIns = new SingleFlight<Token>()

  constructor(
    private readonly settings: OAuthSettings,
    private readonly deps: AuthDeps
  ) {
    this.method = settings.method
    if (settings.method === 'oauth_password') deps.mask(settings.password)
    deps.mask(settings.clientSecret)
  }

  async authorization(): Promise<string> {
    const token = this.token
    if (
      token !== undefined &&
      this.deps.clock.now() < token.expiresAt - TOKEN_EXPIRY_MARGIN_MS
    ) {
      return `Bearer ${token.access}`
    }
    return `Bearer ${(await this.obtain()).access}`
  }

  async renew(): Promise<boolean> {
    if (this.token !== undefined) this.token = {...this.token, expiresAt: 0}
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
        return this.store(
          await this.deps.requestToken({
            ...this.client(),
            grant_type: 'refresh_token',
            refresh_token: refresh
          })
        )
      } catch (error) {
        // A refused refresh token (revoked, expired) is not fatal: sign in again from the start.
        if (!isTokenRefusal(error)) throw error
      }
    }
    const grant: Record<string, string> =
      this.settings.method === 'oauth_password'
        ? {
            grant_type: 'password',
            username: this.settings.username,
            password: this.settings.password
          }
        : {grant_type: 'client_credentials'}
    try {
      return this.store(
        await this.deps.requestToken({...this.client(), ...grant})
      )
    } catch (error) {
      throw explainTokenRefusal(
        error,
        TOKEN_REFUSAL_HINTS[this.settings.method]
      )
    }
  }

  private client(): Record<string, string> {
    return {
      client_id: this.settings.clientId,
      client_secret: this.settings.clientSecret
    }
  }

  private store(answer: unknown): Token {
    this.token = tokenFrom(answer, this.deps, this.token?.refresh)
    return this.token
  }
}

const TOKEN_REFUSAL_HINTS = {
  oauth_password:
    'check client_id and client_secret (System OAuth > Application Registry) and the username and password of the integration user',
  oauth_client_credentials:
    'check client_id and client_secret, and that the instance allows the client credentials grant ' +
    '(system property glide.oauth.inbound.client.credential.grant_type.enabled = true, Washington DC or later)'
} as const
