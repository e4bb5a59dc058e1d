/**
 * Pacing by what the instance's rate-limit rule says (servicenow/rate-pacing.ts), over HTTP:
 * the answers carry X-RateLimit-Limit and X-RateLimit-Reset as ServiceNow sends them on every
 * answer to a request a rule matches
 * (markdown/api-reference/rest-api-explorer/inbound-REST-API-rate-limiting.md), and hostile
 * variants of them. Time is a FakeClock, at 09:00:00 UTC to begin with; random() is 0.5, so each
 * spread return lands in the middle of its spread.
 */
import {describe, expect, it} from '@jest/globals'
import nock from 'nock'
import {pollChange} from '../src/change/lookup.js'
import {waitForDecision} from '../src/change/wait-loop.js'
import {ServiceNowClient} from '../src/servicenow/client.js'
import {FakeClock} from './helpers/clock.js'
import {useNock} from './helpers/nock.js'
import {hourLongWait, polledChange} from './helpers/wait.js'

const BASE = 'https://acme.service-now.com'
const ID = '0123456789abcdef0123456789abcdef'
const PATH = `/api/now/table/change_request/${ID}`
const MIN = 60_000
const HOUR = 60 * MIN
const NINE = Date.UTC(2026, 10, 23, 9, 0, 0)

useNock()

function setup(retry: {maxRateLimitWaitMs?: number} = {}): {
  client: ServiceNowClient
  clock: FakeClock
} {
  const clock = new FakeClock(NINE)
  const client = new ServiceNowClient({
    baseUrl: BASE,
    auth: {method: 'token', token: 't'},
    clock,
    random: () => 0.5,
    retry: {maxAttempts: 1, maxRateLimitWaitMs: 12 * HOUR, ...retry}
  })
  nock(BASE)
    .get('/api/now/table/sys_choice')
    .query(true)
    .optionally()
    .reply(200, {result: []})
  return {client, clock}
}

/** The rule's headers on an answer given when the clock says `now`: the window resets at the next top of the hour. */
function rule(now: number, limit = 1000): Record<string, string> {
  return {
    'X-RateLimit-Limit': String(limit),
    'X-RateLimit-Reset': String(Math.ceil((now + 1) / HOUR) * (HOUR / 1000)),
    'X-RateLimit-Rule': 'b0f4c3a2d1e04f5a9c8b7a6f5e4d3c2b'
  }
}

const record = (fields: Record<string, string> = {}): unknown =>
  polledChange(ID, fields)

/** One answer to the next GET of the change, built when it is asked for (so its headers can read the clock). */
function answer(
  clock: FakeClock,
  status: number,
  headers: (now: number) => Record<string, string>,
  fields: Record<string, string> = {}
): void {
  nock(BASE)
    .get(PATH)
    .query(true)
    .reply(() => {
      const now = clock.now()
      return status === 429
        ? [
            429,
            {
              error: {
                message: 'Rate limit exceeded',
                detail:
                  'Rate limit of 1000 requests per hour for Table API exceeded'
              }
            },
            {
              ...headers(now),
              'Retry-After': String(
                Math.ceil((Math.ceil((now + 1) / HOUR) * HOUR - now) / 1000)
              )
            }
          ]
        : [200, record(fields), headers(now)]
    })
}

/** Two served answers an hour apart: the client has seen the reset move by one window. */
async function learnTheHour(
  client: ServiceNowClient,
  clock: FakeClock
): Promise<void> {
  answer(clock, 200, now => rule(now))
  await pollChange(client, ID)
  clock.advance(HOUR)
  answer(clock, 200, now => rule(now))
  await pollChange(client, ID)
  clock.sleeps.length = 0
}

/**
 * After each of the client's sleeps, moves the clock on to `into` past the top of an hour, where
 * the next refusal comes; returns the sleeps.
 */
function refusedAt(clock: FakeClock, into: number): number[] {
  const sleeps: number[] = []
  const original = clock.sleep.bind(clock)
  clock.sleep = async ms => {
    sleeps.push(ms)
    await original(ms)
    const mark = Math.floor(clock.time / HOUR) * HOUR + into
    clock.time = mark >= clock.time ? mark : mark + HOUR
  }
  return sleeps
}

