/**
 * Runner time one deployment costs while its change waits two hours for approval (issue 13):
 * the polling gate, which holds its job's runner the whole time, against `create` plus the sync
 * step, which holds none while GitHub's environment waits, run every 5 minutes on a schedule or
 * on the repository_dispatch ServiceNow sends. The deploy job itself costs the same either way
 * and is left out. GitHub-hosted runners bill each job by the started minute, so minutes billed
 * are given too.
 *
 * The gate runs on compressed time (the simulator and the step's clock 60 × faster; the approval
 * at the second virtual hour); its runner time is from its first request to its move to
 * Implement, in virtual time, plus its start-up in wall time. Each request takes its real time,
 * so looks 60 × slower: at about 250 polls that adds some 30 s to the gate's figure. The sync runs
 * are short, so they run in real time: one create, then one sync a tick, the approval landing
 * just before the 24th (2 h = 24 × 5 min).
 */
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {startGithubSimulator} from '../../src/github-simulator/server.js'
import {startSimulator, type Simulator} from '../../src/simulator/server.js'
import {SEED_USERS} from '../../src/simulator/seed.js'
import {compressedClock} from './compressed-clock.js'
import {runBundle} from './run-bundle.js'
import {log, root, row} from './table.js'

const APPROVAL_S = 2 * 3600
const TICK_S = 5 * 60
const SCALE = 60
const probe = join(
  fileURLToPath(new URL('.', import.meta.url)),
  'step-probe.mjs'
)
const user = SEED_USERS.integration
const connection = (sim: Simulator): Record<string, string> => ({
  instance_url: sim.url,
  username: user.user_name,
  password: user.password
})
const bundle = (entry: string): string => join(root, 'dist', entry, 'index.js')
const REPO = 'octo-org/payments'
const BOT = 'ghp_benchDeployBot'

export async function runnerSeconds(): Promise<void> {
  const gate = await pollingGate()
  const scheduled = await syncScenario('schedule')
  const dispatched = await syncScenario('dispatch')
  const billed = (jobs: number[]): number =>
    jobs.reduce((n, s) => n + Math.max(1, Math.ceil(s / 60)), 0)
  row(
    'runner time a deployment holds, 2 h approval: polling gate',
    'reported',
    `${Math.round(gate.heldS)} s (${billed([gate.heldS])} billed minutes); approval seen ${Math.round(gate.lagS)} s after it was given`,
    undefined
  )
  row(
    'runner time, create + sync every 5 min (24 runs)',
    'far below the gate',
    `${scheduled.totalS.toFixed(1)} s (${billed(scheduled.jobs)} billed minutes: ${scheduled.jobs.length} jobs); deployment approved at the next tick, ${Math.round(scheduled.lagS)} s after the change on average`,
    scheduled.totalS < gate.heldS / 10
  )
  row(
    'runner time, create + sync on dispatch',
    'far below the gate',
    `${dispatched.totalS.toFixed(1)} s (${billed(dispatched.jobs)} billed minutes: ${dispatched.jobs.length} jobs, ${dispatched.jobs.length - 1} dispatches); deployment approved ${dispatched.lagS.toFixed(1)} s after the change`,
    dispatched.totalS < gate.heldS / 10
  )
}

/** The gate through a two-hour wait, compressed; its runner time from start to Implement. */
async function pollingGate(): Promise<{heldS: number; lagS: number}> {
  const start = Date.now()
  const clock = compressedClock(SCALE, start)
  const sim = await startSimulator({
    port: 0,
    now: clock.now,
    approval: {mode: 'manual', afterMs: 0}
  })
  const correlation = 'bench/runner-seconds-gate'
  let approvedAt = 0
  const approve = setTimeout(
    () => {
      const change = sim.instance.store
        .rows('change_request')
        .find(r => r.correlation_id === correlation)
      const pending =
        change === undefined
          ? undefined
          : sim.instance.pendingApprovals(change)[0]
      if (pending !== undefined) {
        sim.instance.decide(pending, 'approved', 'bench')
        approvedAt = Date.now()
      }
    },
    (APPROVAL_S * 1000) / SCALE
  )
  const run = await runBundle(
    sim,
    bundle('gate'),
    {
      ...connection(sim),
      type: 'emergency',
      short_description: 'bench runner seconds',
      correlation_id: correlation,
      timeout_minutes: '240',
      request_timeout_seconds: '300'
    },
    {
      nodeArgs: ['--import', probe],
      env: {BENCH_TIME_SCALE: String(SCALE), BENCH_TIME_START: String(start)}
    }
  )
  clearTimeout(approve)
  if (run.code !== 0) throw new Error(`gate exited ${run.code}`)
  const first = sim.log[0]
  const implement = sim.log
    .filter(e => e.method === 'PATCH' && e.at >= approvedAt)
    .at(0)
  await sim.stop()
  if (first === undefined || implement === undefined || approvedAt === 0)
    throw new Error(
      'the gate never moved the change to Implement after the approval'
    )
  const heldS =
    (clock.at(implement.at) - clock.at(first.at)) / 1000 +
    (run.firstRequestMs ?? 0) / 1000
  const lagS = (clock.at(implement.at) - clock.at(approvedAt)) / 1000
  log(
    `gate: held ${heldS.toFixed(0)} s, saw the approval ${lagS.toFixed(0)} s after it`
  )
  return {heldS, lagS}
}

