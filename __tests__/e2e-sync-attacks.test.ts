import {afterAll, beforeAll, describe, expect, it} from '@jest/globals'
import type {Simulator} from '../src/simulator/server.js'
import {
  startGithubSimulator,
  type GithubSimulator
} from '../src/github-simulator/server.js'
import {S} from '../src/simulator/change-lifecycle.js'
import {formatGlideDate} from '../src/servicenow/fields.js'
import {admin} from './helpers/sim.js'
import {e2eEnvironment, ok, type E2eEnvironment} from './helpers/e2e.js'
import {errors, type StepRun} from '../scripts/local-runner.js'
import {suiteCounts} from './helpers/counts.js'
import {approveChange, changeForRun} from './helpers/sync-changes.js'

/**
 * Red-team attacks on the sync step, through its bundle (dist/sync), against the ServiceNow
 * simulator and the GitHub API simulator. Every test uses a repository of its own, so each can
 * be run alone with -t. Tests named "holds" held when first tried; the others broke a promise
 * then (the name says how) and now hold, but for E3, a limit the README states.
 */
const counts = suiteCounts('e2e-sync-attacks')
let sim: Simulator
let github: GithubSimulator
let runStep: E2eEnvironment['runStep']
let connection: Record<string, string>
const BOT = 'ghp_deployBotToken'
const ENVS = [
  'production',
  'staging',
  'qa',
  'canary/production',
  'e1',
  'e2',
  'e3',
  'e4'
]
beforeAll(async () => {
  ;({sim, runStep, connection} = await e2eEnvironment(counts))
  github = await startGithubSimulator()
  github.world.addToken(BOT, {login: 'deploy-bot'})
})
afterAll(() => Promise.all([sim.stop(), github.stop()]))

let repoCount = 0
/** A repository of this test's own, with the bot a required reviewer of ENVS. */
function freshRepo(): string {
  const repo = `octo-org/rt-${++repoCount}-${Date.now()}`
  for (const env of ENVS) github.world.addEnvironment(repo, env, ['deploy-bot'])
  github.world.addEnvironment(repo, 'other-team', ['someone-else'])
  return repo
}

const changeFor = (
  repo: string,
  runId: number,
  environment = 'production',
  env: Record<string, string> = {}
): Promise<{number: string; sysId: string}> =>
  changeForRun(runStep, connection, runId, environment, {
    GITHUB_REPOSITORY: repo,
    ...env
  })

const approve = (number: string): Promise<void> => approveChange(sim, number)

const setFields = (sysId: string, fields: Record<string, string>): void => {
  const row = sim.instance.store.get('change_request', sysId)!
  sim.instance.store.update('change_request', row, fields, 'system')
}

const sync = (
  repo: string,
  extra: Record<string, string> = {},
  url = github.url
): Promise<StepRun> =>
  runStep(
    'sync',
    {...connection, github_token: BOT, repository: repo, ...extra},
    {env: {GITHUB_API_URL: url}}
  )

const reviews = (repo: string, runId: number) =>
  github.world.repo(repo).runs.get(runId)!.reviews
const reviewPosts = (repo: string, runId: number): number =>
  github.world.requests.filter(
    r =>
      r.method === 'POST' &&
      r.path === `/repos/${repo}/actions/runs/${runId}/pending_deployments`
  ).length
const notesAbout = (sysId: string, runId: number): string[] =>
  sim.instance.store
    .journal(sysId, 'work_notes')
    .map(j => j.value)
    .filter(n => n.includes(`of run ${runId} `))
const rowsOf = (run: StepRun) =>
  JSON.parse(run.outputs.reviewed ?? '[]') as {
    run_id: number
    environment: string
    change: string
    outcome: string
    why: string
  }[]
const rowFor = (run: StepRun, runId: number, env = 'production') =>
  rowsOf(run).find(r => r.run_id === runId && r.environment === env)

