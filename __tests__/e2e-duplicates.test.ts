import {
  afterAll,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it
} from '@jest/globals'
import type {Simulator} from '../src/simulator/server.js'
import {admin, raw} from './helpers/sim.js'
import {e2eEnvironment, type E2eEnvironment} from './helpers/e2e.js'
import {startRunGithub, type RunGithub} from './helpers/github-run.js'
import {errors, type StepRun} from '../scripts/local-runner.js'
import {counted, suiteCounts} from './helpers/counts.js'

/**
 * One change per deployment, settled without harm: the change a step was given is
 * the one the deployment uses and always survives, whatever its age; only changes
 * this action made for exactly the same correlation id are ever canceled as its
 * duplicates; a change adopted by number, another tool's changes and records a
 * lookup answered without being asked for are never touched. Built bundles
 * against the simulator.
 */
const counts = suiteCounts('e2e-duplicates')
let sim: Simulator
let github: RunGithub
let runStep: E2eEnvironment['runStep']
let connection: Record<string, string>
const TOKEN = 'ghs_fakeTokenForDuplicateTests'
const TEMPLATE = 'Deploy web application'
const LIST = '/api/now/table/change_request'
beforeAll(async () => {
  ;({sim, runStep, connection} = await e2eEnvironment(counts, {
    approval: {mode: 'auto', afterMs: 300}
  }))
  github = await startRunGithub(TOKEN)
})
afterAll(() => Promise.all([sim.stop(), github.stop()]))
beforeEach(() => admin(sim, 'DELETE', '/faults'))

const record = async (number: string): Promise<any> =>
  admin(sim, 'GET', `/changes/${number}`)
const entries = (notes: string[], text: string): number =>
  notes.filter(n => n.includes(text)).length
const warnings = (run: StepRun): string[] =>
  run.stdout.split('\n').filter(l => l.startsWith('::warning::'))
const modCount = (sysId: string): string | undefined =>
  sim.instance.store.get('change_request', sysId)?.sys_mod_count
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
const asAdmin = (
  body: Record<string, string>
): Promise<{status: number; json: any}> =>
  raw(sim, 'POST', LIST, {
    body,
    auth: `Basic ${Buffer.from('admin:admin').toString('base64')}`
  })
/** The whole record as an answer carries it, for a lookup to answer with. */
const answered = async (sysId: string): Promise<any> =>
  (
    await raw(
      sim,
      'GET',
      `${LIST}/${sysId}?sysparm_display_value=all&sysparm_exclude_reference_link=true`
    )
  ).json.result

/**
 * An insert of the same deployment stamped before the change the step has: its
 * transaction began first but it landed late. A copy of the record, so it carries
 * the same correlation id and the action's mark.
 */
function olderCopy(
  sysId: string,
  extra: Record<string, string> = {}
): {sys_id: string; number: string} {
  const row = sim.instance.store.get('change_request', sysId)!
  const older = sim.instance.store.insert(
    'change_request',
    {
      ...row,
      sys_id: '',
      number: '',
      sys_created_on: '2020-01-01 00:00:00',
      ...extra
    },
    'devops.integration'
  )
  return {sys_id: older.sys_id!, number: older.number!}
}

