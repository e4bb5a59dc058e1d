import {afterAll, beforeAll, describe, expect, it} from '@jest/globals'
import {
  closingLeg,
  ensureLegTask,
  legCorrelationId,
  legLines,
  legsResult,
  legsStatus
} from '../src/change/legs.js'
import {readChange} from '../src/change/lookup.js'
import type {ChangeRecord} from '../src/servicenow/change-record.js'
import type {ChangeTask} from '../src/servicenow/change-task.js'
import type {Simulator} from '../src/simulator/server.js'
import {Timeline} from '../src/change/timeline.js'
import {changeIn, RUN} from './helpers/changes.js'
import {legNameOfLength} from '../src/steps/legs.js'
import {clientFor, withSimulator} from './helpers/sim.js'

/** The legs of one change: their tasks' ids, where they stand, who closes, and the result they add up to. */
describe('legNameOfLength', () => {
  it('keeps two long job names apart: their start, then a hash of the whole', () => {
    const base = `deploy (a-very-long-matrix-value-${'x'.repeat(60)}`
    const eu = legNameOfLength(`${base}, eu-west)`)
    const us = legNameOfLength(`${base}, us-east)`)
    expect([eu.length, us.length]).toEqual([80, 80])
    expect(eu).not.toBe(us)
    expect(legNameOfLength('deploy (eu-west)')).toBe('deploy (eu-west)')
  })
})

