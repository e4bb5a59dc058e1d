import {afterAll, beforeAll, describe, expect, it} from '@jest/globals'
import type {Simulator} from '../src/simulator/server.js'
import {admin, raw, withSimulator} from './helpers/sim.js'

let sim: Simulator
beforeAll(async () => {
  sim = await withSimulator()
})
afterAll(() => sim.stop())

const basic = (user: string, password: string): string =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
const patch = (id: string, body: Record<string, unknown>) =>
  raw(sim, 'PATCH', `/api/now/table/change_request/${id}`, {body})
const get = async (id: string) =>
  (
    await raw(
      sim,
      'GET',
      `/api/now/table/change_request/${id}?sysparm_fields=state,approval,active`
    )
  ).json.result
const approvers = async (id: string) =>
  (
    await raw(
      sim,
      'GET',
      `/api/now/table/sysapproval_approver?sysparm_query=sysapproval=${id}&sysparm_display_value=true&sysparm_fields=approver,state,comments`
    )
  ).json.result
const create = async (body: Record<string, unknown> = {}) =>
  (
    await raw(
      sim,
      'POST',
      '/api/now/table/change_request?sysparm_input_display_value=true',
      {body: {short_description: 'Model test', ...body}}
    )
  ).json.result

describe('normal change state model', () => {
  it('refuses to jump states, with the business rule abort', async () => {
    const change = await create({assignment_group: 'DevOps Team'})
    const r = await patch(change.sys_id, {state: '-1'})
    expect(r.status).toBe(403)
    expect(r.json.error.message).toBe('Operation Failed')
    expect(r.json.error.detail).toMatch(
      /aborted by Business Rule 'State Model - Can change state\?/
    )
    expect((await get(change.sys_id)).state).toBe('-5')
  })

  it('requires an assignment group to enter Assess', async () => {
    const change = await create()
    const r = await patch(change.sys_id, {state: '-4'})
    expect(r.status).toBe(403)
    expect(r.json.error.message).toBe(
      'Data Policy Exception: \n\tThe following fields are mandatory: Assignment group'
    )
  })

  it('walks New → Assess → Authorize → Scheduled → Implement → Review → Closed through approvals', async () => {
    const change = await create({assignment_group: 'DevOps Team'})
    expect((await patch(change.sys_id, {state: '-4'})).status).toBe(200)
    expect(await get(change.sys_id)).toEqual({
      state: '-4',
      approval: 'requested',
      active: 'true'
    })
    expect(await approvers(change.sys_id)).toEqual([
      {
        approver: {display_value: 'Alice Approver', link: expect.any(String)},
        state: 'Requested',
        comments: ''
      }
    ])

    // Assess is left only through the approval, never by a write.
    expect((await patch(change.sys_id, {state: '-3'})).status).toBe(403)

    await admin(sim, 'POST', `/changes/${change.number}/approve`, {
      comments: 'Looks fine'
    })
    expect(await get(change.sys_id)).toMatchObject({
      state: '-3',
      approval: 'requested'
    })
    const cab = await approvers(change.sys_id)
    expect(cab.map((a: {state: string}) => a.state)).toEqual([
      'Approved',
      'Requested',
      'Requested'
    ])

    await admin(sim, 'POST', `/changes/${change.number}/approve`, {
      approver: 'carol.cab'
    })
    expect(await get(change.sys_id)).toMatchObject({
      state: '-2',
      approval: 'approved'
    })
    expect(
      (await approvers(change.sys_id)).map((a: {state: string}) => a.state)
    ).toEqual(['Approved', 'No Longer Required', 'Approved'])

    expect((await patch(change.sys_id, {state: '-1'})).status).toBe(200)
    expect((await patch(change.sys_id, {state: '0'})).status).toBe(200)
    const closing = await patch(change.sys_id, {state: '3'})
    expect(closing.status).toBe(403)
    expect(closing.json).toEqual({
      error: {
        message:
          'Data Policy Exception: \n\tThe following fields are mandatory: Close code, Close notes',
        detail: null
      },
      status: 'failure'
    })
    expect(
      (
        await patch(change.sys_id, {
          state: '3',
          close_code: 'successful',
          close_notes: 'Deployed'
        })
      ).status
    ).toBe(200)
    expect(await get(change.sys_id)).toEqual({
      state: '3',
      approval: 'approved',
      active: 'false'
    })
    // Closed is final: not even Canceled.
    expect((await patch(change.sys_id, {state: '4'})).status).toBe(403)
  })

  it('a rejection sends the change back to New with approval rejected and the comments recorded', async () => {
    const change = await create({assignment_group: 'DevOps Team'})
    await patch(change.sys_id, {state: '-4'})
    const noComment = await fetch(
      `${sim.url}/__sim/changes/${change.number}/reject`,
      {method: 'POST'}
    )
    expect(noComment.status).toBe(400)
    await admin(sim, 'POST', `/changes/${change.number}/reject`, {
      comments: 'Not during the freeze'
    })
    expect(await get(change.sys_id)).toMatchObject({
      state: '-5',
      approval: 'rejected'
    })
    const [row] = await approvers(change.sys_id)
    expect(row.state).toBe('Rejected')
    expect(row.comments).toMatch(
      / - alice\.approver \(Additional comments\)\nNot during the freeze/
    )
  })

  it('cancels from any state but Review and Closed', async () => {
    const change = await create({assignment_group: 'DevOps Team'})
    await patch(change.sys_id, {state: '-4'})
    expect((await patch(change.sys_id, {state: '4'})).status).toBe(200)
    expect(await get(change.sys_id)).toMatchObject({
      state: '4',
      active: 'false'
    })
    expect((await approvers(change.sys_id))[0].state).toBe('Cancelled')
  })
})

