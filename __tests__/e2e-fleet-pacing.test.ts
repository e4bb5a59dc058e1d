/**
 * Many deployments signed in as one integration user, against the simulator's rate-limit rule
 * as ServiceNow applies one (an hourly window that resets at the top of the hour, X-RateLimit-*
 * on every answer; markdown/api-reference/rest-api-explorer/inbound-REST-API-rate-limiting.md),
 * through the library as the steps use it (scripts/bench/deployment.ts: create, wait, close,
 * each on its own client). Time runs 1,200 × faster for the simulator and the clients alike, so
 * three hourly windows pass in about nine seconds. `npm run bench -- scale` runs 1,000.
 */
import {describe, expect, it} from '@jest/globals'
import {compressedClock} from '../scripts/bench/compressed-clock.js'
import {deployment} from '../scripts/bench/deployment.js'
import {S} from '../src/simulator/change-lifecycle.js'
import {startSimulator} from '../src/simulator/server.js'

const HOUR = 3_600_000
const SCALE = 1200
/** A timer may fire up to a millisecond early, which is 1.2 s here; a few seconds of slack. */
const SLACK = 5000

describe('a fleet sharing one user under an hourly rule', () => {
  it('finishes every deployment with one change each, and no client comes back before the reset it was told', async () => {
    const start = Math.ceil(Date.now() / HOUR) * HOUR + 1000
    const clock = compressedClock(SCALE, start)
    const sim = await startSimulator({
      port: 0,
      now: clock.now,
      approval: {mode: 'auto', afterMs: 60_000 / SCALE},
      // About 22 requests a deployment: eight need more than two windows.
      rateLimit: {limit: 80, windowMs: HOUR}
    })
    try {
      const N = 8
      const results = await Promise.allSettled(
        Array.from({length: N}, (_, i) =>
          deployment(sim.url, i, clock, {
            waitMs: 6 * HOUR,
            rateLimitWaitMs: 6 * HOUR
          })
        )
      )
      expect(results.filter(r => r.status === 'rejected')).toEqual([])
      // One change per deployment, each closed.
      for (let i = 0; i < N; i++) {
        const changes = sim.instance.store
          .rows('change_request')
          .filter(r => r.correlation_id === `bench/${i}`)
        expect(changes.map(c => c.state)).toEqual([S.closed])
      }
      const log = sim.log.map(e => ({...e, at: clock.at(e.at)}))
      const refused = log.filter(e => e.status === 429)
      // The rule was met: the test is about what the clients did when it was.
      expect(refused.length).toBeGreaterThan(0)
      const early = refused.flatMap(refusal => {
        const reset = Math.floor(refusal.at / HOUR) * HOUR + HOUR
        const next = log.find(
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
    } finally {
      await sim.stop()
    }
  }, 60_000)
})
