/**
 * Conflict checking (change/conflict-check.ts, conflict-policy.ts) against answers built to make
 * it say something untrue: a previous run's conflicts still on show while ours runs, a worker
 * that never finishes or ends in error, an instance that runs checks with progress workers (no
 * worker record), a worker link to another host, garbage where a run id belongs, an instance
 * without the Change Management API. Shapes follow change-management-api.md (POST/GET
 * /change/{sys_id}/conflict, GET /change/worker/{sys_id}). Every request is counted: nock fails
 * the test on any request not mocked and on any mock not used.
 */
import {describe, expect, it} from '@jest/globals'
import nock from 'nock'
import {
  CHECK_LIMIT_MS,
  checkConflicts,
  findingJson,
  findingText
} from '../src/change/conflict-check.js'
import {checkAtCreate, conflictGate} from '../src/change/conflict-policy.js'
import type {ChangeDeps} from '../src/change/deps.js'
import {toChangeRecord} from '../src/servicenow/change-record.js'
import {ServiceNowClient} from '../src/servicenow/client.js'
import {FakeClock} from './helpers/clock.js'
import {useNock} from './helpers/nock.js'
import {polledChange} from './helpers/wait.js'

const BASE = 'https://acme.service-now.com'
const ID = '0123456789abcdef0123456789abcdef'
const OTHER = 'fedcba9876543210fedcba9876543210'
const RUN = 'c0b5afe4b710230096c3e4f6ee11a93f'
const CI = '3a27d4370a0a0bb4006316812bf45439'
const CONFLICT = `/api/sn_chg_rest/change/${ID}/conflict`
const WORKER = `/api/sn_chg_rest/change/worker/${RUN}`

useNock()

const record = (fields: Record<string, string> = {}) =>
  toChangeRecord(
    polledChange(ID, {
      start_date: '2026-11-24 10:00:00',
      end_date: '2026-11-24 12:00:00',
      ...fields
    }).result,
    BASE
  )

function setup(): {deps: ChangeDeps; clock: FakeClock; lines: string[]} {
  const clock = new FakeClock()
  const client = new ServiceNowClient({
    baseUrl: BASE,
    auth: {method: 'token', token: 't'},
    clock,
    random: () => 0.5,
    retry: {maxAttempts: 1}
  })
  const lines: string[] = []
  // The change's outside_maintenance_schedule flag, read after each finished run: not set.
  nock(BASE)
    .get(`/api/now/table/change_request/${ID}`)
    .query(true)
    .optionally()
    .reply(200, {result: {sys_id: ID, outside_maintenance_schedule: 'false'}})
    .persist()
  return {
    deps: {
      client,
      info: l => lines.push(`info: ${l}`),
      warn: l => lines.push(`warn: ${l}`)
    },
    clock,
    lines
  }
}

const worker = (value: number, label: string, extra: object = {}) => ({
  result: {
    worker: {sysId: RUN, link: `${BASE}${WORKER}`},
    request: `{"task":"${ID}"}`,
    state: {value, display_value: label},
    type: 'conflict',
    messages: {errorMessages: [], warningMessages: [], infoMessages: []},
    ...extra
  }
})

const status = (lastRun: string, jobStatus: string, conflicts: object[]) => ({
  result: {
    status: lastRun === '' ? 'Not Run' : 'Conflict',
    last_run: lastRun,
    record_count: String(conflicts.length),
    job_status: jobStatus,
    conflicts
  }
})

