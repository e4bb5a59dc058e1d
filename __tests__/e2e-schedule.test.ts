import {afterEach, describe, expect, it} from '@jest/globals'
import {errors, type StepRun} from '../scripts/local-runner.js'
import type {Simulator, SimulatorOptions} from '../src/simulator/server.js'
import {formatGlideDate} from '../src/servicenow/fields.js'
import {suiteCounts} from './helpers/counts.js'
import {scannedSteps} from './helpers/scan.js'
import {admin, raw, withSimulator} from './helpers/sim.js'

/**
 * Schedule truth through the bundles, against the simulator: conflicts with another change on the
 * same CI, blackout and maintenance schedules, the first available slot, affected CIs and risk
 * (change-management-api.md; c_ConflictDetection.md). Each test has its own simulator, so one
 * test's changes and schedules are never another's conflicts. Counts are read off the simulator's
 * request log and tables: one conflict run, one change, the CIs associated once.
 */
const counts = suiteCounts('e2e-schedule')
let sims: Simulator[] = []
afterEach(async () => {
  await Promise.all(sims.map(s => s.stop()))
  sims = []
})

const HOUR = 3_600_000
/** Whole minutes: ServiceNow's dates have no milliseconds, and a slot is found to the second. */
const at = (offsetMs: number, base = Date.now()): Date =>
  new Date(Math.ceil((base + offsetMs) / 60_000) * 60_000)

interface World {
  sim: Simulator
  run: ReturnType<typeof scannedSteps>
  connection: Record<string, string>
  ci: (name: string) => Promise<string>
  /** Another team's change on a CI, in a window (active unless given a state). */
  occupy: (
    ci: string,
    start: Date,
    end: Date,
    state?: string
  ) => Promise<string>
  changes: (correlation: string) => Promise<any[]>
  sent: (method: string, pathPart: string) => number
  /** create's inputs for a change on this CI in this window, by the integration user, for DevOps Team. */
  planned: (ci: string, start: Date, end: Date) => Record<string, string>
}

async function world(options: SimulatorOptions = {}): Promise<World> {
  const sim = await withSimulator({
    approval: {mode: 'auto', afterMs: 300},
    ...options
  })
  sims.push(sim)
  const ci = async (name: string): Promise<string> =>
    (
      await raw(
        sim,
        'GET',
        `/api/now/table/cmdb_ci?sysparm_fields=sys_id&sysparm_query=${encodeURIComponent(`name=${name}`)}`
      )
    ).json.result[0].sys_id
  return {
    sim,
    run: scannedSteps(sim, counts),
    connection: {
      instance_url: sim.url,
      username: 'devops.integration',
      password: 'sn-integration-pw'
    },
    ci,
    occupy: async (name, start, end, state) => {
      const made = await raw(sim, 'POST', '/api/now/table/change_request', {
        body: {
          short_description: `Another team's change on ${name}`,
          cmdb_ci: await ci(name),
          start_date: formatGlideDate(start),
          end_date: formatGlideDate(end),
          ...(state === undefined ? {} : {state})
        }
      })
      expect(made.status).toBe(201)
      return made.json.result.number
    },
    changes: async correlation =>
      (
        await raw(
          sim,
          'GET',
          `/api/now/table/change_request?sysparm_fields=number,state,approval,start_date,end_date,risk,impact&sysparm_display_value=true&sysparm_query=${encodeURIComponent(`correlation_id=${correlation}`)}`
        )
      ).json.result,
    planned: (ci, start, end) => ({
      instance_url: sim.url,
      username: 'devops.integration',
      password: 'sn-integration-pw',
      assignment_group: 'DevOps Team',
      cmdb_ci: ci,
      start_date: start.toISOString(),
      end_date: end.toISOString()
    }),
    sent: (method, pathPart) =>
      sim.requests({method}).filter(e => e.path.includes(pathPart)).length
  }
}

