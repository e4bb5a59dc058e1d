import {
  afterAll,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it
} from '@jest/globals'
import type {Simulator} from '../src/simulator/server.js'
import type {FaultRule} from '../src/simulator/faults.js'
import {admin, raw, withSimulator} from './helpers/sim.js'
import {startRunGithub, type RunGithub} from './helpers/github-run.js'
import {errors, type StepRun} from '../scripts/local-runner.js'
import {add, counted, suiteCounts} from './helpers/counts.js'
import {scannedSteps} from './helpers/scan.js'

/**
 * What the action says happened is what happened: the gate's post closes only from an
 * outcome it positively sees, every walk ends where it was asked to or fails saying where
 * it is, and every note is written once. Built bundles against the simulator and a fake
 * GitHub API that answer the way real ones misbehave.
 */
const counts = suiteCounts('e2e-truth')
let sim: Simulator
let github: RunGithub
let runStep: ReturnType<typeof scannedSteps>
let connection: Record<string, string>
const TOKEN = 'ghs_fakeTokenForTruthTests'
const TEMPLATE = 'Deploy web application'
beforeAll(async () => {
  sim = await withSimulator({approval: {mode: 'auto', afterMs: 300}})
  runStep = scannedSteps(sim, counts)
  github = await startRunGithub(TOKEN)
  connection = {
    instance_url: sim.url,
    username: 'devops.integration',
    password: 'sn-integration-pw'
  }
})
afterAll(() => Promise.all([sim.stop(), github.stop()]))
beforeEach(async () => {
  await admin(sim, 'DELETE', '/faults')
})

const record = async (number: string): Promise<any> =>
  admin(sim, 'GET', `/changes/${number}`)
const fault = (rule: FaultRule): Promise<unknown> =>
  admin(sim, 'POST', '/faults', rule)
const entries = (notes: string[], text: string): number =>
  notes.filter(n => n.includes(text)).length
function ok(run: StepRun): void {
  expect({code: run.code, errors: errors(run), stderr: run.stderr}).toEqual({
    code: 0,
    errors: [],
    stderr: ''
  })
}
const runEnv = (runId: string): Record<string, string> => ({
  GITHUB_RUN_ID: runId,
  GITHUB_API_URL: github.url,
  GITHUB_TOKEN_FOR_TESTS: TOKEN
})

const done = (
  name: string,
  conclusion: string | null
): {name: string; status: string; conclusion: string | null} => ({
  name,
  status: 'completed',
  conclusion
})
const self = {name: 'Post Gate', status: 'in_progress', conclusion: null}
const numbered = (
  step: Record<string, unknown>,
  number: unknown
): Record<string, unknown> => ({...step, number})
const deployJob = (
  extra: Record<string, unknown>
): Record<string, unknown> => ({
  id: 2,
  name: 'deploy',
  status: 'in_progress',
  conclusion: null,
  runner_name: 'GitHub Actions 7',
  ...extra
})

interface OutcomeCase {
  what: string
  answer: Partial<Pick<RunGithub, 'steps' | 'job' | 'jobsStatus'>>
  /** The close code post must write, or undefined: left in Implement. */
  closeCode: 'successful' | 'unsuccessful' | undefined
  /** Left in Implement: what the warning must give as the reason. */
  reason?: RegExp
}

