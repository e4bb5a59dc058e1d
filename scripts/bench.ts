/**
 * npm run bench: what the gate costs a deployment and a shared ServiceNow instance,
 * measured against the local simulator, printed as one table of goal, measured value and
 * verdict (and written to .tmp/bench.json). BENCHMARKS.md records a run and its machine.
 *
 * 1. Detection latency: approval at a random moment → wait loop exits (30 trials, 2 s interval).
 * 2. Scale under rate limits: 200 deployments at once against 100 requests per minute per
 *    user, time compressed 60× (the window is 1 s, the poll interval 0.5 s).
 * 3. Cold start of each entrypoint beside the vendor's action, paired runs under Node 24.
 * 4. The simulator's own throughput, so it is not what the figures above measure.
 */
import {spawn} from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  readdirSync,
  statSync,
  writeFileSync
} from 'node:fs'
import {cpus} from 'node:os'
import {dirname, join} from 'node:path'
import {createOrAdopt} from '../src/change/create-change.js'
import {closeFromResult} from '../src/change/close-change.js'
import {pollChange, readChange} from '../src/change/lookup.js'
import {moveChange} from '../src/change/move.js'
import {Timeline} from '../src/change/timeline.js'
import {waitForDecision} from '../src/change/wait-loop.js'
import type {RunContext} from '../src/github-context.js'
import {githubEnv} from './local-runner.js'
import {ServiceNowClient} from '../src/servicenow/client.js'
import {systemClock} from '../src/servicenow/clock.js'
import type {CreateSettings} from '../src/settings/create.js'
import {SEED_USERS} from '../src/simulator/seed.js'
import {startSimulator, type Simulator} from '../src/simulator/server.js'

const root = join(import.meta.dirname, '..')
const user = SEED_USERS.integration
const auth = {
  method: 'basic' as const,
  username: user.user_name,
  password: user.password
}
const quiet = (): void => {}
interface Row {
  what: string
  goal: string
  measured: string
  ok: boolean | undefined
}
const rows: Row[] = []
const row = (
  what: string,
  goal: string,
  measured: string,
  ok: boolean | undefined
): void => void rows.push({what, goal, measured, ok})
const log = (line: string): void => void process.stderr.write(`${line}\n`)
const sleep = (ms: number): Promise<void> =>
  new Promise(resolve => setTimeout(resolve, ms))
const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return (
    sorted[
      Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)
    ] ?? NaN
  )
}
const median = (values: number[]): number => percentile(values, 50)

// ── 1. Detection latency ────────────────────────────────────────────────────────────────
async function detectionLatency(): Promise<void> {
  const INTERVAL = 2000
  const TRIALS = 30
  log(`1. detection latency: ${TRIALS} trials, poll interval ${INTERVAL} ms`)
  const sim = await startSimulator({
    port: 0,
    approval: {mode: 'manual', afterMs: 0}
  })
  const latencies: number[] = []
  let polls = 0
  let pollRequests = 0
  const pollBytes: number[] = []
  await Promise.all(
    Array.from({length: TRIALS}, async (_, trial) => {
      await sleep(trial * 150)
      const client = new ServiceNowClient({baseUrl: sim.url, auth})
      const change = await client.changes.createEmergency({
        short_description: `latency trial ${trial}`
      })
      await client.changes.patch(change.sysId, {state: '-3'})
      let approvedAt = 0
      const delay = 1000 + Math.random() * 5000
      const approve = setTimeout(() => {
        const row = sim.instance.store.get('change_request', change.sysId)
        const pending =
          row === undefined ? undefined : sim.instance.pendingApprovals(row)[0]
        if (pending !== undefined)
          sim.instance.decide(pending, 'approved', 'bench')
        approvedAt = Date.now()
      }, delay)
      const outcome = await waitForDecision({
        timeoutMs: 60_000,
        pollIntervalMs: INTERVAL,
        proceedWhen: 'approved',
        honorChangeWindow: true,
        clock: systemClock,
        random: Math.random,
        poll: () => pollChange(client, change.sysId),
        info: quiet,
        warn: quiet
      })
      clearTimeout(approve)
      if (outcome.decision !== 'approved')
        throw new Error(`trial ${trial}: ${outcome.decision}`)
      latencies.push(Date.now() - approvedAt)
      polls += outcome.polls
      const requests = sim.requests({
        method: 'GET',
        path: `/api/now/table/change_request/${change.sysId}`
      })
      pollRequests += requests.length
      pollBytes.push(...requests.map(r => r.bytes))
      client.dispose()
    })
  )
  await sim.stop()
  const worst = Math.max(...latencies)
  const bound = 1.1 * INTERVAL + 1000
  row(
    'detection latency, worst of 30 trials (2 s interval)',
    `≤ ${bound} ms`,
    `${worst} ms (median ${median(latencies)}, p95 ${percentile(latencies, 95)})`,
    worst <= bound
  )
  row(
    'requests per poll',
    '1',
    (pollRequests / polls).toFixed(2),
    pollRequests === polls
  )
  const maxBytes = Math.max(...pollBytes)
  row(
    'response bytes per poll',
    '≤ 1024',
    `${maxBytes} max, ${Math.round(pollBytes.reduce((a, b) => a + b, 0) / pollBytes.length)} mean`,
    maxBytes <= 1024
  )
}

