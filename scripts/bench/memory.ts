/**
 * Memory: the peak RSS of each entrypoint's process doing its job (wait and gate while they wait
 * for an approval), and the gate's memory through a 6-hour wait, compressed: sampled over the
 * whole wait, the last hour against the first. The steps run from dist/ as a runner runs them,
 * with step-probe.mjs loaded beside them to read their memory (and, for the long wait, to run
 * their clock faster, as the simulator's).
 */
import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {ServiceNowClient} from '../../src/servicenow/client.js'
import {SEED_USERS} from '../../src/simulator/seed.js'
import {startSimulator, type Simulator} from '../../src/simulator/server.js'
import {compressedClock} from './compressed-clock.js'
import {runBundle} from './run-bundle.js'
import {auth, log, median, root, row} from './table.js'

const HOUR = 3_600_000
const MiB = 2 ** 20
const probe = join(root, 'scripts', 'bench', 'step-probe.mjs')

interface Sample {
  at: number
  rss?: number
  maxRss?: number
}

let probes = 0
/** Runs one step with the probe; its samples and its peak RSS. */
async function probed(
  sim: Simulator,
  entry: string,
  inputs: Record<string, string>,
  options: {
    state?: Record<string, string>
    env?: Record<string, string>
    nodeFlags?: string[]
  } = {}
): Promise<{samples: Sample[]; maxRss: number}> {
  const file = join(
    mkdtempSync(join(tmpdir(), 'bench-memory-')),
    `${probes++}.jsonl`
  )
  const user = SEED_USERS.integration
  const run = await runBundle(
    sim,
    join(root, 'dist', entry, 'index.js'),
    {
      instance_url: sim.url,
      username: user.user_name,
      password: user.password,
      ...inputs
    },
    {
      ...(options.state === undefined ? {} : {state: options.state}),
      nodeArgs: [...(options.nodeFlags ?? []), '--import', probe],
      env: {BENCH_PROBE_FILE: file, ...options.env}
    }
  )
  if (run.code !== 0) throw new Error(`${entry} exited ${run.code}`)
  const samples = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map(line => JSON.parse(line) as Sample)
  const maxRss = samples.find(s => s.maxRss !== undefined)?.maxRss
  if (maxRss === undefined) throw new Error(`${entry}: no peak RSS written`)
  return {samples, maxRss}
}