const onOther = {
  change: {display_value: 'CHG0030001', value: ID},
  conflicting_change: {display_value: 'CHG0030002', value: OTHER},
  configuration_item: {display_value: 'Payments API', value: CI},
  schedule: {display_value: '', value: ''},
  type: {display_value: 'CI Already Scheduled', value: 'ci_already_scheduled'}
}
/** The other change as the Change Management API answers GET /change/{sys_id}: booked 11:00–13:00. */
const otherChange = {
  result: {
    sys_id: {value: OTHER, display_value: OTHER},
    number: {value: 'CHG0030002', display_value: 'CHG0030002'},
    type: {value: 'normal', display_value: 'Normal'},
    state: {value: -2, display_value: 'Scheduled'},
    approval: {value: 'approved', display_value: 'Approved'},
    start_date: {value: '2026-11-24 11:00:00', display_value: ''},
    end_date: {value: '2026-11-24 13:00:00', display_value: ''}
  }
}
const inBlackout = {
  change: {display_value: 'CHG0030001', value: ID},
  conflicting_change: {display_value: '', value: ''},
  configuration_item: {display_value: 'Payments API', value: CI},
  schedule: {
    display_value: 'Year-end freeze',
    value: 'aaaabbbbccccddddeeeeffff00001111'
  },
  type: {display_value: 'Blackout', value: 'blackout'}
}

/**
 * One conflict run as the instance answers it: the status before, the POST, the worker's
 * answers (Complete at once by default), and the status after (none: the check stops before).
 */
function conflictRun(o: {
  before?: object
  workers?: object[]
  after?: object
}): void {
  const scope = nock(BASE)
    .get(CONFLICT)
    .reply(200, o.before ?? status('', '', []))
    .post(CONFLICT)
    .reply(200, {result: RUN})
  for (const w of o.workers ?? [worker(3, 'Complete')])
    scope.get(WORKER).reply(200, w)
  if (o.after !== undefined) scope.get(CONFLICT).reply(200, o.after)
}

/** A finished run's status with these conflicts. */
const finishedWith = (conflicts: object[]): object =>
  status('2026-11-24 09:00:01', '2', conflicts)

