import {describe, expect, it} from '@jest/globals'
import {closeFromResult} from '../src/change/close-change.js'
import {TransitionError} from '../src/change/move.js'
import type {StateLabel} from '../src/servicenow/change-model.js'
import {OWN_MARK} from '../src/servicenow/change-task.js'
import type {JobResult} from '../src/settings/close.js'
import {
  changeIn,
  patches,
  recordingDeps,
  RUN,
  simulatorForSuite,
  workNotes
} from './helpers/changes.js'

/** closeFromResult in-process against the simulator over HTTP: what each job result does to the change, its tasks and incidents. */
const suite = simulatorForSuite()

const NOTES =
  'Deployment job result: {r}. Deploy run #17 (attempt 1) by mona: https://github.com/octo-org/payments/actions/runs/4242'

/** A change task on the change, as this action makes them (ours) or anyone else does. */
function addTask(
  changeSysId: string,
  correlationId: string,
  ours: boolean
): string {
  const user = suite.sim.instance.store
    .rows('sys_user')
    .find(u => u.user_name === 'devops.integration')!
  const body = {
    change_request: changeSysId,
    short_description: 'smoke test',
    ...(ours
      ? {correlation_display: OWN_MARK, correlation_id: correlationId}
      : {})
  }
  return suite.sim.instance.insert('change_task', body, user, {
    inputDisplayValue: false
  }).row.sys_id!
}

interface Row {
  from: StateLabel
  result: JobResult
  incident?: boolean
  task?: 'ours' | 'theirs'
  /** The action and close code, or the error it fails with. */
  ends:
    | {
        action: 'closed' | 'canceled' | 'none'
        state: StateLabel
        closeCode: string
      }
    | RegExp
  /** PATCH requests to the change and its tasks. */
  writes: number
  /** Work notes on the change afterwards, {r} for the result. */
  notes: string[]
  incidents: number
}

let next = 0
describe('closeFromResult: the change closed from what really happened', () => {
  it.each<[string, Row]>([
    [
      'success in Implement: closed successful through Review',
      {
        from: 'implement',
        result: 'success',
        ends: {action: 'closed', state: 'closed', closeCode: 'successful'},
        writes: 2,
        notes: [],
        incidents: 0
      }
    ],
    [
      'failure with open_incident_on_failure: an incident caused by the change, named in the closing note',
      {
        from: 'implement',
        result: 'failure',
        incident: true,
        ends: {action: 'closed', state: 'closed', closeCode: 'unsuccessful'},
        writes: 2,
        notes: ['Incident {i} opened for this failed deployment.'],
        incidents: 1
      }
    ],
    [
      'cancelled before Implement: canceled with a note naming the run',
      {
        from: 'scheduled',
        result: 'cancelled',
        ends: {action: 'canceled', state: 'canceled', closeCode: ''},
        writes: 1,
        notes: [`Deployment cancelled before implementation began. ${NOTES}`],
        incidents: 0
      }
    ],
    [
      'success in Review: one write to Closed',
      {
        from: 'review',
        result: 'success',
        ends: {action: 'closed', state: 'closed', closeCode: 'successful'},
        writes: 1,
        notes: [],
        incidents: 0
      }
    ],
    [
      'already closed by someone: nothing written',
      {
        from: 'closed',
        result: 'failure',
        ends: {action: 'none', state: 'closed', closeCode: ''},
        writes: 0,
        notes: [],
        incidents: 0
      }
    ],
    [
      "the action's own active task is closed with the change's code",
      {
        from: 'implement',
        result: 'success',
        task: 'ours',
        ends: {action: 'closed', state: 'closed', closeCode: 'successful'},
        writes: 3,
        notes: [],
        incidents: 0
      }
    ],
    [
      "someone else's active task stops the close before any write",
      {
        from: 'implement',
        result: 'success',
        task: 'theirs',
        ends: /has active change tasks this action did not create: CTASK\d+/,
        writes: 0,
        notes: [],
        incidents: 0
      }
    ]
  ])('%s', async (_, row) => {
    const correlationId = `close-test/${++next}`
    const start = await changeIn(suite.sim, suite.client, row.from)
    suite.sim.instance.store.update(
      'change_request',
      suite.sim.instance.store.get('change_request', start.sysId)!,
      {correlation_id: correlationId},
      'system'
    )
    const record = {...start, correlationId}
    const task =
      row.task === undefined
        ? undefined
        : addTask(start.sysId, correlationId, row.task === 'ours')
    const closing = closeFromResult(recordingDeps(suite), record, {
      result: row.result,
      options: {
        closeCode: undefined,
        closeNotes: '',
        openIncidentOnFailure: row.incident === true
      },
      run: RUN
    })
    const incidents = (): Array<Record<string, string | undefined>> =>
      suite.sim.instance.store
        .rows('incident')
        .filter(i => i.caused_by === start.sysId)
    if (row.ends instanceof RegExp) {
      await expect(closing).rejects.toThrow(TransitionError)
      await expect(closing).rejects.toThrow(row.ends)
    } else {
      const outcome = await closing
      expect([
        outcome.action,
        outcome.record.stateLabel,
        outcome.record.closeCode
      ]).toEqual([row.ends.action, row.ends.state, row.ends.closeCode])
      expect(outcome.incident?.number).toBe(incidents()[0]?.number)
    }
    expect(patches(suite.sim, start.sysId)).toBe(row.writes)
    const incident = incidents()[0]?.number ?? ''
    expect(workNotes(suite.sim, start.sysId)).toEqual(
      row.notes.map(n =>
        n.replaceAll('{r}', row.result).replaceAll('{i}', incident)
      )
    )
    expect(incidents()).toHaveLength(row.incidents)
    if (task !== undefined)
      expect(suite.sim.instance.store.get('change_task', task)?.state).toBe(
        row.task === 'ours' ? '3' : '1'
      )
  })
})