const OUTCOMES: OutcomeCase[] = [
  {
    what: 'every step succeeded',
    answer: {steps: [done('Gate', 'success'), done('Deploy', 'success'), self]},
    closeCode: 'successful'
  },
  {
    what: 'a step was skipped, the rest succeeded',
    answer: {steps: [done('Gate', 'success'), done('Deploy', 'skipped'), self]},
    closeCode: 'successful'
  },
  {
    what: 'a step failed',
    answer: {steps: [done('Gate', 'success'), done('Deploy', 'failure'), self]},
    closeCode: 'unsuccessful'
  },
  {
    what: 'a step timed out',
    answer: {
      steps: [done('Gate', 'success'), done('Deploy', 'timed_out'), self]
    },
    closeCode: 'unsuccessful'
  },
  // The close rules (README "close"): cancelled after implementation began → Closed/unsuccessful.
  {
    what: 'a step was cancelled after Implement',
    answer: {
      steps: [done('Gate', 'success'), done('Deploy', 'cancelled'), self]
    },
    closeCode: 'unsuccessful'
  },
  {what: 'steps: []', answer: {steps: []}, closeCode: undefined},
  {what: 'no steps key', answer: {job: deployJob({})}, closeCode: undefined},
  {
    what: 'steps: null',
    answer: {job: deployJob({steps: null})},
    closeCode: undefined
  },
  {
    what: 'only this post step listed',
    answer: {steps: [self]},
    closeCode: undefined
  },
  {
    what: 'the deploy step still in_progress with conclusion null',
    answer: {
      steps: [
        done('Gate', 'success'),
        {name: 'Deploy', status: 'in_progress', conclusion: null},
        self
      ]
    },
    closeCode: undefined
  },
  {
    what: 'the deploy step completed with conclusion null',
    answer: {steps: [done('Gate', 'success'), done('Deploy', null), self]},
    closeCode: undefined
  },
  {
    what: 'a conclusion never seen before',
    answer: {steps: [done('Gate', 'success'), done('Deploy', 'stale'), self]},
    closeCode: undefined
  },
  {
    what: 'a step that is not an object',
    answer: {steps: [done('Gate', 'success'), 'Deploy' as never, self]},
    closeCode: undefined
  },
  {
    what: 'no step in progress (this one not listed yet)',
    answer: {steps: [done('Gate', 'success'), done('Deploy', 'success')]},
    closeCode: undefined
  },
  {
    what: 'the jobs API answers 500',
    answer: {jobsStatus: 500},
    closeCode: undefined,
    reason: /500/
  },
  // The API lags a step that just ended: the deploy step still shows in_progress and this post step is queued or not listed yet.
  {
    what: 'the deploy step lagging in_progress, this post step still queued',
    answer: {
      steps: [
        done('Set up job', 'success'),
        done('Gate', 'success'),
        {name: 'Deploy', status: 'in_progress', conclusion: null},
        {name: 'Post Gate', status: 'queued', conclusion: null},
        {name: 'Complete job', status: 'queued', conclusion: null}
      ]
    },
    closeCode: undefined
  },
  {
    what: 'the deploy step lagging in_progress, this post step not listed',
    answer: {
      steps: [
        done('Gate', 'success'),
        {name: 'Deploy', status: 'in_progress', conclusion: null}
      ]
    },
    closeCode: undefined
  },
  {
    what: 'two steps in progress',
    answer: {
      steps: [
        done('Gate', 'success'),
        {name: 'Deploy', status: 'in_progress', conclusion: null},
        self
      ]
    },
    closeCode: undefined
  },
  {
    what: 'a step before this one still pending',
    answer: {
      steps: [
        done('Gate', 'success'),
        {name: 'Deploy', status: 'pending', conclusion: null},
        self
      ]
    },
    closeCode: undefined
  },
  {
    what: 'conclusion neutral',
    answer: {steps: [done('Gate', 'success'), done('Deploy', 'neutral'), self]},
    closeCode: undefined
  },
  {
    what: 'status and conclusion in upper case',
    answer: {
      steps: [
        done('Gate', 'success'),
        {name: 'Deploy', status: 'COMPLETED', conclusion: 'SUCCESS'},
        self
      ]
    },
    closeCode: undefined
  },
  // The API's order is `number`; a failed step numbered before this post step counts wherever it is listed.
  {
    what: 'a failed step listed after this post step but numbered before it',
    answer: {
      steps: [
        numbered(done('Gate', 'success'), 1),
        numbered(self, 4),
        numbered(done('Deploy', 'failure'), 2)
      ]
    },
    closeCode: 'unsuccessful'
  },
  {
    what: 'a failed step numbered after this post step',
    answer: {
      steps: [
        numbered(done('Gate', 'success'), 1),
        numbered(self, 2),
        numbered(done('Deploy', 'failure'), 3)
      ]
    },
    closeCode: undefined
  },
  {
    what: 'step numbers as strings',
    answer: {
      steps: [
        numbered(self, '3'),
        numbered(done('Deploy', 'failure'), '2'),
        numbered(done('Gate', 'success'), '1')
      ]
    },
    closeCode: undefined
  },
  {
    what: 'a number on some steps only',
    answer: {
      steps: [
        done('Gate', 'success'),
        numbered(done('Deploy', 'success'), 2),
        numbered(self, 3)
      ]
    },
    closeCode: undefined
  },
  {
    what: 'the same number twice',
    answer: {
      steps: [
        numbered(done('Gate', 'success'), 1),
        numbered(done('Deploy', 'success'), 1),
        numbered(self, 3)
      ]
    },
    closeCode: undefined
  },
  {
    what: 'every step succeeded, listed out of order, the steps after this one queued',
    answer: {
      steps: [
        numbered({name: 'Complete job', status: 'queued', conclusion: null}, 6),
        numbered(self, 4),
        numbered(done('Deploy', 'success'), 3),
        numbered(
          {
            name: 'Post Run actions/checkout@v4',
            status: 'queued',
            conclusion: null
          },
          5
        ),
        numbered(done('Set up job', 'success'), 1),
        numbered(done('Gate', 'success'), 2)
      ]
    },
    closeCode: 'successful'
  }
]

