/**
 * npm run demo: the action against a local ServiceNow simulator, no instance needed.
 *
 * 1. Starts the simulator (approvals decided by policy a few seconds after being requested).
 * 2. Runs the bundled action (dist/gate) exactly as a runner would, with INPUT_* variables.
 * 3. Drives one normal change through its whole life with the client library, as the
 *    create/wait/close entrypoints will: create, request approval, wait for the two
 *    approvals, implement, review, close.
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { ChangeApi } from '../src/servicenow/change-api.js'
import { ServiceNowClient } from '../src/servicenow/client.js'
import type { StateLabel } from '../src/servicenow/change-model.js'
import { query } from '../src/servicenow/query.js'
import { SEED_USERS } from '../src/simulator/seed.js'
import { startSimulator } from '../src/simulator/server.js'

const APPROVE_AFTER_MS = 2000
const root = join(import.meta.dirname, '..')
const say = (line: string): void => void process.stdout.write(`${line}\n`)

const sim = await startSimulator({ port: 0, approval: { mode: 'auto', afterMs: APPROVE_AFTER_MS } })
const user = SEED_USERS.integration
say(`ServiceNow simulator on ${sim.url} (user ${user.user_name}; approvals granted ${APPROVE_AFTER_MS / 1000} s after being requested)\n`)

say('── the action (dist/gate/index.js), run as a runner runs it ──')
// Asynchronously: the simulator lives in this process and must keep answering while the step runs.
const step = spawn(process.execPath, [join(root, 'dist/gate/index.js')], {
  env: { PATH: process.env.PATH ?? '', INPUT_INSTANCE_URL: sim.url, INPUT_USERNAME: user.user_name, INPUT_PASSWORD: user.password },
  stdio: ['ignore', 'inherit', 'inherit']
})
const exitCode = await new Promise<number | null>((resolve) => step.on('close', resolve))
say(`exit code ${exitCode}\n`)

say('── a change request through its life ──')
const client = new ServiceNowClient({ baseUrl: sim.url, auth: { method: 'basic', username: user.user_name, password: user.password } })
const group = (await client.table.list('sys_user_group', { query: query().eq('name', 'DevOps Team'), fields: ['sys_id'] })).records[0]?.sys_id
const change = await client.changes.createNormal({
  short_description: 'Deploy octo-org/payments@1a2b3c4 to production',
  assignment_group: group,
  correlation_id: 'octo-org/payments/demo-run/deploy'
})
say(`created ${change.number} (${change.url}): state ${change.stateLabel}, approval ${change.approval}`)
let current = await client.changes.patch(change.sysId, { state: ChangeApi.stateValue('assess') })
say(`requested approval: state ${current.stateLabel}, approval ${current.approval}`)

const started = Date.now()
while (current.stateLabel !== 'scheduled') {
  await new Promise((resolve) => setTimeout(resolve, 500))
  const next = await client.changes.get(change.sysId)
  if (next.stateLabel !== current.stateLabel) say(`  after ${((Date.now() - started) / 1000).toFixed(1)} s: state ${next.stateLabel}, approval ${next.approval}`)
  current = next
  if (current.approval === 'rejected') throw new Error('rejected')
}
for (const approver of await client.approvers(change.sysId)) say(`  ${approver.name}: ${approver.state}${approver.comments ? ` ("${approver.comments}")` : ''}`)

for (const state of ['implement', 'review'] as StateLabel[]) {
  current = await client.changes.patch(change.sysId, { state: ChangeApi.stateValue(state), work_notes: `Pipeline moved the change to ${state}.` })
  say(`moved to ${current.stateLabel}`)
}
current = await client.changes.patch(change.sysId, { state: ChangeApi.stateValue('closed'), close_code: 'successful', close_notes: 'Deployed by the demo pipeline.' })
say(`closed: state ${current.stateLabel}, close code ${current.closeCode}\n`)

say('── the record as ServiceNow holds it ──')
const record = await fetch(`${sim.url}/__sim/changes/${change.number}`).then((r) => r.json())
say(JSON.stringify(record, null, 2))
say(`\n${sim.requests().length} API requests served.`)
client.dispose()
await sim.stop()
