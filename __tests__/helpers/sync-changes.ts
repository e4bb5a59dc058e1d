import type {Simulator} from '../../src/simulator/server.js'
import type {E2eEnvironment} from './e2e.js'
import {ok} from './e2e.js'
import {admin} from './sim.js'

/** What create does in a run's first job: a change for that run and environment, through the bundle. */
export async function changeForRun(
  runStep: E2eEnvironment['runStep'],
  connection: Record<string, string>,
  runId: number,
  environment = 'production',
  env: Record<string, string> = {}
): Promise<{number: string; sysId: string}> {
  const run = await runStep(
    'create',
    {
      ...connection,
      type: 'normal',
      assignment_group: 'DevOps Team',
      environment
    },
    {env: {GITHUB_RUN_ID: String(runId), ...env}}
  )
  ok(run)
  return {number: run.outputs.change_number!, sysId: run.outputs.change_sys_id!}
}

/** Approved as a normal change is: the assessment, then the CAB. */
export async function approveChange(
  sim: Simulator,
  number: string
): Promise<void> {
  await admin(sim, 'POST', `/changes/${number}/approve`, {})
  await admin(sim, 'POST', `/changes/${number}/approve`, {})
}