describe("the gate's post closes only from an outcome it positively sees", () => {
  let closes = 0
  let successfulCloses = 0
  afterAll(() => {
    add(counts, 'job outcomes tried on the gate post', OUTCOMES.length)
    // The rows with a close code close; every other close is unsuccessful; the rest stay in Implement.
    expect({closes, successfulCloses}).toEqual({
      closes: OUTCOMES.filter(c => c.closeCode !== undefined).length,
      successfulCloses: OUTCOMES.filter(c => c.closeCode === 'successful')
        .length
    })
  })

  it.each(OUTCOMES.map((c, i) => [c.what, c, 8100 + i] as const))(
    '%s',
    async (_what, c, runId) => {
      const main = await runStep(
        'gate',
        {...connection, template: TEMPLATE},
        {env: runEnv(String(runId))}
      )
      ok(main)
      expect(main.outputs.state).toBe('implement')
      github.steps = c.answer.steps ?? []
      github.job = c.answer.job
      github.jobsStatus = c.answer.jobsStatus
      const post = await runStep(
        'gate-post',
        {...connection},
        {env: runEnv(String(runId)), state: main.state}
      )
      github.job = undefined
      github.jobsStatus = undefined
      ok(post)
      const after = await record(main.outputs.change_number!)
      if (after.state_label === 'Closed') closes++
      if (after.close_code === 'successful') successfulCloses++
      if (c.closeCode === undefined) {
        expect(after).toMatchObject({state_label: 'Implement', close_code: ''})
        const warnings = post.stdout
          .split('\n')
          .filter(l => l.startsWith('::warning::'))
        expect(warnings).toEqual([
          expect.stringMatching(
            /^::warning::CHG\d+ is left in Implement: the job's outcome could not be read \(.+\)\. Close it by hand or with the close action/
          )
        ])
        if (c.reason !== undefined) expect(warnings[0]).toMatch(c.reason)
        expect(post.summary).toMatch(
          /left in implement[\s\S]*could not be read[\s\S]*Close it by hand or with the close action/
        )
        expect(
          entries(after.work_notes, 'could not tell how the deployment ended')
        ).toBe(1)
        expect(post.outputs.state).toBe('implement')
      } else {
        expect(after).toMatchObject({
          state_label: 'Closed',
          close_code: c.closeCode
        })
        expect(post.outputs.state).toBe('closed')
      }
    },
    60_000
  )
})

/** Creates a standard change (Scheduled, approved) for a walk to start from. */
async function scheduled(
  correlationId: string,
  env: Record<string, string> = {}
): Promise<StepRun> {
  const create = await runStep(
    'create',
    {...connection, template: TEMPLATE, correlation_id: correlationId},
    {env}
  )
  ok(create)
  expect(create.outputs).toMatchObject({
    state: 'scheduled',
    approval: 'approved'
  })
  return create
}

/** A proxy loses the state of the next write to a change while its approval changes at that moment. */
const loseNextMove = (): Promise<unknown> =>
  fault({
    kind: 'swallow-state',
    method: 'PATCH',
    path: '/change',
    approval: 'requested',
    times: 1
  })

function failedWithOneLine(run: StepRun, where: RegExp): void {
  expect(run.code).toBe(1)
  expect(errors(run)).toEqual([expect.stringMatching(where)])
  add(counts, 'lost moves caught')
}

describe('a move that did not happen is an error naming where the change is', () => {
  it('gate main: the move to Implement is lost while the approval changes', async () => {
    // The gate adopts the change create made for the same deployment, so its only write is the move.
    const create = await scheduled('octo-org/payments/8201/deploy', {
      GITHUB_RUN_ID: '8201'
    })
    await loseNextMove()
    const main = await runStep(
      'gate',
      {...connection, template: TEMPLATE},
      {env: runEnv('8201')}
    )
    failedWithOneLine(
      main,
      /^::error::CHG\d+ is scheduled \(approval requested\), not implement: ServiceNow answered the move but did not make it/
    )
    expect(main.stdout).not.toContain('the deployment may proceed')
    expect(main.state.implementing).toBeUndefined()
    expect((await record(create.outputs.change_number!)).state_label).toBe(
      'Scheduled'
    )
  }, 60_000)

  // Each step's walk, with the state the change is in when it starts and where a lost move leaves it.
  it.each<[string, string, Record<string, string>, boolean, string, RegExp]>([
    [
      'update: the move to Implement is lost',
      'update',
      {state: 'implement'},
      false,
      'Scheduled',
      /^::error::CHG\d+ is scheduled \(approval requested\), not implement/
    ],
    [
      'close: the move to Review is lost',
      'close',
      {result: 'success'},
      true,
      'Implement',
      /^::error::CHG\d+ is implement \(approval requested\), not closed/
    ],
    [
      'cancel: the move to Canceled is lost',
      'close',
      {result: 'cancelled'},
      false,
      'Scheduled',
      /^::error::CHG\d+ is scheduled \(approval requested\), not canceled/
    ]
  ])(
    '%s',
    async (name, entry, inputs, implementing, left, line) => {
      const create = await scheduled(`lost-move-${name.split(':')[0]}`)
      const sysId = create.outputs.change_sys_id!
      if (implementing)
        ok(
          await runStep('update', {
            ...connection,
            change_sys_id: sysId,
            state: 'implement'
          })
        )
      await loseNextMove()
      const run = await runStep(entry, {
        ...connection,
        change_sys_id: sysId,
        ...inputs
      })
      failedWithOneLine(run, line)
      expect(run.outputs.state).toBeUndefined()
      expect(run.stdout).not.toMatch(
        /closed: successful|canceled: the deployment/
      )
      expect(await record(create.outputs.change_number!)).toMatchObject({
        state_label: left,
        close_code: ''
      })
    },
    60_000
  )
})

