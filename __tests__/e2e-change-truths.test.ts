import {
  afterAll,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it
} from '@jest/globals'
import type {Simulator} from '../src/simulator/server.js'
import {admin, raw, withSimulator} from './helpers/sim.js'
import {errors, type StepRun} from '../scripts/local-runner.js'
import {suiteCounts} from './helpers/counts.js'
import {scannedSteps} from './helpers/scan.js'

/**
 * The bundles against a simulator that behaves as ServiceNow documents it:
 * a change on hold (t_PlaceAChangeRequestOnHold.md), nextstates conditions,
 * standard changes and change tasks (change-management-api.md), and a change
 * canceled by a person. Each failure is one line, and the requests are counted:
 * nothing is sent that the instance would refuse.
 */
let sim: Simulator
const counts = suiteCounts('e2e-change-truths')
let runStep: ReturnType<typeof scannedSteps>
let connection: Record<string, string>
beforeAll(async () => {
  sim = await withSimulator({approval: {mode: 'manual', afterMs: 0}})
  runStep = scannedSteps(sim, counts)
  connection = {
    instance_url: sim.url,
    username: 'devops.integration',
    password: 'sn-integration-pw'
  }
})
afterAll(() => sim.stop())
beforeEach(async () => {
  await admin(sim, 'PATCH', '/config', {changeApi: true})
})

const adminAuth = `Basic ${Buffer.from('admin:admin').toString('base64')}`
/** What a person does in the instance's UI, as the administrator. */
const asAdmin = (method: string, path: string, body?: unknown) =>
  raw(sim, method, `/api/now/table/${path}`, {body, auth: adminAuth})
const row = (table: string, sysId: string): Record<string, string> => ({
  ...sim.instance.store.get(table, sysId)
})
function ok(run: StepRun): void {
  expect({code: run.code, errors: errors(run), stderr: run.stderr}).toEqual({
    code: 0,
    errors: [],
    stderr: ''
  })
}
/** Requests the integration user sent to the change record (not the admin's). */
const sent = (sysId: string, method: string): number =>
  sim
    .requests({method})
    .filter(e => e.user === 'devops.integration' && e.path.includes(sysId))
    .length
const warnings = (run: StepRun): string[] =>
  run.stdout.split('\n').filter(l => l.startsWith('::warning::'))

let serial = 0
async function created(
  inputs: Record<string, string> = {}
): Promise<{sysId: string; number: string}> {
  const run = await runStep('create', {
    ...connection,
    assignment_group: 'DevOps Team',
    correlation_id: `truths-${++serial}`,
    ...inputs
  })
  ok(run)
  return {sysId: run.outputs.change_sys_id!, number: run.outputs.change_number!}
}

/** A normal change approved at both stages, in Scheduled. */
async function scheduled(): Promise<{sysId: string; number: string}> {
  const change = await created()
  await admin(sim, 'POST', `/changes/${change.number}/approve`, {})
  await admin(sim, 'POST', `/changes/${change.number}/approve`, {})
  expect(row('change_request', change.sysId)).toMatchObject({
    state: '-2',
    approval: 'approved'
  })
  return change
}

async function implementing(): Promise<{sysId: string; number: string}> {
  const change = await scheduled()
  ok(
    await runStep('update', {
      ...connection,
      change_sys_id: change.sysId,
      state: 'implement'
    })
  )
  return change
}

