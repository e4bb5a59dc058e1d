import {describe, expect, it} from '@jest/globals'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {errors, type StepRun} from '../scripts/local-runner.js'
import {MAX_PAGES} from '../src/servicenow/table-api.js'
import {SEED_OAUTH_CLIENT} from '../src/simulator/seed.js'
import type {Simulator} from '../src/simulator/server.js'
import {suiteCounts} from './helpers/counts.js'
import {
  failedCleanly,
  HOSTILE,
  hostileCase,
  ODD_RETRY_AFTER,
  seen,
  startSilentServer,
  survived
} from './helpers/hostile.js'
import {scannedSteps} from './helpers/scan.js'
import {withSimulator} from './helpers/sim.js'

/**
 * The built bundles against a hostile world (issue 11, transport half; issue 12 #9): a
 * simulator that answers with odd Retry-Afters, trickles, cuts and floods its answers, pages
 * forever, echoes credentials and rate-limits as ServiceNow does, and a GitHub API that never
 * answers. Each case says what the fault must give: the step survived it, or failed with one
 * clear line, within a bounded number of requests and a bounded time.
 */
const counts = suiteCounts('e2e-hostile')
const CONCURRENT = 150_000

const BASIC = {username: 'devops.integration', password: 'sn-integration-pw'}
const LOOKUP = {
  method: 'GET',
  path: '/api/now/table/change_request',
  query: 'correlation_id='
}
const CREATE = {method: 'POST', path: '/api/sn_chg_rest/change/standard/'}
const POLL = {
  method: 'GET',
  path: '/api/now/table/change_request/',
  query: 'approval,start_date'
}
const UPLOAD = {method: 'POST', path: '/api/now/attachment/file'}

/** A simulator of its own for one case, with the steps scanned for secrets, stopped afterwards. */
async function withCase(
  body: (
    sim: Simulator,
    step: ReturnType<typeof scannedSteps>,
    connection: Record<string, string>
  ) => Promise<void>,
  options: Parameters<typeof withSimulator>[0] = {}
): Promise<void> {
  const sim = await withSimulator(options)
  try {
    await hostileCase(counts, () =>
      body(sim, scannedSteps(sim, counts), {instance_url: sim.url, ...BASIC})
    )
  } finally {
    await sim.stop()
  }
}

async function timed(
  run: Promise<StepRun>
): Promise<StepRun & {seconds: number}> {
  const started = Date.now()
  const result = await run
  return {...result, seconds: (Date.now() - started) / 1000}
}

const create = (correlation: string): Record<string, string> => ({
  template: 'Deploy web application',
  correlation_id: correlation
})
const changes = (
  sim: Simulator,
  correlation: string
): Record<string, string | undefined>[] =>
  sim.instance.store
    .rows('change_request')
    .filter(r => r.correlation_id === correlation)