describe('one write, one journal entry', () => {
  const writesTo = async (sysId: string): Promise<number> =>
    (
      (await admin(sim, 'GET', '/requests')) as {method: string; path: string}[]
    ).filter(r => r.method === 'PATCH' && r.path.includes(sysId)).length

  it(
    'update writes its work note once',
    counted(counts, 'journal entries counted', async () => {
      const create = await scheduled('one-note-update')
      const update = await runStep('update', {
        ...connection,
        change_sys_id: create.outputs.change_sys_id!,
        state: 'implement',
        work_notes: 'Rolling out payments v1.2.3'
      })
      ok(update)
      const notes = (await record(create.outputs.change_number!)).work_notes
      expect(entries(notes, 'Rolling out payments v1.2.3')).toBe(1)
      return notes.length
    }),
    60_000
  )

  it('close writes its final fields with the last move only, and the incident note once', async () => {
    const create = await scheduled('one-note-close')
    const sysId = create.outputs.change_sys_id!
    ok(
      await runStep('update', {
        ...connection,
        change_sys_id: sysId,
        state: 'implement'
      })
    )
    const before = await writesTo(sysId)
    const close = await runStep('close', {
      ...connection,
      change_sys_id: sysId,
      result: 'failure',
      open_incident_on_failure: 'true'
    })
    ok(close)
    // Implement → Review, Review → Closed: two writes, nothing after.
    expect((await writesTo(sysId)) - before).toBe(2)
    const notes = (await record(create.outputs.change_number!)).work_notes
    expect(
      entries(
        notes,
        `Incident ${close.outputs.incident_number} opened for this failed deployment.`
      )
    ).toBe(1)
  }, 60_000)

  it('cancel writes its note once', async () => {
    const create = await scheduled('one-note-cancel')
    ok(
      await runStep('close', {
        ...connection,
        change_sys_id: create.outputs.change_sys_id!,
        result: 'cancelled'
      })
    )
    const notes = (await record(create.outputs.change_number!)).work_notes
    expect(
      entries(notes, 'Deployment cancelled before implementation began.')
    ).toBe(1)
  }, 60_000)
})

describe('the demo', () => {
  it('shows each note once in the final record (npm run demo -- --auto-approve)', async () => {
    const {spawn} = await import('node:child_process')
    const child = spawn(
      process.execPath,
      ['node_modules/tsx/dist/cli.mjs', 'scripts/demo.ts', '--auto-approve'],
      {stdio: ['ignore', 'pipe', 'pipe']}
    )
    let stdout = ''
    child.stdout.on('data', d => (stdout += d))
    const code = await new Promise<number | null>(resolve =>
      child.on('close', resolve)
    )
    expect(code).toBe(0)
    const held = stdout.slice(
      stdout.indexOf('━━ the change request as ServiceNow holds it ━━') + 47
    )
    const final = JSON.parse(held.slice(0, held.lastIndexOf('}') + 1)) as {
      work_notes: string[]
      state_label: string
    }
    expect(final.state_label).toBe('Closed')
    expect(entries(final.work_notes, 'Rolling out payments v1.2.3')).toBe(1)
    expect(new Set(final.work_notes).size).toBe(final.work_notes.length)
  }, 180_000)
})

describe('what reaches a query', () => {
  const requestsDuring = async (
    step: () => Promise<StepRun>
  ): Promise<{run: StepRun; requests: number}> => {
    await admin(sim, 'DELETE', '/requests')
    const run = await step()
    return {
      run,
      requests: ((await admin(sim, 'GET', '/requests')) as unknown[]).length
    }
  }
  const CASES: [string, string, Record<string, string>][] = [
    [
      'create',
      'assignment_group',
      {assignment_group: 'javascript:gs.getUserID()'}
    ],
    [
      'create',
      'cmdb_ci',
      {cmdb_ci: '  JavaScript:new GlideRecord("sys_user").deleteMultiple()'}
    ],
    ['create', 'parent_change', {parent_change: 'JAVASCRIPT:gs.getUserID()'}],
    ['create', 'template', {template: 'jAvAsCrIpT:1'}],
    [
      'create',
      'correlation_id',
      {correlation_id: ' javascript:gs.getUserID()'}
    ],
    ['create', 'correlation_id', {correlation_id: 'a\u2028active=false'}],
    ['create', 'correlation_id', {correlation_id: 'a\u2029active=false'}],
    ['create', 'assignment_group', {assignment_group: 'DevOps\u2028Team'}],
    [
      'report',
      'correlation_prefix',
      {correlation_prefix: 'javascript:gs.getUserID()'}
    ],
    ['report', 'cmdb_ci', {cmdb_ci: 'Javascript:x'}],
    ['report', 'assignment_group', {assignment_group: 'x\u2029y'}]
  ]
  it.each(CASES)(
    '%s refuses %s %j before any request',
    counted(
      counts,
      'query injections refused before any request',
      async (entry, input, inputs) => {
        const {run, requests} = await requestsDuring(() =>
          runStep(entry, {...connection, ...inputs})
        )
        expect(run.code).toBe(1)
        expect(errors(run)).toEqual([
          expect.stringMatching(
            new RegExp(
              `^::error::Invalid ${input}: it (begins with 'javascript:'|contains a line break)`
            )
          )
        ])
        expect(requests).toBe(0)
      }
    ),
    60_000
  )
})

/** Lines the runner would read as workflow commands that the action did not mean to write. */
const forged = (run: StepRun): string[] =>
  run.stdout
    .split(/\r?\n|\r/)
    .filter(l => /^\s*::[a-z-]+( [^:]*)?::forged/i.test(l))

