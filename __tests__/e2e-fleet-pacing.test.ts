/**
 * Many deployments signed in as one integration user, against the simulator's rate-limit rule
 * as ServiceNow applies one (an hourly window that resets at the top of the hour, X-RateLimit-*
 * on every answer; markdown/api-reference/rest-api-explorer/inbound-REST-API-rate-limiting.md),
 * through the library as the steps use it (scripts/bench/deployment.ts: create, wait, close,
 * each on its own client). Time runs 1,200 × faster for the simulator and the clients alike, so
 * three hourly windows pass in about nine seconds. `npm run bench -- scale` runs 1,000.
 */
import {describe, expect, it} from '@jest/globals'
import {fleet} from '../scripts/bench/scale.js'
import {S} from '../src/simulator/change-lifecycle.js'

const HOUR = 3_600_000
/** A timer may fire up to a millisecond early, which is 1.2 s here; a few seconds of slack. */
const SLACK = 5000

describe('a fleet sharing one user under an hourly rule', () => {
  it('finishes every deployment with one change each, and no client comes back before the reset it was told', async () => {
    const N = 8
    // About 22 requests a deployment: eight need more than two windows of 80.
    // Budgets of a day (72 s of wall time here), so that a machine slowed by other work, which
    // makes every request look 1,200 times slower, cannot turn waiting into a failure.
    const run = await fleet(N, 1200, 80, {
      waitMs: 24 * HOUR,
      rateLimitWaitMs: 24 * HOUR
    })
    expect(run.failures).toEqual([])
    expect(run.times).toHaveLength(N)
    // One change per deployment, each closed.
    expect(run.changes.map(c => `${c.correlation} ${c.state}`).sort()).toEqual(
      Array.from({length: N}, (_, i) => `bench/${i} ${S.closed}`).sort()
    )
    const refused = run.requests.filter(e => e.status === 429)
    // The rule was met: the test is about what the clients did when it was.
    expect(refused.length).toBeGreaterThan(0)
    const early = refused.flatMap(refusal => {
      const reset = Math.floor(refusal.at / HOUR) * HOUR + HOUR
      const next = run.requests.find(
        e => e.agent === refusal.agent && e.at > refusal.at
      )
      return next !== undefined && next.at < reset - SLACK
        ? [
            `${next.agent} back ${Math.round((reset - next.at) / 1000)} s before the reset`
          ]
        : []
    })
    expect(early).toEqual([])
    // At most one refusal per client per window: none came back to be turned away again.
    const perClientWindow = new Map<string, number>()
    for (const r of refused) {
      const key = `${r.agent} ${Math.floor(r.at / HOUR)}`
      perClientWindow.set(key, (perClientWindow.get(key) ?? 0) + 1)
    }
    expect(Math.max(...perClientWindow.values())).toBe(1)
  }, 150_000)
})
