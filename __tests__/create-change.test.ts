import {describe, expect, it} from '@jest/globals'
import {createOrAdopt} from '../src/change/create-change.js'
import type {StateLabel} from '../src/servicenow/change-model.js'
import {OWN_MARK} from '../src/servicenow/change-task.js'
import {InputError} from '../src/servicenow/errors.js'
import type {CreateSettings} from '../src/settings/create.js'
import type {FaultRule} from '../src/simulator/faults.js'
import {recordingDeps, simulatorForSuite} from './helpers/changes.js'
import {simConnection} from './helpers/sim.js'

/** createOrAdopt in-process against the simulator over HTTP: each row one behaviour, creates counted on the wire and in the table. */
const suite = simulatorForSuite()

/** What create's settings reader makes of a deployment's inputs: a normal change, marked as this action's. */
function settingsFor(
  correlationId: string,
  over: Partial<CreateSettings> = {}
): CreateSettings {
  return {
    connection: simConnection(suite.sim),
    adoptNumber: undefined,
    type: 'normal',
    template: undefined,
    environment: 'production',
    controlled: true,
    requestApproval: true,
    correlationId,
    fields: {
      short_description: `create test ${correlationId}`,
      correlation_id: correlationId,
      correlation_display: OWN_MARK
    },
    references: {assignmentGroup: 'DevOps Team', cmdbCi: '', parentChange: ''},
    attachments: {patterns: [], maxBytes: 1},
    schedule: {
      onConflict: 'warn',
      affectedCis: [],
      firstAvailableSeconds: undefined
    },
    describeFromContext: false,
    githubToken: '',
    ...over
  }
}

const deps = (): ReturnType<typeof recordingDeps> => recordingDeps(suite)

const creates = (): number =>
  suite.sim.requests({method: 'POST', path: '/api/sn_chg_rest/change/'}).length
const changesFor = (correlationId: string): number =>
  suite.sim.instance.store
    .rows('change_request')
    .filter(r => r.correlation_id === correlationId).length

interface Row {
  /** What is on the instance before (a change made earlier); returns its number. */
  before?: 'same deployment' | 'another change' | 'a canceled change'
  settings?: (id: string, before: string | undefined) => Partial<CreateSettings>
  fault?: FaultRule
  ends: {created: boolean; state: StateLabel; adoptsBefore?: boolean} | RegExp
  /** Change requests POSTed by this call. */
  posts: number
  /** Change requests with this deployment's correlation id at the end. */
  rows: number
  /** Warnings said (a create retried after a lost answer says so once). */
  warnings?: number
}

let next = 0
describe('createOrAdopt: one change request per deployment, never two', () => {
  it.each<[string, Row]>([
    [
      'nothing open for the deployment: creates one and requests approval (Assess)',
      {ends: {created: true, state: 'assess'}, posts: 1, rows: 1}
    ],
    [
      'request_approval false: creates one and leaves it in New',
      {
        settings: () => ({requestApproval: false}),
        ends: {created: true, state: 'new'},
        posts: 1,
        rows: 1
      }
    ],
    [
      'an emergency change requests approval in Authorize',
      {
        settings: () => ({type: 'emergency'}),
        ends: {created: true, state: 'authorize'},
        posts: 1,
        rows: 1
      }
    ],
    [
      'a change already open for the deployment (a re-run) is adopted: nothing created',
      {
        before: 'same deployment',
        ends: {created: false, state: 'assess', adoptsBefore: true},
        posts: 0,
        rows: 1
      }
    ],
    [
      'change_number given: that change is adopted, nothing created',
      {
        before: 'another change',
        settings: (_, number) => ({adoptNumber: number}),
        ends: {created: false, state: 'assess', adoptsBefore: true},
        posts: 0,
        rows: 0
      }
    ],
    [
      'change_number of no change: refused, nothing created',
      {
        settings: () => ({adoptNumber: 'CHG9999999'}),
        ends: /change_number CHG9999999: no such change request/,
        posts: 0,
        rows: 0
      }
    ],
    [
      'change_number of a canceled change: refused, it cannot gate a deployment',
      {
        before: 'a canceled change',
        settings: (_, number) => ({adoptNumber: number}),
        ends: /is canceled: a closed or canceled change cannot gate a deployment/,
        posts: 0,
        rows: 0
      }
    ],
    [
      'the answer to the create is lost: it looks by correlation id, finds the change, and creates no second',
      {
        fault: {
          kind: 'drop',
          method: 'POST',
          path: '/api/sn_chg_rest/change/normal',
          when: 'after'
        },
        ends: {created: true, state: 'assess'},
        posts: 1,
        rows: 1,
        warnings: 1
      }
    ],
    [
      'a template name with a typo: refused naming the close one, nothing created',
      {
        settings: () => ({type: 'standard', template: 'Deploy web aplication'}),
        ends: /no active standard change template is named 'Deploy web aplication'\. Did you mean 'Deploy web application'\?/,
        posts: 0,
        rows: 0
      }
    ]
  ])('%s', async (_, row) => {
    const id = `create-test/${++next}`
    let before: string | undefined
    if (row.before !== undefined) {
      const earlier = await createOrAdopt(
        deps(),
        settingsFor(row.before === 'same deployment' ? id : `${id}/other`)
      )
      if (row.before === 'a canceled change') {
        suite.sim.instance.store.update(
          'change_request',
          suite.sim.instance.store.get('change_request', earlier.record.sysId)!,
          {state: '4', active: 'false'},
          'system'
        )
      }
      before = earlier.record.number
    }
    if (row.fault !== undefined) suite.sim.faults.add(row.fault)
    const postsBefore = creates()
    const d = deps()
    const made = createOrAdopt(d, settingsFor(id, row.settings?.(id, before)))
    if (row.ends instanceof RegExp) {
      await expect(made).rejects.toThrow(InputError)
      await expect(made).rejects.toThrow(row.ends)
    } else {
      const outcome = await made
      expect([outcome.created, outcome.record.stateLabel]).toEqual([
        row.ends.created,
        row.ends.state
      ])
      if (row.ends.adoptsBefore === true)
        expect(outcome.record.number).toBe(before)
    }
    expect(creates() - postsBefore).toBe(row.posts)
    expect(changesFor(id)).toBe(row.rows)
    expect(d.lines.filter(l => l.startsWith('warn: ')).length).toBe(
      row.warnings ?? 0
    )
  })
})
