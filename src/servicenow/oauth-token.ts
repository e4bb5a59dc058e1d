import type {AuthDeps} from './authenticator.js'
import {ServiceNowError} from './errors.js'
import {isTokenRefusal, TOKEN_PATH} from './failure.js'

/**
 * What the authenticators that sign in at /oauth_token.do share (OAuth password and client
 * credentials grants, the JWT bearer grant): reading the token the instance issued, one sign-in
 * at a time, and a refusal explained.
 */

/** Refresh this long before the instance's stated expiry, so no request is sent with a dying token. */
export const TOKEN_EXPIRY_MARGIN_MS = 60_000

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
export function tokenFrom(
  answer: unknown,
  deps: Pick<AuthDeps, 'mask' | 'clock'>,
  previousRefresh?: string
): Token {
  const body = answer as {
    access_token?: unknown
    refresh_token?: unknown
    expires_in?: unknown
  }
  if (typeof body?.access_token !== 'string' || body.access_token === '') {
    throw new ServiceNowError({
      kind: 'invalid-response',
      method: 'POST',
      path: TOKEN_PATH,
      message: 'the token endpoint answered without an access_token'
    })
  }
  deps.mask(body.access_token)
  const refresh =
    typeof body.refresh_token === 'string' && body.refresh_token !== ''
      ? body.refresh_token
      : previousRefresh
  if (refresh !== undefined) deps.mask(refresh)
  // ServiceNow's default access token lifespan is 1800 s; expires_in says the instance's own.
  const lifetimeSeconds =
    typeof body.expires_in === 'number'
      ? body.expires_in
      : Number(body.expires_in ?? 1800)
  const expiresAt =
    deps.clock.now() +
    (Number.isFinite(lifetimeSeconds) ? lifetimeSeconds : 1800) * 1000
  return {access: body.access_token, refresh, expiresAt}
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