describe('on hold', () => {
  const reason = "Waiting for the vendor's maintenance window"
  /** A person puts it on hold; returns how many writes the integration user had sent to it. */
  const hold = async (change: {sysId: string}): Promise<number> => {
    await asAdmin('PATCH', `change_request/${change.sysId}`, {
      on_hold: true,
      on_hold_reason: reason
    })
    return sent(change.sysId, 'PATCH')
  }

  it('wait and the gate treat an approved change on hold as not ready, and say why', async () => {
    const change = await scheduled()
    const patches = await hold(change)
    const wait = await runStep('wait', {
      ...connection,
      change_sys_id: change.sysId,
      timeout_minutes: '0'
    })
    expect(wait.code).toBe(1)
    expect(wait.outputs.decision).toBe('timeout')
    expect(
      wait.stdout
        .split('\n')
        .filter(l => l.includes(`${change.number} is on hold (${reason})`))
        .length
    ).toBeGreaterThanOrEqual(2)
    expect(errors(wait)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^::error::checked once: ${change.number} is on hold \\(Waiting for the vendor's maintenance window\\)`
        )
      )
    ])

    const gate = await runStep('gate', {
      ...connection,
      change_number: change.number,
      timeout_minutes: '0'
    })
    expect(gate.code).toBe(1)
    expect(errors(gate)).toEqual([
      expect.stringContaining(`${change.number} is on hold (${reason})`)
    ])
    // Neither moved it towards Implement: no write reached the change.
    expect(sent(change.sysId, 'PATCH')).toBe(patches)
    expect(row('change_request', change.sysId).state).toBe('-2')
  }, 60_000)

  it('a change waiting for approval: its approvals are No Longer Required while on hold, and wait says it is on hold', async () => {
    const change = await created()
    await hold(change)
    const wait = await runStep('wait', {
      ...connection,
      change_sys_id: change.sysId,
      timeout_minutes: '0'
    })
    expect(wait.outputs.decision).toBe('timeout')
    expect(
      JSON.parse(wait.outputs.approvers!).map((a: {state: string}) => a.state)
    ).toEqual(['not_required'])
    expect(errors(wait)).toEqual([
      expect.stringContaining(
        `${change.number} is on hold (${reason}): waiting for it to be taken off hold.`
      )
    ])
  })

  it.each([
    ['the Change Management API', true],
    ['the Table API', false]
  ])(
    'update and close explain it in one line without sending a write; canceling it works, through %s',
    async (_api, changeApi) => {
      const change = await scheduled()
      const patches = await hold(change)
      await admin(sim, 'PATCH', '/config', {changeApi})
      const update = await runStep('update', {
        ...connection,
        change_sys_id: change.sysId,
        state: 'implement'
      })
      expect(update.code).toBe(1)
      expect(errors(update)).toEqual([
        `::error::${change.number} is on hold (${reason}): ServiceNow lets a change on hold move only to Canceled. Take it off hold, then run again.`
      ])
      const close = await runStep('close', {
        ...connection,
        change_sys_id: change.sysId,
        result: 'success'
      })
      expect(close.code).toBe(1)
      expect(errors(close)).toEqual([
        `::error::${change.number} is on hold (${reason}): ServiceNow lets a change on hold move only to Canceled. Take it off hold, then run again.`
      ])
      expect(sent(change.sysId, 'PATCH')).toBe(patches)

      ok(
        await runStep('close', {
          ...connection,
          change_sys_id: change.sysId,
          result: 'cancelled'
        })
      )
      expect(row('change_request', change.sysId)).toMatchObject({
        state: '4',
        on_hold: 'false'
      })
    },
    60_000
  )
})

describe('nextstates', () => {
  it('a transition whose conditions fail is refused in one line naming them, before any PATCH is refused', async () => {
    const change = await implementing()
    const task = (
      await asAdmin('POST', 'change_task?sysparm_input_display_value=true', {
        change_request: change.sysId,
        short_description: 'Verify backups',
        assignment_group: 'Network'
      })
    ).json.result
    const update = await runStep('update', {
      ...connection,
      change_sys_id: change.sysId,
      state: 'closed'
    })
    expect(update.code).toBe(1)
    expect(errors(update)).toEqual([
      // The instance's names for the states, and the tasks that hold the change (finding 11, 13).
      `::error::ServiceNow's change model does not let ${change.number} move from Review to Closed now: "No active Change Tasks" is not met (active: ${task.number} (Network, Open)).`
    ])
    expect(row('change_request', change.sysId).state).toBe('0')
    expect(
      sim.requests({method: 'PATCH'}).filter(e => e.status === 403)
    ).toEqual([])
  }, 60_000)
})