const warnings = (run: StepRun): string[] =>
  run.stdout.split('\n').filter(l => l.startsWith('::warning::'))
const conflictWarnings = (run: StepRun): string[] =>
  warnings(run).filter(l => /conflict/i.test(l))
function ok(run: StepRun): void {
  expect({code: run.code, errors: errors(run), stderr: run.stderr}).toEqual({
    code: 0,
    errors: [],
    stderr: ''
  })
}

describe('conflicts with another change on the same CI', () => {
  it('warn (default): one warning naming the other change and the overlap; outputs and summary list it; one run', async () => {
    const w = await world()
    const start = at(24 * HOUR)
    const other = await w.occupy(
      'Payments API',
      start,
      new Date(start.getTime() + 2 * HOUR)
    )
    const create = await w.run('create', {
      ...w.planned('Payments API', start, new Date(start.getTime() + HOUR)),
      correlation_id: 'conflict-warn'
    })
    ok(create)
    expect(conflictWarnings(create)).toEqual([
      expect.stringContaining(
        `has 1 conflict in its planned window ${formatGlideDate(start).slice(0, 16)}–`
      )
    ])
    expect(conflictWarnings(create)[0]).toContain(
      `${other} on Payments API overlaps`
    )
    expect(create.outputs.conflict_status).toBe('found')
    const listed = JSON.parse(create.outputs.conflicts!)
    expect(listed).toEqual([
      expect.objectContaining({
        type: 'change',
        change: other,
        configuration_item: 'Payments API',
        overlap_start: start.toISOString(),
        overlap_end: new Date(start.getTime() + HOUR).toISOString()
      })
    ])
    expect(create.summary).toContain(`${other} on Payments API overlaps`)
    expect(w.sent('POST', '/conflict')).toBe(1)
    // The change goes on to approval: warn does not hold it.
    expect((await w.changes('conflict-warn')).map(c => c.state)).toEqual([
      'Assess'
    ])
  }, 60_000)

  it('fail: the step fails with one line naming the conflict, and the change it created is canceled before approval is asked', async () => {
    const w = await world()
    const start = at(24 * HOUR)
    const other = await w.occupy(
      'Payments API',
      start,
      new Date(start.getTime() + HOUR)
    )
    const create = await w.run('create', {
      ...w.planned('Payments API', start, new Date(start.getTime() + HOUR)),
      on_conflict: 'fail',
      correlation_id: 'conflict-fail'
    })
    expect(create.code).toBe(1)
    expect(errors(create)).toEqual([
      expect.stringMatching(
        new RegExp(
          `Created CHG\\d+ .* but preparing it failed: CHG\\d+ has 1 conflict .*${other} on Payments API overlaps .*\\(on_conflict: fail\\)\\. It was canceled so that nothing is left half-done\\.`
        )
      )
    ])
    const made = await w.changes('conflict-fail')
    expect(made.map(c => [c.state, c.approval])).toEqual([
      ['Canceled', 'Not Yet Requested']
    ])
  }, 60_000)

  it('names from the instance cannot write workflow commands: a CI and a schedule named with a line break and ::error::', async () => {
    const w = await world()
    const hostile = 'Payments\n::error::pwned <b>x</b>'
    const made = await raw(w.sim, 'POST', '/api/now/table/cmdb_ci', {
      auth: `Basic ${Buffer.from('admin:admin').toString('base64')}`,
      body: {name: hostile}
    })
    expect(made.status).toBe(201)
    const start = at(24 * HOUR)
    await w.occupy(hostile, start, new Date(start.getTime() + HOUR))
    await admin(w.sim, 'POST', '/schedules', {
      name: '::warning::freeze\n::error::again',
      type: 'blackout',
      spans: [
        {
          start: formatGlideDate(start),
          end: formatGlideDate(new Date(start.getTime() + HOUR))
        }
      ]
    })
    const create = await w.run('create', {
      ...w.planned(
        made.json.result.sys_id,
        start,
        new Date(start.getTime() + HOUR)
      ),
      correlation_id: 'hostile-names'
    })
    ok(create)
    const commands = create.stdout
      .split('\n')
      .filter(l => /^::(error|warning)::/.test(l))
    // One warning (the conflicts), and no command line of the names' own.
    expect(commands).toHaveLength(1)
    expect(create.stdout).not.toMatch(/^::error::pwned/m)
    expect(create.summary).not.toContain('<b>x</b>')
    expect(JSON.parse(create.outputs.conflicts!)).toHaveLength(2)
  }, 60_000)

  it('touching windows, and a closed or canceled change in the same window, are no conflict', async () => {
    const w = await world()
    const start = at(24 * HOUR)
    await w.occupy('Payments API', new Date(start.getTime() - HOUR), start)
    await w.occupy('Payments API', start, new Date(start.getTime() + HOUR), '4')
    const create = await w.run('create', {
      ...w.planned('Payments API', start, new Date(start.getTime() + HOUR)),
      on_conflict: 'fail',
      correlation_id: 'conflict-touching'
    })
    ok(create)
    expect(create.outputs.conflict_status).toBe('none')
    expect(JSON.parse(create.outputs.conflicts!)).toEqual([])
  }, 60_000)
})