// ── 2. Scale under rate limits ──────────────────────────────────────────────────────────
const COMPRESSION = 60
function runContext(i: number): RunContext {
  return {
    repository: 'octo-org/payments',
    sha: '1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d',
    ref: 'refs/heads/main',
    actor: 'mona',
    workflow: 'Deploy',
    job: 'deploy',
    runId: 100_000 + i,
    runNumber: i,
    runAttempt: 1,
    serverUrl: 'https://github.com',
    runUrl: `https://github.com/octo-org/payments/actions/runs/${100_000 + i}`,
    commitUrl: 'https://github.com/octo-org/payments/commit/1a2b3c4d'
  }
}

/** One deployment as the all-in-one gate runs it: create → wait → Implement → close. */
async function deployment(sim: Simulator, i: number): Promise<number> {
  const started = Date.now()
  const client = new ServiceNowClient({baseUrl: sim.url, auth})
  const timeline = new Timeline(systemClock)
  const settings: CreateSettings = {
    connection: {
      baseUrl: sim.url,
      auth,
      timeoutMs: 30_000,
      maxAttempts: 5,
      rateLimitWaitMs: 600_000
    },
    adoptNumber: undefined,
    type: 'emergency',
    template: undefined,
    environment: 'production',
    controlled: true,
    requestApproval: true,
    correlationId: `bench/${i}`,
    fields: {
      short_description: `bench deployment ${i}`,
      correlation_id: `bench/${i}`
    },
    references: {assignmentGroup: '', cmdbCi: '', parentChange: ''},
    attachments: {patterns: [], maxBytes: 1},
    describeFromContext: false,
    githubToken: ''
  }
  try {
    const {record} = await createOrAdopt(
      {client, timeline, info: quiet, warn: quiet},
      settings
    )
    const outcome = await waitForDecision({
      timeoutMs: (60 * 60_000) / COMPRESSION,
      pollIntervalMs: 30_000 / COMPRESSION,
      proceedWhen: 'approved',
      honorChangeWindow: true,
      clock: systemClock,
      random: Math.random,
      poll: () => pollChange(client, record.sysId),
      info: quiet,
      warn: quiet
    })
    if (outcome.decision !== 'approved') throw new Error(outcome.reason)
    const implementing = await moveChange(
      {client, info: quiet, warn: quiet},
      await readChange(client, record.sysId),
      'implement'
    )
    await closeFromResult(
      {client, timeline, info: quiet, warn: quiet},
      implementing,
      {
        result: 'success',
        options: {
          closeCode: undefined,
          closeNotes: 'bench',
          openIncidentOnFailure: false
        },
        run: runContext(i)
      }
    )
    return Date.now() - started
  } finally {
    client.dispose()
  }
}

