import {afterAll, beforeAll, describe, expect, it} from '@jest/globals'
import {errors, type StepRun} from '../scripts/local-runner.js'
import {suiteCounts} from './helpers/counts.js'
import {e2eEnvironment, type E2eEnvironment} from './helpers/e2e.js'
import {admin, raw} from './helpers/sim.js'

/**
 * Instances renumber change states and add their own. Each step reads
 * change_request's state choices once (sys_choice) and maps states by label;
 * when it may not read them it assumes ServiceNow's numbers.
 */
const counts = suiteCounts('e2e-state-model')
const CHOICES = '/api/now/table/sys_choice'

type Env = E2eEnvironment
const environment = (): Promise<Env> => e2eEnvironment(counts)

/** Runs a step and returns it with the sys_choice requests it made. */
async function counted(
  env: Env,
  entry: string,
  inputs: Record<string, string>
): Promise<{run: StepRun; choiceReads: number}> {
  const before = env.sim.requests().length
  const run = await env.runStep(entry, {...env.connection, ...inputs})
  const choiceReads = env.sim
    .requests()
    .slice(before)
    .filter(r => r.path.startsWith(CHOICES)).length
  counts['steps whose sys_choice reads were counted'] =
    (counts['steps whose sys_choice reads were counted'] ?? 0) + 1
  return {run, choiceReads}
}