describe('blackout and maintenance schedules', () => {
  it('a blackout over the window is named; fail stops', async () => {
    const w = await world()
    const start = at(48 * HOUR)
    await admin(w.sim, 'POST', '/schedules', {
      name: 'Year-end freeze',
      type: 'blackout',
      spans: [
        {
          start: formatGlideDate(new Date(start.getTime() - HOUR)),
          end: formatGlideDate(new Date(start.getTime() + 5 * HOUR))
        }
      ]
    })
    const create = await w.run('create', {
      ...w.planned('Checkout Web', start, new Date(start.getTime() + HOUR)),
      on_conflict: 'fail',
      correlation_id: 'blackout'
    })
    expect(create.code).toBe(1)
    expect(errors(create)).toEqual([
      expect.stringContaining(
        "blackout 'Year-end freeze' covers the planned window on Checkout Web"
      )
    ])
  }, 60_000)

  it('outside the CI maintenance window is a conflict; inside it is none', async () => {
    const w = await world()
    const start = at(72 * HOUR)
    await admin(w.sim, 'POST', '/schedules', {
      name: 'DB window',
      type: 'maintenance',
      spans: [
        {
          start: formatGlideDate(start),
          end: formatGlideDate(new Date(start.getTime() + 2 * HOUR))
        }
      ],
      cis: ['Orders DB']
    })
    const outside = await w.run('create', {
      ...w.planned(
        'Orders DB',
        new Date(start.getTime() + HOUR),
        new Date(start.getTime() + 3 * HOUR)
      ),
      correlation_id: 'maintenance-outside'
    })
    ok(outside)
    expect(JSON.parse(outside.outputs.conflicts!)).toEqual([
      expect.objectContaining({type: 'maintenance', schedule: 'DB window'})
    ])
    const inside = await w.run('create', {
      ...w.planned('Orders DB', start, new Date(start.getTime() + HOUR)),
      correlation_id: 'maintenance-inside'
    })
    ok(inside)
    expect(inside.outputs.conflict_status).toBe('none')
  }, 60_000)
})