describe('sync red team: promises that hold', () => {
  it('holds A1: a run waiting on two environments, one approved, one undecided', async () => {
    const repo = freshRepo()
    const p = await changeFor(repo, 7001, 'production')
    await changeFor(repo, 7001, 'staging')
    await approve(p.number)
    github.world.addWaitingRun(repo, 7001, ['production', 'staging'])
    const run = await sync(repo)
    ok(run)
    expect(rowFor(run, 7001, 'production')?.outcome).toBe('approved')
    expect(rowFor(run, 7001, 'staging')?.outcome).toBe('waiting')
    expect(reviews(repo, 7001)).toEqual([
      expect.objectContaining({state: 'approved', environments: ['production']})
    ])
    expect(github.world.repo(repo).runs.get(7001)!.pending).toEqual(['staging'])
    expect(notesAbout(p.sysId, 7001)).toHaveLength(1)
    ok(await sync(repo))
    expect(reviewPosts(repo, 7001)).toBe(1)
    expect(notesAbout(p.sysId, 7001)).toHaveLength(1)
  }, 60_000)

  it('holds A2: a run waiting on two environments, one approved, one rejected', async () => {
    const repo = freshRepo()
    const p = await changeFor(repo, 7002, 'production')
    const q = await changeFor(repo, 7002, 'qa')
    await approve(p.number)
    await admin(sim, 'POST', `/changes/${q.number}/reject`, {comments: 'no'})
    github.world.addWaitingRun(repo, 7002, ['production', 'qa'])
    const run = await sync(repo)
    ok(run)
    expect(rowFor(run, 7002, 'production')?.outcome).toBe('approved')
    expect(rowFor(run, 7002, 'qa')?.outcome).toBe('rejected')
    expect(notesAbout(p.sysId, 7002)).toHaveLength(1)
    expect(notesAbout(q.sysId, 7002)).toHaveLength(1)
  }, 60_000)

  it('holds B1: approved then closed before sync: rejected, one note', async () => {
    const repo = freshRepo()
    const c = await changeFor(repo, 7011)
    await approve(c.number)
    setFields(c.sysId, {state: S.closed})
    github.world.addWaitingRun(repo, 7011, ['production'])
    const run = await sync(repo)
    ok(run)
    expect(rowFor(run, 7011)?.outcome).toBe('rejected')
    expect(reviews(repo, 7011)).toEqual([
      expect.objectContaining({state: 'rejected'})
    ])
    expect(notesAbout(c.sysId, 7011)).toHaveLength(1)
  }, 60_000)

  it('holds B2: approved then canceled before sync: rejected, one note', async () => {
    const repo = freshRepo()
    const c = await changeFor(repo, 7012)
    await approve(c.number)
    setFields(c.sysId, {state: S.canceled})
    github.world.addWaitingRun(repo, 7012, ['production'])
    const run = await sync(repo)
    ok(run)
    expect(rowFor(run, 7012)?.outcome).toBe('rejected')
    expect(notesAbout(c.sysId, 7012)).toHaveLength(1)
  }, 60_000)

  it('holds C1: approved, window ended: rejected', async () => {
    const repo = freshRepo()
    const c = await changeFor(repo, 7021)
    await approve(c.number)
    setFields(c.sysId, {
      start_date: formatGlideDate(new Date(Date.now() - 7200_000)),
      end_date: formatGlideDate(new Date(Date.now() - 3600_000))
    })
    github.world.addWaitingRun(repo, 7021, ['production'])
    const run = await sync(repo)
    ok(run)
    expect(rowFor(run, 7021)?.outcome).toBe('rejected')
    expect(rowFor(run, 7021)?.why).toMatch(/window ended/)
    expect(notesAbout(c.sysId, 7021)).toHaveLength(1)
  }, 60_000)

  it('holds C2: approved, window not yet open: waiting, nothing posted; honor_change_window false approves', async () => {
    const repo = freshRepo()
    const c = await changeFor(repo, 7022)
    await approve(c.number)
    setFields(c.sysId, {
      start_date: formatGlideDate(new Date(Date.now() + 3600_000)),
      end_date: formatGlideDate(new Date(Date.now() + 7200_000))
    })
    github.world.addWaitingRun(repo, 7022, ['production'])
    const run = await sync(repo)
    ok(run)
    expect(rowFor(run, 7022)?.outcome).toBe('waiting')
    expect(reviewPosts(repo, 7022)).toBe(0)
    const free = await sync(repo, {honor_change_window: 'false'})
    ok(free)
    expect(rowFor(free, 7022)?.outcome).toBe('approved')
  }, 60_000)

  it('holds D1: a change with the same correlation id but not the mark is not used', async () => {
    const repo = freshRepo()
    const mine = await changeFor(repo, 7031)
    const foreign = await changeFor(repo, 7032)
    await approve(foreign.number)
    setFields(foreign.sysId, {
      correlation_id: `${repo}/7031/deploy/production`,
      correlation_display: 'someone-else'
    })
    github.world.addWaitingRun(repo, 7031, ['production'])
    const run = await sync(repo)
    ok(run)
    expect(rowFor(run, 7031)).toEqual(
      expect.objectContaining({outcome: 'waiting', change: mine.number})
    )
    expect(reviewPosts(repo, 7031)).toBe(0)
  }, 60_000)

  it('holds D2: two changes of this action for one correlation id: the open one wins over a canceled one', async () => {
    const repo = freshRepo()
    const first = await changeFor(repo, 7041)
    setFields(first.sysId, {state: S.canceled})
    const second = await changeFor(repo, 7042)
    await approve(second.number)
    setFields(second.sysId, {correlation_id: `${repo}/7041/deploy/production`})
    github.world.addWaitingRun(repo, 7041, ['production'])
    const run = await sync(repo)
    ok(run)
    expect(rowFor(run, 7041)).toEqual(
      expect.objectContaining({outcome: 'approved', change: second.number})
    )
  }, 60_000)

  it("holds D3: a run of another repository with the same run id is not reviewed from this repository's change", async () => {
    const repo = freshRepo()
    const other = freshRepo()
    const c = await changeFor(repo, 7043)
    await approve(c.number)
    github.world.addWaitingRun(other, 7043, ['production'])
    const run = await sync(other)
    ok(run)
    expect(rowFor(run, 7043)?.outcome).toBe('waiting')
    expect(reviewPosts(other, 7043)).toBe(0)
  }, 60_000)

  it('holds F2: a 500 on the review POST that was not applied: retried, approved once, one note', async () => {
    const repo = freshRepo()
    const c = await changeFor(repo, 7062)
    await approve(c.number)
    github.world.addWaitingRun(repo, 7062, ['production'])
    github.world.faults.push({
      method: 'POST',
      path: `/repos/${repo}/actions/runs/7062/pending_deployments`,
      status: 500,
      times: 1
    })
    const run = await sync(repo)
    ok(run)
    expect(reviews(repo, 7062)).toHaveLength(1)
    expect(rowFor(run, 7062)?.outcome).toBe('approved')
    expect(notesAbout(c.sysId, 7062)).toHaveLength(1)
  }, 60_000)

  it('holds I1: ServiceNow text with newlines, workflow commands, HTML: no injection into log, summary, annotations; token not printed', async () => {
    const repo = freshRepo()
    const c = await changeFor(repo, 7081)
    await admin(sim, 'POST', `/changes/${c.number}/reject`, {
      comments:
        'No.\n::error::INJECTED\n::add-mask::x\n<img src=x onerror=alert(1)> | col | [link](javascript:alert(1))'
    })
    github.world.addWaitingRun(repo, 7081, ['production'])
    const run = await sync(repo)
    ok(run)
    expect(run.stdout).not.toMatch(/^::error::INJECTED/m)
    expect(run.stdout).not.toMatch(/^::add-mask::x$/m)
    expect(run.summary).not.toContain('<img')
    expect(rowFor(run, 7081)?.outcome).toBe('rejected')
    expect(notesAbout(c.sysId, 7081)).toHaveLength(1)
    const printed = (run.stdout + run.stderr + run.summary)
      .split('\n')
      .filter(l => l !== `::add-mask::${BOT}`)
      .join('\n')
    expect(printed).not.toContain(BOT)
  }, 60_000)

  it('holds P1: three syncs at once review each deployment once, one note', async () => {
    const repo = freshRepo()
    const c = await changeFor(repo, 7091)
    await approve(c.number)
    github.world.addWaitingRun(repo, 7091, ['production'])
    const runs = await Promise.all([sync(repo), sync(repo), sync(repo)])
    runs.forEach(ok)
    expect(reviews(repo, 7091)).toHaveLength(1)
    expect(
      runs.flatMap(r => rowsOf(r)).filter(r => r.outcome === 'approved')
    ).toHaveLength(1)
    expect(notesAbout(c.sysId, 7091)).toHaveLength(1)
  }, 60_000)
})

