/**
 * What create does with the schedule (change/schedule-plan.ts) against answers built to make it
 * claim what did not happen: a worker that says "Change has been updated" while the change still
 * has no window, an association that completes with error messages, a risk evaluation the
 * instance refuses. Shapes from change-management-api.md; every request is mocked and counted.
 */
import {describe, expect, it} from '@jest/globals'
import nock from 'nock'
import type {ChangeDeps} from '../src/change/deps.js'
import {planSchedule} from '../src/change/schedule-plan.js'
import {toChangeRecord} from '../src/servicenow/change-record.js'
import {ServiceNowClient} from '../src/servicenow/client.js'
import type {ScheduleSettings} from '../src/settings/schedule.js'
import {FakeClock} from './helpers/clock.js'
import {useNock} from './helpers/nock.js'
import {polledChange} from './helpers/wait.js'

const BASE = 'https://acme.service-now.com'
const ID = '0123456789abcdef0123456789abcdef'
const CI = '3a27d4370a0a0bb4006316812bf45439'
const CI2 = '06f043a3b7fb23000999e4f6ee11a9c1'
const WORKER_ID = '355c62e0a4c87010f87712198fe9cacf'

useNock()

function setup(): {deps: ChangeDeps; lines: string[]} {
  const client = new ServiceNowClient({
    baseUrl: BASE,
    auth: {method: 'token', token: 't'},
    clock: new FakeClock(),
    random: () => 0.5,
    retry: {maxAttempts: 1}
  })
  const lines: string[] = []
  nock(BASE)
    .get('/api/now/table/sys_choice')
    .query(true)
    .optionally()
    .reply(200, {result: []})
  return {
    deps: {
      client,
      info: l => lines.push(`info: ${l}`),
      warn: l => lines.push(`warn: ${l}`)
    },
    lines
  }
}

const change = (fields: Record<string, string> = {}) =>
  toChangeRecord(polledChange(ID, {cmdb_ci: CI, ...fields}).result, BASE)

const settings = (over: Partial<ScheduleSettings> = {}): ScheduleSettings => ({
  onConflict: 'ignore',
  affectedCis: [],
  firstAvailableSeconds: undefined,
  ...over
})

const done = (type: string, messages: Partial<Record<string, string[]>>) => ({
  result: {
    worker: {
      sysId: WORKER_ID,
      link: `${BASE}/api/sn_chg_rest/change/worker/${WORKER_ID}`
    },
    request: '{}',
    state: {value: 3, display_value: 'Complete'},
    type,
    messages: {
      errorMessages: [],
      warningMessages: [],
      infoMessages: [],
      ...messages
    }
  }
})

/** The record as the Table API reads it back, and its risk. */
function readBack(fields: Record<string, string>): void {
  nock(BASE)
    .get(`/api/now/table/change_request/${ID}`)
    .query(true)
    .reply(200, polledChange(ID, {cmdb_ci: CI, ...fields}))
}

