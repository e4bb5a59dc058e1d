import {afterAll, beforeAll, describe, expect, it} from '@jest/globals'
import type {Simulator} from '../src/simulator/server.js'
import {
  startGithubSimulator,
  type GithubSimulator
} from '../src/github-simulator/server.js'
import {admin, withSimulator} from './helpers/sim.js'
import {scannedSteps} from './helpers/scan.js'
import {e2eEnvironment, ok, type E2eEnvironment} from './helpers/e2e.js'
import {errors, type StepRun} from '../scripts/local-runner.js'
import {counted, suiteCounts} from './helpers/counts.js'
import {approveChange, changeForRun} from './helpers/sync-changes.js'

/**
 * The sync step (issue 13, part 1) through its bundle, against the ServiceNow simulator and the
 * GitHub API simulator: runs waiting on an environment are reviewed from the change each run
 * made, once, by a token that may review; what is not decided is left waiting, and said.
 */
const counts = suiteCounts('e2e-sync')
let sim: Simulator
let github: GithubSimulator
let runStep: E2eEnvironment['runStep']
let connection: Record<string, string>
const REPO = 'octo-org/payments'
const BOT = 'ghp_deployBotToken'
const READER = 'ghs_workflowTokenThatMayNotReview'
beforeAll(async () => {
  ;({sim, runStep, connection} = await e2eEnvironment(counts))
  github = await startGithubSimulator()
  github.world.addToken(BOT, {login: 'deploy-bot'})
  github.world.addToken(READER, {login: 'github-actions[bot]', readOnly: true})
  github.world.addEnvironment(REPO, 'production', ['deploy-bot'])
  github.world.addEnvironment(REPO, 'staging', ['someone-else'])
})
afterAll(() => Promise.all([sim.stop(), github.stop()]))

const changeFor = (
  runId: number,
  environment = 'production'
): Promise<{number: string; sysId: string}> =>
  changeForRun(runStep, connection, runId, environment)

const approve = (number: string): Promise<void> => approveChange(sim, number)

const sync = (
  token = BOT,
  extra: Record<string, string> = {}
): Promise<StepRun> =>
  runStep(
    'sync',
    {...connection, github_token: token, ...extra},
    {env: {GITHUB_API_URL: github.url}}
  )

const reviews = (runId: number) =>
  github.world.repo(REPO).runs.get(runId)!.reviews
const reviewPosts = (runId: number): number =>
  github.world.requests.filter(
    r =>
      r.method === 'POST' &&
      r.path === `/repos/${REPO}/actions/runs/${runId}/pending_deployments`
  ).length

