/**
 * npm run report: the DORA report (dist/report) against a simulator seeded with a year of
 * deployments and incidents, printed as a person reads it. To report on a real instance, run the
 * report action in a workflow (report/action.yml).
 */
import {runStep, summaryText} from './local-runner.js'
import {SEED_USERS} from '../src/simulator/seed.js'
import {startSimulator} from '../src/simulator/server.js'

const sim = await startSimulator({port: 0, historyWeeks: 52})
const user = SEED_USERS.integration
const run = await runStep('report', {
  instance_url: sim.url,
  username: user.user_name,
  password: user.password,
  period_days: '182'
})
await sim.stop()
process.stdout.write(`${summaryText(run.summary)}\n`)
process.exit(run.code ?? 1)