describe('schedule: first_available', () => {
  it('sets the planned window after the change occupying the CI; outputs and record agree; no conflict left', async () => {
    const w = await world()
    const busyUntil = at(5 * HOUR)
    await w.occupy('Checkout Web', at(-HOUR), busyUntil)
    const create = await w.run('create', {
      ...w.connection,
      assignment_group: 'DevOps Team',
      cmdb_ci: 'Checkout Web',
      schedule: 'first_available',
      duration_minutes: '45',
      on_conflict: 'fail',
      correlation_id: 'first-available'
    })
    ok(create)
    expect(create.outputs.planned_start).toBe(busyUntil.toISOString())
    expect(create.outputs.planned_end).toBe(
      new Date(busyUntil.getTime() + 45 * 60_000).toISOString()
    )
    expect(create.outputs.conflict_status).toBe('none')
    expect(w.sent('PATCH', '/schedule/first_available')).toBe(1)
    const [made] = await w.changes('first-available')
    expect(made.state).toBe('Assess')
  }, 60_000)

  it('no free slot in the scheduling window: the step fails saying so, and the change is canceled', async () => {
    const w = await world()
    await admin(w.sim, 'POST', '/schedules', {
      name: 'Quarter freeze',
      type: 'blackout',
      spans: [
        {
          start: formatGlideDate(at(-HOUR)),
          end: formatGlideDate(at(100 * 24 * HOUR))
        }
      ]
    })
    const create = await w.run('create', {
      ...w.connection,
      assignment_group: 'DevOps Team',
      cmdb_ci: 'Checkout Web',
      schedule: 'first_available',
      correlation_id: 'no-slot'
    })
    expect(create.code).toBe(1)
    expect(errors(create)).toEqual([
      expect.stringMatching(
        /No free slot of 60 min for CHG\d+: ServiceNow says "No slots found for 90 days from now".*It was canceled/
      )
    ])
    expect((await w.changes('no-slot')).map(c => c.state)).toEqual(['Canceled'])
  }, 60_000)

  it('the gate waits for the slot ServiceNow chose before moving to Implement', async () => {
    const w = await world()
    // To the second (not the minute) so that the gate waits about 15 s, not up to 75.
    const busyUntil = new Date(Math.ceil((Date.now() + 15_000) / 1000) * 1000)
    await w.occupy('Checkout Web', at(-HOUR), busyUntil)
    const main = await w.run('gate', {
      ...w.connection,
      assignment_group: 'DevOps Team',
      cmdb_ci: 'Checkout Web',
      schedule: 'first_available',
      duration_minutes: '30',
      poll_interval_seconds: '5',
      timeout_minutes: '3',
      correlation_id: 'gate-slot'
    })
    ok(main)
    // The slot begins when the CI is free: at busyUntil, or later if a busy machine made the
    // search itself begin later. The move to Implement comes no earlier than the slot.
    const slot = Date.parse(main.outputs.planned_start!)
    expect(slot).toBeGreaterThanOrEqual(busyUntil.getTime())
    expect(Date.parse(main.outputs.planned_end!) - slot).toBe(30 * 60_000)
    const implement = w.sim
      .requests({method: 'PATCH'})
      .filter(e => e.status === 200)
      .at(-1)!
    expect(implement.at).toBeGreaterThanOrEqual(slot)
  }, 240_000)
})

