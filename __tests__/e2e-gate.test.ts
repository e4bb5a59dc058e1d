import {afterAll, beforeAll, describe, expect, it} from '@jest/globals'
import type {Simulator} from '../src/simulator/server.js'
import {admin, withSimulator} from './helpers/sim.js'
import {startRunGithub, type RunGithub} from './helpers/github-run.js'
import {errors, type StepRun} from '../scripts/local-runner.js'
import {suiteCounts} from './helpers/counts.js'
import {scannedSteps} from './helpers/scan.js'

/** The all-in-one gate (`uses: org/servicenow-change@v1`): main, then post with main's saved state. */
let sim: Simulator
const counts = suiteCounts('e2e-gate')
let runStep: ReturnType<typeof scannedSteps>
let github: RunGithub
let connection: Record<string, string>
const TOKEN = 'ghs_fakeTokenForTests'
beforeAll(async () => {
  sim = await withSimulator({
    approval: {mode: 'auto', afterMs: 300, rejectPattern: 'REJECT'}
  })
  runStep = scannedSteps(sim, counts)
  github = await startRunGithub(TOKEN)
  connection = {
    instance_url: sim.url,
    username: 'devops.integration',
    password: 'sn-integration-pw'
  }
})
afterAll(async () => {
  await sim.stop()
  await github.stop()
})

const env = (runId: string): Record<string, string> => ({
  GITHUB_RUN_ID: runId,
  GITHUB_API_URL: '',
  GITHUB_TOKEN_FOR_TESTS: TOKEN
})
const record = async (number: string): Promise<any> =>
  admin(sim, 'GET', `/changes/${number}`)
function ok(run: StepRun): void {
  expect({code: run.code, errors: errors(run), stderr: run.stderr}).toEqual({
    code: 0,
    errors: [],
    stderr: ''
  })
}

async function gate(
  runId: string,
  inputs: Record<string, string> = {}
): Promise<{main: StepRun; post: StepRun}> {
  const options = {env: {...env(runId), GITHUB_API_URL: github.url}}
  const main = await runStep(
    'gate',
    {
      ...connection,
      assignment_group: 'DevOps Team',
      poll_interval_seconds: '5',
      timeout_minutes: '1',
      ...inputs
    },
    options
  )
  const post = await runStep(
    'gate-post',
    {...connection, ...inputs},
    {...options, state: main.state}
  )
  return {main, post}
}

