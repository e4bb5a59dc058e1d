import type {ChangeRecord} from '../servicenow/change-record.js'
import type {Clock} from '../servicenow/clock.js'
import {ServiceNowError} from '../servicenow/errors.js'
import {mayPass} from '../servicenow/failure.js'

export type Decision =
  | 'approved'
  | 'rejected'
  | 'canceled'
  | 'timeout'
  /** on_conflict: fail, and the change has conflicts in its window (conflict-policy.ts). */
  | 'conflict'

export interface WaitOutcome {
  decision: Decision | 'aborted'
  /** Why, in words, when the change may not be implemented. */
  reason: string
  record: ChangeRecord | undefined
  waitedMs: number
  polls: number
}

export interface WaitLoopOptions {
  timeoutMs: number
  pollIntervalMs: number
  proceedWhen: 'approved' | 'implement'
  honorChangeWindow: boolean
  clock: Clock
  random: () => number
  /** Reads the change once (one request). */
  poll: () => Promise<ChangeRecord>
  signal?: AbortSignal
  info: (line: string) => void
  warn: (line: string) => void
  /** Called with each record whose state or approval differs from the last one seen. */
  onChange?: (record: ChangeRecord) => void
  /** How often a long wait says it is still waiting when nothing changed (default 5 minutes). */
  progressEveryMs?: number
  /**
   * A last check once the change may otherwise proceed (conflict-policy.ts): it may hold the wait
   * or stop it. Its failures are treated as a failed poll's.
   */
  beforeProceed?: (record: ChangeRecord) => Promise<Verdict>
  /** What the instance's rate-limit rule told the client (servicenow/rate-pacing.ts): the loop paces itself by it. */
  pacing?: PollPacing
}

/** The part of the client's rate pacing the loop reads. */
export interface PollPacing {
  /** 429s the client was given so far. */
  readonly refusals: number
  /** The shortest interval the rule's limit allows one waiting step (0: no rule named). */
  pollFloorMs(): number
}

/** The most the loop stretches its interval under a rate limit: 30 s becomes 4 min. */
const MAX_STRETCH = 8
/** Served polls in a row after which a stretched interval is halved again. */
const EASE_AFTER = 3

export type Verdict =
  | {kind: 'proceed'}
  | {kind: 'wait'; why: string}
  | {kind: 'stop'; decision: Decision; reason: string}

/**
 * Waits until the change may be implemented, it may not, or time runs out.
 * A loop, not recursion; time and randomness are injected so tests run it
 * instantly. A check that fails in a way that passes (servicenow/failure.ts:
 * rate-limited or transient) does not end the wait: the client has already
 * retried it with backoff, and the loop checks again one poll interval later
 * (or when the instance's Retry-After says), until the deadline. Any other
 * failure ends the wait with its own message.
 */
