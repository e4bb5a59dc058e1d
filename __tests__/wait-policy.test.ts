import {describe, expect, it} from '@jest/globals'
import {readChange} from '../src/change/lookup.js'
import type {WaitOutcome} from '../src/change/wait-loop.js'
import {concludeWait, waitForApproval} from '../src/change/wait-policy.js'
import type {StateLabel} from '../src/servicenow/change-model.js'
import type {WaitOptions} from '../src/settings/wait.js'
import {
  changeIn,
  patches,
  recordingDeps,
  simulatorForSuite,
  workNotes
} from './helpers/changes.js'

/** The wait policy in-process against the simulator over HTTP: what each way a wait ends does to the change and says. */
const suite = simulatorForSuite()

const OPTIONS: WaitOptions = {
  timeoutMs: 60 * 60_000,
  pollIntervalMs: 30_000,
  proceedWhen: 'approved',
  honorChangeWindow: true,
  onTimeout: 'fail',
  cancelOnAbort: true,
  onConflict: 'ignore'
}

const deps = (): ReturnType<typeof recordingDeps> => recordingDeps(suite)

const ended = (
  decision: WaitOutcome['decision'],
  reason: string
): WaitOutcome => ({
  decision,
  reason,
  record: undefined,
  waitedMs: 120_000,
  polls: 4
})
const TIMEOUT = 'no decision within 60 min (waiting for approval)'
const PIPELINE_CANCELED =
  'Canceled by the pipeline: the GitHub workflow run was cancelled while waiting for approval.'

interface Row {
  from: StateLabel
  outcome: WaitOutcome
  options?: Partial<WaitOptions>
  /** Rejects the change's pending approval before the policy runs, with this comment. */
  rejectedWith?: string
  ok: boolean
  decision: string
  /** The message, with {n} for the change's number. */
  message: string
  state: StateLabel
  writes: number
  notes: string[]
}

describe('concludeWait: what the wait policy does with each ending', () => {
  it.each<[string, Row]>([
    [
      'approved: the deployment may go on, nothing written',
      {
        from: 'scheduled',
        outcome: ended('approved', ''),
        ok: true,
        decision: 'approved',
        message: '',
        state: 'scheduled',
        writes: 0,
        notes: []
      }
    ],
    [
      'timed out with on_timeout fail: fails, the change is left as it is',
      {
        from: 'assess',
        outcome: ended('timeout', TIMEOUT),
        ok: false,
        decision: 'timeout',
        message: TIMEOUT,
        state: 'assess',
        writes: 0,
        notes: []
      }
    ],
    [
      'timed out with on_timeout cancel: the change is canceled with a note saying why',
      {
        from: 'assess',
        outcome: ended('timeout', TIMEOUT),
        options: {onTimeout: 'cancel'},
        ok: false,
        decision: 'timeout',
        message: `${TIMEOUT} {n} was canceled.`,
        state: 'canceled',
        writes: 1,
        notes: [`Canceled by the pipeline: ${TIMEOUT}.`]
      }
    ],
    [
      'run cancelled with cancel_on_abort: the change is canceled, the decision reads canceled',
      {
        from: 'assess',
        outcome: ended(
          'aborted',
          'the workflow run was cancelled while waiting'
        ),
        ok: false,
        decision: 'canceled',
        message:
          'the workflow run was cancelled while waiting. {n} was canceled.',
        state: 'canceled',
        writes: 1,
        notes: [PIPELINE_CANCELED]
      }
    ],
    [
      'run cancelled without cancel_on_abort: the change is left as it is',
      {
        from: 'assess',
        outcome: ended(
          'aborted',
          'the workflow run was cancelled while waiting'
        ),
        options: {cancelOnAbort: false},
        ok: false,
        decision: 'canceled',
        message: 'the workflow run was cancelled while waiting.',
        state: 'assess',
        writes: 0,
        notes: []
      }
    ],
    [
      'a cancel the instance refuses is said in the message; the wait still ends',
      {
        from: 'review',
        outcome: ended('timeout', TIMEOUT),
        options: {onTimeout: 'cancel'},
        ok: false,
        decision: 'timeout',
        message: `${TIMEOUT} Canceling {n} failed: {n} is review and cannot be canceled from there.`,
        state: 'review',
        writes: 0,
        notes: []
      }
    ],
    [
      'rejected: the message names who rejected it and what they said',
      {
        from: 'assess',
        outcome: ended('rejected', '{n} was rejected'),
        rejectedWith: 'not this week',
        ok: false,
        decision: 'rejected',
        message: '{n} was rejected by Alice Approver: "not this week".',
        state: 'new',
        writes: 0,
        notes: []
      }
    ]
  ])('%s', async (_, row) => {
    const start = await changeIn(suite.sim, suite.client, row.from)
    if (row.rejectedWith !== undefined) {
      const pending = suite.sim.instance.pendingApprovals(
        suite.sim.instance.store.get('change_request', start.sysId)!
      )[0]!
      suite.sim.instance.decide(pending, 'rejected', row.rejectedWith)
    }
    const result = await concludeWait(
      deps(),
      start,
      {...row.outcome, conflicts: undefined},
      {
        ...OPTIONS,
        ...row.options
      }
    )
    const n = (text: string): string => text.replaceAll('{n}', start.number)
    expect([result.ok, result.decision, result.message]).toEqual([
      row.ok,
      row.decision,
      n(row.message)
    ])
    expect([
      result.record.stateLabel,
      (await readChange(suite.client, start.sysId)).stateLabel
    ]).toEqual([row.state, row.state])
    expect(patches(suite.sim, start.sysId)).toBe(row.writes)
    expect(workNotes(suite.sim, start.sysId)).toEqual(row.notes)
  })
})

describe('waitForApproval: the loop on the connection clock', () => {
  it('an approved change ends the wait at the first poll', async () => {
    const start = await changeIn(suite.sim, suite.client, 'scheduled')
    const before = suite.sim.requests({method: 'GET', path: start.sysId}).length
    const outcome = await waitForApproval(deps(), start, OPTIONS, undefined)
    expect([
      outcome.decision,
      outcome.polls,
      suite.sim.requests({method: 'GET', path: start.sysId}).length - before
    ]).toEqual(['approved', 1, 1])
  })

  it('timeout 0 checks once and ends with timeout, sleeping never', async () => {
    const start = await changeIn(suite.sim, suite.client, 'assess')
    const sleeps = suite.clock.sleeps.length
    const outcome = await waitForApproval(
      deps(),
      start,
      {...OPTIONS, timeoutMs: 0},
      undefined
    )
    expect([
      outcome.decision,
      outcome.polls,
      suite.clock.sleeps.length - sleeps
    ]).toEqual(['timeout', 1, 0])
    expect(outcome.reason).toMatch(/^checked once: .* waiting for approval\.$/)
  })
})
