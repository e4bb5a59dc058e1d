import {describe, expect, it} from '@jest/globals'
import nock from 'nock'
import {pollChange} from '../src/change/lookup.js'
import {waitForDecision, type WaitLoopOptions} from '../src/change/wait-loop.js'
import {ServiceNowClient} from '../src/servicenow/client.js'
import {FakeClock} from './helpers/clock.js'
import {useNock} from './helpers/nock.js'
import {hourLongWait, polledChange} from './helpers/wait.js'
import {add, suiteCounts} from './helpers/counts.js'

const BASE = 'https://acme.service-now.com'
const ID = '0123456789abcdef0123456789abcdef'
const PATH = `/api/now/table/change_request/${ID}`

useNock()
const counts = suiteCounts('long-outage')

/** The answers ServiceNow gives, one per poll, in order (status 200 unless given). */
type Answer =
  | {state?: string; approval?: string; start_date?: string; end_date?: string}
  | {status: number; retryAfter?: string}
  | {networkError: string}

function script(answers: Answer[]): void {
  const scope = nock(BASE)
  for (const a of answers) {
    const interceptor = scope.get(PATH).query(true)
    if ('networkError' in a)
      interceptor.replyWithError(
        Object.assign(
          new Error(`getaddrinfo ${a.networkError} acme.service-now.com`),
          {code: a.networkError}
        )
      )
    else if ('status' in a)
      interceptor.reply(
        a.status,
        {error: {message: 'fault'}},
        a.retryAfter ? {'Retry-After': a.retryAfter} : {}
      )
    else interceptor.reply(200, polledChange(ID, a))
  }
}

function setup(overrides: Partial<WaitLoopOptions> = {}): {
  options: WaitLoopOptions
  clock: FakeClock
  lines: string[]
} {
  const clock = new FakeClock()
  const lines: string[] = []
  // One try per request: the loop's own handling of failures is what is under test.
  const client = new ServiceNowClient({
    baseUrl: BASE,
    auth: {method: 'token', token: 't'},
    clock,
    random: () => 0.5,
    retry: {maxAttempts: 1}
  })
  // The client reads the instance's state choices once, with the first record: none here, so ServiceNow's numbers.
  nock(BASE)
    .get('/api/now/table/sys_choice')
    .query(true)
    .optionally()
    .reply(200, {result: []})
  const options: WaitLoopOptions = {
    ...hourLongWait(clock, () => pollChange(client, ID), lines),
    ...overrides
  }
  return {options, clock, lines}
}

const SCHEDULED = {state: '-2', approval: 'approved'}