const mib = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`

/** Each entrypoint once; wait and gate wait ~12 s for an approval, polling every 5 s. */
async function peakPerStep(): Promise<void> {
  const sim = await startSimulator({
    port: 0,
    approval: {mode: 'auto', afterMs: 12_000}
  })
  const client = new ServiceNowClient({baseUrl: sim.url, auth})
  const emergency = await client.changes.createEmergency({
    short_description: 'bench memory',
    correlation_id: 'bench/memory'
  })
  // Authorize: approval is requested, and given 12 s later.
  await client.changes.patch(emergency.sysId, {state: '-3'})
  client.dispose()
  const gateCorrelation = 'bench/memory-gate'
  const steps: [string, Record<string, string>, Record<string, string>?][] = [
    [
      'create',
      {
        template: 'Deploy web application',
        correlation_id: 'bench/memory-create'
      }
    ],
    ['wait', {change_sys_id: emergency.sysId, poll_interval_seconds: '5'}],
    ['update', {change_sys_id: emergency.sysId, work_notes: 'bench'}],
    ['close', {change_sys_id: emergency.sysId, result: 'success'}],
    [
      'gate',
      {
        type: 'emergency',
        short_description: 'bench memory gate',
        correlation_id: gateCorrelation,
        poll_interval_seconds: '5'
      }
    ],
    ['gate-post', {}, {}],
    ['report', {period_days: '7'}]
  ]
  const peaks: string[] = []
  for (const [entry, inputs, state] of steps) {
    let stepState = state
    if (entry === 'gate-post') {
      const gate = sim.instance.store
        .rows('change_request')
        .find(r => r.correlation_id === gateCorrelation)
      if (gate === undefined) throw new Error('the gate made no change')
      stepState = {change_sys_id: gate.sys_id ?? ''}
    }
    const started = Date.now()
    const {maxRss} = await probed(sim, entry, inputs, {
      ...(stepState === undefined ? {} : {state: stepState})
    })
    peaks.push(
      `${entry} ${mib(maxRss)} (${((Date.now() - started) / 1000).toFixed(0)} s)`
    )
  }
  await sim.stop()
  row(
    'peak RSS of each step (wait and gate: waiting ~12 s)',
    'reported',
    peaks.join(', '),
    undefined
  )
}

/**
 * The gate through six hours of waiting, compressed 240 × (90 s), approved at the sixth hour;
 * node's own flags added. Its RSS by the hour (the median of its samples in each) and its peak.
 */
async function sixHourWait(
  nodeFlags: string[]
): Promise<{rssByHour: number[]; peak: number; polls: number}> {
  const SCALE = 240
  const HOURS = 6
  const start = Date.now()
  const clock = compressedClock(SCALE, start)
  const sim = await startSimulator({
    port: 0,
    now: clock.now,
    approval: {mode: 'manual', afterMs: 0}
  })
  const correlation = 'bench/memory-6h'
  const approve = setTimeout(
    () => {
      const change = sim.instance.store
        .rows('change_request')
        .find(r => r.correlation_id === correlation)
      const pending =
        change === undefined
          ? undefined
          : sim.instance.pendingApprovals(change)[0]
      if (pending !== undefined)
        sim.instance.decide(pending, 'approved', 'bench')
    },
    (HOURS * HOUR) / SCALE
  )
  const {samples, maxRss} = await probed(
    sim,
    'gate',
    {
      type: 'emergency',
      short_description: 'bench six-hour wait',
      correlation_id: correlation,
      timeout_minutes: String(HOURS * 60 + 60),
      // 300 s is 1.25 s of wall time at this compression: room for a slow answer on a busy machine.
      request_timeout_seconds: '300'
    },
    {
      nodeFlags,
      env: {
        BENCH_TIME_SCALE: String(SCALE),
        BENCH_TIME_START: String(start),
        BENCH_PROBE_EVERY_MS: '250'
      }
    }
  )
  clearTimeout(approve)
  const polls = sim.requests({
    method: 'GET',
    path: '/api/now/table/change_request/'
  }).length
  await sim.stop()
  const rssByHour = Array.from({length: HOURS}, (_, h) =>
    median(
      samples
        .filter(
          s =>
            s.rss !== undefined &&
            s.at >= start + h * HOUR &&
            s.at < start + (h + 1) * HOUR
        )
        .map(s => s.rss!)
    )
  )
  return {rssByHour, peak: maxRss, polls}
}

/**
 * Six hours of polling: what grows in the first hours is V8's compiled code for the hot path
 * (the same wait with the optimising tiers off stays flat), and it stops growing.
 */
async function longWait(): Promise<void> {
  const wait = await sixHourWait([])
  const byHour = wait.rssByHour.map(b => (b / MiB).toFixed(1)).join(' ')
  const lastHour = wait.rssByHour[5]! - wait.rssByHour[4]!
  row(
    `gate, 6-hour wait (${wait.polls} polls): RSS by hour, MiB; peak`,
    'reported',
    `${byHour}; peak ${mib(wait.peak)}`,
    undefined
  )
  row(
    'gate, 6-hour wait: RSS growth in the sixth hour',
    '≤ +1 MiB',
    `${lastHour >= 0 ? '+' : ''}${mib(lastHour)}`,
    lastHour <= MiB
  )
  const flat = await sixHourWait(['--no-opt', '--no-maglev', '--no-sparkplug'])
  const growth = flat.rssByHour[5]! - flat.rssByHour[0]!
  row(
    "the same wait with V8's optimising tiers off: RSS, hour 1 → hour 6",
    '≤ +1 MiB',
    `${mib(flat.rssByHour[0]!)} → ${mib(flat.rssByHour[5]!)} (${growth >= 0 ? '+' : ''}${mib(growth)})`,
    growth <= MiB
  )
}

export async function memory(): Promise<void> {
  log(
    '5. memory: peak RSS of each step, and of the gate over a 6-hour wait (240 × faster)'
  )
  await peakPerStep()
  await longWait()
}
