import { SnError } from './errors.js'

export interface RateLimitConfig {
  /** Requests allowed per user per window. */
  limit: number
  /** Window length; a real rule counts per hour. */
  windowMs: number
}

/**
 * A rate-limit rule: a fixed window per user. A denied request gets 429 with
 * Retry-After (seconds), X-RateLimit-Limit, X-RateLimit-Reset (Unix time) and
 * X-RateLimit-Rule, and is not processed.
 */
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>()

  constructor(
    public config: RateLimitConfig | undefined,
    private readonly now: () => number
  ) {}

  check(user: string): void {
    const config = this.config
    if (config === undefined) return
    const now = this.now()
    let window = this.windows.get(user)
    if (window === undefined || now >= window.start + config.windowMs) {
      window = { start: now, count: 0 }
      this.windows.set(user, window)
    }
    window.count++
    if (window.count <= config.limit) return
    const resetAt = window.start + config.windowMs
    const per = config.windowMs === 3_600_000 ? 'hour' : `${Math.round(config.windowMs / 1000)} seconds`
    throw new SnError(429, 'Rate limit exceeded', `Rate limit of ${config.limit} requests per ${per} for Table API exceeded`, {
      'Retry-After': String(Math.max(1, Math.ceil((resetAt - now) / 1000))),
      'X-RateLimit-Limit': String(config.limit),
      'X-RateLimit-Reset': String(Math.ceil(resetAt / 1000)),
      'X-RateLimit-Rule': 'b0f4c3a2d1e04f5a9c8b7a6f5e4d3c2b'
    })
  }

  reset(): void {
    this.windows.clear()
  }
}