describe('waitForDecision', () => {
  it('polls until approved and Scheduled, one request and one interval per poll', async () => {
    script([{}, {}, {state: '-3'}, SCHEDULED])
    const {options, clock} = setup()
    const outcome = await waitForDecision(options)
    expect(outcome).toMatchObject({
      decision: 'approved',
      polls: 4,
      waitedMs: 90_000
    })
    expect(clock.sleeps).toEqual([30_000, 30_000, 30_000])
  })

  it('jitters the interval by ±10 %', async () => {
    script([{}, {}, SCHEDULED])
    const {options, clock} = setup({
      random: (() => {
        const r = [0, 1]
        return () => r.shift() ?? 0
      })()
    })
    await waitForDecision(options)
    expect(clock.sleeps).toEqual([27_000, 33_000])
  })

  it('rides out a ten-minute outage of 503s and 429s and proceeds within one interval of the approval', async () => {
    // Ten minutes of 503s at the poll cadence, then the instance is rate-limited (429s with
    // Retry-After, waited out inside one poll), then it answers: still waiting, then approved.
    const outage: Answer[] = Array.from({length: 20}, () => ({status: 503}))
    script([
      {},
      ...outage,
      {status: 429, retryAfter: '30'},
      {status: 429, retryAfter: '30'},
      {},
      SCHEDULED
    ])
    const {options, clock, lines} = setup()
    const started = clock.now()
    const outcome = await waitForDecision(options)
    expect(outcome.decision).toBe('approved')
    expect(lines.filter(l => l.startsWith('warn:'))).toHaveLength(20)
    // Through the outage the cadence stays the interval; the 429s stretched one poll by their
    // Retry-After, plus a spread over as long again (random() is 0.5), twice that after a second
    // refusal in a row.
    expect(clock.sleeps.slice(0, 21)).toEqual(
      Array.from({length: 21}, () => 30_000)
    )
    expect(clock.sleeps.slice(21, 23)).toEqual([45_000, 60_000])
    const outageMs = 20 * 30_000 + 45_000 + 60_000
    expect(outageMs).toBeGreaterThanOrEqual(10 * 60_000)
    // The approval showed at the first poll that could see it: one interval after the previous one.
    const lastSleep = clock.sleeps.at(-1) ?? Infinity
    expect(lastSleep).toBeLessThanOrEqual(1.1 * 30_000)
    add(
      counts,
      'outage minutes ridden out (compressed time)',
      Math.round(outageMs / 60_000)
    )
    add(counts, 'failed polls ridden out', 20)
    add(counts, 'rate-limit answers waited out', 2)
    add(
      counts,
      'seconds from approval visible to proceeding (at most)',
      lastSleep / 1000
    )
    add(
      counts,
      'waited minutes in all',
      Math.round((clock.now() - started) / 60_000)
    )
  })

  it('ends at once on what waiting cannot fix (401)', async () => {
    script([{status: 401}])
    const {options} = setup()
    await expect(waitForDecision(options)).rejects.toMatchObject({status: 401})
  })

  it.each([
    [{approval: 'rejected', state: '-5'}, 'rejected', /was rejected/],
    [{state: '4'}, 'canceled', /was canceled/],
    [{state: '3', approval: 'approved'}, 'canceled', /already closed/]
  ])('stops on %j with decision %s', async (answer, decision, reason) => {
    script([answer])
    const {options} = setup()
    const outcome = await waitForDecision(options)
    expect(outcome.decision).toBe(decision)
    expect(outcome.reason).toMatch(reason)
  })

  it('times out with the last state in the reason, after a final check at the deadline', async () => {
    script(Array.from({length: 5}, () => ({})))
    const {options, clock} = setup({timeoutMs: 2 * 60_000})
    const outcome = await waitForDecision(options)
    expect(outcome).toMatchObject({
      decision: 'timeout',
      polls: 5,
      waitedMs: 120_000
    })
    expect(outcome.reason).toBe(
      'no decision within 2 min (CHG0030001 is assess, approval requested: waiting for approval.)'
    )
    expect(clock.sleeps).toEqual([30_000, 30_000, 30_000, 30_000])
  })

  it('checks once when the timeout is 0', async () => {
    script([{}])
    const {options, clock} = setup({timeoutMs: 0})
    expect((await waitForDecision(options)).decision).toBe('timeout')
    expect(clock.sleeps).toEqual([])
  })

  it('with proceed_when implement, waits past Scheduled until Implement', async () => {
    script([SCHEDULED, {state: '-1', approval: 'approved'}])
    const {options} = setup({proceedWhen: 'implement'})
    expect(await waitForDecision(options)).toMatchObject({
      decision: 'approved',
      polls: 2
    })
  })

  it('honours the change window: waits for its start, fails after its end', async () => {
    script([
      {...SCHEDULED, start_date: '2026-11-23 09:01:00'},
      {...SCHEDULED, start_date: '2026-11-23 09:01:00'},
      {...SCHEDULED, start_date: '2026-11-23 09:01:00'}
    ])
    const {options, lines} = setup()
    expect(await waitForDecision(options)).toMatchObject({
      decision: 'approved',
      polls: 3
    })
    expect(lines).toContain(
      'info: CHG0030001 is approved; waiting for its change window to open at 2026-11-23T09:01:00.000Z.'
    )

    script([{...SCHEDULED, end_date: '2026-11-23 08:00:00'}])
    const late = setup()
    expect(await waitForDecision(late.options)).toMatchObject({
      decision: 'timeout',
      reason: "CHG0030001's change window ended at 2026-11-23T08:00:00.000Z"
    })

    script([{...SCHEDULED, end_date: '2026-11-23 08:00:00'}])
    const ignored = setup({honorChangeWindow: false})
    expect((await waitForDecision(ignored.options)).decision).toBe('approved')
  })

  it('stops polling when aborted', async () => {
    script([{}])
    const controller = new AbortController()
    const {options} = setup({
      signal: controller.signal,
      info: () => controller.abort()
    })
    const outcome = await waitForDecision(options)
    expect(outcome).toMatchObject({decision: 'aborted', polls: 1})
  })
})