describe('conflict checking reads its own run, never the one before', () => {
  it('waits for the worker while the previous run still shows conflicts, then reports what this run found', async () => {
    const {deps, clock} = setup()
    const started = clock.now()
    conflictRun({
      before: status('2026-11-23 08:00:00', '2', [onOther]),
      workers: [
        worker(1, 'Waiting'),
        worker(2, 'In-Progress'),
        worker(3, 'Complete')
      ],
      after: finishedWith([])
    })
    const found = await checkConflicts(deps, record(), started + CHECK_LIMIT_MS)
    expect(found).toEqual({kind: 'clear'})
    // The first look a second after the start (the run begins Waiting), then 2 s, then 4 s.
    expect(clock.sleeps).toEqual([1000, 2000, 4000])
  })

  it('names the other change, the CI and where the windows overlap, and the blackout by name', async () => {
    const {deps, clock} = setup()
    conflictRun({after: finishedWith([onOther, inBlackout])})
    nock(BASE)
      .get(`/api/sn_chg_rest/change/${OTHER}`)
      .reply(200, otherChange)
      .get('/api/now/table/sys_choice')
      .query(true)
      .optionally()
      .reply(200, {result: []})
    const r = record()
    const found = await checkConflicts(deps, r, clock.now() + CHECK_LIMIT_MS)
    expect(found.kind).toBe('conflicts')
    expect(findingText(r, found)).toBe(
      "CHG0030001 has 2 conflicts in its planned window 2026-11-24 10:00–12:00 UTC: CHG0030002 on Payments API overlaps 2026-11-24 11:00–12:00 UTC; blackout 'Year-end freeze' covers the planned window on Payments API."
    )
    expect(findingJson(found)).toEqual([
      {
        type: 'change',
        label: 'CI Already Scheduled',
        configuration_item: 'Payments API',
        change: 'CHG0030002',
        schedule: null,
        overlap_start: '2026-11-24T11:00:00.000Z',
        overlap_end: '2026-11-24T12:00:00.000Z'
      },
      {
        type: 'blackout',
        label: 'Blackout',
        configuration_item: 'Payments API',
        change: null,
        schedule: 'Year-end freeze',
        overlap_start: null,
        overlap_end: null
      }
    ])
  })

  it('a worker that never finishes is "unknown" at the deadline, not clear; looks back off to every 10 s', async () => {
    const {deps, clock} = setup()
    const started = clock.now()
    let looks = 0
    nock(BASE)
      .get(CONFLICT)
      .reply(200, status('', '', []))
      .post(CONFLICT)
      .reply(200, {result: RUN})
      .get(WORKER)
      .times(40)
      .reply(() => {
        looks++
        return [200, worker(2, 'In-Progress')]
      })
    const found = await checkConflicts(deps, record(), started + 60_000)
    expect(found.kind).toBe('unknown')
    expect(clock.now() - started).toBe(60_000)
    // After 1, 2, 4, 8 s, then every 10 s, the last one at the deadline: 9 looks in 60 s.
    expect(looks).toBe(9)
    nock.cleanAll()
  })

  it('a worker that ends in error is "unknown", with the instance\'s words', async () => {
    const {deps, clock} = setup()
    conflictRun({
      workers: [
        worker(4, 'Error', {
          messages: {
            errorMessages: ['Conflict detection timed out'],
            warningMessages: [],
            infoMessages: []
          }
        })
      ]
    })
    const found = await checkConflicts(deps, record(), clock.now() + 60_000)
    expect(found).toEqual({
      kind: 'unknown',
      why: 'conflict checking of CHG0030001 ended in error: Conflict detection timed out'
    })
  })

  it('a worker that is another change\'s run, or a status still showing the run before, is "unknown"', async () => {
    const {deps, clock} = setup()
    conflictRun({
      workers: [worker(3, 'Complete', {request: `{"task":"${OTHER}"}`})]
    })
    expect(
      (await checkConflicts(deps, record(), clock.now() + 60_000)).kind
    ).toBe('unknown')
    conflictRun({
      before: finishedWith([]),
      workers: [worker(3, 'Complete', {request: '{}'})],
      after: finishedWith([])
    })
    const stale = await checkConflicts(deps, record(), clock.now() + 60_000)
    expect(stale).toEqual({
      kind: 'unknown',
      why: "the instance's conflict status for CHG0030001 still shows the run before (last run 2026-11-24 09:00:01)"
    })
  })

  it('progress workers: a status whose last run changed but whose job never finishes is "unknown" at the deadline', async () => {
    const {deps, clock} = setup()
    nock(BASE)
      .get(CONFLICT)
      .reply(200, status('', '', []))
      .post(CONFLICT)
      .reply(200, {result: RUN})
      .get(WORKER)
      .reply(404, {
        error: {message: 'No Record found', detail: ''},
        status: 'failure'
      })
      .get(CONFLICT)
      .times(20)
      .reply(200, status('2026-11-24 09:00:02', '1', []))
    const found = await checkConflicts(deps, record(), clock.now() + 60_000)
    expect(found.kind).toBe('unknown')
    nock.cleanAll()
  })

  it('progress workers (no worker record): reads the status until its last run is a new one', async () => {
    const {deps, clock} = setup()
    nock(BASE)
      .get(CONFLICT)
      .reply(200, status('2026-11-23 08:00:00', '2', [onOther]))
      .post(CONFLICT)
      .reply(200, {result: RUN})
      .get(WORKER)
      .reply(404, {
        error: {message: 'No Record found', detail: ''},
        status: 'failure'
      })
      .get(CONFLICT)
      .reply(200, status('2026-11-23 08:00:00', '2', [onOther]))
      .get(CONFLICT)
      .reply(200, status('2026-11-24 09:00:02', '1', []))
      .get(CONFLICT)
      .reply(200, status('2026-11-24 09:00:02', '2', []))
    expect(await checkConflicts(deps, record(), clock.now() + 60_000)).toEqual({
      kind: 'clear'
    })
  })

  it('a run cancelled on the instance is "unknown"', async () => {
    const {deps, clock} = setup()
    conflictRun({after: status('2026-11-24 09:00:01', '4', [])})
    const found = await checkConflicts(deps, record(), clock.now() + 60_000)
    expect(found.kind).toBe('unknown')
  })

  it('never follows the worker link: a link to another host receives nothing', async () => {
    const {deps, clock} = setup()
    const evil = nock('https://collector.example').get(/.*/).reply(200, {})
    conflictRun({
      workers: [
        worker(1, 'Waiting', {
          worker: {sysId: RUN, link: 'https://collector.example/steal'}
        }),
        worker(3, 'Complete')
      ],
      after: finishedWith([])
    })
    await checkConflicts(deps, record(), clock.now() + 60_000)
    expect(evil.isDone()).toBe(false)
    nock.cleanAll()
  })

  it.each([
    ['a run id that is not a sys_id', {result: '../../table/sys_user'}],
    ['an HTML page', '<html>hibernating</html>']
  ])('%s is "unknown", naming what came back', async (_, body) => {
    const {deps, clock} = setup()
    nock(BASE)
      .get(CONFLICT)
      .reply(200, status('', '', []))
      .post(CONFLICT)
      .reply(200, body)
    const found = await checkConflicts(deps, record(), clock.now() + 60_000)
    expect(found.kind).toBe('unknown')
  })

  it('without the Change Management API: one request, and it says so', async () => {
    const {deps, clock} = setup()
    nock(BASE)
      .get(CONFLICT)
      .reply(400, {
        error: {
          message: 'Requested URI does not represent any resource',
          detail: null
        },
        status: 'failure'
      })
    const found = await checkConflicts(deps, record(), clock.now() + 60_000)
    expect(found.kind).toBe('not-checked')
    expect(findingText(record(), found)).toMatch(
      /needs the Change Management API/
    )
  })

  it('a change without a planned window sends nothing', async () => {
    const {deps, clock} = setup()
    const found = await checkConflicts(
      deps,
      record({start_date: '', end_date: ''}),
      clock.now() + 60_000
    )
    expect(found).toEqual({
      kind: 'not-checked',
      why: 'CHG0030001 has no planned start and end date, and conflicts are found for a planned window'
    })
  })
})