describe('coming back after a 429 that named the rule', () => {
  it('holds until the reset, then returns at a random moment over the next window', async () => {
    const {client, clock} = setup()
    await learnTheHour(client, clock)
    // 10:50: the window ran out with ten minutes left; it resets at 11:00.
    clock.advance(50 * MIN)
    answer(clock, 429, now => rule(now))
    answer(clock, 200, now => rule(now))
    await pollChange(client, ID)
    // 10 min to the reset, then half of the next hour.
    expect(clock.sleeps).toEqual([10 * MIN + 30 * MIN])
    expect(client.connection.pacing.refusals).toBe(1)
  })

  it('spreads over 2, 4, then 8 windows after refusals in a row, when the early end of the window says that much is asked', async () => {
    const {client, clock} = setup({maxRateLimitWaitMs: 48 * HOUR})
    await learnTheHour(client, clock)
    // Each refusal comes 7.5 min into its window: the window was asked for eight windows' worth,
    // so the returns spread over 2, 4, then 8 windows, and never more.
    clock.advance(7.5 * MIN)
    for (let i = 0; i < 4; i++) answer(clock, 429, now => rule(now))
    answer(clock, 200, now => rule(now))
    const sleeps = refusedAt(clock, 7.5 * MIN)
    await pollChange(client, ID)
    const toReset = 52.5 * MIN
    expect(sleeps).toEqual([
      toReset + 1 * HOUR,
      toReset + 2 * HOUR,
      toReset + 4 * HOUR,
      toReset + 4 * HOUR
    ])
  })

  it('spreads over one window, refusal after refusal, when the window ran out late: it was not asked for more', async () => {
    const {client, clock} = setup()
    await learnTheHour(client, clock)
    // Refused at 45 min into each window: a window's worth and a third asked, one window.
    clock.advance(45 * MIN)
    for (let i = 0; i < 3; i++) answer(clock, 429, now => rule(now))
    answer(clock, 200, now => rule(now))
    const sleeps = refusedAt(clock, 45 * MIN)
    await pollChange(client, ID)
    expect(sleeps).toEqual([
      15 * MIN + 0.5 * HOUR,
      15 * MIN + 0.5 * HOUR,
      15 * MIN + 0.5 * HOUR
    ])
  })

  it('starts again from two windows after a served answer', async () => {
    const {client, clock} = setup()
    await learnTheHour(client, clock)
    clock.advance(30 * MIN)
    answer(clock, 429, now => rule(now))
    answer(clock, 429, now => rule(now))
    answer(clock, 200, now => rule(now))
    await pollChange(client, ID)
    clock.time = Math.floor(clock.time / HOUR) * HOUR + 30 * MIN
    answer(clock, 429, now => rule(now))
    answer(clock, 200, now => rule(now))
    clock.sleeps.length = 0
    await pollChange(client, ID)
    // Refused half-way through: two windows' worth asked, so the first spread's two windows.
    expect(clock.sleeps).toEqual([30 * MIN + HOUR])
    expect(client.connection.pacing.refusals).toBe(3)
  })

  it('never spreads a return past the rate-limit budget when the reset itself fits in it', async () => {
    const {client, clock} = setup({maxRateLimitWaitMs: 20 * MIN})
    await learnTheHour(client, clock)
    clock.advance(50 * MIN)
    answer(clock, 429, now => rule(now))
    answer(clock, 200, now => rule(now))
    await pollChange(client, ID)
    // The reset is 10 min away; half an hour of spread would pass the 20 min budget: it comes back at its end.
    expect(clock.sleeps).toEqual([20 * MIN])
  })
})

describe('answers built to break the pacing', () => {
  it('holds both of two requests in flight that were turned away, each past the reset', async () => {
    const {client, clock} = setup()
    await learnTheHour(client, clock)
    clock.advance(40 * MIN)
    const reset = Math.ceil(clock.now() / HOUR) * HOUR
    answer(clock, 429, now => rule(now))
    answer(clock, 429, now => rule(now))
    const sentAt: number[] = []
    for (let i = 0; i < 2; i++)
      nock(BASE)
        .get(PATH)
        .query(true)
        .reply(() => {
          sentAt.push(clock.now())
          return [200, record(), rule(clock.now())]
        })
    await Promise.all([pollChange(client, ID), pollChange(client, ID)])
    expect(sentAt).toHaveLength(2)
    expect(Math.min(...sentAt)).toBeGreaterThanOrEqual(reset)
  })

  it.each([
    [
      'a reset that goes backwards',
      (now: number) => ({
        ...rule(now),
        'X-RateLimit-Reset': String(Math.floor(now / 1000) - 7200)
      })
    ],
    [
      'a reset a minute from now, every time',
      (now: number) => ({
        ...rule(now),
        'X-RateLimit-Reset': String(Math.floor(now / 1000) + 60)
      })
    ],
    [
      'a limit of 1e12',
      (now: number) => ({...rule(now), 'X-RateLimit-Limit': '1000000000000'})
    ],
    [
      'two limits in one header',
      (now: number) => ({...rule(now), 'X-RateLimit-Limit': '100, 5'})
    ]
  ])('waits a finite time, within the budget, with %s', async (_, headers) => {
    const {client, clock} = setup({maxRateLimitWaitMs: 2 * HOUR})
    await learnTheHour(client, clock)
    clock.advance(20 * MIN)
    answer(clock, 429, headers)
    answer(clock, 200, headers)
    await pollChange(client, ID)
    expect(clock.sleeps).toHaveLength(1)
    expect(clock.sleeps[0]).toBeGreaterThan(0)
    expect(clock.sleeps[0]).toBeLessThanOrEqual(2 * HOUR)
  })

  it("a proxy's 429 page without a Retry-After is a failure counted against max_attempts, not a wait", async () => {
    const {client} = setup()
    nock(BASE)
      .get(PATH)
      .query(true)
      .reply(429, '<html><body>Too many requests</body></html>', {
        'Content-Type': 'text/html'
      })
    await expect(pollChange(client, ID)).rejects.toMatchObject({status: 429})
    expect(client.connection.pacing.refusals).toBe(1)
  })
})

