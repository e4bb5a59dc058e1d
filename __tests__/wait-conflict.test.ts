import {describe, expect, it} from '@jest/globals'
import {concludeWait, waitForApproval} from '../src/change/wait-policy.js'
import type {WaitOptions} from '../src/settings/wait.js'
import {readChange} from '../src/change/lookup.js'
import {recordingDeps, simulatorForSuite} from './helpers/changes.js'
import {raw} from './helpers/sim.js'

/**
 * A conflict that never clears, with on_conflict: wait, against the simulator (its workers done at
 * once) and the client's FakeClock: the wait ends at its timeout saying why, and what it asked of
 * the instance meanwhile is counted.
 */
const suite = simulatorForSuite({workerDelayMs: 0})

const glide = (ms: number): string =>
  new Date(ms).toISOString().slice(0, 19).replace('T', ' ')

describe('on_conflict: wait, a conflict that never clears', () => {
  it('ends at timeout_minutes naming the conflict; a poll every 30 s and a check every second poll, 7 requests a minute', async () => {
    const now = suite.clock.now()
    const ci = (
      await raw(
        suite.sim,
        'GET',
        '/api/now/table/cmdb_ci?sysparm_query=name=Payments%20API&sysparm_fields=sys_id'
      )
    ).json.result[0].sys_id
    const window = {
      cmdb_ci: ci,
      start_date: glide(now - 5 * 60_000),
      end_date: glide(now + 3 * 3_600_000)
    }
    // Approved and Scheduled: nothing but the conflict holds it.
    const ours = (
      await raw(suite.sim, 'POST', '/api/now/table/change_request', {
        body: {...window, state: '-2', approval: 'approved'}
      })
    ).json.result.sys_id
    await raw(suite.sim, 'POST', '/api/now/table/change_request', {
      body: {...window, short_description: 'Another team'}
    })
    const deps = recordingDeps(suite)
    const options: WaitOptions = {
      timeoutMs: 10 * 60_000,
      pollIntervalMs: 30_000,
      proceedWhen: 'approved',
      honorChangeWindow: true,
      onTimeout: 'fail',
      cancelOnAbort: false,
      onConflict: 'wait'
    }
    const start = await readChange(suite.client, ours)
    const before = suite.sim.requests().length
    const outcome = await waitForApproval(deps, start, options, undefined)
    const sent = suite.sim.requests().slice(before)
    expect(outcome.decision).toBe('timeout')
    expect(outcome.reason).toMatch(
      /^no decision within 10 min \(CHG\d+ has 1 conflict in its planned window .*: CHG\d+ on Payments API overlaps .*\. Waiting for it to clear\.\)$/
    )
    expect(outcome.conflicts?.kind).toBe('conflicts')
    const runs = sent.filter(
      e => e.method === 'POST' && e.path.endsWith('/conflict')
    ).length
    // 20 polls in 10 minutes; a check every second one (the first at once): 10 or 11 runs.
    expect([outcome.polls >= 19, outcome.polls <= 22]).toEqual([true, true])
    expect(runs).toBeGreaterThanOrEqual(Math.floor(outcome.polls / 2))
    expect(runs).toBeLessThanOrEqual(Math.ceil(outcome.polls / 2) + 1)
    expect(sent.length / 10).toBeLessThanOrEqual(8)
    const result = await concludeWait(deps, start, outcome, options)
    expect(result.message).toMatch(/Waiting for it to clear\.\)\.?$/)
    // One line in the log for the held conflict, not one per check (and the progress line every 5 min).
    expect(
      deps.lines.filter(l => /^CHG\d+ has 1 conflict/.test(l))
    ).toHaveLength(1)
    expect(
      deps.lines.filter(l => l.startsWith('Still waiting after 5 min'))
    ).toHaveLength(1)
  }, 60_000)
})
