import {afterAll, beforeAll, describe, expect, it} from '@jest/globals'
import type {Simulator} from '../src/simulator/server.js'
import {admin, raw, withSimulator} from './helpers/sim.js'

/**
 * The simulator's change lifecycle against ServiceNow's documents: on hold
 * (t_PlaceAChangeRequestOnHold.md), nextstates, change tasks and standard
 * changes (change-management-api.md). The fixtures transcribed from the same
 * documents are checked by contract.test.ts.
 */
let sim: Simulator
beforeAll(async () => {
  sim = await withSimulator()
})
afterAll(() => sim.stop())

const adminAuth = `Basic ${Buffer.from('admin:admin').toString('base64')}`
const table = (method: string, path: string, body?: unknown) =>
  raw(sim, method, `/api/now/table/${path}`, {body, auth: adminAuth})
const cm = (method: string, path: string, body?: unknown) =>
  raw(sim, method, `/api/sn_chg_rest/change${path}`, {body})
const newChange = async (
  body: Record<string, unknown> = {}
): Promise<{sys_id: string; number: string}> =>
  (
    await table('POST', 'change_request?sysparm_input_display_value=true', {
      short_description: 'Lifecycle',
      assignment_group: 'DevOps Team',
      ...body
    })
  ).json.result
const approvalStates = async (id: string): Promise<string[]> =>
  (
    await table(
      'GET',
      `sysapproval_approver?sysparm_query=sysapproval=${id}^ORDERBYsys_created_on&sysparm_fields=state`
    )
  ).json.result.map((a: {state: string}) => a.state)

/** A normal change approved at both stages: Scheduled. */
async function scheduledChange(): Promise<{sys_id: string; number: string}> {
  const change = await newChange()
  await table('PATCH', `change_request/${change.sys_id}`, {state: '-4'})
  await admin(sim, 'POST', `/changes/${change.number}/approve`, {})
  await admin(sim, 'POST', `/changes/${change.number}/approve`, {})
  return change
}

async function implementingChange(): Promise<{sys_id: string; number: string}> {
  const change = await scheduledChange()
  expect(
    (await table('PATCH', `change_request/${change.sys_id}`, {state: '-1'}))
      .status
  ).toBe(200)
  return change
}

describe('on hold', () => {
  it('marks pending approvals No Longer Required and asks them again when taken off hold', async () => {
    const change = await newChange()
    await table('PATCH', `change_request/${change.sys_id}`, {state: '-4'})
    expect(await approvalStates(change.sys_id)).toEqual(['requested'])
    await table('PATCH', `change_request/${change.sys_id}`, {
      on_hold: true,
      on_hold_reason: 'Waiting for the vendor'
    })
    expect(await approvalStates(change.sys_id)).toEqual(['not_required'])
    const refused = await fetch(
      `${sim.url}/__sim/changes/${change.number}/approve`,
      {method: 'POST'}
    )
    expect(refused.status).toBe(409)
    await table('PATCH', `change_request/${change.sys_id}`, {on_hold: false})
    expect(await approvalStates(change.sys_id)).toEqual(['requested'])
  })

  it('lets an on-hold change move only to Canceled, which clears the hold', async () => {
    const change = await scheduledChange()
    await table('PATCH', `change_request/${change.sys_id}`, {
      on_hold: true,
      on_hold_reason: 'Freeze'
    })
    const next = (await cm('GET', `/${change.sys_id}/nextstates`)).json.result
    expect(next.available_states).toEqual(['-2', '4'])
    const implement = next.state_transitions.find(
      (group: any[]) => group[0].to_state === '-1'
    )[0]
    expect(implement).toMatchObject({
      transition_available: false,
      conditions: [{passed: false, condition: {name: 'Not On hold'}}]
    })
    const move = await table('PATCH', `change_request/${change.sys_id}`, {
      state: '-1'
    })
    expect(move.status).toBe(403)
    expect(
      (await table('PATCH', `change_request/${change.sys_id}`, {state: '4'}))
        .status
    ).toBe(200)
    const after = (
      await table(
        'GET',
        `change_request/${change.sys_id}?sysparm_fields=state,on_hold`
      )
    ).json.result
    expect(after).toEqual({state: '4', on_hold: 'false'})
  })
})

