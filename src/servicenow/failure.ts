import {ServiceNowError} from './errors.js'
import {ExchangeError} from './exchange.js'

/**
 * What a failed request means for asking again, decided here once for every caller: the
 * connection's own retries, the create that checks before it repeats (checked-create.ts),
 * the wait that polls for an hour (change/wait-loop.ts), and the OAuth sign-ins.
 */
export type FailureClass =
  /**
   * 429: a rate-limit rule turned the request away before it ran. It passes when the rule's
   * window resets, which the instance usually says (Retry-After, X-RateLimit-Reset).
   */
  | 'rate-limited'
  /**
   * Likely to pass within seconds or minutes without anyone doing anything: a node restarting
   * or a gateway in between (a 5xx but those in SETUP_STATUSES), no answer in time, a network
   * failure but those in SETUP_NETWORK_CODES (a reset, a cut, a resolver that did not answer),
   * a proxy's HTML page where JSON belongs.
   */
  | 'transient'
  /**
   * The token endpoint read the sign-in and said no (400 or 401 at /oauth_token.do): the client,
   * the credentials or the assertion are wrong. Asking again gets the same no; the caller says
   * what to check, or (a refused refresh token) signs in from the start instead.
   */
  | 'token-refused'
  /**
   * Asking again gets the same answer until a person changes something: any other 4xx, a
   * redirect to a login page, a 5xx that names a setup (501, 505, …), a host name that does
   * not resolve (ENOTFOUND), TLS refusing the peer, an answer too large.
   */
  | 'permanent'

/** The sign-in endpoint of the OAuth grants; its 400 and 401 are refusals of the sign-in itself. */
export const TOKEN_PATH = '/oauth_token.do'

/**
 * 5xx statuses that name a setup to fix, not a fault that passes: the server does not implement
 * the method (501) or speak the HTTP version (505), a negotiation or forwarding loop is
 * misconfigured (506, 508, 510), or a proxy wants its own sign-in (511). Every other 5xx passes:
 * an instance answers some passing conditions (a node restarting, a cancelled transaction) with
 * 500, gateways and CDNs in front of it say 502, 503, 504 and 520-529 while a node is away. A
 * 5xx that is really a script error simply fails again after max_attempts tries.
 */
const SETUP_STATUSES: ReadonlySet<number> = new Set([
  501, 505, 506, 508, 510, 511
])

/**
 * Network errors (node's error codes) that name a setting to fix: the host name does not exist
 * (ENOTFOUND; the resolver's EAI_FAIL and EAI_NONAME likewise), the URL is not one, or TLS refused the peer (a
 * certificate not trusted or not matching, a protocol the two sides do not share). Every other
 * network failure passes: a reset, a refusal while a node restarts, a route or network briefly
 * down, a resolver that did not answer (EAI_AGAIN), a garbled or cut answer (HPE_*, a premature
 * close), a socket closed with no code at all.
 */
const SETUP_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ENOTFOUND',
  'EAI_FAIL',
  'EAI_NONAME',
  'EPROTO',
  'ERR_INVALID_URL'
])

/** Node's names for a certificate or TLS refusal (ERR_TLS_*, CERT_*, UNABLE_TO_VERIFY_*, SELF_SIGNED_*, …). */
const TLS_CODE = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/i

/** Whether a network error code is TLS refusing the peer (the connection says what to do about it). */
export function isTlsRefusal(code: string): boolean {
  return TLS_CODE.test(code)
}

/** How to treat a failure; anything that is not a ServiceNowError (a bug, an InputError) is permanent. */
export function classifyFailure(error: unknown): FailureClass {
  if (!(error instanceof ServiceNowError)) return 'permanent'
  switch (error.kind) {
    case 'http':
      if (error.status === 429) return 'rate-limited'
      if (
        error.path === TOKEN_PATH &&
        (error.status === 400 || error.status === 401)
      )
        return 'token-refused'
      return error.status !== undefined &&
        error.status >= 500 &&
        error.status <= 599 &&
        !SETUP_STATUSES.has(error.status)
        ? 'transient'
        : 'permanent'
    case 'timeout':
      return 'transient'
    case 'invalid-response':
      // An HTML page or a cut body where JSON belongs is a proxy's glitch (a hibernating instance
      // just fails a few tries later); an answer past MAX_ANSWER_BYTES comes back as large.
      return isTooLarge(error) ? 'permanent' : 'transient'
    case 'network':
      return isPassingNetworkError(error) ? 'transient' : 'permanent'
  }
}

/** Whether asking again, after a wait, may get an answer: transient failures and rate limits. */
export function mayPass(error: unknown): boolean {
  const failure = classifyFailure(error)
  return failure === 'transient' || failure === 'rate-limited'
}

/** Whether the token endpoint turned the sign-in down (bad client, credentials or assertion), rather than failing. */
export function isTokenRefusal(error: unknown): error is ServiceNowError {
  return classifyFailure(error) === 'token-refused'
}

function isTooLarge(error: ServiceNowError): boolean {
  return (
    error.cause instanceof ExchangeError && error.cause.failure === 'too-large'
  )
}

function isPassingNetworkError(error: ServiceNowError): boolean {
  // A cut answer is a glitch of the network or a proxy, like a reset.
  if (error.cause instanceof ExchangeError) return error.cause.failure === 'cut'
  const code = (error.cause as {code?: unknown} | undefined)?.code
  if (typeof code !== 'string') return true
  return !SETUP_NETWORK_CODES.has(code) && !isTlsRefusal(code)
}