describe('sync', () => {
  it(
    'approves a deployment whose change is approved, naming the change and its approvers; rejects one rejected, with the comment; leaves one undecided',
    counted(counts, 'approve, reject, leave', async () => {
      const approved = await changeFor(5101)
      const rejected = await changeFor(5102)
      const undecided = await changeFor(5103)
      await approve(approved.number)
      await admin(sim, 'POST', `/changes/${rejected.number}/reject`, {
        comments: 'Not during the freeze.'
      })
      for (const id of [5101, 5102, 5103])
        github.world.addWaitingRun(REPO, id, ['production'])

      const run = await sync()
      ok(run)
      expect(reviews(5101)).toEqual([
        expect.objectContaining({
          state: 'approved',
          user: 'deploy-bot',
          environments: ['production'],
          comment: expect.stringMatching(
            new RegExp(
              `^${approved.number} is approved in ServiceNow by .+ \\(scheduled\\): http`
            )
          )
        })
      ])
      expect(github.world.repo(REPO).runs.get(5101)!.status).toBe('in_progress')
      expect(reviews(5102)).toEqual([
        expect.objectContaining({
          state: 'rejected',
          comment: expect.stringContaining('"Not during the freeze."')
        })
      ])
      expect(github.world.repo(REPO).runs.get(5102)!.conclusion).toBe('failure')
      expect(reviews(5103)).toEqual([])
      const out = JSON.parse(run.outputs.reviewed!)
      expect(
        out.map((r: {run_id: number; outcome: string; change: string}) => [
          r.run_id,
          r.outcome,
          r.change
        ])
      ).toEqual(
        expect.arrayContaining([
          [5101, 'approved', approved.number],
          [5102, 'rejected', rejected.number],
          [5103, 'waiting', undecided.number]
        ])
      )
      expect(run.summary).toContain('1 approved, 1 rejected, 1 left waiting')
      // The change records what was done on GitHub, once.
      const notes = sim.instance.store
        .journal(approved.sysId, 'work_notes')
        .map(j => j.value)
        .filter(n =>
          n.startsWith('GitHub deployment to production of run 5101 approved')
        )
      expect(notes).toHaveLength(1)

      // The next sync finds nothing new to review for those, and reviews nothing twice.
      ok(await sync())
      expect([reviewPosts(5101), reviewPosts(5102), reviewPosts(5103)]).toEqual(
        [1, 1, 0]
      )
    }),
    60_000
  )

  it(
    'two syncs at once review each deployment once',
    counted(counts, 'two syncs, one review', async () => {
      const change = await changeFor(5201)
      await approve(change.number)
      github.world.addWaitingRun(REPO, 5201, ['production'])
      const runs = await Promise.all([sync(), sync()])
      runs.forEach(ok)
      expect(reviews(5201)).toHaveLength(1)
      const outcomes = runs.flatMap(r =>
        JSON.parse(r.outputs.reviewed!)
          .filter((x: {run_id: number}) => x.run_id === 5201)
          .map((x: {outcome: string}) => x.outcome)
      )
      expect(outcomes.filter(o => o === 'approved')).toHaveLength(1)
    }),
    60_000
  )

  it(
    'fails, saying why, with a token that may not review; leaves the deployment waiting',
    counted(counts, 'token may not review', async () => {
      const change = await changeFor(5301)
      await approve(change.number)
      github.world.addWaitingRun(REPO, 5301, ['production'])
      const run = await sync(READER)
      expect(run.code).toBe(1)
      expect(errors(run).join('\n')).toContain(
        "could not be reviewed with this token: the token's user is not a required reviewer of production"
      )
      expect(reviews(5301)).toEqual([])
      ok(await sync())
      expect(reviews(5301)).toHaveLength(1)
    }),
    60_000
  )

  it(
    'leaves alone a run without a change of this action, and environments it was not asked about',
    counted(counts, 'no change, other environment', async () => {
      github.world.addWaitingRun(REPO, 5401, ['production'])
      const staged = await changeFor(5402, 'staging')
      await approve(staged.number)
      github.world.addWaitingRun(REPO, 5402, ['staging'])
      const run = await sync(BOT, {environments: 'production'})
      ok(run)
      const out = JSON.parse(run.outputs.reviewed!)
      expect(out).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            run_id: 5401,
            outcome: 'waiting',
            why: expect.stringContaining(
              'no change request of this action names run 5401'
            )
          }),
          expect.objectContaining({run_id: 5402, outcome: 'skipped'})
        ])
      )
      expect([reviewPosts(5401), reviewPosts(5402)]).toEqual([0, 0])
    }),
    60_000
  )

  it(
    'reads at most max_runs runs, page by page, and says more wait',
    counted(counts, 'bounded paging', async () => {
      const world = github.world
      const repo = 'octo-org/many'
      world.addEnvironment(repo, 'production', ['deploy-bot'])
      for (let id = 1; id <= 130; id++)
        world.addWaitingRun(repo, 60000 + id, ['production'])
      const run = await sync(BOT, {repository: repo, max_runs: '110'})
      ok(run)
      expect(JSON.parse(run.outputs.reviewed!)).toHaveLength(110)
      const listed = world.requests.filter(r =>
        r.path.startsWith(`/repos/${repo}/actions/runs?`)
      )
      expect(
        listed.map(r => new URL(r.path, 'http://x').searchParams.get('page'))
      ).toEqual(['1', '2'])
      expect(run.summary).toContain('more runs wait than this sync reads')
    }),
    60_000
  )

  it(
    "fails with GitHub's words when the token's rate limit is spent",
    counted(counts, 'rate limit', async () => {
      github.world.addToken('ghp_spentToken', {login: 'spent-bot'})
      github.world.rates.set('spent-bot', {
        limit: 5000,
        remaining: 0,
        reset: Math.floor(Date.now() / 1000) + 900
      })
      const run = await sync('ghp_spentToken')
      expect(run.code).toBe(1)
      expect(errors(run).join('\n')).toMatch(/API rate limit exceeded/)
    }),
    60_000
  )

  it(
    'approve in ServiceNow → repository_dispatch → sync → the deployment approved, once, in seconds',
    counted(counts, 'dispatch to sync', async () => {
      github.world.addToken('ghp_dispatchFromServiceNow', {
        login: 'servicenow-bot'
      })
      const notifying = await withSimulator({
        notifyGithub: {url: github.url, token: 'ghp_dispatchFromServiceNow'}
      })
      const local = scannedSteps(notifying, counts)
      const localConnection = {...connection, instance_url: notifying.url}
      try {
        const created = await local(
          'create',
          {
            ...localConnection,
            type: 'normal',
            assignment_group: 'DevOps Team',
            environment: 'production'
          },
          {env: {GITHUB_RUN_ID: '5601'}}
        )
        ok(created)
        github.world.addWaitingRun(REPO, 5601, ['production'])
        const syncs: Promise<StepRun>[] = []
        const before = github.world.dispatches.length
        github.world.onDispatch = d => {
          if (d.event_type === 'servicenow-change')
            syncs.push(
              local(
                'sync',
                {...localConnection, github_token: BOT},
                {env: {GITHUB_API_URL: github.url}}
              )
            )
        }
        const approvedAt = Date.now()
        await admin(
          notifying,
          'POST',
          `/changes/${created.outputs.change_number}/approve`,
          {}
        )
        await admin(
          notifying,
          'POST',
          `/changes/${created.outputs.change_number}/approve`,
          {}
        )
        while (reviews(5601).length === 0 && Date.now() - approvedAt < 20_000)
          await new Promise(resolve => setTimeout(resolve, 100))
        const seconds = (Date.now() - approvedAt) / 1000
        ;(await Promise.all(syncs)).forEach(ok)
        expect(reviews(5601)).toEqual([
          expect.objectContaining({state: 'approved', user: 'deploy-bot'})
        ])
        expect(seconds).toBeLessThan(20)
        const sent = github.world.dispatches.slice(before)
        expect(sent.length).toBeGreaterThan(0)
        expect(sent[0]).toMatchObject({
          repository: REPO,
          event_type: 'servicenow-change',
          client_payload: {number: created.outputs.change_number}
        })
        // Every dispatch ran a sync; the deployment was reviewed once (a sync that posted second got GitHub's 422 and said so).
        expect(syncs.length).toBe(sent.length)
        const said = (await Promise.all(syncs)).flatMap(r =>
          JSON.parse(r.outputs.reviewed!)
            .filter((x: {run_id: number}) => x.run_id === 5601)
            .map((x: {outcome: string}) => x.outcome)
        )
        expect(said.filter(o => o === 'approved')).toHaveLength(1)
        // A second POST happens only for a sync that reports it already reviewed.
        expect(reviewPosts(5601)).toBeLessThanOrEqual(
          1 + said.filter(o => o === 'already_reviewed').length
        )
      } finally {
        github.world.onDispatch = () => {}
        await notifying.stop()
      }
    }),
    60_000
  )
})
