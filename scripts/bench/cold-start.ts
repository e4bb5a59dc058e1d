/**
 * Cold start of each entrypoint beside the vendor's action: paired runs (ours, theirs, ours, …)
 * against one simulator, start → first request, as the ratio of the medians.
 */
import {readdirSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {ServiceNowClient} from '../../src/servicenow/client.js'
import {SEED_USERS} from '../../src/simulator/seed.js'
import {startSimulator} from '../../src/simulator/server.js'
import {runBundle, vendorBundle} from './run-bundle.js'
import {auth, log, median, root, row} from './table.js'

const user = SEED_USERS.integration

export async function coldStart(): Promise<void> {
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
