/**
 * A shared instance at scale: N deployments start together, all signed in as one integration
 * user, against a simulator with ServiceNow's rate limiting (an hourly window that resets at the
 * top of the hour, X-RateLimit-* on every answer). First the same fleet without a limit: the
 * requests the polling policy itself needs, the minimum. Time is compressed (compressed-clock.ts).
 */
import {startSimulator} from '../../src/simulator/server.js'
import {compressedClock} from './compressed-clock.js'
import {deployment, type DeploymentLimits} from './deployment.js'
import {log, percentile, row} from './table.js'

const HOUR = 3_600_000

export interface FleetRun {
  /** How long each deployment that finished took (virtual time). */
  times: number[]
  failures: string[]
  /** What the simulator answered, the (virtual) time each request arrived, and which client sent it. */
  requests: {status: number | string; at: number; agent: string | undefined}[]
  /** The fleet's change requests as they ended. */
  changes: {correlation: string; state: string}[]
  /** Virtual time the fleet started. */
  start: number
}

/**
 * `count` deployments at once against a fresh simulator, time `speed` × faster for both, with
 * an hourly rule of `limit` requests for their one user (none when undefined).
 */
export async function fleet(
  count: number,
  speed: number,
  limit: number | undefined,
  limits: DeploymentLimits
): Promise<FleetRun> {
  // Start just after the top of an hour, as the rule's windows do: the first window is a whole one.
  const start = Math.ceil(Date.now() / HOUR) * HOUR + 1000
  const clock = compressedClock(speed, start)
  const sim = await startSimulator({
    port: 0,
    now: clock.now,
    // Approved by policy a virtual minute after approval is requested.
    approval: {mode: 'auto', afterMs: 60_000 / speed},
    ...(limit === undefined ? {} : {rateLimit: {limit, windowMs: HOUR}})
  })
  try {
    const times: number[] = []
    const failures: string[] = []
    await Promise.all(
      Array.from({length: count}, async (_, i) => {
        try {
          times.push(await deployment(sim.url, i, clock, limits))
        } catch (error) {
          failures.push(error instanceof Error ? error.message : String(error))
        }
      })
    )
    return {
      times,
      failures,
      requests: sim
        .requests()
        .map(r => ({status: r.status, at: clock.at(r.at), agent: r.agent})),
      changes: sim.instance.store
        .rows('change_request')
        .filter(r => r.correlation_id?.startsWith('bench/'))
        .map(r => ({
          correlation: r.correlation_id ?? '',
          state: r.state ?? ''
        })),
      start
    }
  } finally {
    await sim.stop()
  }
}

/** Correlation ids that more than one change carries. */
function duplicated(run: FleetRun): number {
  const seen = new Map<string, number>()
  for (const c of run.changes)
    seen.set(c.correlation, (seen.get(c.correlation) ?? 0) + 1)
  return [...seen.values()].filter(n => n > 1).length
}

/**
 * Two rules: 10,000 requests an hour (the fleet asks about two hours' worth) and 4,000 (five and
 * a half). BENCH_LIMIT=N runs one; BENCH_DEPLOYMENTS and BENCH_SCALE change the fleet and the
 * compression.
 */
export async function scale(): Promise<void> {
  const COUNT = Number(process.env.BENCH_DEPLOYMENTS ?? 1000)
  const SCALE = Number(process.env.BENCH_SCALE ?? 60)
  const rules =
    process.env.BENCH_LIMIT === undefined
      ? [10_000, 4000]
      : [Number(process.env.BENCH_LIMIT)]
  log(
    `2. scale: ${COUNT} deployments at once, without and then with a rule of ${rules.join(' and then ')} requests per hour for their user; time ${SCALE} × faster`
  )
  // The minimum at a quarter of the compression: 1,000 clients in one process take real CPU time
  // per request, which at 60 × would stretch the run and add polls the policy does not need.
  const free = await fleet(COUNT, SCALE / 4, undefined, limits)
  for (const limit of rules) await underRule(COUNT, SCALE, limit, free)
}

// What a fleet sharing a limited instance sets, within what the inputs allow: timeout_minutes
// and rate_limit_wait_minutes of 360 (a GitHub-hosted job's six hours).
const limits = {waitMs: 6 * HOUR, rateLimitWaitMs: 6 * HOUR}

async function underRule(
  count: number,
  speed: number,
  limit: number,
  free: FleetRun
): Promise<void> {
  const minimum = free.requests.length
  const limited = await fleet(count, speed, limit, limits)
  const refused = limited.requests.filter(r => r.status === 429).length
  const served = new Map<number, number>()
  const turned = new Map<number, number>()
  for (const r of limited.requests) {
    const h = Math.floor((r.at - limited.start) / HOUR)
    const into = r.status === 429 ? turned : served
    into.set(h, (into.get(h) ?? 0) + 1)
  }
  const hours = Math.max(...served.keys(), ...turned.keys()) + 1
  const series = Array.from(
    {length: hours},
    (_, h) => `${served.get(h) ?? 0}+${turned.get(h) ?? 0}`
  )
  row(
    `failures (${count} deployments, ${limit} requests/hour)`,
    '0',
    String(limited.failures.length),
    limited.failures.length === 0
  )
  if (limited.failures.length > 0)
    log(`   first failure: ${limited.failures[0]}`)
  row(
    `duplicate change requests (${limit} requests/hour)`,
    '0',
    String(duplicated(limited)),
    duplicated(limited) === 0
  )
  row(
    `requests, served and refused, vs the minimum (${limit}/hour vs no limit)`,
    `≤ 1.1 × ${minimum} = ${Math.floor(1.1 * minimum)}`,
    `${limited.requests.length} = ${(limited.requests.length / minimum).toFixed(3)} × (${refused} answered 429)`,
    limited.requests.length <= 1.1 * minimum
  )
  // The best any pacing could do: the minimum's requests served at the rule's rate, whole
  // windows at a time; the 95th deployment in a hundred is done once 95 % of them are.
  const best95 = Math.max(
    percentile(free.times, 95),
    Math.floor((0.95 * minimum) / limit) * HOUR
  )
  const p50 = percentile(limited.times, 50)
  const p95 = percentile(limited.times, 95)
  row(
    `time to completion, p50 / p95, vs the best ${limit}/hour allows (p95)`,
    'reported',
    `${hm(p50)} / ${hm(p95)} vs ${hm(best95)} (no limit: ${hm(percentile(free.times, 50))} / ${hm(percentile(free.times, 95))})`,
    undefined
  )
  row(
    `requests per hour of the run, served+refused (${limit}/hour)`,
    `reported: ≤ ${limit} served`,
    series.join(' '),
    undefined
  )
}

function hm(ms: number): string {
  const m = Math.round(ms / 60_000)
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`
}