describe('rate-limit and retry waits', () => {
  it.concurrent.each(Object.entries(ODD_RETRY_AFTER))(
    '429 with Retry-After %s on every lookup: create backs off on its own and gives up after max_attempts',
    async (_, value) => {
      await withCase(async (sim, step, connection) => {
        sim.faults.add({...HOSTILE.retryAfter(value), ...LOOKUP, times: 0})
        const run = await step('create', {
          ...connection,
          ...create('hostile/ra'),
          max_attempts: '3'
        })
        failedCleanly(run, /\b429\b/)
        // Not thousands: one request per try.
        expect(
          seen(sim, 'GET', '/api/now/table/change_request', 'correlation_id=')
        ).toBe(3)
      })
    },
    CONCURRENT
  )

  it.concurrent(
    'Retry-After: 999999 on the create POST fails at once, naming when the instance said to come back',
    async () => {
      await withCase(async (sim, step, connection) => {
        sim.faults.add({...HOSTILE.retryAfter('999999'), ...CREATE, times: 0})
        const before = Date.now()
        const run = await timed(
          step('create', {...connection, ...create('hostile/ra-create')})
        )
        const line = failedCleanly(run, /\b429\b.*come back at (\S+),/)
        const at = Date.parse(/come back at (\S+),/.exec(line)![1]!)
        expect(Math.abs(at - (before + 999_999_000))).toBeLessThan(120_000)
        expect(run.seconds).toBeLessThan(30)
        expect(seen(sim, 'POST', CREATE.path)).toBe(1)
        expect(changes(sim, 'hostile/ra-create')).toHaveLength(0)
      })
    },
    CONCURRENT
  )

  it.concurrent(
    'Retry-After: 999999 on an upload fails at once, naming when to come back, and attaches nothing twice',
    async () => {
      await withCase(async (sim, step, connection) => {
        const created = await step('create', {
          ...connection,
          ...create('hostile/ra-upload')
        })
        survived(created)
        const file = join(
          mkdtempSync(join(tmpdir(), 'hostile-')),
          'evidence.txt'
        )
        writeFileSync(file, 'evidence')
        sim.faults.add({...HOSTILE.retryAfter('999999'), ...UPLOAD, times: 0})
        const run = await timed(
          step('update', {
            ...connection,
            change_sys_id: created.outputs.change_sys_id!,
            attachments: file
          })
        )
        failedCleanly(run, /\b429\b.*come back at /)
        expect(run.seconds).toBeLessThan(30)
        expect(seen(sim, 'POST', UPLOAD.path)).toBe(1)
      })
    },
    CONCURRENT
  )

  it.concurrent(
    'a 429 during "check once" (timeout_minutes 0) ends at once',
    async () => {
      await withCase(async (sim, step, connection) => {
        const created = await step('create', {
          ...connection,
          ...create('hostile/once')
        })
        sim.faults.add({...HOSTILE.retryAfter('1'), ...POLL, times: 0})
        const run = await timed(
          step('wait', {
            ...connection,
            change_sys_id: created.outputs.change_sys_id!,
            timeout_minutes: '0'
          })
        )
        failedCleanly(run, /checked once.*\b429\b/)
        expect(seen(sim, 'GET', POLL.path, POLL.query)).toBe(1)
        expect(run.seconds).toBeLessThan(30)
      })
    },
    CONCURRENT
  )
})