describe('what reaches the log and the outputs', () => {
  /** A real change, then every read of it answered with the same record carrying `extra`. */
  async function answeredWith(
    correlationId: string,
    extra: Record<string, unknown>
  ): Promise<{create: StepRun; sysId: string}> {
    const create = await scheduled(correlationId)
    const sysId = create.outputs.change_sys_id!
    const record = {
      sys_id: sysId,
      number: create.outputs.change_number,
      type: 'standard',
      state: '-2',
      approval: 'approved',
      short_description: 'Deploy',
      ...extra
    }
    await fault({
      kind: 'answer',
      method: 'GET',
      path: `/api/now/table/change_request/${sysId}`,
      json: {result: record},
      times: 0
    })
    return {create, sysId}
  }

  it.each([
    ['number', {number: 'CHG0030001\n::warning::forged'}],
    ['number', {number: 'CHG0030001\r\n::add-mask::forged'}],
    ['approval', {approval: 'approved\n::error::forged'}],
    ['approval', {approval: 'approved\u2028::warning::forged'}],
    ['sys_id', {sys_id: '::error::forged'}]
  ])(
    'a record whose %s carries a line break and a command is an error, not an output',
    counted(
      counts,
      'forged commands kept out of the log',
      async (name, extra) => {
        const {sysId} = await answeredWith(
          `forged-${name}-${JSON.stringify(extra).length}`,
          extra
        )
        const update = await runStep('update', {
          ...connection,
          change_sys_id: sysId,
          work_notes: 'hello'
        })
        expect(update.code).toBe(1)
        expect(errors(update)).toEqual([
          expect.stringMatching(
            new RegExp(
              `^::error::.*ServiceNow GET /api/now/table/change_request failed: the instance sent ${name} .* where a change request belongs`
            )
          )
        ])
        expect(forged(update)).toEqual([])
        expect(update.outputs.change_number).toBeUndefined()
        expect(update.outputs.approval).toBeUndefined()
      }
    ),
    60_000
  )

  it(
    'a short description carrying commands is never printed as one',
    counted(counts, 'forged commands kept out of the log', async () => {
      const {sysId} = await answeredWith('forged-short-description', {
        short_description:
          'Deploy\n::error::forged\n::add-mask::forged\r::warning::forged'
      })
      const update = await runStep('update', {
        ...connection,
        change_sys_id: sysId,
        work_notes: 'hello'
      })
      ok(update)
      expect(forged(update)).toEqual([])
      for (const value of Object.values(update.outputs))
        expect(value).not.toMatch(/[\r\n\u2028\u2029]/)
    }),
    60_000
  )
})

describe('odd answers: a valid record or one clear error naming what the instance sent', () => {
  const ANSWERS: [string, {json?: unknown; text?: string}, RegExp][] = [
    [
      '{"result":[null]}',
      {json: {result: [null]}},
      /sent null|no result with a record \(the instance sent \[null\]\)/
    ],
    [
      '{"result":[1]}',
      {json: {result: [1]}},
      /the instance sent \[1\]|sent 1 where/
    ],
    [
      '{"result":[[]]}',
      {json: {result: [[]]}},
      /the instance sent \[\[\]\]|sent \[\] where/
    ],
    [
      '[1]',
      {json: [1]},
      /sent nothing where a change request belongs|no result with a record \(the instance sent nothing\)/
    ],
    ['null', {json: null}, /sent nothing|the instance sent nothing/],
    [
      'sys_id {"value":{}}',
      {
        json: {
          result: {
            sys_id: {value: {}},
            number: 'CHG0030001',
            state: '-2',
            approval: 'approved'
          }
        }
      },
      /sys_id \{"value":\{\}\}/
    ],
    [
      'state 1e400',
      {
        text: `{"result":{"sys_id":"${'a'.repeat(32)}","number":"CHG0030001","state":1e400,"approval":"approved"}}`
      },
      /state Infinity/
    ],
    [
      'state "Infinity"',
      {
        json: {
          result: {
            sys_id: 'a'.repeat(32),
            number: 'CHG0030001',
            state: 'Infinity',
            approval: 'approved'
          }
        }
      },
      /state "Infinity"/
    ],
    [
      'approval unknown',
      {
        json: {
          result: {
            sys_id: 'a'.repeat(32),
            number: 'CHG0030001',
            state: '-2',
            approval: 'maybe'
          }
        }
      },
      /approval "maybe"/
    ]
  ]
  it.each(ANSWERS)(
    'create answered %s fails with one line and no outputs',
    counted(
      counts,
      'odd answers refused with one line',
      async (_what, answer, names) => {
        await fault({
          kind: 'answer',
          method: 'POST',
          path: '/api/sn_chg_rest/change/standard',
          ...answer,
          times: 0
        })
        const create = await runStep('create', {
          ...connection,
          template: TEMPLATE,
          correlation_id: `odd-${_what.length}-${Math.random()}`.slice(0, 40),
          max_attempts: '1'
        })
        expect(create.code).toBe(1)
        const lines = errors(create)
        expect(lines).toHaveLength(1)
        expect(lines[0]).toMatch(
          /^::error::.*ServiceNow POST \/api\/sn_chg_rest\/change\/standard failed: /
        )
        expect(lines[0]).toMatch(names)
        expect(create.outputs.change_number).toBeUndefined()
        expect(create.outputs.state).toBeUndefined()
      }
    ),
    60_000
  )
})