describe('the change a step was given survives; an older duplicate is canceled naming it', () => {
  it(
    'gate post: the implemented change is closed successful, the older one (never used) is canceled once',
    counted(
      counts,
      'older duplicates canceled naming the change in use',
      async () => {
        const main = await runStep(
          'gate',
          {...connection, template: TEMPLATE},
          {env: runEnv('8601')}
        )
        ok(main)
        const used = main.outputs.change_number!
        const older = olderCopy(main.outputs.change_sys_id!, {state: '-2'})
        github.steps = [
          {name: 'Gate', status: 'completed', conclusion: 'success'},
          {name: 'Deploy', status: 'completed', conclusion: 'success'},
          {name: 'Post Gate', status: 'in_progress', conclusion: null}
        ]
        const post = await runStep(
          'gate-post',
          {...connection},
          {env: runEnv('8601'), state: main.state}
        )
        ok(post)
        expect(post.outputs.change_number).toBe(used)
        expect(await record(used)).toMatchObject({
          state_label: 'Closed',
          close_code: 'successful'
        })
        const other = await record(older.number)
        expect(other).toMatchObject({state_label: 'Canceled', close_code: ''})
        expect(
          entries(
            other.work_notes,
            `a duplicate of ${used} for the same deployment`
          )
        ).toBe(1)
        expect(entries((await record(used)).work_notes, 'a duplicate of')).toBe(
          0
        )
        expect(warnings(post)).toEqual([
          `::warning::${older.number} duplicated ${used} for this deployment (correlation id octo-org/payments/8601/deploy); canceled it, ${used} goes on.`
        ])
      }
    ),
    60_000
  )

  it(
    'split steps: wait, update and close keep to the change create reported; the older one is canceled once',
    counted(
      counts,
      'older duplicates canceled naming the change in use',
      async () => {
        const create = await runStep('create', {
          ...connection,
          template: TEMPLATE,
          correlation_id: 'dup-older-split'
        })
        ok(create)
        const used = {
          sys_id: create.outputs.change_sys_id!,
          number: create.outputs.change_number!
        }
        const older = olderCopy(used.sys_id)
        const wait = await runStep('wait', {
          ...connection,
          change_sys_id: used.sys_id,
          timeout_minutes: '1'
        })
        ok(wait)
        expect(wait.outputs.change_number).toBe(used.number)
        const update = await runStep('update', {
          ...connection,
          change_sys_id: used.sys_id,
          state: 'implement'
        })
        ok(update)
        const close = await runStep('close', {
          ...connection,
          change_sys_id: used.sys_id,
          result: 'success'
        })
        ok(close)
        expect(close.outputs).toMatchObject({
          change_number: used.number,
          state: 'closed'
        })
        expect(await record(used.number)).toMatchObject({
          state_label: 'Closed',
          close_code: 'successful'
        })
        const other = await record(older.number)
        expect(other.state_label).toBe('Canceled')
        expect(
          entries(
            other.work_notes,
            `a duplicate of ${used.number} for the same deployment`
          )
        ).toBe(1)
        // Settled by the first step that looked; the later steps found nothing more to do.
        expect([wait, update, close].map(run => warnings(run).length)).toEqual([
          1, 0, 0
        ])
      }
    ),
    90_000
  )
})