/**
 * create, then sync runs: one a tick (schedule), or one a dispatch ServiceNow sends when the
 * change's approval or state changes (dispatch). Every run's wall time is runner time.
 */
async function syncScenario(
  mode: 'schedule' | 'dispatch'
): Promise<{totalS: number; jobs: number[]; lagS: number}> {
  const github = await startGithubSimulator()
  github.world.addToken(BOT, {login: 'deploy-bot'})
  github.world.addToken('ghp_benchDispatch', {login: 'servicenow'})
  github.world.addEnvironment(REPO, 'production', ['deploy-bot'])
  const sim = await startSimulator({
    port: 0,
    approval: {mode: 'manual', afterMs: 0},
    ...(mode === 'dispatch'
      ? {notifyGithub: {url: github.url, token: 'ghp_benchDispatch'}}
      : {})
  })
  const runId = mode === 'schedule' ? 7701 : 7702
  const env = {GITHUB_RUN_ID: String(runId), GITHUB_API_URL: github.url}
  const jobs: number[] = []
  const runs: Promise<void>[] = []
  // Every dispatch starts a sync job, those that create's own state changes send included.
  if (mode === 'dispatch') github.world.onDispatch = () => runs.push(syncOnce())
  const create = await runBundle(
    sim,
    bundle('create'),
    {
      ...connection(sim),
      type: 'emergency',
      environment: 'production',
      short_description: 'bench runner seconds (sync)'
    },
    {env}
  )
  if (create.code !== 0) throw new Error(`create exited ${create.code}`)
  jobs.push(create.ms / 1000)
  github.world.addWaitingRun(REPO, runId, ['production'])
  async function syncOnce(): Promise<void> {
    const run = await runBundle(
      sim,
      bundle('sync'),
      {...connection(sim), github_token: BOT},
      {env: {...env, GITHUB_REPOSITORY: REPO}}
    )
    if (run.code !== 0) throw new Error(`sync exited ${run.code}`)
    jobs.push(run.ms / 1000)
  }
  const approve = (): void => {
    const change = sim.instance.store
      .rows('change_request')
      .find(r => (r.correlation_id ?? '').startsWith(`${REPO}/${runId}/`))!
    sim.instance.decide(
      sim.instance.pendingApprovals(change)[0]!,
      'approved',
      'bench'
    )
  }
  const reviewed = (): boolean =>
    github.world.repo(REPO).runs.get(runId)!.reviews.length > 0
  let lagS: number
  if (mode === 'schedule') {
    // Ticks at 5, 10, … 115 minutes find it pending; the approval lands just before the 24th.
    for (let tick = 1; tick < APPROVAL_S / TICK_S; tick++) await syncOnce()
    approve()
    await syncOnce()
    // The next tick reviews it: up to 5 minutes after the approval, half that on average.
    lagS = reviewed() ? TICK_S / 2 : NaN
  } else {
    const given = Date.now()
    approve()
    while (!reviewed() && Date.now() - given < 60_000)
      await new Promise(resolve => setTimeout(resolve, 20))
    lagS = (Date.now() - given) / 1000
    await new Promise(resolve => setTimeout(resolve, 500))
    await Promise.all(runs)
  }
  await Promise.all([sim.stop(), github.stop()])
  if (!reviewed()) throw new Error(`${mode}: the deployment was never reviewed`)
  const totalS = jobs.reduce((a, b) => a + b, 0)
  log(
    `sync (${mode}): ${jobs.length} jobs, ${totalS.toFixed(1)} s of runner time`
  )
  return {totalS, jobs, lagS}
}