describe('change tasks', () => {
  it('keep a change from closing while active, and nextstates names the condition', async () => {
    const change = await implementingChange()
    const created = await cm('POST', `/${change.sys_id}/task`, {
      short_description: 'Check the canary',
      no_such_field: 'x'
    })
    expect(created.status).toBe(200)
    const task = created.json.result[0]
    expect(task.__meta.ignoredFields).toEqual(['no_such_field'])
    expect(task.parent.value).toBe(change.sys_id)
    await table('PATCH', `change_request/${change.sys_id}`, {state: '0'})
    const next = (await cm('GET', `/${change.sys_id}/nextstates`)).json.result
    expect(next.available_states).toEqual(['0'])
    const close = next.state_transitions.find(
      (group: any[]) => group[0].to_state === '3'
    )[0]
    expect(close.transition_available).toBe(false)
    expect(
      close.conditions.map((c: any) => [c.condition.name, c.passed])
    ).toEqual([
      ['Not On hold', true],
      ['No active Change Tasks', false]
    ])
    expect(
      (
        await table('PATCH', `change_request/${change.sys_id}`, {
          state: '3',
          close_code: 'successful',
          close_notes: 'x'
        })
      ).status
    ).toBe(403)
    await cm('PATCH', `/${change.sys_id}/task/${task.sys_id.value}`, {state: 3})
    expect(
      (
        await table('PATCH', `change_request/${change.sys_id}`, {
          state: '3',
          close_code: 'successful',
          close_notes: 'x'
        })
      ).status
    ).toBe(200)
  })

  it('are listed per change, and a task of another change is not found', async () => {
    const one = await newChange()
    const other = await newChange()
    const task = (
      await cm('POST', `/${one.sys_id}/task`, {
        short_description: 'Only on one'
      })
    ).json.result[0]
    expect(
      (await cm('GET', `/${one.sys_id}/task`)).json.result.map(
        (t: any) => t.sys_id.value
      )
    ).toEqual([task.sys_id.value])
    expect((await cm('GET', `/${other.sys_id}/task`)).json.result).toEqual([])
    expect(
      (
        await cm('PATCH', `/${other.sys_id}/task/${task.sys_id.value}`, {
          state: 3
        })
      ).status
    ).toBe(404)
  })

  it('are canceled with their change', async () => {
    const change = await newChange()
    const task = (
      await cm('POST', `/${change.sys_id}/task`, {
        short_description: 'Goes with it'
      })
    ).json.result[0]
    await table('PATCH', `change_request/${change.sys_id}`, {state: '4'})
    expect(
      (
        await table(
          'GET',
          `change_task/${task.sys_id.value}?sysparm_fields=state,active`
        )
      ).json.result
    ).toEqual({state: '4', active: 'false'})
  })
})

describe('standard changes', () => {
  const template = async (): Promise<any> =>
    (
      await cm(
        'GET',
        '/standard/template?sysparm_query=name=Deploy web application'
      )
    ).json.result[0]

  it('ignore description and plans on create and list them in __meta.ignoredFields; record the template version and model', async () => {
    const t = await template()
    expect(t.template).toEqual({
      value: expect.stringMatching(/^[0-9a-f]{32}$/),
      display_value: 'Deploy web application'
    })
    const made = await cm('POST', `/standard/${t.sys_id.value}`, {
      description: 'mine',
      test_plan: 'mine',
      short_description: 'Deploy v2'
    })
    expect(made.json.result.__meta.ignoredFields).toEqual([
      'description',
      'test_plan'
    ])
    expect(made.json.result.description.value).toBe(
      'Routine deployment through the pipeline'
    )
    expect(made.json.result.std_change_producer_version.display_value).toBe(
      'Deploy web application - 1'
    )
    expect(made.json.result.chg_model.display_value).toBe('Standard')
  })

  it('abort a PATCH of restricted fields with the business rule', async () => {
    const t = await template()
    const made = (await cm('POST', `/standard/${t.sys_id.value}`, {})).json
      .result
    const r = await cm('PATCH', `/${made.sys_id.value}`, {
      implementation_plan: 'changed'
    })
    expect(r.status).toBe(403)
    expect(JSON.stringify(r.json.error)).toMatch(
      /aborted by Business Rule 'Restrict fields from Standard Change\^/
    )
    expect(
      (await cm('PATCH', `/${made.sys_id.value}`, {short_description: 'fine'}))
        .status
    ).toBe(200)
  })
})
