import {afterEach, describe, expect, it} from '@jest/globals'
import type {Simulator, SimulatorOptions} from '../src/simulator/server.js'
import {admin, raw, withSimulator} from './helpers/sim.js'

/**
 * The simulator's schedule side over HTTP (change-management-api.md; c_ConflictDetection.md;
 * configure-conflict-properties.md): the worker's states on the instance's clock, conflicts by
 * CI and window, repeating maintenance windows, the first free slot and its 90-day window,
 * cancel, and the 400s the document lists. The clock is injected: `clock.t` is the instance's now.
 */
let sims: Simulator[] = []
afterEach(async () => {
  await Promise.all(sims.map(s => s.stop()))
  sims = []
})

const T0 = Date.UTC(2026, 10, 23, 9, 0, 0) // a Monday
const HOUR = 3_600_000
const DAY = 24 * HOUR
const glide = (ms: number): string =>
  new Date(ms).toISOString().slice(0, 19).replace('T', ' ')

async function sim(options: SimulatorOptions = {}): Promise<{
  s: Simulator
  clock: {t: number}
  ci: (name: string) => Promise<string>
  change: (fields: Record<string, string>) => Promise<string>
  call: (method: string, path: string, body?: unknown) => Promise<any>
}> {
  const clock = {t: T0}
  const s = await withSimulator({now: () => clock.t, ...options})
  sims.push(s)
  const ci = async (name: string): Promise<string> =>
    (
      await raw(
        s,
        'GET',
        `/api/now/table/cmdb_ci?sysparm_query=name=${encodeURIComponent(name)}&sysparm_fields=sys_id`
      )
    ).json.result[0].sys_id
  return {
    s,
    clock,
    ci,
    change: async fields =>
      (
        await raw(s, 'POST', '/api/now/table/change_request', {
          body: {short_description: 'test', ...fields}
        })
      ).json.result.sys_id,
    call: async (method, path, body) => {
      const r = await raw(s, method, `/api/sn_chg_rest/change${path}`, {body})
      return {...r.json, code: r.status}
    }
  }
}

describe('workers', () => {
  it('Waiting, In-Progress at half the delay, Complete once it has passed, on the instance clock', async () => {
    const w = await sim({workerDelayMs: 10_000})
    const id = await w.change({
      cmdb_ci: await w.ci('Payments API'),
      start_date: glide(T0 + DAY),
      end_date: glide(T0 + DAY + HOUR)
    })
    const run = (await w.call('POST', `/${id}/conflict`)).result
    const state = async (): Promise<unknown> =>
      (await w.call('GET', `/worker/${run}`)).result.state
    expect(await state()).toEqual({value: 1, display_value: 'Waiting'})
    expect((await w.call('GET', `/${id}/conflict`)).result.job_status).toBe('1')
    w.clock.t += 5_000
    expect(await state()).toEqual({value: 2, display_value: 'In-Progress'})
    // A second POST while it runs answers the same run.
    expect((await w.call('POST', `/${id}/conflict`)).result).toBe(run)
    w.clock.t += 5_000
    expect(await state()).toEqual({value: 3, display_value: 'Complete'})
    const done = (await w.call('GET', `/${id}/conflict`)).result
    expect([done.status, done.job_status, done.last_run]).toEqual([
      'Conflict',
      '2',
      glide(T0)
    ])
    expect(
      (await admin(w.s, 'GET', '/workers')).filter(
        (x: any) => x.type === 'conflict'
      )
    ).toHaveLength(1)
  })

  it('an unknown worker is 404; without the Change Management API the path is no resource', async () => {
    const w = await sim()
    expect(
      (await w.call('GET', '/worker/0123456789abcdef0123456789abcdef')).code
    ).toBe(404)
    const off = await sim({changeApi: false})
    const r = await off.call('GET', '/worker/0123456789abcdef0123456789abcdef')
    expect([r.code, r.error.message]).toEqual([
      400,
      'Requested URI does not represent any resource'
    ])
  })
})