describe('legCorrelationId', () => {
  it('is the change id, /leg/ and the name when that fits in 100 characters', () => {
    expect(
      legCorrelationId('octo-org/payments/4242/deploy/production', 'eu-west')
    ).toBe('octo-org/payments/4242/deploy/production/leg/eu-west')
  })

  it('stands in a hash for a change id over 60 characters, and hashes the end of a long leg name, staying apart', () => {
    const change = `octo-org/${'p'.repeat(70)}/4242/deploy`
    const a = legCorrelationId(change, `${'x'.repeat(79)}a`)
    const b = legCorrelationId(change, `${'x'.repeat(79)}b`)
    expect(a).toMatch(/^#[0-9a-f]{16}\/leg\/x+#[0-9a-f]{16}$/)
    expect(a.length).toBe(100)
    expect(a).not.toBe(b)
    expect(legCorrelationId(change, 'eu')).toMatch(/^#[0-9a-f]{16}\/leg\/eu$/)
  })
})

const RECORD = {correlationId: 'octo-org/payments/1/deploy'} as ChangeRecord
let n = 0
function task(leg: string, over: Partial<ChangeTask> = {}): ChangeTask {
  n++
  return {
    sysId: String(n).padStart(32, '0'),
    number: `CTASK00100${String(n).padStart(2, '0')}`,
    shortDescription: `Deployment leg: ${leg}`,
    description: '',
    state: 'Closed',
    assignmentGroup: undefined,
    correlationId: legCorrelationId(RECORD.correlationId, leg),
    correlationDisplay: 'servicenow-change leg',
    active: false,
    closeCode: 'successful',
    updatedOn: '2026-12-05 10:00:00',
    closedAt: '',
    ...over
  }
}

describe('legsStatus, closingLeg and legsResult', () => {
  it('lets the newest task of a leg speak for it: a re-run leg is awaited again', () => {
    const status = legsStatus(
      RECORD,
      [
        task('a', {closeCode: 'unsuccessful'}),
        task('b'),
        task('a', {active: true, state: 'Open', closeCode: ''})
      ],
      2
    )
    expect(status.waiting.map(l => l.name)).toEqual(['a'])
    expect(status.complete).toBe(false)
  })

  it("ignores tasks that are not this change's legs", () => {
    const status = legsStatus(
      RECORD,
      [
        task('a'),
        task('b', {correlationDisplay: 'servicenow-change'}),
        task('c', {correlationId: 'another/deployment/leg/c'})
      ],
      1
    )
    expect(status.legs.map(l => l.name)).toEqual(['a'])
  })

  it('names as closer the leg that reported last by closed_at, though a work note wrote to another task since', () => {
    const noted = task('noted', {
      closedAt: '2026-12-05 10:00:01',
      updatedOn: '2026-12-05 10:05:00'
    })
    const last = task('last', {
      closedAt: '2026-12-05 10:00:02',
      updatedOn: '2026-12-05 10:00:02'
    })
    expect(closingLeg(legsStatus(RECORD, [noted, last], 2))).toBe('last')
  })

  it('orders task numbers as numbers when they gain a digit', () => {
    const a = task('a', {number: 'CTASK9999999'})
    const b = task('b', {number: 'CTASK10000000'})
    expect(closingLeg(legsStatus(RECORD, [b, a], 2))).toBe('b')
  })

  it('names as closer the leg written last, the higher number on a tie', () => {
    const early = task('early', {updatedOn: '2026-12-05 10:00:01'})
    const tieLow = task('tie-low', {updatedOn: '2026-12-05 10:00:02'})
    const tieHigh = task('tie-high', {updatedOn: '2026-12-05 10:00:02'})
    expect(closingLeg(legsStatus(RECORD, [tieHigh, early, tieLow], 3))).toBe(
      'tie-high'
    )
  })

  it('counts a leg that succeeded in an earlier attempt and did not run again, and lets it close nothing', () => {
    // Attempt 1 (CHG1): a and c succeeded, b failed. Attempt 2 (CHG2): b failed again, c ran again and succeeded.
    // Attempt 3 (this change): only b runs, and succeeds.
    const earlier = [
      {
        number: 'CHG2',
        tasks: [task('b', {closeCode: 'unsuccessful'}), task('c')]
      },
      {
        number: 'CHG1',
        tasks: [task('a'), task('b', {closeCode: 'unsuccessful'}), task('c')]
      }
    ]
    const b = task('b', {updatedOn: '2026-12-05 09:00:00'})
    const status = legsStatus(RECORD, [b], 3, earlier)
    expect(status.legs.map(l => [l.name, l.from, l.task.closeCode])).toEqual([
      ['a', 'CHG1', 'successful'],
      ['b', undefined, 'successful'],
      ['c', 'CHG2', 'successful']
    ])
    expect(status.complete).toBe(true)
    expect(legsResult(status, 3)).toEqual({
      result: 'success',
      closeCode: undefined
    })
    // The earlier tasks were written later by the clock here, yet only b ran now: b closes.
    expect(closingLeg(status)).toBe('b')
    expect(legLines(status, 3)).toEqual([
      expect.stringMatching(
        /^a: successful \(CTASK\d+ in CHG1, an earlier attempt of this run\)$/
      ),
      expect.stringMatching(/^b: successful \(CTASK\d+\)$/),
      expect.stringMatching(
        /^c: successful \(CTASK\d+ in CHG2, an earlier attempt of this run\)$/
      )
    ])
  })

  it('does not carry a leg whose newest earlier attempt failed, nor one this attempt runs again', () => {
    const earlier = [
      {
        number: 'CHG2',
        tasks: [task('a', {closeCode: 'unsuccessful'})]
      },
      {number: 'CHG1', tasks: [task('a'), task('b')]}
    ]
    const bAgain = task('b', {active: true, state: 'Open', closeCode: ''})
    const status = legsStatus(RECORD, [bAgain], 2, earlier)
    expect(status.legs.map(l => [l.name, l.from])).toEqual([['b', undefined]])
    expect(status.waiting.map(l => l.name)).toEqual(['b'])
    expect(status.complete).toBe(false)
  })

  it.each<[string, ChangeTask[], number, ReturnType<typeof legsResult>]>([
    [
      'every leg successful',
      [task('a'), task('b')],
      2,
      {result: 'success', closeCode: undefined}
    ],
    [
      'one with issues: successful with issues',
      [task('a'), task('b', {closeCode: 'successful_issues'})],
      2,
      {result: 'success', closeCode: 'successful_issues'}
    ],
    [
      'one canceled: cancelled',
      [task('a'), task('b', {state: 'Canceled', closeCode: ''})],
      2,
      {result: 'cancelled', closeCode: undefined}
    ],
    [
      'one unsuccessful beats a cancel',
      [
        task('a', {closeCode: 'unsuccessful'}),
        task('b', {state: 'Canceled', closeCode: ''})
      ],
      2,
      {result: 'failure', closeCode: undefined}
    ],
    [
      'a leg never seen is a failure',
      [task('a')],
      2,
      {result: 'failure', closeCode: undefined}
    ],
    [
      'closed by a person without a code: not a success',
      [task('a', {closeCode: ''})],
      1,
      {result: 'failure', closeCode: undefined}
    ]
  ])('%s', (_, tasks, expected, result) => {
    expect(legsResult(legsStatus(RECORD, tasks, expected), expected)).toEqual(
      result
    )
  })
})

describe.each([
  ['the Change Management API', true],
  ['the Table API (no Change Management API)', false]
])('ensureLegTask through %s', (_, changeApi) => {
  let sim: Simulator
  let world: ReturnType<typeof clientFor>
  let record: ChangeRecord
  beforeAll(async () => {
    sim = await withSimulator({changeApi})
    world = clientFor(sim)
    const made = await changeIn(sim, world.client, 'implement')
    const row = sim.instance.store.get('change_request', made.sysId)!
    sim.instance.store.update(
      'change_request',
      row,
      {correlation_id: 'octo-org/payments/4242/deploy/production'},
      'system'
    )
    record = await readChange(world.client, made.sysId)
  })
  afterAll(async () => {
    world.client.dispose()
    await sim.stop()
  })
  const deps = (): Parameters<typeof ensureLegTask>[0] => ({
    client: world.client,
    info: () => {},
    warn: () => {},
    timeline: new Timeline(world.clock),
    random: () => 0.5
  })
  const rows = (): Record<string, string | undefined>[] =>
    sim.instance.store
      .rows('change_task')
      .filter(t => t.change_request === record.sysId)

  it('makes one task a leg, and finds it again rather than making another', async () => {
    const first = await ensureLegTask(deps(), record, 'eu-west', RUN)
    const again = await ensureLegTask(deps(), record, 'eu-west', RUN)
    await ensureLegTask(deps(), record, 'us-east', RUN)
    expect(again.sysId).toBe(first.sysId)
    expect(
      rows()
        .map(t => [
          t.short_description,
          t.correlation_id,
          t.correlation_display,
          t.active
        ])
        .sort()
    ).toEqual([
      [
        'Deployment leg: eu-west',
        'octo-org/payments/4242/deploy/production/leg/eu-west',
        'servicenow-change leg',
        'true'
      ],
      [
        'Deployment leg: us-east',
        'octo-org/payments/4242/deploy/production/leg/us-east',
        'servicenow-change leg',
        'true'
      ]
    ])
  })

  it('makes a new task for a leg whose task already reported (a re-run reports anew)', async () => {
    const reported = sim.instance.store.get(
      'change_task',
      rows().find(t => t.short_description === 'Deployment leg: eu-west')!
        .sys_id!
    )!
    // Closed as the instance closes a task: inactive from then on.
    sim.instance.store.update(
      'change_task',
      reported,
      {
        state: '3',
        active: 'false',
        close_code: 'unsuccessful',
        close_notes: 'failed'
      },
      'system'
    )
    const rerun = await ensureLegTask(deps(), record, 'eu-west', RUN)
    expect(rerun.sysId).not.toBe(reported.sys_id)
    expect(
      rows().filter(t => t.short_description === 'Deployment leg: eu-west')
    ).toHaveLength(2)
    const status = legsStatus(
      record,
      await world.client.changes.tasks(record.sysId),
      2
    )
    expect(status.waiting.map(l => l.task.sysId).sort()).toEqual(
      [
        rerun.sysId,
        rows().find(t => t.short_description === 'Deployment leg: us-east')!
          .sys_id
      ].sort()
    )
  })
})
