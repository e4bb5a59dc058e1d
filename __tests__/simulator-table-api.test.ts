import {afterAll, beforeAll, describe, expect, it} from '@jest/globals'
import type {Simulator} from '../src/simulator/server.js'
import {raw, withSimulator} from './helpers/sim.js'

let sim: Simulator
beforeAll(async () => {
  sim = await withSimulator()
})
afterAll(() => sim.stop())

const newChange = async (body: Record<string, unknown> = {}) =>
  (
    await raw(sim, 'POST', '/api/now/table/change_request', {
      body: {short_description: 'Simulator test', ...body}
    })
  ).json.result

describe('authentication', () => {
  it('refuses a request without credentials with the real envelope', async () => {
    const r = await raw(sim, 'GET', '/api/now/table/change_request', {auth: ''})
    expect(r.status).toBe(401)
    expect(r.json).toEqual({
      error: {
        message: 'User Not Authenticated',
        detail: 'Required to provide Auth information'
      },
      status: 'failure'
    })
  })
  it('refuses a wrong password the same way', async () => {
    const r = await raw(sim, 'GET', '/api/now/table/change_request', {
      auth: `Basic ${Buffer.from('devops.integration:nope').toString('base64')}`
    })
    expect(r.status).toBe(401)
  })
  it('answers a user without a change role with an ACL 403', async () => {
    const r = await raw(sim, 'GET', '/api/now/table/change_request', {
      auth: `Basic ${Buffer.from('no.roles:no.roles').toString('base64')}`
    })
    expect(r.status).toBe(403)
    expect(r.json.error).toEqual({
      message: 'Operation Failed',
      detail: 'ACL Exception Read Failed due to security constraints'
    })
  })
  it('insists on an Accept header that allows JSON', async () => {
    const r = await raw(sim, 'GET', '/api/now/table/change_request', {
      headers: {Accept: 'text/xml'}
    })
    expect(r.status).toBe(400)
  })
})

describe('reading', () => {
  it('shows references as {link, value}, or bare with exclude_reference_link', async () => {
    const group = (
      await raw(
        sim,
        'GET',
        '/api/now/table/sys_user_group?sysparm_query=name=DevOps%20Team'
      )
    ).json.result[0]
    const manager = group.manager
    expect(manager).toEqual({
      link: `${sim.url}/api/now/table/sys_user/${manager.value}`,
      value: expect.stringMatching(/^[0-9a-f]{32}$/)
    })
    const bare = (
      await raw(
        sim,
        'GET',
        '/api/now/table/sys_user_group?sysparm_query=name=DevOps%20Team&sysparm_exclude_reference_link=true'
      )
    ).json.result[0]
    expect(bare.manager).toBe(manager.value)
  })

  it('display_value=true gives labels, all gives both', async () => {
    const change = await newChange({assignment_group: 'DevOps Team'})
    // Without sysparm_input_display_value a name is stored as is: a reference to nothing.
    expect(change.assignment_group.value).toBe('DevOps Team')
    const id = change.sys_id
    const shown = (
      await raw(
        sim,
        'GET',
        `/api/now/table/change_request/${id}?sysparm_display_value=true&sysparm_fields=state,approval,type`
      )
    ).json.result
    expect(shown).toEqual({
      state: 'New',
      approval: 'Not Yet Requested',
      type: 'Normal'
    })
    const all = (
      await raw(
        sim,
        'GET',
        `/api/now/table/change_request/${id}?sysparm_display_value=all&sysparm_fields=state,bogus_field`
      )
    ).json.result
    expect(all).toEqual({state: {display_value: 'New', value: '-5'}})
  })

  it('evaluates encoded queries: = != IN STARTSWITH LIKE ISEMPTY ^OR ^NQ and ORDERBY', async () => {
    const names = async (q: string): Promise<string[]> =>
      (
        await raw(
          sim,
          'GET',
          `/api/now/table/cmdb_ci?sysparm_fields=name&sysparm_query=${encodeURIComponent(q)}`
        )
      ).json.result.map((r: {name: string}) => r.name)
    expect(await names('name=Orders DB')).toEqual(['Orders DB'])
    expect(await names('name!=Orders DB^ORDERBYname')).toEqual([
      'Checkout Web',
      'Payments API'
    ])
    expect(await names('nameINOrders DB,Payments API^ORDERBYDESCname')).toEqual(
      ['Payments API', 'Orders DB']
    )
    expect(await names('nameSTARTSWITHPay')).toEqual(['Payments API'])
    expect(await names('nameLIKEout')).toEqual(['Checkout Web'])
    expect(
      await names('name=Orders DB^ORname=Checkout Web^ORDERBYname')
    ).toEqual(['Checkout Web', 'Orders DB'])
    expect(
      await names('name=Orders DB^NQname=Checkout Web^ORDERBYname')
    ).toEqual(['Checkout Web', 'Orders DB'])
    expect(await names('operational_statusISEMPTY')).toEqual([])
    // As on a default instance, a condition on a field the table lacks is dropped, not an error.
    expect(await names('no_such_field=1^name=Orders DB')).toEqual(['Orders DB'])
  })

  it('pages with limit/offset, Link and X-Total-Count, and refuses a negative offset', async () => {
    const r = await raw(
      sim,
      'GET',
      '/api/now/table/sys_user?sysparm_fields=user_name&sysparm_limit=2&sysparm_offset=2'
    )
    // Seven seeded people and the OIDC web-service user.
    expect(r.headers.get('x-total-count')).toBe('8')
    expect(r.json.result).toHaveLength(2)
    const link = r.headers.get('link') ?? ''
    expect(link).toMatch(/sysparm_offset=0[^>]*>;rel="first"/)
    expect(link).toMatch(/sysparm_offset=0[^>]*>;rel="prev"/)
    expect(link).toMatch(/sysparm_offset=4[^>]*>;rel="next"/)
    expect(link).toMatch(/sysparm_offset=6[^>]*>;rel="last"/)
    const negative = await raw(
      sim,
      'GET',
      '/api/now/table/sys_user?sysparm_offset=-1'
    )
    expect(negative.status).toBe(400)
    expect(negative.json.error.message).toBe('Negative offset is not supported')
  })

  it('answers a missing record with 404, an empty match with 200 [], an unknown table with 400', async () => {
    const missing = await raw(
      sim,
      'GET',
      `/api/now/table/change_request/${'0'.repeat(32)}`
    )
    expect(missing.status).toBe(404)
    expect(missing.json).toEqual({
      error: {
        message: 'No Record found',
        detail: "Record doesn't exist or ACL restricts the record retrieval"
      },
      status: 'failure'
    })
    const none = await raw(
      sim,
      'GET',
      '/api/now/table/change_request?sysparm_query=number=CHG9999999'
    )
    expect([none.status, none.json]).toEqual([200, {result: []}])
    const table = await raw(sim, 'GET', '/api/now/table/x_nope')
    expect([table.status, table.json.error.message]).toEqual([
      400,
      'Invalid table x_nope'
    ])
  })
})

