import type {AuthDeps, Authenticator, AuthSettings} from './authenticator.js'
import {
  explainTokenRefusal,
  SingleFlight,
  TOKEN_EXPIRY_MARGIN_MS,
  tokenFrom
} from './oauth-token.js'
import {decodeJwt, stringClaim, timeClaim} from './jwt.js'

type OidcSettings = Extract<AuthSettings, {method: 'oidc' | 'oidc_jwt_bearer'}>

/** RFC 7523 §2.1: the grant_type of "JWT Bearer Token as an Authorization Grant". */
const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer'

interface IdToken {
  value: string
  header: Record<string, unknown>
  claims: Record<string, unknown>
  expiresAt: number | undefined
}

/**
 * Signs in with GitHub's OIDC ID token: presented as the bearer token itself
 * (`oidc`, for an instance with an OIDC provider entry that trusts GitHub), or
 * exchanged for an access token by the JWT bearer grant (`oidc_jwt_bearer`).
 *
 * GitHub's ID tokens are short-lived (their exp says how long), so a new one is
 * asked for before the current one runs out, and after a 401. The JWT bearer
 * grant gets a new ID token for every exchange: its entry verifies the jti
 * claim by default and refuses a token it has seen (ServiceNow docs,
 * configure-an-oauth-jwt-bearer-grant.md, "Enable JTI Verification").
 *
 * What the instance checks, from its docs: the OIDC provider entry wants aud =
 * its Client ID and maps a User Claim to a User Field (add-OIDC-entity.md); the
 * JWT bearer entry wants aud = its Client ID, matches sub against its User
 * Field, and accepts an iss other than the Client ID only through an OAuth JWT
 * Claim Validation ("Create an OAuth JWT API endpoint for external clients",
 * Xanadu). GitHub's iss is always https://token.actions.githubusercontent.com.
 */
export class OidcAuthenticator implements Authenticator {
  readonly method: OidcSettings['method']
  /** The last ID token GitHub gave: presented as is, or exchanged. */
  private idToken: IdToken | undefined
  /** What goes in the Authorization header: the ID token itself, or the access token it was exchanged for. */
  private bearer: {value: string; expiresAt: number | undefined} | undefined
  private readonly signIns = new SingleFlight<string>()

  constructor(
    private readonly settings: OidcSettings,
    private readonly deps: AuthDeps
  ) {
    this.method = settings.method
    if (settings.method === 'oidc_jwt_bearer' && settings.clientSecret !== '')
      deps.mask(settings.clientSecret)
  }

  async authorization(): Promise<string> {
    const current = this.bearer
    if (
      current !== undefined &&
      (current.expiresAt === undefined ||
        this.deps.clock.now() < current.expiresAt - TOKEN_EXPIRY_MARGIN_MS)
    ) {
      return `Bearer ${current.value}`
    }
    // A token fresher than the margin is still used: it is the newest GitHub will give.
    return `Bearer ${await this.signIns.run(() => this.signIn())}`
  }

  /** After a 401: the retried request signs in afresh (once: it uses what it gets, stale or not). */
  async renew(): Promise<boolean> {
    this.bearer = undefined
    return true
  }

  private async signIn(): Promise<string> {
    const id = await this.requestIdToken()
    if (this.settings.method === 'oidc') {
      this.bearer = {value: id.value, expiresAt: id.expiresAt}
      return id.value
    }
    const form: Record<string, string> = {
      grant_type: JWT_BEARER_GRANT,
      client_id: this.settings.clientId,
      assertion: id.value
    }
    // A public client has no secret; a confidential one must send it.
    if (this.settings.clientSecret !== '')
      form.client_secret = this.settings.clientSecret
    let answer: unknown
    try {
      answer = await this.deps.requestToken(form)
    } catch (error) {
      throw explainTokenRefusal(error, this.describeRefusal(id))
    }
    const access = tokenFrom(answer, this.deps)
    this.bearer = {value: access.access, expiresAt: access.expiresAt}
    return access.access
  }