describe('an instance where Implement is 5 and a state "Pending review" (7) was added', () => {
  let env: Env
  beforeAll(async () => {
    env = await environment()
    await admin(env.sim, 'PATCH', '/states', {
      renumber: {Implement: '5'},
      add: [
        {value: '7', label: 'Pending review'},
        {value: '8', label: 'Held\n::error::forged by a state label'}
      ]
    })
  })
  afterAll(() => env.sim.stop())

  it('serves the renumbered choice list', async () => {
    const list = await raw(
      env.sim,
      'GET',
      `${CHOICES}?sysparm_query=${encodeURIComponent('name=change_request^element=state^inactive=false')}&sysparm_fields=value,label`
    )
    expect(list.json.result).toEqual(
      expect.arrayContaining([
        {value: '5', label: 'Implement'},
        {value: '7', label: 'Pending review'},
        {value: '-2', label: 'Scheduled'}
      ])
    )
    expect(list.json.result).not.toContainEqual({
      value: '-1',
      label: 'Implement'
    })
  })

  it('gates, implements and closes a change, reading the choices once per step', async () => {
    const create = await counted(env, 'create', {
      template: 'Deploy web application',
      correlation_id: 'renumbered'
    })
    expect(errors(create.run)).toEqual([])
    expect(create.run.outputs.state).toBe('scheduled')
    const id = create.run.outputs.change_sys_id!

    const update = await counted(env, 'update', {
      change_sys_id: id,
      state: 'implement'
    })
    expect(errors(update.run)).toEqual([])
    expect(update.run.outputs.state).toBe('implement')
    // The instance got its own number for Implement.
    expect(
      (
        await raw(
          env.sim,
          'GET',
          `/api/now/table/change_request/${id}?sysparm_fields=state`
        )
      ).json.result.state
    ).toBe('5')

    // Only Implement lets this wait through: state 5 must be read as Implement.
    const wait = await counted(env, 'wait', {
      change_sys_id: id,
      proceed_when: 'implement',
      timeout_minutes: '0'
    })
    expect(errors(wait.run)).toEqual([])
    expect(wait.run.outputs).toMatchObject({
      decision: 'approved',
      state: 'implement'
    })

    const close = await counted(env, 'close', {
      change_sys_id: id,
      result: 'success'
    })
    expect(errors(close.run)).toEqual([])
    expect(close.run.outputs.state).toBe('closed')
    expect((await admin(env.sim, 'GET', `/changes/${id}`)).state_label).toBe(
      'Closed'
    )

    expect([create, update, wait, close].map(s => s.choiceReads)).toEqual([
      1, 1, 1, 1
    ])
  })

  it("names a state it does not know by the instance's label, and does not move a change out of it", async () => {
    const create = await env.runStep('create', {
      ...env.connection,
      template: 'Deploy web application',
      correlation_id: 'custom-state'
    })
    const id = create.outputs.change_sys_id!
    const row = env.sim.instance.store.get('change_request', id)!
    env.sim.instance.store.update('change_request', row, {state: '7'}, 'admin')

    const wait = await counted(env, 'wait', {
      change_sys_id: id,
      timeout_minutes: '0'
    })
    expect(wait.run.code).toBe(1)
    expect(wait.run.outputs.state).toBe('pending review')
    expect(wait.run.stdout).toMatch(
      /is Pending review, approval approved: waiting for approval/
    )
    expect(wait.choiceReads).toBe(1)

    const close = await counted(env, 'close', {
      change_sys_id: id,
      result: 'success'
    })
    expect(errors(close.run)).toEqual([
      expect.stringMatching(
        /is in a state this action does not know \(Pending review\); move it by hand/
      )
    ])
    expect(close.choiceReads).toBe(1)
  })

  it("update's log line names a state it does not know by the instance's label, never undefined", async () => {
    const create = await env.runStep('create', {
      ...env.connection,
      template: 'Deploy web application',
      correlation_id: 'custom-state-update'
    })
    const id = create.outputs.change_sys_id!
    env.sim.instance.store.update(
      'change_request',
      env.sim.instance.store.get('change_request', id)!,
      {state: '7'},
      'admin'
    )
    const update = await env.runStep('update', {
      ...env.connection,
      change_sys_id: id,
      work_notes: 'hello'
    })
    expect(errors(update)).toEqual([])
    const lines = update.stdout.split('\n').filter(l => /^CHG\d+ is /.test(l))
    expect(lines).toEqual([
      expect.stringMatching(/^CHG\d+ is Pending review, approval approved\.$/)
    ])
  })

  it('a label with a line break in it cannot start a workflow command', async () => {
    const create = await env.runStep('create', {
      ...env.connection,
      template: 'Deploy web application',
      correlation_id: 'hostile-label'
    })
    const row = env.sim.instance.store.get(
      'change_request',
      create.outputs.change_sys_id!
    )!
    env.sim.instance.store.update('change_request', row, {state: '8'}, 'admin')
    const wait = await env.runStep('wait', {
      ...env.connection,
      change_sys_id: row.sys_id!,
      timeout_minutes: '0'
    })
    expect(wait.code).toBe(1)
    expect(wait.stdout).toContain(
      'is Held ::error::forged by a state label, approval approved'
    )
    expect(
      wait.stdout.split('\n').filter(l => l.startsWith('::error::forged'))
    ).toEqual([])
    expect(errors(wait)).toHaveLength(1)
  })
})

describe.each([403, 404])('an instance whose sys_choice answers %i', status => {
  let env: Env
  beforeAll(async () => {
    env = await environment()
    await admin(env.sim, 'POST', '/faults', {
      kind: 'status',
      status,
      path: CHOICES,
      times: 0
    })
  })
  afterAll(() => env.sim.stop())

  it("assumes ServiceNow's numbering: one try per step, and the change still goes through", async () => {
    const create = await counted(env, 'create', {
      template: 'Deploy web application',
      correlation_id: `no-choices-${status}`
    })
    expect(errors(create.run)).toEqual([])
    const id = create.run.outputs.change_sys_id!
    const wait = await counted(env, 'wait', {
      change_sys_id: id,
      timeout_minutes: '0'
    })
    expect(wait.run.outputs.decision).toBe('approved')
    const close = await counted(env, 'close', {
      change_sys_id: id,
      result: 'success'
    })
    expect(errors(close.run)).toEqual([])
    expect(close.run.outputs.state).toBe('closed')
    expect([create, wait, close].map(s => s.choiceReads)).toEqual([1, 1, 1])
    expect(
      env.sim.requests({path: CHOICES}).every(r => r.status === status)
    ).toBe(true)
  })
})