describe('writing', () => {
  it('creates with 201 and Location, drops unknown fields, takes display names when asked, cuts correlation_id at 100', async () => {
    const r = await raw(
      sim,
      'POST',
      '/api/now/table/change_request?sysparm_input_display_value=true',
      {
        body: {
          short_description: 'x',
          assignment_group: 'DevOps Team',
          made_up_field: 'y',
          correlation_id: 'c'.repeat(120),
          risk: 4
        }
      }
    )
    expect(r.status).toBe(201)
    expect(r.headers.get('location')).toBe(
      `${sim.url}/api/now/table/change_request/${r.json.result.sys_id}`
    )
    expect(r.json.result.made_up_field).toBeUndefined()
    expect(r.json.result.number).toMatch(/^CHG\d{7}$/)
    expect(r.json.result.assignment_group.value).toMatch(/^[0-9a-f]{32}$/)
    expect(r.json.result.correlation_id).toHaveLength(100)
    expect(r.json.result.risk).toBe('4')
    expect([
      r.json.result.state,
      r.json.result.approval,
      r.json.result.type
    ]).toEqual(['-5', 'not requested', 'normal'])
  })

  it('keeps journal entries out of the stored value and shows them with display values', async () => {
    const change = await newChange()
    await raw(sim, 'PATCH', `/api/now/table/change_request/${change.sys_id}`, {
      body: {work_notes: 'first note'}
    })
    const plain = (
      await raw(
        sim,
        'GET',
        `/api/now/table/change_request/${change.sys_id}?sysparm_fields=work_notes`
      )
    ).json.result
    expect(plain.work_notes).toBe('')
    const shown = (
      await raw(
        sim,
        'GET',
        `/api/now/table/change_request/${change.sys_id}?sysparm_fields=work_notes&sysparm_display_value=true`
      )
    ).json.result
    expect(shown.work_notes).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d - devops\.integration \(Work notes\)\nfirst note\n$/
    )
  })

  it('refuses invalid JSON and a body without Content-Type', async () => {
    expect(
      (
        await raw(sim, 'POST', '/api/now/table/change_request', {
          body: '{"short_desc'
        })
      ).status
    ).toBe(400)
    const r = await fetch(`${sim.url}/api/now/table/change_request`, {
      method: 'POST',
      headers: {
        Accept: 'application/json',
        Authorization: `Basic ${Buffer.from('devops.integration:sn-integration-pw').toString('base64')}`
      },
      body: new Uint8Array(Buffer.from('{}'))
    })
    expect(r.status).toBe(400)
  })

  it('deletes with 204 and no body', async () => {
    const change = await newChange()
    const admin = `Basic ${Buffer.from('admin:admin').toString('base64')}`
    const r = await raw(
      sim,
      'DELETE',
      `/api/now/table/change_request/${change.sys_id}`,
      {auth: admin}
    )
    expect([r.status, r.text]).toEqual([204, ''])
  })
})