  private async requestIdToken(): Promise<IdToken> {
    if (this.deps.idToken === undefined)
      throw new Error(
        `auth ${this.method} needs GitHub's OIDC ID token, and none can be asked for here.`
      )
    const value = await this.deps.idToken(this.settings.audience)
    this.deps.mask(value)
    const decoded = decodeJwt(value)
    if (decoded === undefined)
      throw new Error(
        'GitHub answered the OIDC token request with something that is not a JSON Web Token.'
      )
    this.idToken = {
      value,
      header: decoded.header,
      claims: decoded.claims,
      expiresAt: timeClaim(decoded.claims, 'exp')
    }
    return this.idToken
  }

  /**
   * After a final 401 on an API call. Only the ID token presented as bearer is
   * explained: with the JWT bearer grant the call carried an access token the
   * instance issued, and a refused exchange is explained where it happens.
   */
  explainRefusal(): string | undefined {
    return this.method === 'oidc' && this.idToken !== undefined
      ? this.describeRefusal(this.idToken)
      : undefined
  }

  /**
   * ServiceNow says only "User Not Authenticated" (or access_denied from the
   * token endpoint) and keeps the reason in its system log. This says what the
   * token claimed and every check it has to pass, so the admin can compare
   * them with the instance's entry; the checks this runner can make itself
   * (expiry, the audience GitHub put in) come first.
   */
  private describeRefusal(token: IdToken): string {
    const {claims, header} = token
    const iss = stringClaim(claims, 'iss') ?? '(none)'
    const aud = JSON.stringify(claims.aud ?? null)
    const sub = stringClaim(claims, 'sub') ?? '(none)'
    const kid = typeof header.kid === 'string' ? header.kid : '(none)'
    const found: string[] = []
    const now = this.deps.clock.now()
    if (token.expiresAt !== undefined && token.expiresAt <= now) {
      found.push(
        `The token had expired ${Math.round((now - token.expiresAt) / 1000)} s before it was sent (exp ${new Date(token.expiresAt).toISOString()}); check the runner's clock.`
      )
    }
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud]
    if (!audiences.includes(this.settings.audience))
      found.push(
        `GitHub issued it for audience ${aud}, not the '${this.settings.audience}' asked for.`
      )
    const shown = `The token: issuer ${iss}, audience ${aud}, subject '${sub}', signed with key id '${kid}' (${String(header.alg)}), expires ${token.expiresAt === undefined ? 'never (no exp)' : new Date(token.expiresAt).toISOString()}.`
    const entry =
      this.settings.method === 'oidc'
        ? `ServiceNow accepts it only through an active OIDC provider entry (System OAuth > Application Registry > "Configure an OIDC provider to verify ID tokens") whose Client ID is '${this.settings.audience}' (the oidc_audience input), ` +
          `whose OIDC provider configuration has the metadata URL ${iss}/.well-known/openid-configuration (its JWKS must hold key id '${kid}'), ` +
          `and whose User Claim's value in this token (sub is '${sub}') equals the User Field of an active user.`
        : `ServiceNow exchanges it only through an active JWT bearer grant entry whose Client ID is '${this.settings.clientId}' (client_id) and equals the token's audience, ` +
          `whose JWKS URL (${iss}/.well-known/jwks) holds key id '${kid}', which accepts the issuer ${iss} (an OAuth JWT claim validation, since it differs from the Client ID), ` +
          `whose User Field matches sub '${sub}' to an active user, with client_secret unless the client is public; each token is exchanged once (jti).`
    const said =
      this.settings.method === 'oidc'
        ? "ServiceNow did not accept GitHub's OIDC token"
        : "ServiceNow refused to exchange GitHub's OIDC token"
    return [
      `${said}; it does not say why (its system log does).`,
      ...found,
      shown,
      entry
    ].join(' ')
  }
}