async function fleet(options: {rateLimited: boolean; count: number}): Promise<{
  sim: Simulator
  times: number[]
  failures: string[]
  started: number
}> {
  const sim = await startSimulator({
    port: 0,
    approval: {mode: 'auto', afterMs: 60_000 / COMPRESSION},
    ...(options.rateLimited
      ? {rateLimit: {limit: 100, windowMs: 60_000 / COMPRESSION}}
      : {})
  })
  const started = Date.now()
  const times: number[] = []
  const failures: string[] = []
  await Promise.all(
    Array.from({length: options.count}, async (_, i) => {
      try {
        times.push(await deployment(sim, i))
      } catch (error) {
        failures.push(error instanceof Error ? error.message : String(error))
      }
    })
  )
  return {sim, times, failures, started}
}

async function scale(): Promise<void> {
  const COUNT = 200
  log(
    `2. scale: ${COUNT} deployments at once, without and then with a rate limit of 100 requests per (compressed) minute`
  )
  const free = await fleet({rateLimited: false, count: COUNT})
  const minimum = free.sim.requests().length
  await free.sim.stop()
  const limited = await fleet({rateLimited: true, count: COUNT})
  const requests = limited.sim.requests()
  const denied = requests.filter(r => r.status === 429).length
  const open = new Map<string, number>()
  for (const r of limited.sim.instance.store.rows('change_request'))
    open.set(
      r.correlation_id ?? '',
      (open.get(r.correlation_id ?? '') ?? 0) + 1
    )
  const duplicates = [...open.values()].filter(n => n > 1).length
  // Requests per compressed minute over the run, served and turned away: a synchronised herd
  // shows as a spike of refusals every time the window resets; spread returns show a steady rate.
  const window = 60_000 / COMPRESSION
  const served: number[] = []
  const refused: number[] = []
  for (const r of requests) {
    const b = Math.floor((r.at - limited.started) / window)
    if (r.status === 429) refused[b] = (refused[b] ?? 0) + 1
    else served[b] = (served[b] ?? 0) + 1
  }
  const minutes = Math.max(served.length, refused.length)
  const series = Array.from(
    {length: Math.min(minutes, 15)},
    (_, b) => `${served[b] ?? 0}+${refused[b] ?? 0}`
  )
  await limited.sim.stop()
  row(
    `failures (${COUNT} deployments, rate-limited)`,
    '0',
    String(limited.failures.length),
    limited.failures.length === 0
  )
  if (limited.failures.length > 0)
    log(`   first failure: ${limited.failures[0]}`)
  row('duplicate change requests', '0', String(duplicates), duplicates === 0)
  row(
    'total requests vs the minimum (same run, no rate limit)',
    `≤ 1.2 × ${minimum} = ${Math.floor(1.2 * minimum)}`,
    `${requests.length} (${denied} answered 429)`,
    requests.length <= 1.2 * minimum
  )
  const p50 = percentile(limited.times, 50) * COMPRESSION
  const p95 = percentile(limited.times, 95) * COMPRESSION
  row(
    'time to completion, p50 / p95 (real-time equivalent)',
    'reported',
    `${(p50 / 60_000).toFixed(1)} / ${(p95 / 60_000).toFixed(1)} min`,
    undefined
  )
  row(
    'requests per minute, served+refused, first 15 minutes',
    'reported: refusals fall off',
    series.join(' '),
    undefined
  )
}

// ── 3. Cold start and overhead ─────────────────────────────────────────────────────────
/**
 * The vendor's action, run beside ours: its ncc bundle at one commit (see its README there), kept
 * in shared/peers/ beside the repository (or a worktree's parent); VENDOR_BUNDLE names another.
 */
function vendorBundle(): string {
  if (process.env.VENDOR_BUNDLE) return process.env.VENDOR_BUNDLE
  const inPeers = (dir: string): string =>
    join(dir, 'shared', 'peers', 'servicenow-devops-change', 'index.js')
  for (let dir = dirname(root); dir !== dirname(dir); dir = dirname(dir))
    if (existsSync(inPeers(dir))) return inPeers(dir)
  throw new Error(
    `no shared/peers/servicenow-devops-change/index.js above ${root}: set VENDOR_BUNDLE`
  )
}

/**
 * Runs one bundle as a runner runs it (inputs and state in the environment), and times it from
 * spawning node to the first request reaching the simulator and to its exit. stopAtFirstRequest:
 * the run is ended once its first request arrives (the vendor's, which would go on to poll an
 * API the simulator does not have).
 */
