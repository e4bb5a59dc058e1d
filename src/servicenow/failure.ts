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
   * or a gateway in between (500, 502, 503, 504), no answer in time, a connection reset or cut,
   * a DNS server that did not answer (EAI_AGAIN), a proxy's HTML page where JSON belongs.
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
   * redirect to a login page, a status no gateway sends for a passing fault (501, 505, …), a
   * host name that does not resolve (ENOTFOUND), a TLS certificate not trusted, an answer too
   * large, a network error not known to pass.
   */
  | 'permanent'

/** The sign-in endpoint of the OAuth grants; its 400 and 401 are refusals of the sign-in itself. */
export const TOKEN_PATH = '/oauth_token.do'

/**
 * Statuses a gateway or an instance sends for a fault that passes. 500 is among them: an instance
 * answers some passing conditions (a node restarting, a cancelled transaction) with 500, and
 * repeating an idempotent read costs one request; a 500 that is a script error simply fails
 * again after max_attempts tries.
 */
const PASSING_STATUSES: ReadonlySet<number> = new Set([500, 502, 503, 504])

/**
 * Network errors (node's error codes) that pass: the peer or a middlebox dropped or refused the
 * connection, a route was briefly missing, or the resolver did not answer (EAI_AGAIN, unlike
 * ENOTFOUND: the name exists, the lookup failed). Any other code (ENOTFOUND, a certificate or
 * TLS protocol error, EPROTO) is a setting to fix, not a fault to wait out.
 */
const PASSING_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH'
])

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
      return error.status !== undefined && PASSING_STATUSES.has(error.status)
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
  if (typeof code === 'string') return PASSING_NETWORK_CODES.has(code)
  // A socket closed before the answer without a code (node's "socket hang up") is a reset by another name.
  return /socket hang up/i.test(
    String((error.cause as Error | undefined)?.message)
  )
}