describe('sync red team: attacks that broke a promise, now held', () => {
  it('E1b: the run has its own (unapproved) production change, but an older approved canary/production change of the same run is used to approve production', async () => {
    const repo = freshRepo()
    const canary = await changeFor(repo, 7054, 'canary/production')
    const prod = await changeFor(repo, 7054, 'production')
    await approve(canary.number)
    github.world.addWaitingRun(repo, 7054, ['production'])
    const run = await sync(repo)
    ok(run)
    expect({
      change: rowFor(run, 7054)?.change,
      outcome: rowFor(run, 7054)?.outcome,
      reviews: reviews(repo, 7054).length
    }).toEqual({change: prod.number, outcome: 'waiting', reviews: 0})
  }, 60_000)

  it('holds K4: the work note PATCH lands but its answer is lost (502): still one note', async () => {
    const repo = freshRepo()
    const c = await changeFor(repo, 7501)
    await approve(c.number)
    github.world.addWaitingRun(repo, 7501, ['production'])
    await admin(sim, 'POST', '/faults', {
      kind: 'status',
      status: 502,
      method: 'PATCH',
      path: c.sysId,
      when: 'after',
      times: 1
    })
    let run: StepRun
    try {
      run = await sync(repo)
    } finally {
      await admin(sim, 'DELETE', '/faults')
    }
    ok(run!)
    expect(rowFor(run!, 7501)?.outcome).toBe('approved')
    expect(notesAbout(c.sysId, 7501)).toHaveLength(1)
  }, 60_000)

  it('E1: environment "production" is reviewed from the change made for environment "canary/production"', async () => {
    const repo = freshRepo()
    // The run made a change for canary/production (approved) and none for production.
    const canary = await changeFor(repo, 7051, 'canary/production')
    await approve(canary.number)
    github.world.addWaitingRun(repo, 7051, ['production'])
    const run = await sync(repo)
    ok(run)
    expect(reviews(repo, 7051)).toEqual([])
    expect(rowFor(run, 7051)).toEqual(
      expect.objectContaining({outcome: 'waiting', change: ''})
    )
  }, 60_000)

  it('E2: environment named with other case in create than on GitHub (GitHub environment names are case-insensitive): never found', async () => {
    const repo = freshRepo()
    const c = await changeFor(repo, 7052, 'Production')
    await approve(c.number)
    github.world.addWaitingRun(repo, 7052, ['production'])
    const run = await sync(repo)
    ok(run)
    expect(rowFor(run, 7052)?.outcome).toBe('approved')
  }, 60_000)

  it('E3 (a documented limit): a default correlation id hashed by create to fit 100 characters is not found: left waiting, saying so', async () => {
    const repo = freshRepo()
    const job =
      'deploy-payments-gateway-service-with-canary-and-blue-green-rollout'
    const c = await changeFor(repo, 7053, 'production', {GITHUB_JOB: job})
    await approve(c.number)
    github.world.addWaitingRun(repo, 7053, ['production'])
    const run = await sync(repo)
    ok(run)
    expect(rowFor(run, 7053)).toEqual(
      expect.objectContaining({
        outcome: 'waiting',
        why: expect.stringContaining(
          'no change request of this action names run 7053'
        )
      })
    )
    expect(reviews(repo, 7053)).toEqual([])
  }, 60_000)

  it('G1: a secondary rate limit (403) on the review POST is reported as "could not be reviewed with this token"', async () => {
    const repo = freshRepo()
    const c = await changeFor(repo, 7071)
    await approve(c.number)
    github.world.addWaitingRun(repo, 7071, ['production'])
    github.world.faults.push({
      method: 'POST',
      path: `/repos/${repo}/actions/runs/7071/pending_deployments`,
      status: 403,
      message:
        'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
      times: 1
    })
    const run = await sync(repo)
    expect(rowFor(run, 7071)?.outcome).not.toBe('refused')
    expect(errors(run).join('\n')).not.toContain(
      'could not be reviewed with this token'
    )
  }, 60_000)

  it('H1: max_runs 100 (the default) with 150 runs waiting: the summary does not say more wait', async () => {
    const repo = freshRepo()
    for (let id = 1; id <= 150; id++)
      github.world.addWaitingRun(repo, 80000 + id, ['production'])
    const run = await sync(repo)
    ok(run)
    expect(rowsOf(run)).toHaveLength(100)
    expect(run.summary.includes('more runs wait than this sync reads')).toBe(
      true
    )
  }, 60_000)

  it('H2: request budget 10 + 4*max_runs is spent by runs waiting on several environments: step fails mid-way, reviews made are not reported', async () => {
    const repo = freshRepo()
    for (const id of [9101, 9102]) {
      for (const env of ['e1', 'e2', 'e3', 'e4']) {
        const c = await changeFor(repo, id, env)
        await approve(c.number)
      }
      github.world.addWaitingRun(repo, id, ['e1', 'e2', 'e3', 'e4'])
    }
    const run = await sync(repo, {max_runs: '2'})
    const done = [9101, 9102].flatMap(
      id => github.world.repo(repo).runs.get(id)!.reviews
    )
    expect({
      code: run.code,
      reviewsOnGithub: done.length,
      reported: rowsOf(run).filter(r => r.outcome === 'approved').length,
      errors: errors(run)
    }).toEqual({code: 0, reviewsOnGithub: 8, reported: 8, errors: []})
  }, 60_000)

  it('J1: README "a token that may not review fails the step ... after reviewing nothing": it reviews the others first', async () => {
    const repo = freshRepo()
    for (const [id, env] of [
      [9201, 'other-team'],
      [9200, 'production']
    ] as const) {
      const c = await changeFor(repo, id, env)
      await approve(c.number)
      github.world.addWaitingRun(repo, id, [env])
    }
    const run = await sync(repo)
    // As the README says: the others are reviewed, then the step fails naming the environment.
    expect(run.code).toBe(1)
    expect(reviews(repo, 9200)).toHaveLength(1)
    expect(reviews(repo, 9201)).toEqual([])
    expect(errors(run)).toEqual([
      expect.stringMatching(
        /could not be reviewed with this token: .*other-team/
      )
    ])
  }, 60_000)

  it('K1: the work note fails after the review was made on GitHub: no reviewed output, later deployments not reviewed, note lost for good', async () => {
    const repo = freshRepo()
    const first = await changeFor(repo, 7192)
    const second = await changeFor(repo, 7191)
    await approve(first.number)
    await approve(second.number)
    github.world.addWaitingRun(repo, 7191, ['production'])
    github.world.addWaitingRun(repo, 7192, ['production'])
    // ServiceNow refuses the work note on the first change reviewed (runs are newest first).
    await admin(sim, 'POST', '/faults', {
      kind: 'status',
      status: 403,
      method: 'PATCH',
      path: first.sysId,
      times: 0
    })
    let run: StepRun
    try {
      run = await sync(repo)
    } finally {
      await admin(sim, 'DELETE', '/faults')
    }
    expect(reviews(repo, 7192)).toHaveLength(1) // GitHub approved it
    const again = await sync(repo)
    ok(again)
    // The review stands and is reported; the missing note is said, in the row and a warning.
    expect({
      firstRunRowFor7192: rowFor(run!, 7192)?.outcome,
      firstRunRowFor7191: rowFor(run!, 7191)?.outcome,
      notesOnFirstChangeAfterNextSync: notesAbout(first.sysId, 7192).length,
      notesOnSecond: notesAbout(second.sysId, 7191).length,
      errors: errors(run!)
    }).toEqual({
      errors: [],
      firstRunRowFor7192: 'approved',
      firstRunRowFor7191: 'approved',
      notesOnFirstChangeAfterNextSync: 0,
      notesOnSecond: 1
    })
    expect(rowFor(run!, 7192)?.why).toContain(
      `The work note saying so could not be written to ${first.number}`
    )
    expect(
      run!.stdout
        .split('\n')
        .filter(
          l => l.startsWith('::warning::') && l.includes('could not be written')
        )
    ).toHaveLength(1)
  }, 60_000)

  it('K2: one run whose pending deployments GitHub cannot read (persistent 502) blocks every other review in the repository', async () => {
    const repo = freshRepo()
    const c = await changeFor(repo, 7301)
    await approve(c.number)
    github.world.addWaitingRun(repo, 7301, ['production'])
    github.world.addWaitingRun(repo, 7302, ['production']) // the broken one (newest)
    github.world.faults.push({
      method: 'GET',
      path: `/repos/${repo}/actions/runs/7302/pending_deployments`,
      status: 502
    })
    const run = await sync(repo)
    github.world.faults.length = 0
    expect({
      reviewed7301: reviews(repo, 7301).length,
      hasOutput: run.outputs.reviewed !== undefined,
      errors: errors(run)
    }).toEqual({
      reviewed7301: 1,
      hasOutput: true,
      errors: [
        expect.stringContaining(
          'Run 7302: its pending deployments could not be read (HTTP 502: Server Error)'
        )
      ]
    })
  }, 60_000)

  it('K3: ServiceNow slow past time_limit_seconds: the GitHub budget ends mid-deployment and the step fails with no reviewed output', async () => {
    const repo = freshRepo()
    const c = await changeFor(repo, 7401)
    await approve(c.number)
    github.world.addWaitingRun(repo, 7401, ['production'])
    await admin(sim, 'POST', '/faults', {
      kind: 'delay',
      delayMs: 10_500,
      method: 'GET',
      path: '/api/now/table/change_request',
      times: 1
    })
    let run: StepRun
    try {
      run = await sync(repo, {time_limit_seconds: '10'})
    } finally {
      await admin(sim, 'DELETE', '/faults')
    }
    expect({
      code: run.code,
      row: rowFor(run!, 7401)?.outcome,
      errors: errors(run!)
    }).toEqual({
      errors: [],
      code: 0,
      row: expect.stringMatching(/^(approved|waiting)$/)
    })
  }, 60_000)

  it('C3: a change NOT approved whose planned window has ended is left waiting (README: "rejects it when ... past its window")', async () => {
    const repo = freshRepo()
    const c = await changeFor(repo, 7023)
    setFields(c.sysId, {
      start_date: formatGlideDate(new Date(Date.now() - 7200_000)),
      end_date: formatGlideDate(new Date(Date.now() - 3600_000))
    })
    github.world.addWaitingRun(repo, 7023, ['production'])
    const run = await sync(repo)
    ok(run)
    // Not approved, so nothing to reject on the window: it waits for the approvers (README).
    expect(rowFor(run, 7023)?.outcome).toBe('waiting')
    expect(reviews(repo, 7023)).toEqual([])
  }, 60_000)
})
