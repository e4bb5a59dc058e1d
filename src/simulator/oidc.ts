import {verifyJwt, type OidcTrust} from './jwt-verifier.js'
import type {Row, Store} from './store.js'

export interface Refusal {
  at: number
  /** Where the token was presented: an API path, or /oauth_token.do for the JWT bearer grant. */
  path: string
  reason: string
}

/**
 * Signs users in with ID tokens from a trusted OIDC provider: as the bearer
 * token of an API call, or as the assertion of the JWT bearer grant. Every
 * refusal's reason is kept (GET /__sim/auth-refusals), the way an instance
 * writes it to its system log while the caller only hears 401.
 */
export class OidcSignIn {
  readonly refusals: Refusal[] = []
  /** jti values already exchanged: the JWT bearer grant refuses a replayed token (JTI verification, on by default). */
  private readonly exchanged = new Set<string>()

  constructor(
    private readonly store: Store,
    public trust: OidcTrust | undefined,
    private readonly now: () => number
  ) {}

  /** The user an ID token names, or undefined (with the reason recorded). */
  userFor(
    token: string,
    path: string,
    options: {oneUse?: boolean} = {}
  ): Row | undefined {
    const trust = this.trust
    if (trust === undefined)
      return this.refuse(
        path,
        'no OIDC provider is configured on this instance'
      )
    const verdict = verifyJwt(token, trust, this.now())
    if (!verdict.ok) return this.refuse(path, verdict.reason)
    const field = trust.userField ?? 'user_name'
    const user = this.store
      .rows('sys_user')
      .find(u => u[field] === verdict.user && u.active === 'true')
    if (user === undefined)
      return this.refuse(
        path,
        `no active user whose ${field} is '${verdict.user}' (claim ${trust.userClaim ?? 'sub'})`
      )
    if (options.oneUse === true) {
      const jti =
        typeof verdict.claims.jti === 'string' ? verdict.claims.jti : ''
      if (jti === '')
        return this.refuse(path, 'no jti claim, and JTI verification is on')
      if (this.exchanged.has(jti))
        return this.refuse(
          path,
          `token replayed: jti '${jti}' was already exchanged`
        )
      this.exchanged.add(jti)
    }
    return user
  }

  private refuse(path: string, reason: string): undefined {
    this.refusals.push({at: this.now(), path, reason})
    return undefined
  }
}