describe('the all-in-one gate', () => {
  it('creates, waits, moves to Implement; post closes successful when the job succeeded', async () => {
    github.steps = [
      {name: 'Gate', status: 'completed', conclusion: 'success'},
      {name: 'Deploy', status: 'completed', conclusion: 'success'},
      {name: 'Post Gate', status: 'in_progress', conclusion: null}
    ]
    const {main, post} = await gate('7001', {environment: 'production'})
    ok(main)
    expect(main.outputs).toMatchObject({
      created: 'true',
      decision: 'approved',
      state: 'implement'
    })
    expect(main.state).toMatchObject({
      change_sys_id: main.outputs.change_sys_id,
      implementing: 'true'
    })
    expect(main.summary).toMatch(/implementing/)
    ok(post)
    expect(github.requests.at(-1)).toMatch(
      /^GET \/repos\/octo-org\/payments\/actions\/runs\/7001\/attempts\/1\/jobs/
    )
    expect(await record(main.outputs.change_number!)).toMatchObject({
      state_label: 'Closed',
      close_code: 'successful'
    })
  }, 30_000)

  it('post closes unsuccessful, with an incident, when a later step failed', async () => {
    github.steps = [
      {name: 'Gate', status: 'completed', conclusion: 'success'},
      {name: 'Deploy', status: 'completed', conclusion: 'failure'},
      {name: 'Post Gate', status: 'in_progress', conclusion: null}
    ]
    const {main, post} = await gate('7002', {
      template: 'Deploy web application',
      open_incident_on_failure: 'true'
    })
    ok(main)
    ok(post)
    expect(post.outputs.incident_number).toMatch(/^INC/)
    expect(await record(main.outputs.change_number!)).toMatchObject({
      state_label: 'Closed',
      close_code: 'unsuccessful'
    })
  })

  it('post never claims success it cannot see: without a token the change stays in Implement, with a note and a warning', async () => {
    const main = await runStep(
      'gate',
      {...connection, template: 'Deploy web application'},
      {env: {GITHUB_RUN_ID: '7003'}}
    )
    ok(main)
    const post = await runStep(
      'gate-post',
      {...connection},
      {state: main.state, env: {GITHUB_RUN_ID: '7003'}}
    )
    expect(post.code).toBe(0)
    expect(post.stdout).toMatch(
      /::warning::CHG\d+ is left in Implement: the job's outcome could not be read/
    )
    const after = await record(main.outputs.change_number!)
    expect(after.state_label).toBe('Implement')
    expect(after.work_notes.join('\n')).toMatch(
      /could not tell how the deployment ended/
    )
  })

  it('a rejected change fails main, and post cancels it: the deployment never began', async () => {
    const {main, post} = await gate('7004', {short_description: 'REJECT me'})
    expect(main.code).toBe(1)
    expect(errors(main)[0]).toMatch(/was rejected by Alice Approver/)
    ok(post)
    expect((await record(main.outputs.change_number!)).state_label).toBe(
      'Canceled'
    )
  }, 30_000)

  it('puts the commits going out since the last successful deployment in the description', async () => {
    const create = await runStep(
      'create',
      {
        ...connection,
        template: 'Deploy web application',
        environment: 'production',
        correlation_id: 'evidence-commits',
        request_approval: 'false'
      },
      {env: {...env('7006'), GITHUB_API_URL: github.url}}
    )
    ok(create)
    expect(create.stdout).toContain(
      '30 commit(s) since the last successful deployment to production.'
    )
    // A standard change keeps the template's description: the evidence goes into the work note.
    const notes = (await record(create.outputs.change_number!)).work_notes.join(
      '\n'
    )
    expect(notes).toMatch(
      /Commits since the last successful deployment to production \(bbbbbbb\), newest first: 30/
    )
    expect(notes).toMatch(
      /- 29aaaaa Change number 29 \(mona\)\n- 28aaaaa Change number 28 \(mona, PR #128\)/
    )
    expect(notes).toMatch(
      /… and 5 more: https:\/\/github\.com\/octo-org\/payments\/compare\/bbbbbbb\.\.\.1a2b3c4/
    )
    // The machine-readable line the report reads (issue 18): once, with the commits' author dates.
    expect(
      notes
        .split('\n')
        .filter((l: string) => l.startsWith('servicenow-change deployment:'))
    ).toEqual([
      'servicenow-change deployment: environment=production; commits=30; oldest_commit=2026-11-20T08:00:00Z; newest_commit=2026-11-21T13:00:00Z'
    ])
    // Past the 250 commits a compare lists, the oldest and newest are read as pages of their own.
    github.compareCommits = 300
    const big = await runStep(
      'create',
      {
        ...connection,
        template: 'Deploy web application',
        environment: 'production',
        correlation_id: 'evidence-many-commits',
        request_approval: 'false'
      },
      {env: {...env('7007'), GITHUB_API_URL: github.url}}
    )
    github.compareCommits = undefined
    ok(big)
    expect(
      (await record(big.outputs.change_number!)).work_notes
        .join('\n')
        .split('\n')
        .filter((l: string) => l.startsWith('servicenow-change deployment:'))
    ).toEqual([
      // Commit 299 was made 299 hours after the first: 2026-12-02 19:00.
      'servicenow-change deployment: environment=production; commits=300; oldest_commit=2026-11-20T08:00:00Z; newest_commit=2026-12-02T19:00:00Z'
    ])
    const withoutToken = await runStep('create', {
      ...connection,
      template: 'Deploy web application',
      environment: 'production',
      correlation_id: 'evidence-none'
    })
    ok(withoutToken)
    expect(withoutToken.stdout).toContain(
      'No github_token: the description names the run and the commit'
    )
    // Without a token the line still says where it went, and nothing about commits it cannot know.
    expect(
      (await record(withoutToken.outputs.change_number!)).work_notes
        .join('\n')
        .split('\n')
        .filter((l: string) => l.startsWith('servicenow-change deployment:'))
    ).toEqual(['servicenow-change deployment: environment=production'])
  })

  it('skips an environment that is not change-controlled, and post does nothing', async () => {
    const {main, post} = await gate('7005', {
      environment: 'dev',
      controlled_environments: 'production'
    })
    ok(main)
    expect(main.outputs.skipped).toBe('true')
    expect(main.state).toEqual({skipped: 'true'})
    ok(post)
  })
})
