import type {IncomingHttpHeaders} from 'node:http'

/**
 * What a rate-limit rule tells this client on every answer, and how the client paces itself
 * from it. Source: markdown/api-reference/rest-api-explorer/inbound-REST-API-rate-limiting.md:
 * a rule counts requests per user per hour; every answer to a request that matches one carries
 * X-RateLimit-Limit (requests allowed per hour), X-RateLimit-Reset (Unix time of the next
 * scheduled reset) and X-RateLimit-Rule; a refused request gets 429 and Retry-After too.
 * X-RateLimit-Remaining is not documented there and is not read.
 *
 * One client is one step of one deployment. Many may share the integration user, and so one
 * count, without knowing of each other: all a client can do is keep its own demand small and,
 * when turned away, come back at a moment its peers are unlikely to pick.
 */

/** The documented rule period; no window is assumed longer. */
export const RULE_PERIOD_MS = 3_600_000

/** The most windows a return is spread over after refusals in a row. */
const MAX_SPREAD_WINDOWS = 8

export class RatePacing {
  /** Requests the rule allows per window, when an answer said. */
  private limit: number | undefined
  /** The last X-RateLimit-Reset seen, in ms. */
  private resetAt: number | undefined
  /**
   * The window's length: exact once two answers named different resets (they move a whole
   * window at a time); before that, the longest time to a reset seen, which is no longer than it.
   */
  private windowMs = 0
  private windowKnown = false
  private refusedInARow = 0
  /** 429s this client was given, in all: the wait loop reads a rise as pressure. */
  refusals = 0

  /** Reads the rule's headers from any answer, served or refused. */
  observe(headers: IncomingHttpHeaders, status: number, now: number): void {
    const limit = integer(headers['x-ratelimit-limit'])
    if (limit !== undefined && limit > 0) this.limit = limit
    const reset = integer(headers['x-ratelimit-reset'])
    if (reset !== undefined) {
      const resetAt = reset * 1000
      const step = this.resetAt === undefined ? 0 : resetAt - this.resetAt
      // A later reset means a new window: the smallest such step is one window (a client that
      // slept through several sees a multiple first).
      if (step > 0 && step <= RULE_PERIOD_MS) {
        this.windowMs = this.windowKnown ? Math.min(this.windowMs, step) : step
        this.windowKnown = true
      } else if (!this.windowKnown)
        this.windowMs = Math.min(
          RULE_PERIOD_MS,
          Math.max(this.windowMs, resetAt - now)
        )
      this.resetAt = Math.max(this.resetAt ?? 0, resetAt)
    }
    if (status === 429) {
      this.refusals++
      this.refusedInARow++
    } else if (status < 400) this.refusedInARow = 0
  }

  /**
   * After a 429 that said to come back in `afterMs` (at the reset): how long to hold all of this
   * client's requests. Everyone turned away in a window hears the same reset; coming back at it
   * together would spend the new window at once and turn the rest away again. So each returns at
   * a random moment over the next two windows, twice as many after each refusal in a row, but
   * never over more than the demand seems to need (nor eight): a window that ran out a quarter
   * of the way through was asked for about four windows' worth, and spreading wider would leave
   * windows idle at the end. (Measured with 1,000 deployments on one user, npm run bench --
   * scale: one window left most of them to be turned away again in the next; starting at half
   * the estimate over-spread the first burst and left the last windows a third used.) Without a
   * window to go by (no X-RateLimit-Reset, e.g. a proxy's 429) the return is spread over as long
   * again as the wait, doubling with each refusal in a row likewise.
   */
  holdAfterRefusal(afterMs: number, now: number, random: () => number): number {
    const doubling = 2 ** Math.max(0, this.refusedInARow - 1)
    if (this.windowMs === 0 || this.resetAt === undefined)
      return (
        afterMs + random() * afterMs * Math.min(MAX_SPREAD_WINDOWS, doubling)
      )
    // How far into its window this refusal came: the window ran out no later than that.
    const into = now - (this.resetAt - this.windowMs)
    const demand = Math.min(
      MAX_SPREAD_WINDOWS,
      Math.max(1, Math.round(this.windowMs / Math.max(into, 1)))
    )
    const windows = Math.min(demand, 2 * doubling)
    return afterMs + random() * this.windowMs * windows
  }

  /**
   * The shortest poll interval that keeps one waiting step to half of what the rule allows per
   * window (0 when no rule was named): a limit of 100 an hour makes it 72 s, so that a wait never
   * spends alone the requests its deployment's other steps, and its peers, need too.
   */
  pollFloorMs(): number {
    if (this.limit === undefined || this.windowMs === 0) return 0
    return (2 * this.windowMs) / this.limit
  }
}

function integer(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value
  return text !== undefined && /^\s*\d{1,12}\s*$/.test(text)
    ? Number(text)
    : undefined
}