describe('deadlines on every request', () => {
  it.concurrent(
    'an answer trickled a byte a second is cut at request_timeout_seconds; the wait retries through it',
    async () => {
      await withCase(async (sim, step, connection) => {
        const created = await step('create', {
          ...connection,
          ...create('hostile/trickle')
        })
        sim.faults.add({...HOSTILE.trickle, ...POLL, times: 2})
        const run = await timed(
          step('wait', {
            ...connection,
            change_sys_id: created.outputs.change_sys_id!,
            request_timeout_seconds: '2',
            timeout_minutes: '1'
          })
        )
        survived(run)
        expect(run.outputs.decision).toBe('approved')
        expect(seen(sim, 'GET', POLL.path, POLL.query)).toBe(3)
        expect(run.seconds).toBeLessThan(45)
      })
    },
    CONCURRENT
  )

  it.concurrent(
    'an answer trickled on every try fails the step with one line naming the timeout',
    async () => {
      await withCase(async (sim, step, connection) => {
        sim.faults.add({...HOSTILE.trickle, ...LOOKUP, times: 0})
        const run = await timed(
          step('create', {
            ...connection,
            ...create('hostile/trickle-all'),
            request_timeout_seconds: '2',
            max_attempts: '2'
          })
        )
        failedCleanly(
          run,
          /no answer within request_timeout_seconds \(the answer was still arriving/
        )
        expect(run.seconds).toBeLessThan(45)
      })
    },
    CONCURRENT
  )

  it.concurrent.each([
    ['declared in Content-Length', HOSTILE.huge],
    ['chunked', HOSTILE.hugeChunked]
  ])(
    'a 64 MB answer (%s) is refused quickly, not retried, with a clear error',
    async (_, rule) => {
      await withCase(async (sim, step, connection) => {
        sim.faults.add({...rule, ...LOOKUP, times: 0})
        const run = await timed(
          step('create', {...connection, ...create('hostile/huge')})
        )
        failedCleanly(run, /MB this action accepts: refused/)
        expect(seen(sim, 'GET', LOOKUP.path, LOOKUP.query)).toBe(1)
        expect(run.seconds).toBeLessThan(30)
      })
    },
    CONCURRENT
  )

  it.concurrent.each([
    ['content-length', HOSTILE.cutContentLength],
    ['chunked', HOSTILE.cutChunked]
  ])(
    'an answer cut mid-body (%s) is retried where safe: create survives with one change',
    async (_, rule) => {
      await withCase(async (sim, step, connection) => {
        sim.faults.add({...rule, ...LOOKUP, times: 2})
        survived(
          await step('create', {...connection, ...create('hostile/cut')})
        )
        expect(changes(sim, 'hostile/cut')).toHaveLength(1)
      })
    },
    CONCURRENT
  )

  it.concurrent(
    'a create whose answer is cut after it landed is found, not repeated',
    async () => {
      await withCase(async (sim, step, connection) => {
        sim.faults.add({
          ...HOSTILE.cutChunked,
          ...CREATE,
          when: 'after',
          times: 1
        })
        const run = await step('create', {
          ...connection,
          ...create('hostile/cut-create')
        })
        survived(run)
        expect(changes(sim, 'hostile/cut-create')).toHaveLength(1)
        expect(run.outputs.change_number).toBe(
          changes(sim, 'hostile/cut-create')[0]!.number
        )
      })
    },
    CONCURRENT
  )

  it.concurrent(
    'an answer cut on every try ends with one ::error:: line, never exit 13',
    async () => {
      await withCase(async (sim, step, connection) => {
        sim.faults.add({...HOSTILE.cutContentLength, ...LOOKUP, times: 0})
        failedCleanly(
          await step('create', {
            ...connection,
            ...create('hostile/cut-all'),
            max_attempts: '2'
          }),
          /cut mid-answer/
        )
      })
    },
    CONCURRENT
  )

  it.concurrent(
    'the wait loop keeps waiting through polls whose answers are cut (errors do not end the wait)',
    async () => {
      await withCase(async (sim, step, connection) => {
        const created = await step('create', {
          ...connection,
          ...create('hostile/cut-wait')
        })
        // Three cuts: more than one poll's two tries, so the loop itself must carry on.
        sim.faults.add({...HOSTILE.cutChunked, ...POLL, times: 3})
        const run = await step('wait', {
          ...connection,
          change_sys_id: created.outputs.change_sys_id!,
          max_attempts: '2',
          poll_interval_seconds: '5',
          timeout_minutes: '1'
        })
        survived(run)
        expect(run.outputs.decision).toBe('approved')
        expect(run.stdout).toMatch(
          /::warning::Checking the change failed \(1 in a row: .*cut mid-answer/
        )
      })
    },
    CONCURRENT
  )

  it.concurrent.each([
    ['cut mid-body', HOSTILE.cutChunked],
    ['trickled', HOSTILE.trickle]
  ])(
    'the report reads on through a page %s (retried, same figures)',
    async (_, rule) => {
      await withCase(
        async (sim, step, connection) => {
          const inputs = {
            ...connection,
            period_days: '28',
            request_timeout_seconds: '2'
          }
          const clean = await step('report', inputs)
          survived(clean)
          sim.faults.add({
            ...rule,
            method: 'GET',
            path: '/api/now/table/change_request',
            when: 'after',
            times: 2
          })
          const run = await step('report', inputs)
          survived(run)
          expect(JSON.parse(run.outputs.report!).totals).toEqual(
            JSON.parse(clean.outputs.report!).totals
          )
        },
        {historyWeeks: 4}
      )
    },
    CONCURRENT
  )

  it.concurrent(
    'the gate rides through a cut poll answer and proceeds',
    async () => {
      await withCase(async (sim, step, connection) => {
        sim.faults.add({...HOSTILE.cutContentLength, ...POLL, times: 2})
        const run = await step(
          'gate',
          {
            ...connection,
            template: 'Deploy web application',
            poll_interval_seconds: '5',
            timeout_minutes: '1'
          },
          {env: {GITHUB_API_URL: ''}}
        )
        survived(run)
        expect(run.outputs.state).toBe('implement')
        expect(seen(sim, 'GET', POLL.path, POLL.query)).toBe(3)
      })
    },
    CONCURRENT
  )

  it.concurrent(
    'an endless Link rel="next" stops at the page cap and says so',
    async () => {
      await withCase(async (sim, step, connection) => {
        sim.faults.add({
          ...HOSTILE.endlessPaging,
          method: 'GET',
          path: '/api/now/table/change_request',
          times: 0
        })
        const run = await step('report', {...connection, period_days: '7'})
        failedCleanly(
          run,
          new RegExp(`still offered a next page after ${MAX_PAGES} pages`)
        )
        expect(seen(sim, 'GET', '/api/now/table/change_request')).toBe(
          MAX_PAGES
        )
      })
    },
    CONCURRENT
  )
})

describe('a GitHub API that never answers', () => {
  it.concurrent(
    'create degrades to the run link within the GitHub API budget',
    async () => {
      const github = await startSilentServer()
      try {
        await withCase(async (sim, step, connection) => {
          const env = {
            GITHUB_API_URL: github.url,
            GITHUB_TOKEN_FOR_TESTS: 'ghs_silentTokenForTests'
          }
          const run = await timed(
            step(
              'create',
              {
                ...connection,
                ...create('hostile/silent-gh'),
                environment: 'production'
              },
              {env}
            )
          )
          survived(run)
          expect(run.stdout).toMatch(
            /::warning::Could not read the commits going out from GitHub \(GitHub API GET \/repos\/octo-org\/payments\/deployments gave no answer within 10 s\)/
          )
          expect(changes(sim, 'hostile/silent-gh')).toHaveLength(1)
          // Two tries of one call, then the evidence is given up.
          expect(github.requests).toHaveLength(2)
          expect(run.seconds).toBeLessThan(60)
        })
      } finally {
        await github.stop()
      }
    },
    CONCURRENT
  )

  it.concurrent(
    "the gate's post leaves the change where it is, with a warning, within the budget",
    async () => {
      const github = await startSilentServer()
      try {
        await withCase(async (sim, step, connection) => {
          const env = {
            GITHUB_RUN_ID: '9101',
            GITHUB_API_URL: github.url,
            GITHUB_TOKEN_FOR_TESTS: 'ghs_silentTokenForTests'
          }
          const main = await step(
            'gate',
            {
              ...connection,
              template: 'Deploy web application',
              poll_interval_seconds: '5',
              timeout_minutes: '1'
            },
            {env: {...env, GITHUB_API_URL: ''}}
          )
          survived(main)
          const post = await timed(
            step('gate-post', {...connection}, {env, state: main.state})
          )
          survived(post)
          expect(post.stdout).toMatch(
            /::warning::CHG\d{7} is left in Implement: the job's outcome could not be read .*GitHub API GET .*gave no answer within 10 s/
          )
          expect(
            sim.instance.store.get(
              'change_request',
              main.outputs.change_sys_id!
            )?.state
          ).toBe('-1')
          expect(github.requests.length).toBeLessThanOrEqual(2)
          expect(post.seconds).toBeLessThan(60)
        })
      } finally {
        await github.stop()
      }
    },
    CONCURRENT
  )
})

describe('secrets echoed back', () => {
  it.concurrent(
    'an error body echoing the Basic header and the password prints neither',
    async () => {
      await withCase(async (sim, step, connection) => {
        sim.faults.add({...HOSTILE.echo, ...LOOKUP, times: 0})
        // scannedSteps fails the case if the password or its base64 shows anywhere.
        const line = failedCleanly(
          await step('create', {
            ...connection,
            ...create('hostile/echo-basic')
          }),
          /\b400\b/
        )
        expect(line).toMatch(/Authorization: Basic \*\*\*/)
      })
    },
    CONCURRENT
  )

  it.concurrent(
    'a token endpoint echoing client_secret=… and password=… prints neither',
    async () => {
      await withCase(async (sim, step) => {
        sim.faults.add({
          ...HOSTILE.echo,
          method: 'POST',
          path: '/oauth_token.do',
          times: 0
        })
        const oauth = {
          instance_url: sim.url,
          ...BASIC,
          client_id: SEED_OAUTH_CLIENT.clientId,
          client_secret: SEED_OAUTH_CLIENT.clientSecret
        }
        const line = failedCleanly(
          await step('create', {...oauth, ...create('hostile/echo-oauth')}),
          /\b400\b/
        )
        expect(line).toMatch(/client_secret=\*\*\*/)
        expect(line).toMatch(/password=\*\*\*/)
      })
    },
    CONCURRENT
  )

  it.concurrent(
    'a redirect to user:password@host?token#fragment is named by host and path only',
    async () => {
      await withCase(async (sim, step, connection) => {
        sim.faults.add({
          kind: 'status',
          status: 302,
          headers: {
            Location:
              'https://sso-user:sso-pa55word@login.example.com/sso/start?token=t0ken-in-query#frag-ment'
          },
          ...LOOKUP,
          times: 0
        })
        const line = failedCleanly(
          await step('create', {...connection, ...create('hostile/redirect')}),
          /redirected to https:\/\/login\.example\.com\/sso\/start\b/
        )
        expect(line).not.toMatch(
          /sso-pa55word|sso-user|t0ken-in-query|frag-ment/
        )
      })
    },
    CONCURRENT
  )

  it.concurrent(
    'an unparsable instance_url is named without its query or credentials, before any request',
    async () => {
      await withCase(async (sim, step) => {
        const run = await step('create', {
          ...BASIC,
          instance_url: 'https://exa mple.com/?token=s3cret-in-url',
          ...create('hostile/bad-url')
        })
        const line = failedCleanly(run, /Invalid instance_url/)
        expect(line).not.toMatch(/s3cret-in-url/)
        expect(sim.requests()).toHaveLength(0)
      })
    },
    CONCURRENT
  )
})

describe('rate limits as ServiceNow sends them (hourly windows on a schedule)', () => {
  it.concurrent(
    'create fails at once, naming the reset time, when the window outlasts rate_limit_wait_minutes',
    async () => {
      await withCase(
        async (sim, step, connection) => {
          const run = await timed(
            step('create', {
              ...connection,
              ...create('hostile/rl-create'),
              rate_limit_wait_minutes: '0'
            })
          )
          const nextHour = new Date(
            Math.ceil(Date.now() / 3_600_000) * 3_600_000
          )
            .toISOString()
            .replace('.000Z', 'Z')
          failedCleanly(
            run,
            new RegExp(
              `\\b429\\b.*Rate limit of 0 requests per hour.*come back at ${nextHour.replace(/\./g, '\\.')}`
            )
          )
          expect(run.seconds).toBeLessThan(30)
          expect(sim.requests().filter(r => r.status === 429)).toHaveLength(1)
        },
        {rateLimit: {limit: 0, windowMs: 3_600_000}}
      )
    },
    CONCURRENT
  )

  it.concurrent(
    'close fails the same way, naming the reset time',
    async () => {
      await withCase(async (sim, step, connection) => {
        const created = await step('create', {
          ...connection,
          ...create('hostile/rl-close')
        })
        survived(created)
        sim.rateLimiter.config = {limit: 0, windowMs: 3_600_000}
        const run = await step('close', {
          ...connection,
          change_sys_id: created.outputs.change_sys_id!,
          result: 'success',
          rate_limit_wait_minutes: '0'
        })
        const nextHour = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000)
          .toISOString()
          .replace('.000Z', 'Z')
        failedCleanly(
          run,
          new RegExp(
            `\\b429\\b.*come back at ${nextHour.replace(/\./g, '\\.')}, later than this step may wait`
          )
        )
        expect(changes(sim, 'hostile/rl-close')[0]!.state).not.toBe('3')
      })
    },
    CONCURRENT
  )

  it.concurrent(
    'create waits out a short window within rate_limit_wait_minutes, and makes one change',
    async () => {
      await withCase(
        async (sim, step, connection) => {
          const run = await step('create', {
            ...connection,
            ...create('hostile/rl-short')
          })
          survived(run)
          expect(changes(sim, 'hostile/rl-short')).toHaveLength(1)
          expect(
            sim.requests().filter(r => r.status === 429).length
          ).toBeGreaterThan(0)
        },
        {rateLimit: {limit: 2, windowMs: 10_000}}
      )
    },
    CONCURRENT
  )

  it.concurrent(
    'the wait loop rides a limit out within its timeout, past rate_limit_wait_minutes',
    async () => {
      await withCase(async (sim, step, connection) => {
        const created = await step('create', {
          ...connection,
          ...create('hostile/rl-wait')
        })
        sim.rateLimiter.config = {limit: 1, windowMs: 10_000}
        sim.rateLimiter.reset()
        // Reading the change uses the window's one request; the reads and polls after it are turned away.
        const run = await step('wait', {
          ...connection,
          change_sys_id: created.outputs.change_sys_id!,
          poll_interval_seconds: '5',
          timeout_minutes: '2',
          rate_limit_wait_minutes: '0'
        })
        survived(run)
        expect(run.outputs.decision).toBe('approved')
        const polls = sim
          .requests({method: 'GET'})
          .filter(r =>
            decodeURIComponent(r.path).includes('approval,start_date')
          )
        expect(polls.filter(r => r.status === 429).length).toBeGreaterThan(0)
        expect(polls.at(-1)?.status).toBe(200)
        // Came back when told, not hammering: a handful of requests in all.
        expect(sim.requests().length).toBeLessThan(20)
        expect(errors(run)).toEqual([])
      })
    },
    CONCURRENT
  )
})