describe('one change per deployment, even when an insert is slow', () => {
  const openFor = async (correlationId: string): Promise<any[]> =>
    ((await admin(sim, 'GET', '/changes')) as any[]).filter(
      c =>
        c.correlation_id === correlationId &&
        !['Closed', 'Canceled'].includes(c.state_label)
    )
  const allFor = async (correlationId: string): Promise<any[]> =>
    ((await admin(sim, 'GET', '/changes')) as any[]).filter(
      c => c.correlation_id === correlationId
    )

  it(
    'inserts taking 4 s under a 2 s request timeout: create looks again before inserting twice, and one change is open',
    counted(counts, 'slow inserts settled on one change', async () => {
      await fault({
        kind: 'delay',
        method: 'POST',
        path: '/api/sn_chg_rest/change/standard',
        delayMs: 4000,
        times: 0
      })
      const create = await runStep('create', {
        ...connection,
        template: TEMPLATE,
        correlation_id: 'slow-insert-4s',
        request_timeout_seconds: '2'
      })
      ok(create)
      // Let any insert still on its way land before counting.
      await new Promise(resolve => setTimeout(resolve, 5000))
      const all = await allFor('slow-insert-4s')
      expect(all.map(c => c.number)).toEqual([create.outputs.change_number])
    }),
    90_000
  )

  it(
    'an insert that lands after create finished is canceled by the next step, naming the survivor',
    counted(
      counts,
      'late duplicates canceled naming the survivor',
      async () => {
        // The first insert takes 20 s: create gives up at 2 s, looks twice (the second time 4 s later),
        // inserts again and finishes; the first lands long after, even on a busy machine.
        await fault({
          kind: 'delay',
          method: 'POST',
          path: '/api/sn_chg_rest/change/standard',
          delayMs: 20_000,
          times: 1
        })
        const create = await runStep('create', {
          ...connection,
          template: TEMPLATE,
          correlation_id: 'late-insert',
          request_timeout_seconds: '2'
        })
        ok(create)
        const survivor = create.outputs.change_number!
        for (let i = 0; i < 80 && (await allFor('late-insert')).length < 2; i++)
          await new Promise(resolve => setTimeout(resolve, 500))
        expect(await openFor('late-insert')).toHaveLength(2)

        const wait = await runStep('wait', {
          ...connection,
          change_sys_id: create.outputs.change_sys_id!,
          poll_interval_seconds: '5',
          timeout_minutes: '1'
        })
        ok(wait)
        expect(wait.outputs.change_number).toBe(survivor)
        const open = await openFor('late-insert')
        expect(open.map(c => c.number)).toEqual([survivor])
        const extra = (await allFor('late-insert')).find(
          c => c.number !== survivor
        )
        expect(extra.state_label).toBe('Canceled')
        expect(
          entries(
            extra.work_notes,
            `a duplicate of ${survivor} for the same deployment`
          )
        ).toBe(1)
        expect(wait.stdout).toMatch(
          new RegExp(
            `::warning::${extra.number} duplicated ${survivor} for this deployment`
          )
        )
      }
    ),
    120_000
  )
})

describe("the gate's post settles a duplicate too", () => {
  it(
    'a younger open change of the same deployment is canceled naming the one the gate implemented, which is closed',
    counted(
      counts,
      'late duplicates canceled naming the survivor',
      async () => {
        const main = await runStep(
          'gate',
          {...connection, template: TEMPLATE},
          {env: runEnv('8301')}
        )
        ok(main)
        const correlationId = 'octo-org/payments/8301/deploy'
        // An insert of the same deployment that landed late, straight through the Table API.
        const late = await fetch(`${sim.url}/api/now/table/change_request`, {
          method: 'POST',
          headers: {
            Accept: 'application/json',
            'Content-Type': 'application/json',
            Authorization: `Basic ${Buffer.from('devops.integration:sn-integration-pw').toString('base64')}`
          },
          // It carries the action's mark, as every insert of the action does (settings/create.ts).
          body: JSON.stringify({
            short_description: 'late insert',
            correlation_id: correlationId,
            correlation_display: 'servicenow-change',
            type: 'standard'
          })
        }).then(r => r.json() as Promise<any>)
        github.steps = [
          done('Gate', 'success'),
          done('Deploy', 'success'),
          self
        ]
        const post = await runStep(
          'gate-post',
          {...connection},
          {env: runEnv('8301'), state: main.state}
        )
        ok(post)
        expect(await record(main.outputs.change_number!)).toMatchObject({
          state_label: 'Closed',
          close_code: 'successful'
        })
        const extra = await record(late.result.number)
        expect(extra.state_label).toBe('Canceled')
        expect(
          entries(
            extra.work_notes,
            `a duplicate of ${main.outputs.change_number} for the same deployment`
          )
        ).toBe(1)
      }
    ),
    60_000
  )
})

