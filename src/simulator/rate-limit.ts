import {SnError} from './errors.js'

export interface RateLimitConfig {
  /** Requests allowed per user per window. */
  limit: number
  /** Window length; a real rule counts per hour. */
  windowMs: number
}

/** The sys_id of the one rule the simulator enforces (sys_rate_limit_rules). */
export const RATE_LIMIT_RULE = 'b0f4c3a2d1e04f5a9c8b7a6f5e4d3c2b'

/**
 * A rate-limit rule as ServiceNow applies one
 * (markdown/api-reference/rest-api-explorer/inbound-REST-API-rate-limiting.md,
 * create-REST-API-rate-limits.md, reset-rest-api-rate-limits.md): requests
 * counted per user in windows that reset on a schedule (hourly on an instance,
 * at the top of the hour here; shorter windows for tests keep the same
 * alignment), not an hour from the first request. Every answer to a request
 * that matches the rule carries X-RateLimit-Limit (requests allowed per
 * window), X-RateLimit-Reset (Unix time of the next scheduled reset) and
 * X-RateLimit-Rule (the rule's sys_id); a denied request gets 429 with those
 * and Retry-After (seconds until the reset, so many minutes late in a window),
 * and is not processed. Not modelled: an instance commits counts every 30 s,
 * so a rule may take effect up to 30 s late.
 */
export class RateLimiter {
  private readonly windows = new Map<string, {start: number; count: number}>()

  constructor(
    public config: RateLimitConfig | undefined,
    private readonly now: () => number
  ) {}

  /** The rule's headers for this request's answer (undefined when no rule is set); throws the 429 when over the limit. */
  check(user: string): Record<string, string> | undefined {
    const config = this.config
    if (config === undefined) return undefined
    const now = this.now()
    const start = Math.floor(now / config.windowMs) * config.windowMs
    let window = this.windows.get(user)
    if (window === undefined || window.start !== start) {
      window = {start, count: 0}
      this.windows.set(user, window)
    }
    window.count++
    const resetAt = start + config.windowMs
    const headers = {
      'X-RateLimit-Limit': String(config.limit),
      'X-RateLimit-Reset': String(Math.ceil(resetAt / 1000)),
      'X-RateLimit-Rule': RATE_LIMIT_RULE
    }
    if (window.count <= config.limit) return headers
    const per =
      config.windowMs === 3_600_000
        ? 'hour'
        : `${Math.round(config.windowMs / 1000)} seconds`
    throw new SnError(
      429,
      'Rate limit exceeded',
      `Rate limit of ${config.limit} requests per ${per} for Table API exceeded`,
      {
        ...headers,
        'Retry-After': String(Math.max(1, Math.ceil((resetAt - now) / 1000)))
      }
    )
  }

  reset(): void {
    this.windows.clear()
  }
}