export async function waitForDecision(
  options: WaitLoopOptions
): Promise<WaitOutcome> {
  const {clock} = options
  const started = clock.now()
  const deadline = started + options.timeoutMs
  let record: ChangeRecord | undefined
  let polls = 0
  let failures = 0
  let lastError: ServiceNowError | undefined
  let lastWhy = ''
  // A wait of hours must not be one silent line: say where it stands every few minutes.
  const progressEveryMs = options.progressEveryMs ?? 5 * 60_000
  let lastLineAt = started
  // Under a rate limit the interval stretches, ×2 for each poll that was turned away (and held by
  // the client until it could come back), and halves again after a run of served polls: the
  // fleet of gates sharing one integration user asks less of the instance while it is saying no.
  let stretch = 1
  let servedInARow = 0
  let spokenInterval = options.pollIntervalMs
  const done = (
    decision: WaitOutcome['decision'],
    reason: string
  ): WaitOutcome => ({
    decision,
    reason,
    record,
    waitedMs: clock.now() - started,
    polls
  })

  for (;;) {
    if (options.signal?.aborted)
      return done('aborted', 'the workflow run was cancelled while waiting')
    const refusedBefore = options.pacing?.refusals ?? 0
    try {
      polls++
      const seen = await options.poll()
      if (
        record === undefined ||
        seen.state !== record.state ||
        seen.approval !== record.approval
      )
        options.onChange?.(seen)
      record = seen
      failures = 0
      lastError = undefined
      let verdict = evaluate(seen, clock.now(), options)
      if (verdict.kind === 'proceed' && options.beforeProceed !== undefined)
        verdict = await options.beforeProceed(seen)
      if (verdict.kind === 'proceed') return done('approved', '')
      if (verdict.kind === 'stop') return done(verdict.decision, verdict.reason)
      if (verdict.why !== lastWhy) {
        options.info(verdict.why)
        lastLineAt = clock.now()
      }
      lastWhy = verdict.why
    } catch (error) {
      // What may pass is ridden out until the deadline; what will not (bad credentials, a deleted
      // change, a certificate not trusted, a host name that does not resolve) ends the wait with its message.
      if (!(error instanceof ServiceNowError) || !mayPass(error)) throw error
      failures++
      lastError = error
    }
    if (options.signal?.aborted)
      return done('aborted', 'the workflow run was cancelled while waiting')
    const now = clock.now()
    if (options.timeoutMs === 0 || now >= deadline) {
      const why =
        lastError !== undefined
          ? `the last check failed: ${lastError.message}`
          : lastWhy
      return done(
        'timeout',
        options.timeoutMs === 0
          ? `checked once: ${why}`
          : `no decision within ${Math.round(options.timeoutMs / 60_000)} min (${why})`
      )
    }
    if (now - lastLineAt >= progressEveryMs) {
      const last =
        lastError !== undefined
          ? `the last check failed (${lastError.message}); before that: ${lastWhy || 'nothing seen yet'}`
          : lastWhy
      options.info(
        `Still waiting after ${minutes(now - started)}, ${polls} checks, ${minutes(deadline - now)} left: ${last}`
      )
      lastLineAt = now
    }
    if ((options.pacing?.refusals ?? 0) > refusedBefore) {
      stretch = Math.min(MAX_STRETCH, stretch * 2)
      servedInARow = 0
    } else if (lastError === undefined && ++servedInARow >= EASE_AFTER) {
      stretch = Math.max(1, stretch / 2)
      servedInARow = 0
    }
    // The rule's floor slows polls by no more than a refusal would: a proxy's "limit 1" must not
    // turn a 30 s interval into hours.
    const interval = Math.max(
      options.pollIntervalMs * stretch,
      Math.min(
        options.pacing?.pollFloorMs() ?? 0,
        options.pollIntervalMs * MAX_STRETCH
      )
    )
    if (interval !== spokenInterval) {
      options.info(
        interval === options.pollIntervalMs
          ? `Checking every ${seconds(interval)} again.`
          : `${stretch > 1 ? 'The instance is turning requests away (rate limit)' : "The instance's rate limit (X-RateLimit-Limit) leaves one step less"}: checking every ${seconds(interval)} instead of ${seconds(options.pollIntervalMs)}.`
      )
      spokenInterval = interval
    }
    // ±10 % so that many gates started together do not poll in step.
    let delay = interval * (0.9 + 0.2 * options.random())
    if (lastError !== undefined) {
      // Each poll already retried with exponential backoff inside the client; between polls the
      // cadence stays the poll interval, so the approval is seen within one interval of the
      // instance answering again. Only the instance's own Retry-After stretches it (an hourly
      // window may reset many minutes from now: the deadline below still holds).
      delay = Math.max(
        delay,
        lastError.comeBackAt !== undefined
          ? lastError.comeBackAt - now
          : (lastError.retryAfterMs ?? 0)
      )
      options.warn(
        `Checking the change failed (${failures} in a row: ${lastError.message}); trying again in ${Math.round(Math.min(delay, deadline - now) / 1000)} s.`
      )
    }
    await sleep(options, Math.max(0, Math.min(delay, deadline - now)))
  }
}

/**
 * Whether the change may be implemented now, by its state, approval, hold and window: the one
 * rule the wait polls by, and the sync step (sync-review.ts) reviews GitHub deployments by.
 */
export function evaluate(
  record: ChangeRecord,
  now: number,
  options: Pick<WaitLoopOptions, 'proceedWhen' | 'honorChangeWindow'>
): Verdict {
  const label = record.stateLabel
  if (label === 'canceled')
    return {
      kind: 'stop',
      decision: 'canceled',
      reason: `${record.number} was canceled`
    }
  if (record.approval === 'rejected')
    return {
      kind: 'stop',
      decision: 'rejected',
      reason: `${record.number} was rejected`
    }
  if (label === 'closed' || label === 'review') {
    return {
      kind: 'stop',
      decision: 'canceled',
      reason: `${record.number} is already ${label}: it cannot be implemented again`
    }
  }
  // t_PlaceAChangeRequestOnHold.md: on hold, a change can move only to Canceled, whatever its approval says.
  if (record.onHold) {
    return {
      kind: 'wait',
      why: `${record.number} is on hold (${record.onHoldReason || 'no reason given'}): waiting for it to be taken off hold.`
    }
  }
  const ready =
    options.proceedWhen === 'implement'
      ? label === 'implement'
      : record.approval === 'approved' &&
        (label === 'scheduled' || label === 'implement')
  if (!ready) {
    const target =
      options.proceedWhen === 'implement' ? 'Implement' : 'approval'
    return {
      kind: 'wait',
      why: `${record.number} is ${label ?? record.stateName}, approval ${record.approval}: waiting for ${target}.`
    }
  }
  if (options.honorChangeWindow) {
    if (record.endDate !== undefined && now > record.endDate.getTime()) {
      return {
        kind: 'stop',
        decision: 'timeout',
        reason: `${record.number}'s change window ended at ${record.endDate.toISOString()}`
      }
    }
    if (record.startDate !== undefined && now < record.startDate.getTime()) {
      return {
        kind: 'wait',
        why: `${record.number} is approved; waiting for its change window to open at ${record.startDate.toISOString()}.`
      }
    }
  }
  return {kind: 'proceed'}
}

function sleep(options: WaitLoopOptions, ms: number): Promise<void> {
  const signal = options.signal
  if (signal === undefined) return options.clock.sleep(ms)
  return new Promise(resolve => {
    const onAbort = (): void => resolve()
    signal.addEventListener('abort', onAbort, {once: true})
    void options.clock.sleep(ms).then(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    })
  })
}

function minutes(ms: number): string {
  const m = Math.round(ms / 60_000)
  return m < 60 ? `${m} min` : `${Math.floor(m / 60)} h ${m % 60} min`
}

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`
}