describe('an instance that renamed states but kept their numbers ("Implementation" at -1, "Complete" at 3)', () => {
  let env: Env
  const SHIPPED: [string, string][] = [
    ['-5', 'New'],
    ['-4', 'Assess'],
    ['-3', 'Authorize'],
    ['-2', 'Scheduled'],
    ['-1', 'Implement'],
    ['0', 'Review'],
    ['3', 'Closed'],
    ['4', 'Canceled']
  ]
  const choicesAre = async (rename: Record<string, string>): Promise<void> => {
    await admin(env.sim, 'DELETE', '/faults')
    const result = SHIPPED.map(([value, label]) => ({
      value,
      label: rename[label] ?? label
    }))
    await admin(env.sim, 'POST', '/faults', {
      kind: 'answer',
      method: 'GET',
      path: CHOICES,
      json: {result},
      times: 0
    })
  }
  beforeAll(async () => {
    env = await environment()
  })
  afterAll(() => env.sim.stop())

  it('update state=implement moves to -1 and close closes at 3: a renamed state keeps its shipped meaning', async () => {
    await choicesAre({})
    const create = await env.runStep('create', {
      ...env.connection,
      template: 'Deploy web application',
      correlation_id: 'renamed-states'
    })
    expect(errors(create)).toEqual([])
    const id = create.outputs.change_sys_id!
    await choicesAre({Implement: 'Implementation', Closed: 'Complete'})
    const update = await env.runStep('update', {
      ...env.connection,
      change_sys_id: id,
      state: 'implement'
    })
    expect(errors(update)).toEqual([])
    expect(update.outputs.state).toBe('implement')
    expect(update.stdout).toMatch(/is Implementation, approval approved\./)
    expect(env.sim.instance.store.get('change_request', id)!.state).toBe('-1')
    const close = await env.runStep('close', {
      ...env.connection,
      change_sys_id: id,
      result: 'success'
    })
    expect(errors(close)).toEqual([])
    expect(close.outputs.state).toBe('closed')
    expect(env.sim.instance.store.get('change_request', id)).toMatchObject({
      state: '3',
      close_code: 'successful'
    })
    await admin(env.sim, 'DELETE', '/faults')
  })
})

describe('an unreadable nextstates answer is an error naming what was sent, never a made-up model refusal', () => {
  let env: Env
  beforeAll(async () => {
    env = await environment()
  })
  afterAll(() => env.sim.stop())
  let n = 0
  it.each<[string, unknown]>([
    ['{"result":null}', {result: null}],
    ['{}', {}],
    ['{"result":"x"}', {result: 'x'}],
    ['{"result":[]}', {result: []}],
    [
      'available_states as objects',
      {result: {available_states: [{value: '-1', display_value: 'Implement'}]}}
    ]
  ])(
    'nextstates answered %s: update fails in one line naming it, and writes nothing',
    async (_what, json) => {
      const create = await env.runStep('create', {
        ...env.connection,
        template: 'Deploy web application',
        correlation_id: `odd-nextstates-${++n}`
      })
      expect(errors(create)).toEqual([])
      const id = create.outputs.change_sys_id!
      await admin(env.sim, 'POST', '/faults', {
        kind: 'answer',
        method: 'GET',
        path: '/nextstates',
        json,
        times: 0
      })
      const before = env.sim.requests({method: 'PATCH'}).length
      const update = await env.runStep('update', {
        ...env.connection,
        change_sys_id: id,
        state: 'implement'
      })
      await admin(env.sim, 'DELETE', '/faults')
      expect(update.code).toBe(1)
      expect(errors(update)).toEqual([
        expect.stringMatching(
          /nextstates failed: .*where the change's next states belong/
        )
      ])
      expect(errors(update)[0]).not.toMatch(/change model does not let/)
      expect(env.sim.requests({method: 'PATCH'}).length).toBe(before)
      expect(env.sim.instance.store.get('change_request', id)!.state).toBe('-2')
    }
  )
})