async function runBundle(
  sim: Simulator,
  bundle: string | string[],
  inputs: Record<string, string>,
  options: {state?: Record<string, string>; stopAtFirstRequest?: boolean} = {}
): Promise<{
  firstRequestMs: number | undefined
  ms: number
  code: number | null
}> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    ...githubEnv(),
    RUNNER_DEBUG: ''
  }
  for (const [k, v] of Object.entries(inputs))
    env[`INPUT_${k.toUpperCase()}`] = v
  for (const [k, v] of Object.entries(options.state ?? {}))
    env[`STATE_${k}`] = v
  const before = sim.log.length
  const spawnedAt = Date.now()
  const child = spawn(process.execPath, [bundle].flat(), {
    env,
    stdio: process.env.BENCH_DEBUG ? 'inherit' : 'ignore'
  })
  let watch: NodeJS.Timeout | undefined
  if (options.stopAtFirstRequest === true)
    watch = setInterval(() => {
      if (sim.log.length > before) child.kill()
    }, 2)
  const code = await new Promise<number | null>(resolve =>
    child.on('close', resolve)
  )
  clearInterval(watch)
  const first = sim.log[before]
  return {
    firstRequestMs: first === undefined ? undefined : first.at - spawnedAt,
    ms: Date.now() - spawnedAt,
    code
  }
}

async function coldStart(): Promise<void> {
  const RUNS = 20
  log(
    `3. cold start: each entrypoint ${RUNS} times, each run paired with one of the vendor's bundle (ours, the vendor's, ours, …), under ${process.version}`
  )
  const vendor = vendorBundle()
  const sim = await startSimulator({port: 0})
  const connection = {
    instance_url: sim.url,
    username: user.user_name,
    password: user.password
  }
  // The vendor's inputs as its action.yml defaults them (a runner passes defaults too).
  const vendorInputs = {
    'instance-url': sim.url,
    'devops-integration-user-name': user.user_name,
    'devops-integration-user-password': user.password,
    'tool-id': 'bench',
    'job-name': 'deploy',
    'context-github': JSON.stringify({
      run_id: '4242',
      run_number: '17',
      run_attempt: '1',
      repository: 'octo-org/payments',
      workflow: 'Deploy',
      ref: 'refs/heads/main',
      sha: '1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d',
      server_url: 'https://github.com'
    }),
    'change-request': '{}',
    interval: '100',
    timeout: '3600',
    changecreationtimeout: '3600',
    abortonchangecreationfailure: 'true',
    abortonchangesteptimeout: 'true'
  }
  const client = new ServiceNowClient({baseUrl: sim.url, auth})
  const template = (
    await client.changes.findTemplates('Deploy web application')
  )[0]!
  const created = await client.changes.createStandard(template, {
    short_description: 'bench cold start',
    correlation_id: 'bench/cold'
  })
  // Scheduled and approved: wait passes at its first check, so each run measures the step, not a wait.
  const change = await client.changes.patch(created.sysId, {state: '-2'})
  const steps: [string, Record<string, string>, Record<string, string>?][] = [
    [
      'create',
      {template: 'Deploy web application', correlation_id: 'bench/cold'}
    ],
    ['wait', {change_sys_id: change.sysId}],
    ['update', {change_sys_id: change.sysId, work_notes: 'bench'}],
    ['close', {change_sys_id: change.sysId, result: 'success'}],
    [
      'gate',
      {
        template: 'Deploy web application',
        correlation_id: 'bench/cold-gate',
        poll_interval_seconds: '5'
      }
    ],
    // A change main left behind, closed already by the runs above: post reads it and stops there.
    ['gate-post', {}, {change_sys_id: change.sysId}],
    ['report', {period_days: '7'}]
  ]
  for (const [entry, inputs, state] of steps) {
    const ours: number[] = []
    const theirsMs: number[] = []
    const total: number[] = []
    for (let i = 0; i < RUNS; i++) {
      const run = await runBundle(
        sim,
        join(root, 'dist', entry, 'index.js'),
        {...connection, ...inputs},
        {state}
      )
      if (run.code !== 0) throw new Error(`${entry} exited ${run.code}`)
      if (run.firstRequestMs === undefined)
        throw new Error(`${entry} sent no request`)
      ours.push(run.firstRequestMs)
      total.push(run.ms)
      const theirs = await runBundle(sim, vendor, vendorInputs, {
        stopAtFirstRequest: true
      })
      if (theirs.firstRequestMs === undefined)
        throw new Error(
          `the vendor's bundle sent no request (exit ${theirs.code})`
        )
      theirsMs.push(theirs.firstRequestMs)
    }
    const ratio = median(ours) / median(theirsMs)
    row(
      `${entry}: start → first request, ours / vendor's (median of ${RUNS} pairs)`,
      '≤ 0.75 ×',
      `${ratio.toFixed(2)} × (${median(ours)} / ${median(theirsMs)} ms; whole step ${median(total)} ms)`,
      ratio <= 0.75
    )
  }
  // The floor: node sending one request with nothing else loaded.
  const floor: number[] = []
  for (let i = 0; i < RUNS; i++) {
    const run = await runBundle(
      sim,
      [
        '-e',
        "require('node:http').get(process.argv[1], () => process.exit())",
        sim.url
      ],
      {}
    )
    if (run.firstRequestMs !== undefined) floor.push(run.firstRequestMs)
  }
  row(
    'floor: node sending one request and nothing else (median)',
    'reported',
    `${median(floor)} ms`,
    undefined
  )
  client.dispose()
  await sim.stop()
  const bundle = statSync(join(root, 'dist/index.js')).size
  const all = readdirSync(join(root, 'dist'), {recursive: true})
    .map(f => join(root, 'dist', String(f)))
    .filter(f => statSync(f).isFile())
    .reduce((sum, f) => sum + statSync(f).size, 0)
  row(
    'size: dist/index.js (what every step loads) / all of dist/',
    '≤ 1 MB / reported',
    `${(bundle / 1024).toFixed(0)} KiB / ${(all / 1024).toFixed(0)} KiB`,
    bundle <= 1024 * 1024
  )
}

