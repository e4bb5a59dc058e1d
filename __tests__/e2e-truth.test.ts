import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import type { Simulator } from '../src/simulator/server.js'
import type { FaultRule } from '../src/simulator/faults.js'
import { admin, withSimulator } from './helpers/sim.js'
import { startFakeGithub, type FakeGithub } from './helpers/fake-github.js'
import { errors, type StepRun } from '../src/local-runner.js'
import { add, suiteCounts } from './helpers/counts.js'
import { scannedSteps } from './helpers/scan.js'

/**
 * What the action says happened is what happened: the gate's post closes only from an
 * outcome it positively sees, every walk ends where it was asked to or fails saying where
 * it is, and every note is written once. Built bundles against the simulator and a fake
 * GitHub API that answer the way real ones misbehave.
 */
let sim: Simulator
const counts = suiteCounts('e2e-truth')
let runStep: ReturnType<typeof scannedSteps>
let github: FakeGithub
let connection: Record<string, string>
const TOKEN = 'ghs_fakeTokenForTruthTests'
const TEMPLATE = 'Deploy web application'
beforeAll(async () => {
  sim = await withSimulator({ approval: { mode: 'auto', afterMs: 300 } })
  runStep = scannedSteps(sim, counts)
  github = await startFakeGithub(TOKEN)
  connection = { instance_url: sim.url, username: 'devops.integration', password: 'sn-integration-pw' }
})
afterAll(async () => {
  await sim.stop()
  await github.stop()
})
beforeEach(async () => {
  await admin(sim, 'DELETE', '/faults')
})

const record = async (number: string): Promise<any> => admin(sim, 'GET', `/changes/${number}`)
const fault = (rule: FaultRule): Promise<unknown> => admin(sim, 'POST', '/faults', rule)
const entries = (notes: string[], text: string): number => notes.filter((n) => n.includes(text)).length
function ok(run: StepRun): void {
  expect({ code: run.code, errors: errors(run), stderr: run.stderr }).toEqual({ code: 0, errors: [], stderr: '' })
}
const runEnv = (runId: string): Record<string, string> => ({ GITHUB_RUN_ID: runId, GITHUB_API_URL: github.url, GITHUB_TOKEN_FOR_TESTS: TOKEN })

const done = (name: string, conclusion: string | null): { name: string; status: string; conclusion: string | null } => ({ name, status: 'completed', conclusion })
const self = { name: 'Post Gate', status: 'in_progress', conclusion: null }
const deployJob = (extra: Record<string, unknown>): Record<string, unknown> => ({ id: 2, name: 'deploy', status: 'in_progress', conclusion: null, runner_name: 'GitHub Actions 7', ...extra })

interface OutcomeCase {
  what: string
  answer: Partial<Pick<FakeGithub, 'steps' | 'job' | 'jobsStatus'>>
  /** The close code post must write, or undefined: left in Implement. */
  closeCode: 'successful' | 'unsuccessful' | undefined
}

const OUTCOMES: OutcomeCase[] = [
  { what: 'every step succeeded', answer: { steps: [done('Gate', 'success'), done('Deploy', 'success'), self] }, closeCode: 'successful' },
  { what: 'a step was skipped, the rest succeeded', answer: { steps: [done('Gate', 'success'), done('Deploy', 'skipped'), self] }, closeCode: 'successful' },
  { what: 'a step failed', answer: { steps: [done('Gate', 'success'), done('Deploy', 'failure'), self] }, closeCode: 'unsuccessful' },
  { what: 'a step timed out', answer: { steps: [done('Gate', 'success'), done('Deploy', 'timed_out'), self] }, closeCode: 'unsuccessful' },
  // DESIGN.md close rules: cancelled after implementation began → Closed/unsuccessful.
  { what: 'a step was cancelled after Implement', answer: { steps: [done('Gate', 'success'), done('Deploy', 'cancelled'), self] }, closeCode: 'unsuccessful' },
  { what: 'steps: []', answer: { steps: [] }, closeCode: undefined },
  { what: 'no steps key', answer: { job: deployJob({}) }, closeCode: undefined },
  { what: 'steps: null', answer: { job: deployJob({ steps: null }) }, closeCode: undefined },
  { what: 'only this post step listed', answer: { steps: [self] }, closeCode: undefined },
  { what: 'the deploy step still in_progress with conclusion null', answer: { steps: [done('Gate', 'success'), { name: 'Deploy', status: 'in_progress', conclusion: null }, self] }, closeCode: undefined },
  { what: 'the deploy step completed with conclusion null', answer: { steps: [done('Gate', 'success'), done('Deploy', null), self] }, closeCode: undefined },
  { what: 'a conclusion never seen before', answer: { steps: [done('Gate', 'success'), done('Deploy', 'stale'), self] }, closeCode: undefined },
  { what: 'a step that is not an object', answer: { steps: [done('Gate', 'success'), 'Deploy' as never, self] }, closeCode: undefined },
  { what: 'no step in progress (this one not listed yet)', answer: { steps: [done('Gate', 'success'), done('Deploy', 'success')] }, closeCode: undefined },
  { what: 'the jobs API answers 500', answer: { jobsStatus: 500 }, closeCode: undefined }
]