describe('schedule: first_available', () => {
  it('a worker that says "Change has been updated" while the change still has no window is not believed', async () => {
    const {deps} = setup()
    nock(BASE)
      .patch(`/api/sn_chg_rest/change/${ID}/schedule/first_available`, {
        duration_in_seconds: 3600
      })
      .reply(202, done('schedule', {infoMessages: ['Change has been updated']}))
    readBack({start_date: '', end_date: ''})
    await expect(
      planSchedule(deps, change(), {
        settings: settings({firstAvailableSeconds: 3600}),
        affectedCiIds: [],
        searchFrom: undefined,
        riskGiven: true,
        created: true
      })
    ).rejects.toThrow(
      'ServiceNow reported "Change has been updated" for the first available slot, but CHG0030001 still has no planned window.'
    )
  })

  it('sends start_date as where the search begins, and reports the slot the record now holds', async () => {
    const {deps, lines} = setup()
    nock(BASE)
      .patch(`/api/sn_chg_rest/change/${ID}/schedule/first_available`, {
        duration_in_seconds: 2700,
        planned_start_time: '2026-11-30 08:00:00'
      })
      .reply(202, done('schedule', {infoMessages: ['Change has been updated']}))
    readBack({
      start_date: '2026-11-30 09:15:00',
      end_date: '2026-11-30 10:00:00',
      risk: '3',
      impact: '2'
    })
    const {record, report} = await planSchedule(deps, change(), {
      settings: settings({firstAvailableSeconds: 2700}),
      affectedCiIds: [],
      searchFrom: '2026-11-30 08:00:00',
      riskGiven: true,
      created: true
    })
    expect(record.startDate?.toISOString()).toBe('2026-11-30T09:15:00.000Z')
    expect(lines).toEqual([
      'info: ServiceNow scheduled CHG0030001 in the first free 45 min slot: 2026-11-30 09:15–10:00 UTC.'
    ])
    expect(report.risk).toEqual({risk: 'moderate', impact: 'medium'})
  })

  it('an adopted change that has a window keeps it: nothing is sent to move it', async () => {
    const {deps, lines} = setup()
    const {record, report} = await planSchedule(
      deps,
      change({
        start_date: '2026-12-01 10:00:00',
        end_date: '2026-12-01 11:00:00',
        risk: '4',
        impact: '3'
      }),
      {
        settings: settings({firstAvailableSeconds: 3600}),
        affectedCiIds: [],
        searchFrom: undefined,
        riskGiven: false,
        created: false
      }
    )
    expect(record.startDate?.toISOString()).toBe('2026-12-01T10:00:00.000Z')
    // An adopted change's risk is read, not evaluated: from the record, with no request.
    expect(report.risk).toEqual({risk: 'low', impact: 'low'})
    expect(lines).toEqual([
      'info: CHG0030001 keeps its planned window 2026-12-01 10:00–11:00 UTC: schedule: first_available picks a slot only for a change without one.'
    ])
  })

  it('a change without a CI is refused before anything is sent', async () => {
    const {deps} = setup()
    await expect(
      planSchedule(deps, change({cmdb_ci: ''}), {
        settings: settings({firstAvailableSeconds: 3600}),
        affectedCiIds: [],
        searchFrom: undefined,
        riskGiven: true,
        created: true
      })
    ).rejects.toThrow(
      'schedule: first_available needs a configuration item on CHG0030001 (cmdb_ci): ServiceNow finds a slot for a CI.'
    )
  })
})

describe('affected_cis', () => {
  it('an association that completes with error messages fails, naming them', async () => {
    const {deps} = setup()
    nock(BASE)
      .post(`/api/sn_chg_rest/change/${ID}/ci`, {
        cmdb_ci_sys_ids: [CI, CI2],
        association_type: 'affected'
      })
      .reply(
        202,
        done('affected', {errorMessages: ['Invalid CMDB_CI sys_id provided']})
      )
    await expect(
      planSchedule(deps, change(), {
        settings: settings(),
        affectedCiIds: [CI, CI2],
        searchFrom: undefined,
        riskGiven: true,
        created: true
      })
    ).rejects.toThrow(
      'Associating affected_cis with CHG0030001 failed: Invalid CMDB_CI sys_id provided.'
    )
  })
})

describe('risk', () => {
  it('an evaluation the instance refuses (400) is said once, and the recorded values are reported', async () => {
    const {deps, lines} = setup()
    nock(BASE)
      .patch(`/api/sn_chg_rest/change/${ID}/risk`)
      .reply(400, {
        error: {message: 'Risk assessment failed', detail: ''},
        status: 'failure'
      })
    const {report} = await planSchedule(
      deps,
      change({risk: '2', impact: '1'}),
      {
        settings: settings(),
        affectedCiIds: [],
        searchFrom: undefined,
        riskGiven: false,
        created: true
      }
    )
    expect(report.risk).toEqual({risk: 'high', impact: 'high'})
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(
      /^info: The instance did not evaluate CHG0030001's risk \(.*Risk assessment failed.*\); risk and impact are as recorded\.$/
    )
  })
})