describe('affected_cis and risk', () => {
  it('associates each CI once, by name or sys_id; a re-run adds none', async () => {
    const w = await world()
    const inputs = {
      ...w.connection,
      assignment_group: 'DevOps Team',
      cmdb_ci: 'Payments API',
      affected_cis: `Orders DB\n${await w.ci('Checkout Web')}`,
      correlation_id: 'affected'
    }
    ok(await w.run('create', inputs))
    const again = await w.run('create', inputs)
    ok(again)
    expect(again.outputs.created).toBe('false')
    const sysId = again.outputs.change_sys_id!
    const listed = await raw(
      w.sim,
      'GET',
      `/api/now/table/task_ci?sysparm_query=task=${sysId}&sysparm_fields=ci_item&sysparm_display_value=true`
    )
    expect(
      listed.json.result.map((r: any) => r.ci_item.display_value).sort()
    ).toEqual(['Checkout Web', 'Orders DB'])
  }, 60_000)

  it('a CI name that matches nothing fails before any change exists', async () => {
    const w = await world()
    const create = await w.run('create', {
      ...w.connection,
      assignment_group: 'DevOps Team',
      affected_cis: 'Orders DB, Odrers DB',
      correlation_id: 'affected-typo'
    })
    expect(create.code).toBe(1)
    expect(errors(create)).toEqual([
      "::error::affected_cis: no configuration item named 'Odrers DB'."
    ])
    expect(await w.changes('affected-typo')).toEqual([])
  }, 60_000)

  it('risk as the instance evaluates it after create; a risk given is kept and not evaluated', async () => {
    const w = await world()
    const evaluated = await w.run('create', {
      ...w.connection,
      assignment_group: 'DevOps Team',
      cmdb_ci: 'Payments API',
      correlation_id: 'risk-evaluated'
    })
    ok(evaluated)
    expect([evaluated.outputs.risk, evaluated.outputs.impact]).toEqual([
      'high',
      'medium'
    ])
    expect(w.sent('PATCH', '/risk')).toBe(1)
    const given = await w.run('create', {
      ...w.connection,
      assignment_group: 'DevOps Team',
      cmdb_ci: 'Payments API',
      risk: 'low',
      correlation_id: 'risk-given'
    })
    ok(given)
    expect(given.outputs.risk).toBe('low')
    expect(w.sent('PATCH', '/risk')).toBe(1)
  }, 60_000)
})

describe('without the Change Management API', () => {
  it('each part says in one line that it needs it, and create goes on; on_conflict: fail fails', async () => {
    const w = await world({changeApi: false})
    const start = at(24 * HOUR)
    const create = await w.run('create', {
      ...w.connection,
      assignment_group: 'DevOps Team',
      cmdb_ci: 'Payments API',
      affected_cis: 'Orders DB',
      schedule: 'first_available',
      start_date: start.toISOString(),
      correlation_id: 'no-cm'
    })
    ok(create)
    const said = (run: StepRun, text: string): string[] =>
      run.stdout.split('\n').filter(l => l.includes(text))
    expect(said(create, 'needs the Change Management API')).toEqual([
      expect.stringMatching(/^::warning::affected_cis needs/),
      expect.stringMatching(/^::warning::schedule: first_available needs/)
    ])
    // No slot was found, so no window: that is what the conflict line says.
    expect(said(create, 'Conflicts not checked')).toEqual([
      expect.stringMatching(/has no planned start and end date/)
    ])
    const windowed = await w.run('create', {
      ...w.planned('Payments API', start, new Date(start.getTime() + HOUR)),
      correlation_id: 'no-cm-window'
    })
    ok(windowed)
    expect(said(windowed, 'needs the Change Management API')).toEqual([
      expect.stringMatching(
        /^Conflicts not checked: conflict checking needs the Change Management API/
      )
    ])
    const failing = await w.run('create', {
      ...w.planned('Payments API', start, new Date(start.getTime() + HOUR)),
      on_conflict: 'fail',
      correlation_id: 'no-cm-fail'
    })
    expect(failing.code).toBe(1)
    expect(errors(failing)).toEqual([
      expect.stringContaining(
        'Conflicts not checked: conflict checking needs the Change Management API'
      )
    ])
  }, 60_000)
})