describe("the gate's post closes only from an outcome it positively sees", () => {
  let closes = 0
  let successfulCloses = 0
  afterAll(() => {
    add(counts, 'job outcomes tried on the gate post', OUTCOMES.length)
    // Two rows may close successful; every other close is unsuccessful; the rest stay in Implement.
    expect({ closes, successfulCloses }).toEqual({
      closes: OUTCOMES.filter((c) => c.closeCode !== undefined).length,
      successfulCloses: OUTCOMES.filter((c) => c.closeCode === 'successful').length
    })
  })

  it.each(OUTCOMES.map((c, i) => [c.what, c, 8100 + i] as const))('%s', async (_what, c, runId) => {
    const main = await runStep('gate', { ...connection, template: TEMPLATE }, { env: runEnv(String(runId)) })
    ok(main)
    expect(main.outputs.state).toBe('implement')
    github.steps = c.answer.steps ?? []
    github.job = c.answer.job
    github.jobsStatus = c.answer.jobsStatus
    const post = await runStep('gate-post', { ...connection }, { env: runEnv(String(runId)), state: main.state })
    github.job = undefined
    github.jobsStatus = undefined
    ok(post)
    const after = await record(main.outputs.change_number!)
    if (after.state_label === 'Closed') closes++
    if (after.close_code === 'successful') successfulCloses++
    if (c.closeCode === undefined) {
      expect(after).toMatchObject({ state_label: 'Implement', close_code: '' })
      const warnings = post.stdout.split('\n').filter((l) => l.startsWith('::warning::'))
      expect(warnings).toEqual([expect.stringMatching(/^::warning::CHG\d+ is left in Implement: the job's outcome could not be read \(.+\)\. Close it by hand or with the close action/)])
      expect(post.summary).toMatch(/left in implement[\s\S]*could not be read[\s\S]*Close it by hand or with the close action/)
      expect(entries(after.work_notes, 'could not tell how the deployment ended')).toBe(1)
      expect(post.outputs.state).toBe('implement')
    } else {
      expect(after).toMatchObject({ state_label: 'Closed', close_code: c.closeCode })
      expect(post.outputs.state).toBe('closed')
    }
  }, 60_000)
})

/** Creates a standard change (Scheduled, approved) for a walk to start from. */
async function scheduled(correlationId: string, env: Record<string, string> = {}): Promise<StepRun> {
  const create = await runStep('create', { ...connection, template: TEMPLATE, correlation_id: correlationId }, { env })
  ok(create)
  expect(create.outputs).toMatchObject({ state: 'scheduled', approval: 'approved' })
  return create
}

/** A proxy loses the state of the next write to a change while its approval changes at that moment. */
const loseNextMove = (): Promise<unknown> => fault({ kind: 'swallow-state', method: 'PATCH', path: '/change', approval: 'requested', times: 1 })

function failedWithOneLine(run: StepRun, where: RegExp): void {
  expect(run.code).toBe(1)
  expect(errors(run)).toEqual([expect.stringMatching(where)])
  add(counts, 'lost moves caught')
}

describe('a move that did not happen is an error naming where the change is', () => {
  it('gate main: the move to Implement is lost while the approval changes', async () => {
    // The gate adopts the change create made for the same deployment, so its only write is the move.
    const create = await scheduled('octo-org/payments/8201/deploy', { GITHUB_RUN_ID: '8201' })
    await loseNextMove()
    const main = await runStep('gate', { ...connection, template: TEMPLATE }, { env: runEnv('8201') })
    failedWithOneLine(main, /^::error::CHG\d+ is scheduled \(approval requested\), not implement: ServiceNow answered the move but did not make it/)
    expect(main.stdout).not.toContain('the deployment may proceed')
    expect(main.state.implementing).toBeUndefined()
    expect((await record(create.outputs.change_number!)).state_label).toBe('Scheduled')
  }, 60_000)

  it('update: the move to Implement is lost', async () => {
    const create = await scheduled('lost-move-update')
    await loseNextMove()
    const update = await runStep('update', { ...connection, change_sys_id: create.outputs.change_sys_id!, state: 'implement' })
    failedWithOneLine(update, /^::error::CHG\d+ is scheduled \(approval requested\), not implement/)
    expect(update.outputs.state).toBeUndefined()
    expect((await record(create.outputs.change_number!)).state_label).toBe('Scheduled')
  }, 60_000)

  it('close: the move to Review is lost', async () => {
    const create = await scheduled('lost-move-close')
    ok(await runStep('update', { ...connection, change_sys_id: create.outputs.change_sys_id!, state: 'implement' }))
    await loseNextMove()
    const close = await runStep('close', { ...connection, change_sys_id: create.outputs.change_sys_id!, result: 'success' })
    failedWithOneLine(close, /^::error::CHG\d+ is implement \(approval requested\), not closed/)
    expect(close.stdout).not.toMatch(/closed: successful/)
    expect((await record(create.outputs.change_number!))).toMatchObject({ state_label: 'Implement', close_code: '' })
  }, 60_000)

  it('cancel: the move to Canceled is lost', async () => {
    const create = await scheduled('lost-move-cancel')
    await loseNextMove()
    const close = await runStep('close', { ...connection, change_sys_id: create.outputs.change_sys_id!, result: 'cancelled' })
    failedWithOneLine(close, /^::error::CHG\d+ is scheduled \(approval requested\), not canceled/)
    expect((await record(create.outputs.change_number!)).state_label).toBe('Scheduled')
  }, 60_000)
})

describe('one write, one journal entry', () => {
  const writesTo = async (sysId: string): Promise<number> =>
    ((await admin(sim, 'GET', '/requests')) as { method: string; path: string }[]).filter((r) => r.method === 'PATCH' && r.path.includes(sysId)).length

  it('update writes its work note once', async () => {
    const create = await scheduled('one-note-update')
    const update = await runStep('update', { ...connection, change_sys_id: create.outputs.change_sys_id!, state: 'implement', work_notes: 'Rolling out payments v1.2.3' })
    ok(update)
    const notes = (await record(create.outputs.change_number!)).work_notes
    expect(entries(notes, 'Rolling out payments v1.2.3')).toBe(1)
    add(counts, 'journal entries counted', notes.length)
  }, 60_000)

  it('close writes its final fields with the last move only, and the incident note once', async () => {
    const create = await scheduled('one-note-close')
    const sysId = create.outputs.change_sys_id!
    ok(await runStep('update', { ...connection, change_sys_id: sysId, state: 'implement' }))
    const before = await writesTo(sysId)
    const close = await runStep('close', { ...connection, change_sys_id: sysId, result: 'failure', open_incident_on_failure: 'true' })
    ok(close)
    // Implement → Review, Review → Closed: two writes, nothing after.
    expect((await writesTo(sysId)) - before).toBe(2)
    const notes = (await record(create.outputs.change_number!)).work_notes
    expect(entries(notes, `Incident ${close.outputs.incident_number} opened for this failed deployment.`)).toBe(1)
  }, 60_000)

  it('cancel writes its note once', async () => {
    const create = await scheduled('one-note-cancel')
    ok(await runStep('close', { ...connection, change_sys_id: create.outputs.change_sys_id!, result: 'cancelled' }))
    const notes = (await record(create.outputs.change_number!)).work_notes
    expect(entries(notes, 'Deployment cancelled before implementation began.')).toBe(1)
  }, 60_000)
})

describe('the demo', () => {
  it("shows each note once in the final record (npm run demo -- --auto-approve)", async () => {
    const { spawn } = await import('node:child_process')
    const child = spawn(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'scripts/demo.ts', '--auto-approve'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    child.stdout.on('data', (d) => (stdout += d))
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    expect(code).toBe(0)
    const held = stdout.slice(stdout.indexOf('━━ the change request as ServiceNow holds it ━━') + 47)
    const final = JSON.parse(held.slice(0, held.lastIndexOf('}') + 1)) as { work_notes: string[]; state_label: string }
    expect(final.state_label).toBe('Closed')
    expect(entries(final.work_notes, 'Rolling out payments v1.2.3')).toBe(1)
    expect(new Set(final.work_notes).size).toBe(final.work_notes.length)
  }, 180_000)
})

describe('what reaches a query', () => {
  const requestsDuring = async (step: () => Promise<StepRun>): Promise<{ run: StepRun; requests: number }> => {
    await admin(sim, 'DELETE', '/requests')
    const run = await step()
    return { run, requests: ((await admin(sim, 'GET', '/requests')) as unknown[]).length }
  }
  const CASES: [string, string, Record<string, string>][] = [
    ['create', 'assignment_group', { assignment_group: 'javascript:gs.getUserID()' }],
    ['create', 'cmdb_ci', { cmdb_ci: '  JavaScript:new GlideRecord("sys_user").deleteMultiple()' }],
    ['create', 'parent_change', { parent_change: 'JAVASCRIPT:gs.getUserID()' }],
    ['create', 'template', { template: 'jAvAsCrIpT:1' }],
    ['create', 'correlation_id', { correlation_id: ' javascript:gs.getUserID()' }],
    ['create', 'correlation_id', { correlation_id: 'a\u2028active=false' }],
    ['create', 'correlation_id', { correlation_id: 'a\u2029active=false' }],
    ['create', 'assignment_group', { assignment_group: 'DevOps\u2028Team' }],
    ['report', 'correlation_prefix', { correlation_prefix: 'javascript:gs.getUserID()' }],
    ['report', 'cmdb_ci', { cmdb_ci: 'Javascript:x' }],
    ['report', 'assignment_group', { assignment_group: 'x\u2029y' }]
  ]
  it.each(CASES)('%s refuses %s %j before any request', async (entry, input, inputs) => {
    const { run, requests } = await requestsDuring(() => runStep(entry, { ...connection, ...inputs }))
    expect(run.code).toBe(1)
    expect(errors(run)).toEqual([expect.stringMatching(new RegExp(`^::error::Invalid ${input}: it (begins with 'javascript:'|contains a line break)`))])
    expect(requests).toBe(0)
    add(counts, 'query injections refused before any request')
  }, 60_000)
})