describe('outside_maintenance_schedule', () => {
  const flagged = (): void => {
    nock.cleanAll()
    nock(BASE)
      .get(`/api/now/table/change_request/${ID}`)
      .query(true)
      .reply(200, {result: {sys_id: ID, outside_maintenance_schedule: 'true'}})
  }

  it('a change the instance flags is reported outside its maintenance schedule, though the run named nothing', async () => {
    const {deps, clock} = setup()
    flagged()
    conflictRun({after: finishedWith([])})
    const found = await checkConflicts(deps, record(), clock.now() + 60_000)
    expect(findingJson(found)).toEqual([
      expect.objectContaining({
        type: 'maintenance',
        label: 'Outside maintenance schedule'
      })
    ])
  })

  it('without the Change Management API the flag is still read: a flagged change is a conflict, not "not checked"', async () => {
    const {deps, clock} = setup()
    flagged()
    nock(BASE)
      .get(CONFLICT)
      .reply(400, {
        error: {message: 'Requested URI does not represent any resource'},
        status: 'failure'
      })
    const found = await checkConflicts(deps, record(), clock.now() + 60_000)
    expect(found.kind).toBe('conflicts')
  })
})

describe('a busy CI', () => {
  it('a line names ten conflicts and counts the rest; the output keeps all', async () => {
    const {deps, clock} = setup()
    const twelve = Array.from({length: 12}, (_, i) => ({
      ...inBlackout,
      schedule: {
        display_value: `Freeze ${i + 1}`,
        value: inBlackout.schedule.value
      }
    }))
    conflictRun({after: finishedWith(twelve)})
    const found = await checkConflicts(deps, record(), clock.now() + 60_000)
    const line = findingText(record(), found)
    expect(line.match(/blackout 'Freeze \d+'/g)).toHaveLength(10)
    expect(line).toMatch(
      /; and 2 more \(all in the job summary and the conflicts output\)\.$/
    )
    expect(findingJson(found)).toHaveLength(12)
  })
})