describe('the wait', () => {
  it('on_conflict: wait holds until the other change is canceled, then proceeds; checked every second poll', async () => {
    const w = await world()
    const start = at(-5 * 60_000)
    const end = at(HOUR)
    const other = await w.occupy('Payments API', start, end)
    const create = await w.run('create', {
      ...w.planned('Payments API', start, end),
      correlation_id: 'wait-clears'
    })
    ok(create)
    const otherId = (
      await raw(
        w.sim,
        'GET',
        `/api/now/table/change_request?sysparm_fields=sys_id&sysparm_query=number=${other}`
      )
    ).json.result[0].sys_id
    const waiting = w.run('wait', {
      ...w.connection,
      change_sys_id: create.outputs.change_sys_id!,
      on_conflict: 'wait',
      poll_interval_seconds: '5',
      timeout_minutes: '2'
    })
    // Once the wait's first check has read its result (create read two statuses, the wait's check
    // two more), the other team cancels: however slow the machine, the wait saw the conflict first.
    for (let i = 0; i < 600 && w.sent('GET', '/conflict') < 4; i++)
      await new Promise(r => setTimeout(r, 100))
    expect(w.sent('GET', '/conflict')).toBeGreaterThanOrEqual(4)
    await raw(w.sim, 'PATCH', `/api/now/table/change_request/${otherId}`, {
      body: {state: '4'}
    })
    const wait = await waiting
    ok(wait)
    expect(wait.outputs.decision).toBe('approved')
    expect(wait.outputs.conflict_status).toBe('none')
    expect(wait.stdout).toMatch(/Waiting for it to clear/)
    // Create's check, then the wait's: a first one, and then one every second poll (7.5 s at the
    // earliest) until one comes back clear.
    const inWait = w.sent('POST', '/conflict') - 1
    const waited = Number(wait.outputs.waited_seconds)
    expect(inWait).toBeGreaterThanOrEqual(2)
    expect(inWait).toBeLessThanOrEqual(Math.floor(waited / 7.5) + 1)
  }, 180_000)

  it('on_conflict: fail stops the wait with decision conflict', async () => {
    const w = await world()
    const start = at(-5 * 60_000)
    const end = at(HOUR)
    await w.occupy('Payments API', start, end)
    const create = await w.run('create', {
      ...w.planned('Payments API', start, end),
      correlation_id: 'wait-fails'
    })
    ok(create)
    const wait = await w.run('wait', {
      ...w.connection,
      change_sys_id: create.outputs.change_sys_id!,
      on_conflict: 'fail',
      poll_interval_seconds: '5',
      timeout_minutes: '1'
    })
    expect(wait.code).toBe(1)
    expect(wait.outputs.decision).toBe('conflict')
    expect(errors(wait)).toEqual([
      expect.stringMatching(/has 1 conflict .*\(on_conflict: fail\)/)
    ])
  }, 120_000)

  it('the gate with on_conflict: fail: a conflict that appears while it waits stops it before Implement; post cancels the change once', async () => {
    const w = await world({approval: {mode: 'manual', afterMs: 0}})
    const start = at(-5 * 60_000)
    const end = at(HOUR)
    const running = w.run('gate', {
      ...w.planned('Payments API', start, end),
      on_conflict: 'fail',
      poll_interval_seconds: '5',
      timeout_minutes: '2',
      correlation_id: 'gate-conflict'
    })
    // Once the gate's change waits in Assess (no conflict at create), another team books the CI
    // and the approvers approve.
    let number: string | undefined
    for (let i = 0; i < 600 && number === undefined; i++) {
      await new Promise(r => setTimeout(r, 100))
      number = (await w.changes('gate-conflict')).find(
        c => c.state === 'Assess'
      )?.number
    }
    expect(number).toBeDefined()
    await w.occupy('Payments API', start, end)
    for (let stage = 0; stage < 2; stage++)
      await admin(w.sim, 'POST', `/changes/${number}/approve`, {})
    const main = await running
    expect(main.code).toBe(1)
    expect(main.outputs.decision).toBe('conflict')
    expect(errors(main)).toEqual([
      expect.stringMatching(/has 1 conflict .*\(on_conflict: fail\)/)
    ])
    const post = await w.run('gate-post', w.connection, {state: main.state})
    ok(post)
    const [made] = await w.changes('gate-conflict')
    expect(made.state).toBe('Canceled')
    // Exactly one cancel, post's, with its work note.
    expect(
      (await admin(w.sim, 'GET', `/changes/${number}`)).work_notes.filter(
        (n: string) => /Canceled|cancel/i.test(n)
      )
    ).toHaveLength(1)
  }, 180_000)
})
