/**
 * When to try a request again, and how long to wait first.
 *
 * Only what cannot have changed anything is retried blindly: idempotent
 * requests after a failure that may pass (failure.ts says which). A request that is not
 * safe to repeat is repeated only when it certainly never left; otherwise the
 * caller decides, e.g. by looking the record up by correlation id first.
 */

export interface RetryPolicy {
  /** Total tries including the first. */
  maxAttempts: number
  /** Backoff base: attempt n waits up to base * 2^(n-1), capped by maxDelayMs. */
  baseDelayMs: number
  maxDelayMs: number
  /**
   * Rate-limit answers that say when to come back (429 + Retry-After) do not use up
   * maxAttempts: one client (one step) waits them out up to this long in all, whatever the
   * headers say (rate_limit_wait_minutes). Coming back when told is not hammering, and a busy
   * shared instance should slow a deployment, not fail it; but a window that resets in an hour
   * is for a person to know about, not for a step to sleep through.
   */
  maxRateLimitWaitMs: number
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 1000,
  maxDelayMs: 30_000,
  maxRateLimitWaitMs: 10 * 60_000
}

/**
 * "Equal jitter": half the exponential delay fixed, half random. Keeps a floor
 * (unlike full jitter) while still spreading a herd of clients apart.
 */
export function backoffDelay(
  attempt: number,
  policy: RetryPolicy,
  random: () => number
): number {
  const exponential = Math.min(
    policy.maxDelayMs,
    policy.baseDelayMs * 2 ** Math.max(0, attempt - 1)
  )
  return Math.round(exponential / 2 + random() * (exponential / 2))
}

/**
 * Retry-After is either delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
 * ServiceNow sends seconds; proxies may send dates. Returns undefined when absent or unreadable
 * (a negative number, garbage), 0 for 0 or a date in the past: in each of those cases the
 * client waits by its own backoff instead, never not at all.
 */
export function parseRetryAfter(
  value: string | undefined,
  now: number
): number | undefined {
  if (value === undefined) return undefined
  const text = value.trim()
  if (/^\d{1,9}$/.test(text)) return Number(text) * 1000
  if (/^[-+\d.]*$/.test(text)) return undefined
  const date = Date.parse(text)
  if (Number.isNaN(date)) return undefined
  return Math.max(0, date - now)
}

/**
 * X-RateLimit-Reset: the Unix time (seconds) of the rule's next scheduled reset
 * (markdown/api-reference/rest-api-explorer/inbound-REST-API-rate-limiting.md). The time until
 * then, or undefined when absent, unreadable or past.
 */
export function parseRateLimitReset(
  value: string | undefined,
  now: number
): number | undefined {
  if (value === undefined || !/^\s*\d{1,12}\s*$/.test(value)) return undefined
  const ms = Number(value) * 1000 - now
  return ms > 0 ? ms : undefined
}
