import {afterAll, beforeAll, describe, expect, it} from '@jest/globals'
import {errors} from '../scripts/local-runner.js'
import {SEED_USERS} from '../src/simulator/seed.js'
import type {Simulator} from '../src/simulator/server.js'
import {suiteCounts} from './helpers/counts.js'
import {scannedSteps} from './helpers/scan.js'
import {admin, raw, withSimulator} from './helpers/sim.js'

/**
 * The roles the Change Management API asks for
 * (markdown/api-reference/rest-apis/change-management-api.md): POST and PATCH
 * need itil, change_manager or admin; sn_change_read covers GET only. A user
 * holding sn_change_read and sn_change_write is refused every write, and the
 * step says which roles would do.
 */
let sim: Simulator
const counts = suiteCounts('e2e-roles')
let runStep: ReturnType<typeof scannedSteps>
const integration = (): Record<string, string> => ({
  instance_url: sim.url,
  username: 'devops.integration',
  password: 'sn-integration-pw'
})
const reader = (): Record<string, string> => ({
  instance_url: sim.url,
  username: SEED_USERS.changeReader.user_name,
  password: SEED_USERS.changeReader.password
})
const ROLE_ADVICE =
  /refused the request .*ACL Exception (Insert|Update) Failed.*Give the integration user the itil or change_manager role: .*needs itil, change_manager or admin \(sn_change_read and sn_change_write allow reading only\)/
beforeAll(async () => {
  sim = await withSimulator()
  runStep = scannedSteps(sim, counts)
})
afterAll(() => sim.stop())

const basic = (user: {user_name: string; password: string}): string =>
  `Basic ${Buffer.from(`${user.user_name}:${user.password}`).toString('base64')}`

describe('a user with only sn_change_read and sn_change_write', () => {
  it('cannot create a change: one line naming itil, change_manager or admin, and nothing created', async () => {
    const before = (await admin(sim, 'GET', '/changes')).length
    const create = await runStep('create', {
      ...reader(),
      template: 'Deploy web application',
      correlation_id: 'roles-create'
    })
    expect(create.code).toBe(1)
    expect(errors(create)).toEqual([expect.stringMatching(ROLE_ADVICE)])
    expect((await admin(sim, 'GET', '/changes')).length).toBe(before)
    // The connection check read change_request (GET is allowed); the one write was refused.
    expect(
      sim
        .requests({method: 'POST', path: '/api/sn_chg_rest/change/standard/'})
        .filter(r => r.user === 'change.reader')
        .map(r => r.status)
    ).toEqual([403])
  })

  it('cannot move or close a change another user created, and the change is left as it was', async () => {
    const create = await runStep('create', {
      ...integration(),
      template: 'Deploy web application',
      correlation_id: 'roles-update'
    })
    expect(errors(create)).toEqual([])
    const id = create.outputs.change_sys_id!
    const before = await admin(sim, 'GET', `/changes/${id}`)
    const update = await runStep('update', {
      ...reader(),
      change_sys_id: id,
      state: 'implement',
      work_notes: 'rolling out'
    })
    expect(update.code).toBe(1)
    expect(errors(update)).toEqual([expect.stringMatching(ROLE_ADVICE)])
    const close = await runStep('close', {
      ...reader(),
      change_sys_id: id,
      result: 'success'
    })
    expect(close.code).toBe(1)
    expect(errors(close)).toEqual([expect.stringMatching(ROLE_ADVICE)])
    const after = await admin(sim, 'GET', `/changes/${id}`)
    expect({state: after.state, work_notes: after.work_notes}).toEqual({
      state: '-2',
      work_notes: before.work_notes
    })
    // It may still read: GET through the Change Management API answers 200.
    expect(
      (
        await raw(sim, 'GET', `/api/sn_chg_rest/change/${id}`, {
          auth: basic(SEED_USERS.changeReader)
        })
      ).status
    ).toBe(200)
  })
})

describe('DELETE through the Change Management API', () => {
  it('needs change_manager or admin: itil is refused', async () => {
    const create = await runStep('create', {
      ...integration(),
      template: 'Deploy web application',
      correlation_id: 'roles-delete'
    })
    const id = create.outputs.change_sys_id!
    const refused = await raw(sim, 'DELETE', `/api/sn_chg_rest/change/${id}`)
    expect([refused.status, refused.json.error.detail]).toEqual([
      403,
      'ACL Exception Delete Failed due to security constraints'
    ])
    expect(
      (
        await raw(sim, 'DELETE', `/api/sn_chg_rest/change/${id}`, {
          auth: basic(SEED_USERS.admin)
        })
      ).status
    ).toBe(204)
  })
})
