/**
 * npm run demo: the action against a local ServiceNow simulator, no instance needed.
 *
 * Starts the simulator (approvals granted a few seconds after being requested), then runs
 * the bundled steps exactly as a runner would (INPUT_* variables, GITHUB_OUTPUT and
 * GITHUB_STEP_SUMMARY files), each step's outputs feeding the next:
 * create → wait → update (Implement) → close (success). Prints each step's log, its job
 * summary as text, and the final change request as the simulator holds it.
 */
import { runStep, summaryText, type StepRun } from '../src/local-runner.js'
import { SEED_USERS } from '../src/simulator/seed.js'
import { startSimulator } from '../src/simulator/server.js'

const APPROVE_AFTER_MS = 2000
const out = (line = ''): void => void process.stdout.write(`${line}\n`)

const sim = await startSimulator({ port: 0, approval: { mode: 'auto', afterMs: APPROVE_AFTER_MS } })
const user = SEED_USERS.integration
const connection = { instance_url: sim.url, username: user.user_name, password: user.password }
out(`ServiceNow simulator on ${sim.url}: user ${user.user_name}; each approval is granted ${APPROVE_AFTER_MS / 1000} s after it is requested.`)

async function step(title: string, entry: string, inputs: Record<string, string>): Promise<StepRun> {
  out(`\n━━ ${title} (dist/${entry}/index.js) ━━`)
  for (const [name, value] of Object.entries(inputs)) if (!(name in connection)) out(`  with ${name}: ${value}`)
  const started = Date.now()
  const run = await runStep(entry, { ...connection, ...inputs })
  out(
    run.stdout
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('::debug::') && !l.startsWith('::add-mask::'))
      .map((l) => `  │ ${l}`)
      .join('\n')
  )
  out(`  exit code ${run.code} after ${((Date.now() - started) / 1000).toFixed(1)} s`)
  out(`  outputs: ${JSON.stringify(run.outputs)}`)
  if (run.summary !== '') out(`  job summary:\n${summaryText(run.summary).replace(/^/gm, '    ')}`)
  if (run.code !== 0) {
    await sim.stop()
    process.exit(1)
  }
  return run
}

const create = await step('create', 'create', { environment: 'production', assignment_group: 'DevOps Team', cmdb_ci: 'Payments API' })
const id = create.outputs.change_sys_id ?? ''
await step('wait', 'wait', { change_sys_id: id, poll_interval_seconds: '5', timeout_minutes: '5' })
await step('update', 'update', { change_sys_id: id, state: 'implement', work_notes: 'Rolling out payments v1.2.3' })
await step('close', 'close', { change_sys_id: id, result: 'success' })

out('\n━━ the change request as ServiceNow holds it ━━')
out(JSON.stringify(await fetch(`${sim.url}/__sim/changes/${create.outputs.change_number}`).then((r) => r.json()), null, 2))
out(`\n${sim.requests().length} API requests served.`)
await sim.stop()