// ── 4. The simulator itself ────────────────────────────────────────────────────────────
async function simulatorThroughput(): Promise<void> {
  const TOTAL = 4000
  const CONCURRENCY = 32
  log(`4. simulator: ${TOTAL} GETs, ${CONCURRENCY} at a time`)
  const sim = await startSimulator({port: 0})
  const client = new ServiceNowClient({baseUrl: sim.url, auth})
  const change = await client.changes.createEmergency({
    short_description: 'throughput'
  })
  let next = 0
  const started = Date.now()
  await Promise.all(
    Array.from({length: CONCURRENCY}, async () => {
      while (next++ < TOTAL) await pollChange(client, change.sysId)
    })
  )
  const rps = Math.round(TOTAL / ((Date.now() - started) / 1000))
  client.dispose()
  await sim.stop()
  row(
    'simulator throughput (client and server in one process)',
    '≫ the 100/min the scale test allows',
    `${rps} requests/s`,
    rps > 100
  )
}

// `npm run bench -- cold-start` runs that part alone (and so on); no name runs all four.
const parts = {
  latency: detectionLatency,
  scale,
  'cold-start': coldStart,
  simulator: simulatorThroughput
}
const chosen = process.argv.slice(2)
for (const [name, part] of Object.entries(parts))
  if (chosen.length === 0 || chosen.includes(name)) await part()

const width = Math.max(...rows.map(r => r.what.length))
const gw = Math.max(...rows.map(r => r.goal.length))
process.stdout.write(
  `\nservicenow-change benchmarks — ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}\n\n`
)
process.stdout.write(
  `${'what'.padEnd(width)}  ${'goal'.padEnd(gw)}  verdict  measured\n`
)
for (const r of rows) {
  const verdict = r.ok === undefined ? '—' : r.ok ? 'met' : 'MISSED'
  process.stdout.write(
    `${r.what.padEnd(width)}  ${r.goal.padEnd(gw)}  ${verdict.padEnd(7)}  ${r.measured}\n`
  )
}
mkdirSync(join(root, '.tmp'), {recursive: true})
writeFileSync(
  join(root, '.tmp/bench.json'),
  `${JSON.stringify({node: process.version, cpus: cpus().length, rows}, null, 2)}\n`
)
process.exit(0)
