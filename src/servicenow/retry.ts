/**
 * When to try a request again, and how long to wait first.
 *
 * Only what cannot have changed anything is retried blindly: idempotent
 * requests on network errors, timeouts, 429 and 5xx. A request that is not
 * safe to repeat is repeated only when it certainly never left; otherwise the
 * caller decides, e.g. by looking the record up by correlation id first.
 */

export interface RetryPolicy {
  /** Total tries including the first. */
  maxAttempts: number
  /** Backoff base: attempt n waits up to base * 2^(n-1), capped by maxDelayMs. */
  baseDelayMs: number
  maxDelayMs: number
  /** A Retry-After longer than this is not waited out: the caller hears about it instead. */
  maxRetryAfterMs: number
  /**
   * Rate-limit answers that say when to come back (429 + Retry-After) do not use up
   * maxAttempts: one request waits them out up to this long in all. Coming back when told is
   * not hammering, and a busy shared instance should slow a deployment, not fail it.
   */
  maxRateLimitWaitMs: number
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 1000,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 120_000,
  maxRateLimitWaitMs: 10 * 60_000
}

/**
 * 500 is among them: an instance answers some passing conditions (a node restarting, a
 * cancelled transaction) with 500, and repeating an idempotent read costs one request.
 * A 500 that is a script error simply fails again after max_attempts tries.
 */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 500, 502, 503, 504])

/**
 * "Equal jitter": half the exponential delay fixed, half random. Keeps a floor
 * (unlike full jitter) while still spreading a herd of clients apart.
 */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1))
  return Math.round(exponential / 2 + random() * (exponential / 2))
}

/**
 * Retry-After is either delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
 * ServiceNow sends seconds; proxies may send dates. Returns undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined
  const text = value.trim()
  if (/^\d+$/.test(text)) return Number(text) * 1000
  const date = Date.parse(text)
  if (Number.isNaN(date)) return undefined
  return Math.max(0, date - now)
}
