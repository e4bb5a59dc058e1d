import {afterAll, beforeAll} from '@jest/globals'
import type {ChangeDeps} from '../../src/change/deps.js'
import {readChange} from '../../src/change/lookup.js'
import {Timeline} from '../../src/change/timeline.js'
import type {RunContext} from '../../src/github-context.js'
import type {StateLabel} from '../../src/servicenow/change-model.js'
import type {ChangeRecord} from '../../src/servicenow/change-record.js'
import type {ServiceNowClient} from '../../src/servicenow/client.js'
import {S} from '../../src/simulator/change-lifecycle.js'
import type {Simulator, SimulatorOptions} from '../../src/simulator/server.js'
import type {FakeClock} from './clock.js'
import {clientFor, withSimulator} from './sim.js'

/**
 * A normal change created over HTTP, then placed straight in `state` on the simulator's store (approved
 * past Assess), as a person or the change model would have left it. In Assess its approvals are
 * requested, so an approver can decide.
 */
export async function changeIn(
  sim: Simulator,
  client: ServiceNowClient,
  state: StateLabel,
  type: 'normal' | 'standard' = 'normal'
): Promise<ChangeRecord> {
  // Assess needs an assignment group (the base system's data policy).
  const group = sim.instance.store
    .rows('sys_user_group')
    .find(g => g.name === 'DevOps Team')!.sys_id!
  const made = await client.changes.createNormal({
    short_description: `test change from ${state}`,
    assignment_group: group
  })
  const row = sim.instance.store.get('change_request', made.sysId)!
  sim.instance.store.update(
    'change_request',
    row,
    {
      type,
      // The store holds the simulator's own state values: the change is placed as it would hold it.
      state: S[state],
      approval:
        state === 'new' || state === 'assess' ? 'not requested' : 'approved'
    },
    'system'
  )
  if (state === 'assess') sim.instance.requestApprovals(row)
  return readChange(client, made.sysId)
}

/** PATCH requests the simulator saw for this change. */
export function patches(sim: Simulator, sysId: string): number {
  return sim.requests({method: 'PATCH', path: sysId}).length
}

/** The change's work notes, oldest first. */
export function workNotes(sim: Simulator, sysId: string): string[] {
  return sim.instance.store.journal(sysId, 'work_notes').map(j => j.value)
}

/** A simulator and a client on it (instant backoff, FakeClock) for one suite: started before its tests, stopped after. */
export interface SuiteSimulator {
  sim: Simulator
  client: ServiceNowClient
  clock: FakeClock
}

export function simulatorForSuite(
  options: SimulatorOptions = {}
): SuiteSimulator {
  const suite = {} as SuiteSimulator
  beforeAll(async () => {
    suite.sim = await withSimulator(options)
    Object.assign(suite, clientFor(suite.sim))
  })
  afterAll(async () => {
    suite.client.dispose()
    await suite.sim.stop()
  })
  return suite
}

/** The change layer's deps on the suite's client, keeping what was said: info lines as they are, warnings as 'warn: …'. */
export function recordingDeps(
  suite: SuiteSimulator
): ChangeDeps & {lines: string[]; timeline: Timeline} {
  const lines: string[] = []
  return {
    client: suite.client,
    info: line => void lines.push(line),
    warn: line => void lines.push(`warn: ${line}`),
    timeline: new Timeline(suite.clock),
    random: () => 0.5,
    lines
  }
}

/** The workflow run the change-layer tests deploy from. */
export const RUN: RunContext = {
  repository: 'octo-org/payments',
  sha: '1a2b3c4d',
  ref: 'refs/heads/main',
  actor: 'mona',
  workflow: 'Deploy',
  job: 'deploy',
  runId: 4242,
  runNumber: 17,
  runAttempt: 1,
  serverUrl: 'https://github.com',
  runUrl: 'https://github.com/octo-org/payments/actions/runs/4242',
  commitUrl: 'https://github.com/octo-org/payments/commit/1a2b3c4d'
}
