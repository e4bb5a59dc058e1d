import {afterAll, beforeAll, describe, expect, it} from '@jest/globals'
import {errors} from '../scripts/local-runner.js'
import type {Simulator} from '../src/simulator/server.js'
import {suiteCounts} from './helpers/counts.js'
import {e2eEnvironment, type E2eEnvironment} from './helpers/e2e.js'
import {admin, raw} from './helpers/sim.js'

/**
 * Smaller truths of issue 12 through the bundles: business-rule aborts worded
 * as instances word them, comments headed "(Additional comments)", and a
 * change inserted straight into Scheduled (as some pipelines do) adopted,
 * gated and closed.
 */
let sim: Simulator
const counts = suiteCounts('e2e-instance-truths')
let runStep: E2eEnvironment['runStep']
let connection: Record<string, string>
beforeAll(async () => {
  ;({sim, runStep, connection} = await e2eEnvironment(counts))
})
afterAll(() => sim.stop())

describe('a business rule that aborts a write', () => {
  it("fails the step with one line naming the rule, without the rule's sys_id or stack", async () => {
    const create = await runStep('create', {
      ...connection,
      assignment_group: 'DevOps Team',
      correlation_id: 'truths-abort'
    })
    expect(errors(create)).toEqual([])
    expect(create.outputs.state).toBe('assess')
    // Without the Change Management API there is no nextstates to consult first: the Table API write meets the rule.
    await admin(sim, 'PATCH', '/config', {changeApi: false})
    try {
      const update = await runStep('update', {
        ...connection,
        change_sys_id: create.outputs.change_sys_id!,
        state: 'implement'
      })
      expect(update.code).toBe(1)
      expect(errors(update)).toEqual([
        expect.stringMatching(
          /failed 403: Operation Failed: Operation against file 'change_request' was aborted by Business Rule 'State Model - Can change state\?'$/
        )
      ])
      expect(update.stdout).not.toMatch(/Can change state\?\^[0-9a-f]/)
    } finally {
      await admin(sim, 'PATCH', '/config', {changeApi: true})
    }
    expect(
      (await admin(sim, 'GET', `/changes/${create.outputs.change_sys_id}`))
        .state
    ).toBe('-4')
  })
})

describe('comments headed "(Additional comments)"', () => {
  it('a rejection names the approver and their words, without the journal header', async () => {
    const create = await runStep('create', {
      ...connection,
      assignment_group: 'DevOps Team',
      correlation_id: 'truths-comments'
    })
    await admin(
      sim,
      'POST',
      `/changes/${create.outputs.change_number}/reject`,
      {comments: 'Not during the freeze'}
    )
    const shown = await raw(
      sim,
      'GET',
      `/api/now/table/sysapproval_approver?sysparm_query=sysapproval=${create.outputs.change_sys_id}&sysparm_fields=comments&sysparm_display_value=true`
    )
    expect(shown.json.result[0].comments).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d - alice\.approver \(Additional comments\)\nNot during the freeze\n$/
    )
    const wait = await runStep('wait', {
      ...connection,
      change_sys_id: create.outputs.change_sys_id!,
      poll_interval_seconds: '5',
      timeout_minutes: '1'
    })
    expect(errors(wait)).toEqual([
      `::error::${create.outputs.change_number} was rejected by Alice Approver: "Not during the freeze".`
    ])
    expect(JSON.parse(wait.outputs.approvers!)).toEqual([
      expect.objectContaining({
        name: 'Alice Approver',
        state: 'rejected',
        comments: 'Not during the freeze'
      })
    ])
  })
})

describe('a change inserted straight into Scheduled through the Table API', () => {
  it('is accepted by the instance, then adopted, gated at once and closed', async () => {
    const inserted = await raw(
      sim,
      'POST',
      '/api/now/table/change_request?sysparm_input_display_value=true',
      {
        body: {
          short_description: 'Pipeline change, pre-scheduled',
          state: '-2',
          approval: 'approved',
          assignment_group: 'DevOps Team'
        }
      }
    )
    expect([inserted.status, inserted.json.result.state]).toEqual([201, '-2'])
    const number = inserted.json.result.number
    const create = await runStep('create', {
      ...connection,
      change_number: number
    })
    expect(errors(create)).toEqual([])
    expect(create.outputs).toMatchObject({
      created: 'false',
      state: 'scheduled',
      approval: 'approved'
    })
    const wait = await runStep('wait', {
      ...connection,
      change_number: number,
      timeout_minutes: '0'
    })
    expect(wait.outputs.decision).toBe('approved')
    const close = await runStep('close', {
      ...connection,
      change_number: number,
      result: 'success'
    })
    expect(errors(close)).toEqual([])
    expect((await admin(sim, 'GET', `/changes/${number}`)).state).toBe('3')
  })
})