describe('what the rule tells the wait loop', () => {
  const SCHEDULED = {state: '-2', approval: 'approved'}

  it('keeps one waiting step to half of a small limit: 100 an hour means a poll every 72 s', async () => {
    const {client, clock} = setup()
    await learnTheHour(client, clock)
    const lines: string[] = []
    for (let i = 0; i < 3; i++) answer(clock, 200, now => rule(now, 100))
    answer(clock, 200, now => rule(now, 100), SCHEDULED)
    const outcome = await waitForDecision({
      ...hourLongWait(clock, () => pollChange(client, ID), lines),
      random: () => 0.5,
      pacing: client.connection.pacing
    })
    expect(outcome.decision).toBe('approved')
    expect(outcome.polls).toBe(4)
    expect(clock.sleeps).toEqual([72_000, 72_000, 72_000])
    expect(
      lines.filter(l => l.includes('checking every 72 s instead of 30 s'))
    ).toHaveLength(1)
  })

  it('does not let a limit of 1 slow the polls by more than a refusal would (8 ×)', async () => {
    const {client, clock} = setup()
    await learnTheHour(client, clock)
    answer(clock, 200, now => rule(now, 1))
    answer(clock, 200, now => rule(now, 1), SCHEDULED)
    const outcome = await waitForDecision({
      ...hourLongWait(clock, () => pollChange(client, ID), []),
      random: () => 0.5,
      pacing: client.connection.pacing
    })
    expect(outcome.decision).toBe('approved')
    expect(clock.sleeps).toEqual([240_000])
  })

  it('stretches the interval after a refused poll and eases back after three served ones', async () => {
    const {client, clock} = setup()
    const lines: string[] = []
    // No rule headers on the served answers; a 429 with Retry-After 30 s and nothing else.
    nock(BASE)
      .get(PATH)
      .query(true)
      .reply(
        429,
        {error: {message: 'Rate limit exceeded'}},
        {'Retry-After': '30'}
      )
    for (let i = 0; i < 6; i++)
      nock(BASE).get(PATH).query(true).reply(200, record())
    nock(BASE).get(PATH).query(true).reply(200, record(SCHEDULED))
    const outcome = await waitForDecision({
      ...hourLongWait(clock, () => pollChange(client, ID), lines),
      random: () => 0.5,
      pacing: client.connection.pacing
    })
    expect(outcome.decision).toBe('approved')
    expect(outcome.polls).toBe(7)
    // The first poll was held 45 s inside the client (30 s + half of as long again); then 60 s
    // between polls until three were served, then 30 s again.
    expect(clock.sleeps).toEqual([
      45_000, 60_000, 60_000, 60_000, 30_000, 30_000, 30_000
    ])
    expect(lines.filter(l => l.includes('turning requests away'))).toHaveLength(
      1
    )
    expect(
      lines.filter(l => l.includes('Checking every 30 s again'))
    ).toHaveLength(1)
  })

  it.each([
    ['no number', {'X-RateLimit-Limit': 'many', 'X-RateLimit-Reset': 'soon'}],
    ['zero', {'X-RateLimit-Limit': '0', 'X-RateLimit-Reset': '0'}],
    ['negative', {'X-RateLimit-Limit': '-5', 'X-RateLimit-Reset': '-1'}],
    [
      'a reset in the year 3000',
      {'X-RateLimit-Limit': '1000', 'X-RateLimit-Reset': '32503680000'}
    ]
  ])(
    'ignores rule headers that say nothing usable (%s): the interval stays 30 s',
    async (_, headers) => {
      const {client, clock} = setup()
      for (let i = 0; i < 2; i++) answer(clock, 200, () => headers)
      answer(clock, 200, () => headers, SCHEDULED)
      const outcome = await waitForDecision({
        ...hourLongWait(clock, () => pollChange(client, ID), []),
        random: () => 0.5,
        pacing: client.connection.pacing
      })
      expect(outcome.decision).toBe('approved')
      expect(clock.sleeps).toEqual([30_000, 30_000])
    }
  )
})