describe('on_conflict', () => {
  const oneConflictRun = (): void => {
    conflictRun({after: finishedWith([inBlackout])})
  }

  it('fail at create throws one line naming the conflict; warn warns it once and goes on; ignore sends nothing', async () => {
    const {deps, lines} = setup()
    oneConflictRun()
    await expect(checkAtCreate(deps, record(), 'fail')).rejects.toThrow(
      "CHG0030001 has 1 conflict in its planned window 2026-11-24 10:00–12:00 UTC: blackout 'Year-end freeze' covers the planned window on Payments API. (on_conflict: fail)"
    )
    oneConflictRun()
    const found = await checkAtCreate(deps, record(), 'warn')
    expect(found?.kind).toBe('conflicts')
    expect(lines.filter(l => l.startsWith('warn: '))).toHaveLength(1)
    expect(await checkAtCreate(deps, record(), 'ignore')).toBeUndefined()
  })

  it('fail also stops when no clear answer could be had (the API is missing)', async () => {
    const {deps} = setup()
    nock(BASE)
      .get(CONFLICT)
      .reply(400, {
        error: {message: 'Requested URI does not represent any resource'},
        status: 'failure'
      })
    await expect(checkAtCreate(deps, record(), 'fail')).rejects.toThrow(
      /Conflicts not checked: conflict checking needs the Change Management API/
    )
  })

  it('wait holds until a check comes back clear, checking again no more often than asked', async () => {
    const {deps, clock} = setup()
    const gate = conflictGate(deps, 'wait', clock.now() + 3_600_000, 60_000)
    oneConflictRun()
    expect((await gate.check(record())).kind).toBe('wait')
    // 30 s later: the last finding stands, nothing is sent.
    clock.advance(30_000)
    expect((await gate.check(record())).kind).toBe('wait')
    clock.advance(30_000)
    conflictRun({
      before: finishedWith([inBlackout]),
      after: status('2026-11-24 09:01:05', '2', [])
    })
    expect(await gate.check(record())).toEqual({kind: 'proceed'})
    expect(gate.last()).toEqual({kind: 'clear'})
  })

  it('checking again reads the other change once: its window is remembered', async () => {
    const {deps, clock} = setup()
    const gate = conflictGate(deps, 'wait', clock.now() + 3_600_000, 60_000)
    const run = (): void => conflictRun({after: finishedWith([onOther])})
    let reads = 0
    nock(BASE)
      .get(`/api/sn_chg_rest/change/${OTHER}`)
      .times(2)
      .reply(() => {
        reads++
        return [200, otherChange]
      })
      .get('/api/now/table/sys_choice')
      .query(true)
      .optionally()
      .reply(200, {result: []})
    run()
    expect((await gate.check(record())).kind).toBe('wait')
    clock.advance(60_000)
    run()
    expect((await gate.check(record())).kind).toBe('wait')
    expect(reads).toBe(1)
    nock.cleanAll()
  })

  it('fail in the wait stops it with decision conflict', async () => {
    const {deps, clock} = setup()
    oneConflictRun()
    const gate = conflictGate(deps, 'fail', clock.now() + 3_600_000, 60_000)
    expect(await gate.check(record())).toEqual({
      kind: 'stop',
      decision: 'conflict',
      reason:
        "CHG0030001 has 1 conflict in its planned window 2026-11-24 10:00–12:00 UTC: blackout 'Year-end freeze' covers the planned window on Payments API (on_conflict: fail)"
    })
  })
})