describe('Change Management API (sn_chg_rest)', () => {
  it('creates a normal change with 200 and {display_value, value} objects holding real numbers', async () => {
    const r = await raw(sim, 'POST', '/api/sn_chg_rest/change/normal', {
      body: {short_description: 'via sn_chg_rest', not_a_field: 'x'}
    })
    expect(r.status).toBe(200)
    const result = r.json.result
    expect(result.state).toEqual({display_value: 'New', value: -5})
    expect(result.on_hold).toEqual({display_value: 'false', value: false})
    expect(result.opened_at).toEqual({
      display_value: expect.any(String),
      value: expect.any(String),
      display_value_internal: expect.any(String)
    })
    expect(result.type.value).toBe('normal')
    expect(result.__meta).toEqual({ignoredFields: ['not_a_field']})
  })

  it('creates an emergency change that goes New → Authorize with CAB approvals', async () => {
    const r = await raw(sim, 'POST', '/api/sn_chg_rest/change/emergency', {
      body: {short_description: 'hotfix'}
    })
    const id = r.json.result.sys_id.value
    const next = (
      await raw(sim, 'GET', `/api/sn_chg_rest/change/${id}/nextstates`)
    ).json.result
    expect(next.available_states).toEqual(['-5', '-3', '4'])
    expect(next.state_label).toEqual({
      '-5': 'New',
      '-3': 'Authorize',
      '4': 'Canceled'
    })
    const moved = await raw(sim, 'PATCH', `/api/sn_chg_rest/change/${id}`, {
      body: {state: -3}
    })
    expect(moved.json.result.state.value).toBe(-3)
    expect(moved.json.result.approval.value).toBe('requested')
    expect((await approvers(id)).length).toBe(2)
  })

  it('finds templates by name and creates a pre-approved standard change from one', async () => {
    const found = await raw(
      sim,
      'GET',
      `/api/sn_chg_rest/change/standard/template?sysparm_query=${encodeURIComponent('name=Restart application server^active=true')}`
    )
    expect(found.json.result).toHaveLength(1)
    const template = found.json.result[0]
    expect(template.name.value).toBe('Restart application server')
    const r = await raw(
      sim,
      'POST',
      `/api/sn_chg_rest/change/standard/${template.sys_id.value}`,
      {body: {short_description: 'Restart payments'}}
    )
    expect(r.status).toBe(200)
    const result = r.json.result
    expect([
      result.type.value,
      result.approval.value,
      result.state.value
    ]).toEqual(['standard', 'approved', -5])
    expect(result.short_description.value).toBe('Restart payments')
    expect(result.backout_plan.value).toBe('Start the stopped node again')
  })

  it('lets an approver decide through /approvals, and needs comments to reject', async () => {
    const created = await create({assignment_group: 'DevOps Team'})
    await patch(created.sys_id, {state: '-4'})
    const alice = basic('alice.approver', 'alice')
    const noComments = await raw(
      sim,
      'PATCH',
      `/api/sn_chg_rest/change/${created.sys_id}/approvals`,
      {auth: alice, body: {state: 'rejected'}}
    )
    expect(noComments.status).toBe(400)
    const notMine = await raw(
      sim,
      'PATCH',
      `/api/sn_chg_rest/change/${created.sys_id}/approvals`,
      {body: {state: 'approved'}}
    )
    // change-management-api.md: 400 "such as the user not having the authority to approve or reject".
    expect(notMine.status).toBe(400)
    const ok = await raw(
      sim,
      'PATCH',
      `/api/sn_chg_rest/change/${created.sys_id}/approvals`,
      {auth: alice, body: {state: 'approved'}}
    )
    expect(ok.json.result.state.value).toBe(-3)
  })

  it('is absent on an instance without the plugin', async () => {
    await admin(sim, 'PATCH', '/config', {changeApi: false})
    try {
      const r = await raw(sim, 'POST', '/api/sn_chg_rest/change/normal', {
        body: {}
      })
      expect(r.status).toBe(400)
      expect(r.json.error.message).toBe(
        'Requested URI does not represent any resource'
      )
    } finally {
      await admin(sim, 'PATCH', '/config', {changeApi: true})
    }
  })
})