describe('conflicts', () => {
  const finished = async (
    w: Awaited<ReturnType<typeof sim>>,
    id: string
  ): Promise<any[]> => {
    await w.call('POST', `/${id}/conflict`)
    return (await w.call('GET', `/${id}/conflict`)).result.conflicts
  }

  it('one conflict per other active change on the CI, counted; affected CIs count; inactive ones and other CIs do not', async () => {
    const w = await sim({workerDelayMs: 0})
    const payments = await w.ci('Payments API')
    const orders = await w.ci('Orders DB')
    const window = {
      start_date: glide(T0 + DAY),
      end_date: glide(T0 + DAY + 2 * HOUR)
    }
    const ours = await w.change({cmdb_ci: payments, ...window})
    const overlapping = await w.change({
      cmdb_ci: payments,
      start_date: glide(T0 + DAY + HOUR),
      end_date: glide(T0 + DAY + 3 * HOUR)
    })
    await w.change({cmdb_ci: payments, ...window, state: '3'})
    await w.change({cmdb_ci: orders, ...window})
    // Another change with Payments API among its affected CIs.
    const viaAffected = await w.change({cmdb_ci: orders, ...window})
    await w.call('POST', `/${viaAffected}/ci`, {
      cmdb_ci_sys_ids: [payments],
      association_type: 'affected'
    })
    const found = await finished(w, ours)
    expect(
      found.map(c => [c.type.value, c.conflicting_change.value]).sort()
    ).toEqual(
      [
        ['ci_already_scheduled', overlapping],
        ['ci_already_scheduled', viaAffected]
      ].sort()
    )
    const row = (
      await raw(
        w.s,
        'GET',
        `/api/now/table/change_request/${ours}?sysparm_fields=conflict_status,conflict_last_run`
      )
    ).json.result
    expect(row).toEqual({
      conflict_status: 'Conflict',
      conflict_last_run: glide(T0)
    })
  })

  it('a weekly maintenance window holds a change in its third week; outside it the flag is set, and cleared once inside', async () => {
    const w = await sim({workerDelayMs: 0})
    await admin(w.s, 'POST', '/schedules', {
      name: 'Saturday night',
      type: 'maintenance',
      spans: [
        {
          start: glide(T0 + 4 * DAY + 13 * HOUR),
          end: glide(T0 + 4 * DAY + 17 * HOUR),
          repeat: 'weekly'
        }
      ],
      cis: ['Orders DB']
    })
    const saturday3 = T0 + 18 * DAY + 13 * HOUR
    const id = await w.change({
      cmdb_ci: await w.ci('Orders DB'),
      start_date: glide(saturday3 + HOUR),
      end_date: glide(saturday3 + 3 * HOUR)
    })
    expect(await finished(w, id)).toEqual([])
    await raw(w.s, 'PATCH', `/api/now/table/change_request/${id}`, {
      body: {end_date: glide(saturday3 + 5 * HOUR)}
    })
    const outside = await finished(w, id)
    expect(outside.map(c => [c.type.value, c.schedule.display_value])).toEqual([
      ['not_in_maintenance_window', 'Saturday night']
    ])
    const flag = async (): Promise<string> =>
      (
        await raw(
          w.s,
          'GET',
          `/api/now/table/change_request/${id}?sysparm_fields=outside_maintenance_schedule`
        )
      ).json.result.outside_maintenance_schedule
    expect(await flag()).toBe('true')
    await raw(w.s, 'PATCH', `/api/now/table/change_request/${id}`, {
      body: {end_date: glide(saturday3 + 4 * HOUR)}
    })
    expect(await finished(w, id)).toEqual([])
    expect(await flag()).toBe('false')
  })

  it('a blackout for one CI leaves another CI alone', async () => {
    const w = await sim({workerDelayMs: 0})
    await admin(w.s, 'POST', '/schedules', {
      name: 'Payments freeze',
      type: 'blackout',
      spans: [{start: glide(T0), end: glide(T0 + 7 * DAY)}],
      cis: ['Payments API']
    })
    const window = {
      start_date: glide(T0 + DAY),
      end_date: glide(T0 + DAY + HOUR)
    }
    const onPayments = await w.change({
      cmdb_ci: await w.ci('Payments API'),
      ...window
    })
    const onOrders = await w.change({
      cmdb_ci: await w.ci('Orders DB'),
      ...window
    })
    expect((await finished(w, onPayments)).map(c => c.type.value)).toEqual([
      'blackout'
    ])
    expect(await finished(w, onOrders)).toEqual([])
  })

  it('cancel: clears the conflicts and says Not Run; with nothing running it is refused', async () => {
    const w = await sim({workerDelayMs: 60_000})
    const id = await w.change({
      cmdb_ci: await w.ci('Payments API'),
      start_date: glide(T0 + DAY),
      end_date: glide(T0 + DAY + HOUR)
    })
    await w.call('POST', `/${id}/conflict`)
    expect((await w.call('DELETE', `/${id}/conflict`)).code).toBe(200)
    const after = (await w.call('GET', `/${id}/conflict`)).result
    expect([after.status, after.job_status]).toEqual(['Not Run', '4'])
    const again = await w.call('DELETE', `/${id}/conflict`)
    expect([again.code, again.error.message]).toEqual([
      400,
      'Cancel request failed'
    ])
  })
})

