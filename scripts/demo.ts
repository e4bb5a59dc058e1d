/**
 * npm run demo [-- --auto-approve] [--port N]: the action against a local ServiceNow
 * simulator, no instance needed.
 *
 * Starts the simulator, then runs the bundled steps exactly as a runner would (INPUT_*
 * variables, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files), each step's outputs feeding the
 * next: create → wait → update (Implement) → close (success). While the wait step polls, a
 * person approves (or rejects) the change on the simulator's approval page; with
 * --auto-approve the simulator grants it a few seconds after it is requested. Prints each
 * step's log, its job summary as text, and the final change request as the simulator holds it.
 */
import {parseArgs} from 'node:util'
import {runStep, summaryText, type StepRun} from './local-runner.js'
import {SEED_USERS} from '../src/simulator/seed.js'
import {startSimulator} from '../src/simulator/server.js'

const APPROVE_AFTER_MS = 2000
const out = (line = ''): void => void process.stdout.write(`${line}\n`)

const {values: args} = parseArgs({
  options: {
    'auto-approve': {type: 'boolean', default: false},
    port: {type: 'string', default: '0'}
  }
})
const autoApprove = args['auto-approve']
const sim = await startSimulator({
  port: Number(args.port),
  approval: {mode: autoApprove ? 'auto' : 'manual', afterMs: APPROVE_AFTER_MS}
})
const user = SEED_USERS.integration
const connection = {
  instance_url: sim.url,
  username: user.user_name,
  password: user.password
}
const approvalPage = `${sim.url}/__sim/approvals`
out(`ServiceNow simulator on ${sim.url}: user ${user.user_name}.`)
out(
  autoApprove
    ? `Each approval is granted ${APPROVE_AFTER_MS / 1000} s after it is requested.`
    : `Approvals are decided by you on ${approvalPage} (run with --auto-approve to skip that).`
)

async function step(
  title: string,
  entry: string,
  inputs: Record<string, string>
): Promise<StepRun> {
  out(`\n━━ ${title} (dist/${entry}/index.js) ━━`)
  for (const [name, value] of Object.entries(inputs))
    if (!(name in connection)) out(`  with ${name}: ${value}`)
  const started = Date.now()
  const run = await runStep(entry, {...connection, ...inputs})
  out(
    run.stdout
      .split('\n')
      .filter(
        l =>
          l !== '' &&
          !l.startsWith('::debug::') &&
          !l.startsWith('::add-mask::')
      )
      .map(l => `  │ ${l}`)
      .join('\n')
  )
  out(
    `  exit code ${run.code} after ${((Date.now() - started) / 1000).toFixed(1)} s`
  )
  out(`  outputs: ${JSON.stringify(run.outputs)}`)
  if (run.summary !== '')
    out(`  job summary:\n${summaryText(run.summary).replace(/^/gm, '    ')}`)
  if (run.code !== 0) {
    await sim.stop()
    process.exit(1)
  }
  return run
}

const create = await step('create', 'create', {
  environment: 'production',
  assignment_group: 'DevOps Team',
  cmdb_ci: 'Payments API'
})
const id = create.outputs.change_sys_id ?? ''
if (!autoApprove) {
  out(
    `\n  ▶ Approve ${create.outputs.change_number} at ${approvalPage}?change=${create.outputs.change_number}`
  )
  out('    (or reject it with a comment, and see the wait step fail with it)')
}
await step('wait', 'wait', {
  change_sys_id: id,
  poll_interval_seconds: '5',
  timeout_minutes: autoApprove ? '5' : '30'
})
await step('update', 'update', {
  change_sys_id: id,
  state: 'implement',
  work_notes: 'Rolling out payments v1.2.3'
})
await step('close', 'close', {change_sys_id: id, result: 'success'})

out('\n━━ the change request as ServiceNow holds it ━━')
out(
  JSON.stringify(
    await fetch(
      `${sim.url}/__sim/changes/${create.outputs.change_number}`
    ).then(r => r.json()),
    null,
    2
  )
)
out(`\n${sim.requests().length} API requests served.`)
await sim.stop()