describe("only this action's changes for exactly this deployment are settled or adopted", () => {
  it(
    "a change adopted with change_number: the other changes sharing its (another tool's) correlation id are never touched",
    counted(counts, "other tools' changes left alone", async () => {
      const jira = {
        type: 'standard',
        state: '-2',
        approval: 'approved',
        correlation_id: 'PROJ-123',
        correlation_display: 'Jira'
      }
      const a = await asAdmin({
        ...jira,
        short_description: 'Release train 42, part 1'
      })
      const b = await asAdmin({
        ...jira,
        short_description: 'Release train 42, part 2'
      })
      expect([a.status, b.status]).toEqual([201, 201])
      const untouched = modCount(b.json.result.sys_id)
      const create = await runStep('create', {
        ...connection,
        change_number: a.json.result.number
      })
      ok(create)
      const update = await runStep('update', {
        ...connection,
        change_sys_id: a.json.result.sys_id,
        work_notes: 'deploying'
      })
      ok(update)
      const wait = await runStep('wait', {
        ...connection,
        change_sys_id: a.json.result.sys_id,
        timeout_minutes: '1'
      })
      ok(wait)
      expect((await record(b.json.result.number)).state_label).toBe('Scheduled')
      expect(modCount(b.json.result.sys_id)).toBe(untouched)
      expect([create, update, wait].flatMap(warnings)).toEqual([])
    }),
    60_000
  )

  it(
    "an open change with the same correlation id but without the action's mark is not a duplicate",
    counted(counts, "other tools' changes left alone", async () => {
      const create = await runStep('create', {
        ...connection,
        template: TEMPLATE,
        correlation_id: 'dup-unmarked'
      })
      ok(create)
      const theirs = await asAdmin({
        type: 'standard',
        state: '-2',
        short_description: 'made by hand',
        correlation_id: 'dup-unmarked'
      })
      expect(theirs.status).toBe(201)
      const untouched = modCount(theirs.json.result.sys_id)
      const update = await runStep('update', {
        ...connection,
        change_sys_id: create.outputs.change_sys_id!,
        work_notes: 'deploying'
      })
      ok(update)
      expect(warnings(update)).toEqual([])
      expect(modCount(theirs.json.result.sys_id)).toBe(untouched)
    }),
    60_000
  )

  it(
    "create: a correlation lookup answering another deployment's change does not adopt it",
    counted(counts, 'foreign lookup answers ignored', async () => {
      const other = await runStep('create', {
        ...connection,
        template: TEMPLATE,
        correlation_id: 'someone-else/1/deploy'
      })
      ok(other)
      const untouched = modCount(other.outputs.change_sys_id!)
      const otherRaw = await answered(other.outputs.change_sys_id!)
      await admin(sim, 'POST', '/faults', {
        kind: 'answer',
        method: 'GET',
        path: LIST,
        query: 'correlation_id=dup-mine-1',
        json: {result: [otherRaw]},
        times: 0
      })
      const mine = await runStep('create', {
        ...connection,
        template: TEMPLATE,
        correlation_id: 'dup-mine-1'
      })
      ok(mine)
      expect(mine.outputs.created).toBe('true')
      expect(mine.outputs.change_number).not.toBe(other.outputs.change_number)
      expect(modCount(other.outputs.change_sys_id!)).toBe(untouched)
      expect((await record(mine.outputs.change_number!)).correlation_id).toBe(
        'dup-mine-1'
      )
    }),
    60_000
  )

  it(
    "update: a correlation lookup answering another deployment's open change does not cancel it",
    counted(counts, 'foreign lookup answers ignored', async () => {
      const other = await runStep('create', {
        ...connection,
        template: TEMPLATE,
        correlation_id: 'someone-else/2/deploy'
      })
      const mine = await runStep('create', {
        ...connection,
        template: TEMPLATE,
        correlation_id: 'dup-mine-2'
      })
      ok(other)
      ok(mine)
      const untouched = modCount(other.outputs.change_sys_id!)
      const answer = [
        await answered(mine.outputs.change_sys_id!),
        await answered(other.outputs.change_sys_id!)
      ]
      await admin(sim, 'POST', '/faults', {
        kind: 'answer',
        method: 'GET',
        path: LIST,
        query: 'correlation_id=dup-mine-2',
        json: {result: answer},
        times: 0
      })
      const update = await runStep('update', {
        ...connection,
        change_sys_id: mine.outputs.change_sys_id!,
        work_notes: 'progress'
      })
      ok(update)
      expect(warnings(update)).toEqual([])
      expect((await record(other.outputs.change_number!)).state_label).toBe(
        'Scheduled'
      )
      expect(modCount(other.outputs.change_sys_id!)).toBe(untouched)
    }),
    60_000
  )

  it(
    "a correlation id set on the instance with '^' cannot be searched for: close goes on, with one warning saying why",
    counted(counts, 'unsearchable correlation ids skipped', async () => {
      const made = await asAdmin({
        short_description: 'made by hand',
        type: 'standard',
        correlation_id: 'team-a^ops'
      })
      expect(made.status).toBe(201)
      const close = await runStep('close', {
        ...connection,
        change_sys_id: made.json.result.sys_id,
        result: 'cancelled'
      })
      ok(close)
      expect(warnings(close)).toEqual([
        `::warning::Not looking for duplicates of ${made.json.result.number}: its correlation id contains '^', which ServiceNow reads as the start of another query condition and cannot escape. Remove the '^'.`
      ])
      expect((await record(made.json.result.number)).state_label).toBe(
        'Canceled'
      )
    }),
    60_000
  )
})
