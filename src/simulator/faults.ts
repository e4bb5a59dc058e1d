/**
 * Faults the simulator injects on purpose, switchable at run time: a status
 * (optionally as an HTML page, with Retry-After), a dropped connection, a
 * request that never gets an answer, a hibernation page, a truncated body, or
 * extra latency. `when: 'after'` lets the instance act first and then loses or
 * spoils the answer: a create that landed although the client never heard so.
 * Two more misbehave in ways the client cannot tell from the answer alone:
 * swallow-state drops `state` from a write and answers as if it were made,
 * setting the change's approval to `approval` at the same moment (a proxy that
 * loses the move while an approver decides); answer sends `json` as the body.
 *
 * The hostile kinds (see hostile.ts) misbehave as networks, proxies and broken
 * instances do: trickle (headers, then a byte a second), cut (the connection
 * closes mid-body), huge (an answer far past any sane size), echo (an error
 * that repeats the request's credentials), endless-paging (a Link rel="next"
 * that never ends).
 */
export type FaultKind =
  | 'status'
  | 'drop'
  | 'hang'
  | 'html'
  | 'truncate'
  | 'delay'
  | 'expire-token'
  | 'trickle'
  | 'cut'
  | 'huge'
  | 'echo'
  | 'endless-paging'
  | 'swallow-state'
  | 'answer'

export const FAULT_KINDS: readonly FaultKind[] = [
  'status',
  'drop',
  'hang',
  'html',
  'truncate',
  'delay',
  'expire-token',
  'trickle',
  'cut',
  'huge',
  'echo',
  'endless-paging',
  'swallow-state',
  'answer'
]

export interface FaultRule {
  /** expire-token: every OAuth access token expires just before this request, which then goes on. */
  kind: FaultKind
  /** Only requests with this method (any when absent). */
  method?: string
  /** Only requests whose path (without query) contains this text. */
  path?: string
  /** Only requests whose decoded query string contains this text. */
  query?: string
  /** How many matching requests it affects (default 1; 0 = every one until cleared). */
  times?: number
  status?: number
  /** With kind 'status': answer with an HTML error page instead of the JSON envelope. */
  htmlBody?: boolean
  retryAfterSeconds?: number
  /** With kind 'status': more headers on the answer (a Location for a 3xx, rate-limit headers). */
  headers?: Record<string, string>
  /** With kind 'status': Retry-After exactly as given ("0", "-1", "soon", a date), for proxies that send odd ones. */
  retryAfter?: string
  /** With kind 'cut': how the body is framed before the cut (default content-length). */
  framing?: 'content-length' | 'chunked'
  /** With kind 'huge': the size of the answer (default 64 MB); declared in Content-Length unless framing is chunked. */
  bytes?: number
  delayMs?: number
  when?: 'before' | 'after'
  /** With kind 'swallow-state': the approval the change has once the write is answered. */
  approval?: string
  /** With kind 'answer': the JSON body sent (with status, default 200)... */
  json?: unknown
  /** ...or this text as it is, for what JSON.stringify cannot write (1e400). */
  text?: string
}

interface ActiveRule extends FaultRule {
  id: number
  used: number
}

export class Faults {
  private rules: ActiveRule[] = []
  private nextId = 1

  add(rule: FaultRule): number {
    if (!FAULT_KINDS.includes(rule.kind))
      throw new Error(`fault kind must be one of ${FAULT_KINDS.join(', ')}`)
    if (
      rule.kind === 'status' &&
      (rule.status === undefined || rule.status < 100 || rule.status > 599)
    )
      throw new Error('a status fault needs status 100-599')
    const id = this.nextId++
    this.rules.push({...rule, id, used: 0})
    return id
  }

  clear(): void {
    this.rules = []
  }

  list(): FaultRule[] {
    return this.rules.map(r => ({...r}))
  }

  /**
   * What happens to this request at this phase: the added delay of every
   * matching delay rule, and the first matching other rule, in the order they
   * were added. Only the rules applied use up one of their times.
   */
  take(
    method: string,
    path: string,
    query: string,
    when: 'before' | 'after'
  ): {delayMs: number; fault: FaultRule | undefined} {
    const hits = this.rules.filter(
      r =>
        (r.when ?? 'before') === when &&
        (r.method === undefined || r.method.toUpperCase() === method) &&
        (r.path === undefined || path.includes(r.path)) &&
        (r.query === undefined || query.includes(r.query))
    )
    const delays = hits.filter(r => r.kind === 'delay')
    const fault = hits.find(r => r.kind !== 'delay')
    for (const r of [...delays, ...(fault === undefined ? [] : [fault])])
      r.used++
    this.rules = this.rules.filter(
      r => (r.times ?? 1) === 0 || r.used < (r.times ?? 1)
    )
    return {
      delayMs: delays.reduce((sum, r) => sum + (r.delayMs ?? 0), 0),
      fault
    }
  }
}