describe('first_available', () => {
  const slot = async (
    w: Awaited<ReturnType<typeof sim>>,
    id: string,
    body: Record<string, unknown>
  ): Promise<{info: string[]; row: any}> => {
    const started = await w.call(
      'PATCH',
      `/${id}/schedule/first_available`,
      body
    )
    expect(started.code).toBe(202)
    const done = (await w.call('GET', `/worker/${started.result.worker.sysId}`))
      .result
    expect(done.state.display_value).toBe('Complete')
    const row = (
      await raw(
        w.s,
        'GET',
        `/api/now/table/change_request/${id}?sysparm_fields=start_date,end_date`
      )
    ).json.result
    return {info: done.messages.infoMessages, row}
  }

  it('after the change that occupies the CI, and after a blackout that follows it', async () => {
    const w = await sim({workerDelayMs: 0})
    const payments = await w.ci('Payments API')
    await w.change({
      cmdb_ci: payments,
      start_date: glide(T0),
      end_date: glide(T0 + 2 * HOUR)
    })
    await admin(w.s, 'POST', '/schedules', {
      name: 'Lunch freeze',
      type: 'blackout',
      spans: [
        {start: glide(T0 + 2 * HOUR + 30 * 60_000), end: glide(T0 + 4 * HOUR)}
      ]
    })
    const id = await w.change({cmdb_ci: payments})
    // 45 min do not fit between 11:00 and the freeze at 11:30: the slot is after the freeze.
    const {info, row} = await slot(w, id, {duration_in_seconds: 2700})
    expect(info).toEqual(['Change has been updated'])
    expect(row).toEqual({
      start_date: glide(T0 + 4 * HOUR),
      end_date: glide(T0 + 4 * HOUR + 45 * 60_000)
    })
  })

  it('inside the next weekly maintenance window, from planned_start_time', async () => {
    const w = await sim({workerDelayMs: 0})
    await admin(w.s, 'POST', '/schedules', {
      name: 'Saturday night',
      type: 'maintenance',
      spans: [
        {
          start: glide(T0 + 4 * DAY + 13 * HOUR),
          end: glide(T0 + 4 * DAY + 17 * HOUR),
          repeat: 'weekly'
        }
      ],
      cis: ['Orders DB']
    })
    const id = await w.change({cmdb_ci: await w.ci('Orders DB')})
    const {row} = await slot(w, id, {
      duration_in_seconds: '3600',
      planned_start_time: glide(T0 + 6 * DAY)
    })
    expect(row.start_date).toBe(glide(T0 + 11 * DAY + 13 * HOUR))
  })

  it('no slot within 90 days: the change is untouched and the worker says so', async () => {
    const w = await sim({workerDelayMs: 0})
    await admin(w.s, 'POST', '/schedules', {
      name: 'Long freeze',
      type: 'blackout',
      spans: [{start: glide(T0), end: glide(T0 + 89 * DAY + 23 * HOUR)}]
    })
    const id = await w.change({cmdb_ci: await w.ci('Checkout Web')})
    // The freeze ends 1 h before the 90 days do: 2 h do not fit, 1 h does.
    const {info, row} = await slot(w, id, {duration_in_seconds: 7200})
    expect(info).toEqual(['No slots found for 90 days from now'])
    expect(row).toEqual({start_date: '', end_date: ''})
    expect(
      (await slot(w, id, {duration_in_seconds: 3600})).row.start_date
    ).toBe(glide(T0 + 89 * DAY + 23 * HOUR))
  })

  it("GET /schedule lists free spans of the change's length, after the blackout; without a window it is 400", async () => {
    const w = await sim({workerDelayMs: 0})
    const payments = await w.ci('Payments API')
    await admin(w.s, 'POST', '/schedules', {
      name: 'Morning freeze',
      type: 'blackout',
      spans: [{start: glide(T0), end: glide(T0 + 3 * HOUR)}]
    })
    const id = await w.change({
      cmdb_ci: payments,
      start_date: glide(T0),
      end_date: glide(T0 + HOUR)
    })
    const started = await w.call('GET', `/${id}/schedule`)
    expect(started.code).toBe(202)
    const done = (await w.call('GET', `/worker/${started.result.worker.sysId}`))
      .result
    const spans = done.payload.spans
    expect(spans).toHaveLength(10)
    expect(spans[0]).toEqual({
      start: {value: glide(T0 + 3 * HOUR), display_value: glide(T0 + 3 * HOUR)},
      end: {value: glide(T0 + 4 * HOUR), display_value: glide(T0 + 4 * HOUR)}
    })
    const bare = await w.change({cmdb_ci: payments})
    expect((await w.call('GET', `/${bare}/schedule`)).code).toBe(400)
    const noCi = await w.change({
      start_date: glide(T0),
      end_date: glide(T0 + HOUR)
    })
    expect((await w.call('GET', `/${noCi}/schedule`)).code).toBe(400)
  })

  it.each([
    ['no duration', {}],
    ['a duration of 0', {duration_in_seconds: 0}],
    ['a duration that is not a number', {duration_in_seconds: 'soon'}],
    [
      'a planned_start_time that is no date',
      {duration_in_seconds: 60, planned_start_time: 'tomorrow'}
    ]
  ])('%s is 400', async (_, body) => {
    const w = await sim()
    const id = await w.change({cmdb_ci: await w.ci('Orders DB')})
    expect(
      (await w.call('PATCH', `/${id}/schedule/first_available`, body)).code
    ).toBe(400)
  })

  it('a change without a CI is 400; an unknown change 404', async () => {
    const w = await sim()
    const id = await w.change({})
    expect(
      (
        await w.call('PATCH', `/${id}/schedule/first_available`, {
          duration_in_seconds: 60
        })
      ).code
    ).toBe(400)
    expect(
      (
        await w.call(
          'PATCH',
          '/0123456789abcdef0123456789abcdef/schedule/first_available',
          {
            duration_in_seconds: 60
          }
        )
      ).code
    ).toBe(404)
  })
})