describe("the gate's post on a change a person already closed or canceled", () => {
  const asAdmin = (
    sysId: string,
    body: Record<string, string>
  ): Promise<{status: number}> =>
    fetch(`${sim.url}/api/now/table/change_request/${sysId}`, {
      method: 'PATCH',
      headers: {
        Accept: 'application/json',
        'Content-Type': 'application/json',
        Authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}`
      },
      body: JSON.stringify(body)
    })
  const CASES: [
    string,
    Record<string, string>[],
    Record<string, unknown>[],
    string,
    string,
    number
  ][] = [
    [
      'closed by a person, the outcome unreadable',
      [
        {state: '0'},
        {state: '3', close_code: 'successful', close_notes: 'closed by hand'}
      ],
      [],
      'Closed',
      'successful',
      8501
    ],
    [
      'canceled by a person, every step succeeded',
      [{state: '4'}],
      [done('Gate', 'success'), done('Deploy', 'success'), self],
      'Canceled',
      '',
      8502
    ]
  ]
  it.each(CASES)(
    '%s: post says so and writes nothing to it',
    counted(
      counts,
      'post steps that found the change already closed and wrote nothing',
      async (_what, moves, steps, label, closeCode, runId) => {
        const main = await runStep(
          'gate',
          {...connection, template: TEMPLATE},
          {env: runEnv(String(runId))}
        )
        ok(main)
        const sysId = main.outputs.change_sys_id!
        for (const move of moves)
          expect((await asAdmin(sysId, move)).status).toBe(200)
        const before = {
          row: sim.instance.store.get('change_request', sysId)!,
          notes: sim.instance.store.journal(sysId, 'work_notes').length
        }
        github.steps = steps
        const post = await runStep(
          'gate-post',
          {...connection},
          {env: runEnv(String(runId)), state: main.state}
        )
        ok(post)
        const row = sim.instance.store.get('change_request', sysId)!
        // Not one write: the same update count, the same journal, the same state and close code.
        expect({
          mods: row.sys_mod_count,
          notes: sim.instance.store.journal(sysId, 'work_notes').length
        }).toEqual({mods: before.row.sys_mod_count, notes: before.notes})
        expect(await record(main.outputs.change_number!)).toMatchObject({
          state_label: label,
          close_code: closeCode
        })
        expect(
          post.stdout
            .split('\n')
            .filter(
              l => l.startsWith('::warning::') || l.startsWith('::error::')
            )
        ).toEqual([])
        expect(post.stdout).toContain(
          `${main.outputs.change_number} is already ${label}`
        )
        expect(post.stdout).not.toMatch(/left in/)
        expect(post.outputs.state).toBe(label.toLowerCase())
      }
    ),
    60_000
  )
})

describe("the gate's close_code never contradicts the outcome", () => {
  it('close_code successful does not turn a failed job into a successful close', async () => {
    const main = await runStep(
      'gate',
      {...connection, template: TEMPLATE, close_code: 'successful'},
      {env: runEnv('8401')}
    )
    ok(main)
    github.steps = [done('Gate', 'success'), done('Deploy', 'failure'), self]
    const post = await runStep(
      'gate-post',
      {...connection, close_code: 'successful'},
      {env: runEnv('8401'), state: main.state}
    )
    ok(post)
    expect(await record(main.outputs.change_number!)).toMatchObject({
      state_label: 'Closed',
      close_code: 'unsuccessful'
    })
  }, 60_000)
})

describe('an answer for another record is never acted on', () => {
  const rawOf = async (sysId: string): Promise<unknown> =>
    (
      await raw(
        sim,
        'GET',
        `/api/now/table/change_request/${sysId}?sysparm_display_value=all&sysparm_exclude_reference_link=true`
      )
    ).json.result
  const writesBy = (sysId: string): number =>
    sim
      .requests({method: 'PATCH'})
      .filter(e => e.user === 'devops.integration' && e.path.includes(sysId))
      .length

  it.each<
    [
      string,
      (y: unknown, x: unknown) => unknown,
      string,
      Record<string, string>
    ]
  >([
    [
      '[Y, X] (a proxy mixing answers): update',
      (y, x) => ({result: [y, x]}),
      'update',
      {state: 'implement', work_notes: 'meant for X'}
    ],
    [
      'record Y: close cancelled',
      y => ({result: y}),
      'close',
      {result: 'cancelled'}
    ]
  ])(
    'GET change_request/X answered with %s fails in one line naming what came, and writes to neither change',
    counted(
      counts,
      'answers for another record refused',
      async (_what, answer, entry, inputs) => {
        const x = await scheduled(`mixed-x-${entry}`)
        const y = await scheduled(`mixed-y-${entry}`)
        const [xId, yId] = [x.outputs.change_sys_id!, y.outputs.change_sys_id!]
        await fault({
          kind: 'answer',
          method: 'GET',
          path: `/api/now/table/change_request/${xId}`,
          json: answer(await rawOf(yId), await rawOf(xId)),
          times: 0
        })
        const before = [writesBy(xId), writesBy(yId)]
        const run = await runStep(entry, {
          ...connection,
          change_sys_id: xId,
          ...inputs
        })
        await admin(sim, 'DELETE', '/faults')
        expect(run.code).toBe(1)
        expect(errors(run)).toEqual([
          expect.stringMatching(
            new RegExp(
              `asked for (record|change) ${xId}, the instance answered with .*${yId}`
            )
          )
        ])
        expect(run.outputs.change_number).toBeUndefined()
        expect([writesBy(xId), writesBy(yId)]).toEqual(before)
        const [rx, ry] = [
          await record(x.outputs.change_number!),
          await record(y.outputs.change_number!)
        ]
        expect([rx.state_label, ry.state_label]).toEqual([
          'Scheduled',
          'Scheduled'
        ])
        expect(
          entries(ry.work_notes, 'meant for X') +
            entries(rx.work_notes, 'meant for X')
        ).toBe(0)
      }
    ),
    60_000
  )
})

describe("create's move to request approval, lost while the approval changes", () => {
  it.each([['requested'], ['approved']])(
    'approval becomes %s at that moment: create fails naming where the change is, never exits 0 in New',
    counted(counts, 'lost moves caught', async approval => {
      await fault({
        kind: 'swallow-state',
        method: 'PATCH',
        path: '/change',
        approval,
        times: 1
      })
      const create = await runStep('create', {
        ...connection,
        assignment_group: 'DevOps Team',
        // A risk given: the instance is not asked to evaluate one (PATCH …/risk), so the PATCH lost is the move.
        risk: 'low',
        correlation_id: `lost-assess-${approval}`
      })
      expect(create.code).toBe(1)
      expect(errors(create)).toEqual([
        expect.stringMatching(
          new RegExp(`CHG\\d+ is new \\(approval ${approval}\\), not assess`)
        )
      ])
      expect(create.stdout).not.toMatch(/moved to new/)
      expect(create.outputs.state).toBeUndefined()
    }),
    60_000
  )
})

describe('close reports the close code the record holds', () => {
  const closes = (sysId: string): number =>
    sim
      .requests({method: 'PATCH'})
      .filter(e => e.user === 'devops.integration' && e.path.includes(sysId))
      .length
  /**
   * Runs close on an implementing change whose every write lands at once and is answered 800 ms
   * later; in that window, the first time `when` holds for the row, a person writes `theirs` as admin.
   */
  async function closeWhileAPersonActs(
    name: string,
    result: string,
    when: (row: Record<string, string>) => boolean,
    theirs: Record<string, string>
  ) {
    const create = await scheduled(name)
    const sysId = create.outputs.change_sys_id!
    ok(
      await runStep('update', {
        ...connection,
        change_sys_id: sysId,
        state: 'implement'
      })
    )
    await fault({
      kind: 'delay',
      method: 'PATCH',
      path: sysId,
      delayMs: 800,
      when: 'after',
      times: 0
    })
    const store = sim.instance.store
    const watch = setInterval(() => {
      const row = store.get('change_request', sysId)
      if (row !== undefined && when(row)) {
        clearInterval(watch)
        store.update('change_request', row, theirs, 'admin')
      }
    }, 10)
    const before = closes(sysId)
    const close = await runStep('close', {
      ...connection,
      change_sys_id: sysId,
      result
    })
    clearInterval(watch)
    return {
      close,
      writes: closes(sysId) - before,
      after: await record(create.outputs.change_number!)
    }
  }

  it('another close lands between this close and its read-back: fails naming the code the record holds and who wrote it', async () => {
    const {close, after} = await closeWhileAPersonActs(
      'close-overwritten',
      'success',
      row => row.state === '3' && row.close_code === 'successful',
      {close_code: 'unsuccessful'}
    )
    expect(close.code).toBe(1)
    expect(errors(close)).toEqual([
      expect.stringMatching(
        /^::error::CHG\d+ is Closed with close code unsuccessful, not successful: admin \(the last to update it\) closed it/
      )
    ])
    expect(close.stdout).not.toMatch(/closed: successful/)
    expect(close.outputs.state).toBeUndefined()
    expect(after).toMatchObject({
      state_label: 'Closed',
      close_code: 'unsuccessful'
    })
  }, 60_000)

  it('a change closed by someone else while close walks keeps their close code: no second close write', async () => {
    const {close, writes, after} = await closeWhileAPersonActs(
      'close-closed-meanwhile',
      'failure',
      row => row.state === '0',
      {
        state: '3',
        close_code: 'successful_issues',
        close_notes: 'closed by hand'
      }
    )
    expect(close.code).toBe(1)
    expect(errors(close)).toEqual([
      expect.stringMatching(
        /is Closed with close code successful_issues, not unsuccessful: admin/
      )
    ])
    // One write: Implement → Review. The person's close stands.
    expect(writes).toBe(1)
    expect(after).toMatchObject({
      state_label: 'Closed',
      close_code: 'successful_issues'
    })
  }, 60_000)

  it('close_code successful_issues with result failure is refused before any request', async () => {
    const create = await scheduled('issues-failure')
    const sysId = create.outputs.change_sys_id!
    const before = sim.requests().length
    const close = await runStep('close', {
      ...connection,
      change_sys_id: sysId,
      result: 'failure',
      close_code: 'successful_issues'
    })
    expect(close.code).toBe(1)
    expect(errors(close)).toEqual([
      expect.stringMatching(
        /close_code successful_issues contradicts result failure/
      )
    ])
    expect(sim.requests().length).toBe(before)
    expect(await record(create.outputs.change_number!)).toMatchObject({
      state_label: 'Scheduled',
      close_code: ''
    })
  }, 60_000)
})