describe('waitForDecision on hold', () => {
  // t_PlaceAChangeRequestOnHold.md: on hold, a change moves only to Canceled, approved or not.
  const held = {
    ...SCHEDULED,
    on_hold: 'true',
    on_hold_reason: 'Vendor window'
  } as Answer

  it('does not proceed on an approved change on hold; proceeds at the first poll after it comes off hold', async () => {
    script([held, held, SCHEDULED])
    const {options, lines} = setup()
    const outcome = await waitForDecision(options)
    expect(outcome).toMatchObject({decision: 'approved', polls: 3})
    expect(lines).toEqual([
      'info: CHG0030001 is on hold (Vendor window): waiting for it to be taken off hold.'
    ])
  })

  it('times out naming the hold and its reason', async () => {
    script([held, held])
    const {options} = setup({timeoutMs: 30_000})
    const outcome = await waitForDecision(options)
    expect(outcome).toMatchObject({
      decision: 'timeout',
      reason:
        'no decision within 1 min (CHG0030001 is on hold (Vendor window): waiting for it to be taken off hold.)'
    })
  })
})

describe('a long wait says where it stands', () => {
  it('logs a progress line every 5 minutes while nothing changes, and the change itself at once', async () => {
    // 20 minutes in Assess (41 polls at 30 s), then approved.
    script([...Array.from({length: 41}, () => ({})), SCHEDULED])
    const {options, lines} = setup()
    const outcome = await waitForDecision(options)
    expect(outcome).toMatchObject({decision: 'approved', polls: 42})
    const progress = lines.filter(l => l.startsWith('info: Still waiting'))
    expect(progress).toEqual([
      'info: Still waiting after 5 min, 11 checks, 55 min left: CHG0030001 is assess, approval requested: waiting for approval.',
      'info: Still waiting after 10 min, 21 checks, 50 min left: CHG0030001 is assess, approval requested: waiting for approval.',
      'info: Still waiting after 15 min, 31 checks, 45 min left: CHG0030001 is assess, approval requested: waiting for approval.',
      'info: Still waiting after 20 min, 41 checks, 40 min left: CHG0030001 is assess, approval requested: waiting for approval.'
    ])
    expect(
      lines.filter(
        l =>
          l ===
          'info: CHG0030001 is assess, approval requested: waiting for approval.'
      )
    ).toHaveLength(1)
  })

  it('names the failing check in the progress line during an outage', async () => {
    script([{}, ...Array.from({length: 12}, () => ({status: 503})), SCHEDULED])
    const {options, lines} = setup()
    await waitForDecision(options)
    expect(lines.filter(l => l.startsWith('info: Still waiting'))).toEqual([
      expect.stringMatching(
        /^info: Still waiting after 5 min, 11 checks, 55 min left: the last check failed \(.*503.*\); before that: CHG0030001 is assess/
      )
    ])
  })
})

describe('a failure waiting cannot fix ends the wait', () => {
  // A certificate not trusted or a name that does not exist stays so for the hour the wait may
  // last: the wait ends with the failure's own message instead of retrying it every interval.
  it.each([
    [
      'a host name that does not resolve (ENOTFOUND)',
      'ENOTFOUND',
      /the host name does not resolve: check instance_url/
    ],
    [
      'a certificate not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE)',
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      /the TLS certificate was not accepted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/
    ],
    [
      'a certificate that expired (CERT_HAS_EXPIRED)',
      'CERT_HAS_EXPIRED',
      /the TLS certificate was not accepted \(CERT_HAS_EXPIRED\)/
    ]
  ])(
    'on %s: after the poll that met it, with no further poll or sleep',
    async (_what, code, message) => {
      script([{}, {networkError: code}])
      let polls = 0
      const {options, clock} = setup()
      const poll = options.poll
      await expect(
        waitForDecision({...options, poll: () => (polls++, poll())})
      ).rejects.toMatchObject({kind: 'network', message})
      expect(polls).toBe(2)
      expect(clock.sleeps).toEqual([30_000])
    }
  )

  it('but a resolver that did not answer (EAI_AGAIN) may answer next time: ridden out', async () => {
    script([
      {},
      {networkError: 'EAI_AGAIN'},
      {networkError: 'EAI_AGAIN'},
      SCHEDULED
    ])
    const {options, lines} = setup()
    expect(await waitForDecision(options)).toMatchObject({
      decision: 'approved',
      polls: 4
    })
    expect(
      lines.filter(l => l.startsWith('warn: Checking the change failed'))
    ).toHaveLength(2)
  })
})