describe('CI association and risk', () => {
  it('adds each CI once; a bad id is an error message; all bad is Error', async () => {
    const w = await sim({workerDelayMs: 0})
    const orders = await w.ci('Orders DB')
    const id = await w.change({})
    const associate = async (ids: unknown): Promise<any> => {
      const r = await w.call('POST', `/${id}/ci`, {
        cmdb_ci_sys_ids: ids,
        association_type: 'affected'
      })
      return (await w.call('GET', `/worker/${r.result.worker.sysId}`)).result
    }
    expect(
      (await associate(`${orders},ffffffffffffffffffffffffffffffff`)).messages
        .errorMessages
    ).toEqual([
      'Invalid CMDB_CI sys_id provided: ffffffffffffffffffffffffffffffff'
    ])
    expect((await associate([orders])).messages.infoMessages).toEqual([
      'CMDB_CI sys_id already associated to provided.'
    ])
    expect(
      (await associate(['ffffffffffffffffffffffffffffffff'])).state
        .display_value
    ).toBe('Error')
    const listed = await w.call('GET', `/${id}/ci?association_type=affected`)
    expect(listed.result.map((r: any) => r.ci_item.value)).toEqual([orders])
  })

  it.each([
    ['no association_type', {cmdb_ci_sys_ids: ['x']}],
    [
      'an association_type not documented',
      {cmdb_ci_sys_ids: ['x'], association_type: 'related'}
    ],
    ['no CIs', {association_type: 'affected'}]
  ])('%s is 400', async (_, body) => {
    const w = await sim()
    const id = await w.change({})
    expect((await w.call('POST', `/${id}/ci`, body)).code).toBe(400)
  })

  it('risk: evaluated by the conditions; under /standard/ too; riskApi false is no resource', async () => {
    const w = await sim()
    const id = await w.change({cmdb_ci: await w.ci('Payments API')})
    const r = await w.call('PATCH', `/standard/${id}/risk`)
    expect([
      r.result.risk.display_value,
      r.result.impact.display_value
    ]).toEqual(['High', '2 - Medium'])
    const off = await sim({riskApi: false})
    const other = await off.change({})
    expect((await off.call('PATCH', `/${other}/risk`)).code).toBe(400)
    expect((await off.call('GET', `/${other}`)).code).toBe(200)
  })
})