describe('standard changes', () => {
  it('never sends the template-owned fields, and warns naming each one', async () => {
    const create = await runStep('create', {
      ...connection,
      template: 'Deploy web application',
      correlation_id: `truths-${++serial}`,
      description: 'My own words',
      implementation_plan: 'My own plan'
    })
    ok(create)
    expect(warnings(create)).toEqual([
      "::warning::A standard change takes description and implementation_plan from its template 'Deploy web application': the values given were not sent."
    ])
    const made = row('change_request', create.outputs.change_sys_id!)
    expect(made).toMatchObject({
      description: 'Routine deployment through the pipeline',
      implementation_plan: 'Pipeline deploys the new version'
    })

    const update = await runStep('update', {
      ...connection,
      change_sys_id: create.outputs.change_sys_id!,
      fields: 'backout_plan: Pray\nshort_description: Deploy v2'
    })
    ok(update)
    expect(warnings(update)).toEqual([
      `::warning::${create.outputs.change_number} is a standard change: backout_plan comes from its template and was not sent.`
    ])
    expect(row('change_request', create.outputs.change_sys_id!)).toMatchObject({
      short_description: 'Deploy v2',
      backout_plan: 'Redeploy the previous version'
    })
    expect(
      sim.requests({method: 'PATCH'}).filter(e => e.status === 403)
    ).toEqual([])
  }, 60_000)

  it('warns naming each field the Change Management API ignored', async () => {
    const create = await runStep('create', {
      ...connection,
      assignment_group: 'DevOps Team',
      correlation_id: `truths-${++serial}`,
      fields: 'u_release_train: blue'
    })
    ok(create)
    expect(warnings(create)).toEqual([
      `::warning::ServiceNow ignored u_release_train on ${create.outputs.change_number} (no such field, or read-only for this user).`
    ])
  })

  it('through the Table API: each field written that did not take is named in a warning, as the Change Management API path does', async () => {
    await admin(sim, 'PATCH', '/config', {changeApi: false})
    const standard = await runStep('create', {
      ...connection,
      template: 'Restart application server',
      correlation_id: `truths-${++serial}`
    })
    ok(standard)
    // The template's own values and the model take: nothing to warn about.
    expect(warnings(standard)).toEqual([])
    const create = await runStep('create', {
      ...connection,
      assignment_group: 'DevOps Team',
      correlation_id: `truths-${++serial}`,
      fields: 'u_release_train: blue\ncategory: Software'
    })
    ok(create)
    expect(warnings(create)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^::warning::ServiceNow did not take u_release_train on ${create.outputs.change_number} \\(no such field, or read-only`
        )
      )
    ])
    const update = await runStep('update', {
      ...connection,
      change_sys_id: create.outputs.change_sys_id!,
      fields: 'u_release_verison: 1.2.3\ncategory: Hardware',
      work_notes: 'hello'
    })
    ok(update)
    expect(warnings(update)).toEqual([
      expect.stringMatching(
        /^::warning::ServiceNow did not take u_release_verison on CHG\d+ /
      )
    ])
    expect(row('change_request', create.outputs.change_sys_id!).category).toBe(
      'Hardware'
    )
  }, 60_000)

  it('through the Table API: the template version, the template values from its sys_template, and the change model', async () => {
    await admin(sim, 'PATCH', '/config', {changeApi: false})
    const from = sim.log.length
    const create = await runStep('create', {
      ...connection,
      template: 'Restart application server',
      correlation_id: `truths-${++serial}`
    })
    ok(create)
    const made = row('change_request', create.outputs.change_sys_id!)
    const version = sim.instance.store.get(
      'std_change_producer_version',
      made.std_change_producer_version ?? ''
    )
    expect(version?.name).toBe('Restart application server - 1')
    expect(made).toMatchObject({
      type: 'standard',
      description: 'Rolling restart of the application servers',
      backout_plan: 'Start the stopped node again'
    })
    expect(
      sim.instance.store.get('chg_model', made.chg_model ?? '')?.name
    ).toBe('Standard')
    // One try of the Change Management API found it missing; everything else went through the Table API.
    expect(
      sim.log
        .slice(from)
        .filter(e => e.path.startsWith('/api/sn_chg_rest/'))
        .map(e => e.status)
    ).toEqual([400])
  }, 60_000)
})

describe('change tasks', () => {
  it('a task added while close walks: the refusal lists it (number, group, state) in one line, and nothing is claimed', async () => {
    const change = await implementing()
    // The move to Review lands at once and is answered 800 ms later; a person adds a task in between.
    await admin(sim, 'POST', '/faults', {
      kind: 'delay',
      method: 'PATCH',
      path: change.sysId,
      delayMs: 800,
      when: 'after',
      times: 1
    })
    let added: Promise<{json: {result: {number: string}}}> | undefined
    const watch = setInterval(() => {
      if (
        row('change_request', change.sysId).state === '0' &&
        added === undefined
      ) {
        clearInterval(watch)
        added = asAdmin(
          'POST',
          'change_task?sysparm_input_display_value=true',
          {
            change_request: change.sysId,
            short_description: 'Verify backups',
            assignment_group: 'Network'
          }
        )
      }
    }, 10)
    const close = await runStep('close', {
      ...connection,
      change_sys_id: change.sysId,
      result: 'success'
    })
    clearInterval(watch)
    await admin(sim, 'DELETE', '/faults')
    expect(added).toBeDefined()
    const task = (await added!).json.result
    expect(close.code).toBe(1)
    expect(errors(close)).toEqual([
      expect.stringMatching(
        new RegExp(
          `"No active Change Tasks" is not met \\(active: ${task.number} \\(Network, Open\\)\\)\\.$`
        )
      )
    ])
    expect(close.stdout).not.toMatch(/closed: /)
    expect(row('change_request', change.sysId)).toMatchObject({
      state: '0',
      close_code: ''
    })
  }, 60_000)

  it.each<[string, Record<string, string>]>([
    ["another team's active tasks", {}],
    // The mark alone is every pipeline's: a task of another deployment is not this run's to close.
    [
      "a task carrying the action's mark but another deployment's correlation id",
      {
        correlation_display: 'servicenow-change',
        correlation_id: 'someone-else/999/deploy'
      }
    ]
  ])(
    'close fails in one line listing %s, and moves nothing',
    async (_what, mark) => {
      const change = await implementing()
      const task = (
        await asAdmin('POST', 'change_task?sysparm_input_display_value=true', {
          change_request: change.sysId,
          short_description: 'Verify backups',
          assignment_group: 'Network',
          ...mark
        })
      ).json.result
      const patches = sent(change.sysId, 'PATCH')
      const close = await runStep('close', {
        ...connection,
        change_sys_id: change.sysId,
        result: 'success'
      })
      expect(close.code).toBe(1)
      expect(errors(close)).toEqual([
        `::error::${change.number} has active change tasks this action did not create: ${task.number} (Network, Open). Close or cancel them, then run close again.`
      ])
      expect(sent(change.sysId, 'PATCH')).toBe(patches)
      expect(row('change_task', task.sys_id)).toMatchObject({
        active: 'true',
        close_code: '',
        sys_mod_count: '0'
      })
      expect(row('change_request', change.sysId).state).toBe('-1')
    },
    60_000
  )

  it.each([
    ['the Change Management API', true],
    ['the Table API', false]
  ])(
    'close finishes the change tasks this action created, then closes the change, through %s',
    async (_api, changeApi) => {
      const change = await implementing()
      await admin(sim, 'PATCH', '/config', {changeApi})
      // Ours: the action's mark and this deployment's correlation id (the change's).
      const correlation = row('change_request', change.sysId).correlation_id
      const ours = (
        await asAdmin('POST', 'change_task', {
          change_request: change.sysId,
          short_description: 'Deploy leg eu-west',
          correlation_display: 'servicenow-change',
          correlation_id: correlation
        })
      ).json.result
      const done = (
        await asAdmin('POST', 'change_task', {
          change_request: change.sysId,
          short_description: 'Already done',
          state: '3'
        })
      ).json.result
      const close = await runStep('close', {
        ...connection,
        change_sys_id: change.sysId,
        result: 'failure'
      })
      ok(close)
      expect(row('change_task', ours.sys_id)).toMatchObject({
        state: '3',
        active: 'false',
        close_code: 'unsuccessful'
      })
      expect(row('change_task', done.sys_id).sys_mod_count).toBe('0')
      expect(row('change_request', change.sysId)).toMatchObject({
        state: '3',
        close_code: 'unsuccessful'
      })
      expect(close.stdout).toContain(
        `Closed ${ours.number}, a change task this action created.`
      )
    },
    60_000
  )
})

describe('a change canceled by a person', () => {
  it('wait names who canceled it and their latest note', async () => {
    const change = await created()
    await asAdmin('PATCH', `change_request/${change.sysId}`, {
      work_notes: 'Looking at it'
    })
    // A note is a person's text: its lines cannot start a workflow command of their own.
    await asAdmin('PATCH', `change_request/${change.sysId}`, {
      state: '4',
      work_notes: 'Overlaps the payments freeze\n::warning::from the note'
    })
    const wait = await runStep('wait', {
      ...connection,
      change_sys_id: change.sysId,
      timeout_minutes: '0'
    })
    expect(wait.code).toBe(1)
    expect(wait.outputs.decision).toBe('canceled')
    expect(errors(wait)).toEqual([
      `::error::${change.number} was canceled by System Administrator: "Overlaps the payments freeze ::warning::from the note".`
    ])
    expect(warnings(wait)).toEqual([])
  })

  it('names the one who moved it to Canceled (from its history) and their note, not whoever commented afterwards', async () => {
    const change = await created()
    const alice = {user: 'alice.approver', password: 'alice'}
    const bob = {user: 'bob.cab', password: 'bob'}
    const as = (
      who: {user: string; password: string},
      body: Record<string, string>
    ) =>
      raw(sim, 'PATCH', `/api/now/table/change_request/${change.sysId}`, {
        body,
        auth: `Basic ${Buffer.from(`${who.user}:${who.password}`).toString('base64')}`
      })
    expect(
      (
        await as(alice, {
          state: '4',
          work_notes: 'Freeze: no deploys this week'
        })
      ).status
    ).toBe(200)
    expect((await as(bob, {comments: 'noted, thanks'})).status).toBe(200)
    const audit = sim.instance.store
      .rows('sys_audit')
      .filter(
        r =>
          r.documentkey === change.sysId &&
          r.fieldname === 'state' &&
          r.newvalue === '4'
      )
    expect(audit.map(r => r.user)).toEqual(['alice.approver'])
    const wait = await runStep('wait', {
      ...connection,
      change_sys_id: change.sysId,
      timeout_minutes: '0'
    })
    expect(errors(wait)).toEqual([
      `::error::${change.number} was canceled by Alice Approver: "Freeze: no deploys this week".`
    ])

    // Without the history (no access), the last updater is named as that and nothing more.
    sim.faults.add({
      kind: 'status',
      status: 403,
      method: 'GET',
      path: '/api/now/table/sys_audit',
      times: 0
    })
    const blind = await runStep('wait', {
      ...connection,
      change_sys_id: change.sysId,
      timeout_minutes: '0'
    })
    sim.faults.clear()
    expect(errors(blind)).toEqual([
      `::error::${change.number} was canceled (last updated by Bob CAB): "noted, thanks".`
    ])
  })

  it('falls back to the close notes, and says when there is no note', async () => {
    const noted = await created()
    await asAdmin('PATCH', `change_request/${noted.sysId}`, {
      state: '4',
      close_notes: 'Superseded by a later release'
    })
    const wait = await runStep('wait', {
      ...connection,
      change_sys_id: noted.sysId,
      timeout_minutes: '0'
    })
    expect(errors(wait)).toEqual([
      `::error::${noted.number} was canceled by System Administrator: "Superseded by a later release".`
    ])

    const silent = await created()
    await asAdmin('PATCH', `change_request/${silent.sysId}`, {state: '4'})
    const quiet = await runStep('wait', {
      ...connection,
      change_sys_id: silent.sysId,
      timeout_minutes: '0'
    })
    expect(errors(quiet)).toEqual([
      `::error::${silent.number} was canceled by System Administrator (no note).`
    ])
  })
})