describe('approval policy', () => {
  it('approves automatically after the configured delay, or rejects on a pattern', async () => {
    const auto = await withSimulator({
      approval: {mode: 'auto', afterMs: 50, rejectPattern: 'REJECT ME'}
    })
    try {
      const post = async (short: string) =>
        (
          await raw(
            auto,
            'POST',
            '/api/now/table/change_request?sysparm_input_display_value=true',
            {body: {short_description: short, assignment_group: 'DevOps Team'}}
          )
        ).json.result
      const good = await post('fine change')
      const bad = await post('please REJECT ME')
      for (const c of [good, bad])
        await raw(auto, 'PATCH', `/api/now/table/change_request/${c.sys_id}`, {
          body: {state: '-4'}
        })
      await new Promise(r => setTimeout(r, 300))
      const state = async (id: string) =>
        (
          await raw(
            auto,
            'GET',
            `/api/now/table/change_request/${id}?sysparm_fields=state,approval`
          )
        ).json.result
      expect(await state(good.sys_id)).toEqual({
        state: '-2',
        approval: 'approved'
      })
      expect(await state(bad.sys_id)).toEqual({
        state: '-5',
        approval: 'rejected'
      })
    } finally {
      await auto.stop()
    }
  })
})

describe('silent refusals', () => {
  it('can keep the old state without an error, as some instances do', async () => {
    await admin(sim, 'PATCH', '/config', {transitionRefusal: 'ignore'})
    try {
      const change = await create()
      const r = await patch(change.sys_id, {
        state: '3',
        close_code: 'successful',
        close_notes: 'x'
      })
      expect(r.status).toBe(200)
      expect(r.json.result.state).toBe('-5')
    } finally {
      await admin(sim, 'PATCH', '/config', {transitionRefusal: 'error'})
    }
  })
})

describe('as instances answer (issue 12, smaller truths)', () => {
  it('a business-rule abort over the Table API: "Operation Failed", the rule named with its own sys_id, not the record\'s', async () => {
    const change = await create({assignment_group: 'DevOps Team'})
    const r = await patch(change.sys_id, {state: '-1'})
    expect(r.json.error.message).toBe('Operation Failed')
    const rule =
      /^Operation against file 'change_request' was aborted by Business Rule 'State Model - Can change state\?\^([0-9a-f]{32})'$/.exec(
        r.json.error.detail
      )
    expect(rule).not.toBeNull()
    expect(rule![1]).not.toBe(change.sys_id)
    // The same rule has the same sys_id whichever record it aborts.
    const other = await create({assignment_group: 'DevOps Team'})
    expect((await patch(other.sys_id, {state: '-1'})).json.error.detail).toBe(
      r.json.error.detail
    )
  })

  it('the same abort through the Change Management API: the text in message, detail empty', async () => {
    const change = await create({assignment_group: 'DevOps Team'})
    const r = await raw(
      sim,
      'PATCH',
      `/api/sn_chg_rest/change/${change.sys_id}`,
      {body: {state: -1}}
    )
    expect(r.status).toBe(403)
    expect(r.json.error.detail).toBe('')
    expect(r.json.error.message).toMatch(
      /^Change Request record could not be updated\. Operation against file 'change_request' was aborted by Business Rule 'State Model - Can change state\?\^[0-9a-f]{32}'\. Business Rule Stack:State Model - Can change state\?$/
    )
  })

  it('accepts a Table API insert of a change in a non-New state, as an instance does', async () => {
    const r = await raw(sim, 'POST', '/api/now/table/change_request', {
      body: {short_description: 'straight to Scheduled', state: '-2'}
    })
    expect(r.status).toBe(201)
    expect(r.json.result.state).toBe('-2')
  })

  it('lists at most 500 standard change templates unless sysparm_limit says otherwise', async () => {
    for (let i = 0; i < 501; i++)
      sim.instance.store.insert(
        'std_change_record_producer',
        {name: `Bulk template ${i}`, active: 'true', template: ''},
        'system'
      )
    const all = await raw(
      sim,
      'GET',
      '/api/sn_chg_rest/change/standard/template'
    )
    expect(all.json.result).toHaveLength(500)
    expect(Number(all.headers.get('x-total-count'))).toBeGreaterThan(500)
    expect(
      (
        await raw(
          sim,
          'GET',
          '/api/sn_chg_rest/change/standard/template?sysparm_limit=600'
        )
      ).json.result.length
    ).toBeGreaterThan(500)
  })
})
