import {afterAll, beforeAll, describe, expect, it} from '@jest/globals'
import type {Simulator} from '../src/simulator/server.js'
import {e2eEnvironment, ok, type E2eEnvironment} from './helpers/e2e.js'
import {startRunGithub, type RunGithub} from './helpers/github-run.js'
import {errors, type StepRun} from '../scripts/local-runner.js'
import {counted, suiteCounts} from './helpers/counts.js'

/**
 * One change for a whole matrix (issue 13, part 2), through the built bundles against the
 * simulator: each leg gets a change task; the change closes only when every expected leg has
 * reported, once, from the worst result; a leg that never reports leaves it in Implement with a
 * note, and a final close with settle_legs settles it from the tasks.
 */
const counts = suiteCounts('e2e-legs')
let sim: Simulator
let github: RunGithub
let runStep: E2eEnvironment['runStep']
let connection: Record<string, string>
const TOKEN = 'ghs_fakeTokenForLegTests'
beforeAll(async () => {
  ;({sim, runStep, connection} = await e2eEnvironment(counts, {
    approval: {mode: 'auto', afterMs: 200}
  }))
  github = await startRunGithub(TOKEN)
})
afterAll(() => Promise.all([sim.stop(), github.stop()]))

const env = (runId: string, attempt = 1): {env: Record<string, string>} => ({
  env: {
    GITHUB_RUN_ID: runId,
    GITHUB_RUN_ATTEMPT: String(attempt),
    GITHUB_API_URL: github.url,
    GITHUB_TOKEN_FOR_TESTS: TOKEN
  }
})
const changesOf = (runId: string): Record<string, string | undefined>[] =>
  sim.instance.store
    .rows('change_request')
    .filter(c =>
      (c.correlation_id ?? '').startsWith(`octo-org/payments/${runId}/`)
    )
const tasksOf = (sysId: string): Record<string, string | undefined>[] =>
  sim.instance.store.rows('change_task').filter(t => t.change_request === sysId)
/** How many times the change's state was set to this value, from its history. */
const setTo = (sysId: string, state: string): number =>
  sim.instance.store
    .rows('sys_audit')
    .filter(
      a =>
        a.documentkey === sysId &&
        a.fieldname === 'state' &&
        a.newvalue === state
    ).length
/** How many times it was closed (3). */
const closes = (sysId: string): number => setTo(sysId, '3')
const notes = (sysId: string): string[] =>
  sim.instance.store.journal(sysId, 'work_notes').map(j => j.value)

/** The legs' create steps, at once, in one attempt of the run (inputs: more of create's). */
async function createLegs(
  runId: string,
  legs: string[],
  expected: number,
  attempt = 1,
  inputs: Record<string, string> = {}
): Promise<string> {
  const created = await Promise.all(
    legs.map(leg =>
      runStep(
        'create',
        {
          ...connection,
          type: 'normal',
          assignment_group: 'DevOps Team',
          environment: 'production',
          expected_legs: String(expected),
          leg,
          ...inputs
        },
        env(runId, attempt)
      )
    )
  )
  created.forEach(ok)
  const numbers = new Set(created.map(r => r.outputs.change_number))
  expect(numbers.size).toBe(1)
  return created[0]!.outputs.change_sys_id!
}

const closeLeg = (
  runId: string,
  sysId: string,
  leg: string,
  result: string,
  expected: number,
  attempt = 1
): Promise<StepRun> =>
  runStep(
    'close',
    {
      ...connection,
      change_sys_id: sysId,
      result,
      expected_legs: String(expected),
      leg
    },
    env(runId, attempt)
  )

describe('one change for a matrix', () => {
  it(
    'three legs, one failing: one change, a task a leg, closed once as unsuccessful when the last leg reports, the notes listing each leg',
    counted(counts, 'legs close once, worst result', async () => {
      const sysId = await createLegs(
        '9101',
        ['eu-west', 'us-east', 'ap-south'],
        3
      )
      // Legs racing may each create one; every one but the oldest is canceled at once.
      expect(changesOf('9101').filter(c => c.state !== '4')).toHaveLength(1)
      expect(
        tasksOf(sysId)
          .map(t => [t.short_description, t.correlation_display, t.active])
          .sort()
      ).toEqual([
        ['Deployment leg: ap-south', 'servicenow-change leg', 'true'],
        ['Deployment leg: eu-west', 'servicenow-change leg', 'true'],
        ['Deployment leg: us-east', 'servicenow-change leg', 'true']
      ])
      const a = await closeLeg('9101', sysId, 'eu-west', 'success', 3)
      ok(a)
      expect(a.outputs.state).not.toBe('closed')
      expect(
        notes(sysId).filter(n => n.startsWith('Leg eu-west: success'))
      ).toHaveLength(1)
      expect(notes(sysId).join('\n')).toContain(
        '1 of 3 legs have reported; waiting for ap-south, us-east.'
      )
      const b = await closeLeg('9101', sysId, 'us-east', 'failure', 3)
      ok(b)
      expect(closes(sysId)).toBe(0)
      const c = await closeLeg('9101', sysId, 'ap-south', 'success', 3)
      ok(c)
      expect(c.outputs.state).toBe('closed')
      const change = sim.instance.store.get('change_request', sysId)!
      expect([change.state, change.close_code, closes(sysId)]).toEqual([
        '3',
        'unsuccessful',
        1
      ])
      expect(change.close_notes).toContain('- ap-south: successful (CTASK')
      expect(change.close_notes).toContain('- us-east: unsuccessful (CTASK')
      expect(change.close_notes).toContain('- eu-west: successful (CTASK')
      expect(
        tasksOf(sysId)
          .map(t => [t.short_description, t.state, t.close_code])
          .sort()
      ).toEqual([
        ['Deployment leg: ap-south', '3', 'successful'],
        ['Deployment leg: eu-west', '3', 'successful'],
        ['Deployment leg: us-east', '3', 'unsuccessful']
      ])
      // One note a leg.
      for (const leg of ['eu-west', 'us-east', 'ap-south'])
        expect(
          notes(sysId).filter(n => n.startsWith(`Leg ${leg}:`))
        ).toHaveLength(1)
      expect(c.summary).toContain('Legs: 3 of 3 reported.')
    }),
    60_000
  )

  it(
    'twenty legs finishing at the same moment: exactly one close, with the worst result',
    counted(counts, '20 racing legs, one close', async () => {
      const legs = Array.from(
        {length: 20},
        (_, i) => `leg-${String(i).padStart(2, '0')}`
      )
      const sysId = await createLegs('9102', legs, 20)
      expect(tasksOf(sysId)).toHaveLength(20)
      const ended = await Promise.all(
        legs.map((leg, i) =>
          closeLeg('9102', sysId, leg, i === 13 ? 'failure' : 'success', 20)
        )
      )
      ended.forEach(ok)
      const change = sim.instance.store.get('change_request', sysId)!
      expect([change.state, change.close_code, closes(sysId)]).toEqual([
        '3',
        'unsuccessful',
        1
      ])
      // Every leg saw the change closed in the end; the one that closed it said so.
      expect(
        ended.filter(r => r.outputs.state === 'closed').length
      ).toBeGreaterThanOrEqual(1)
      // One leg tried to close it; every other leg that saw all twenty reported named that one and wrote nothing.
      const attempts = ended.filter(r =>
        /closed: unsuccessful|nothing to close/.test(r.stdout)
      )
      expect(attempts).toHaveLength(1)
      const named = ended.flatMap(
        r =>
          /Every leg has reported: leg (leg-\d\d) closes/.exec(r.stdout)?.[1] ??
          []
      )
      expect(named.length).toBeGreaterThan(0)
      expect(new Set(named).size).toBe(1)
      expect(tasksOf(sysId).filter(t => t.active === 'true')).toEqual([])
      expect(notes(sysId).filter(n => /^Leg leg-\d\d: /.test(n))).toHaveLength(
        20
      )
    }),
    120_000
  )

  it(
    'a leg that never reports leaves the change in Implement with a note; a final close with settle_legs settles it',
    counted(counts, 'missing leg, then settled', async () => {
      const sysId = await createLegs('9103', ['blue', 'green'], 3)
      ok(await closeLeg('9103', sysId, 'blue', 'success', 3))
      ok(await closeLeg('9103', sysId, 'green', 'success', 3))
      let change = sim.instance.store.get('change_request', sysId)!
      expect(change.state).not.toBe('3')
      expect(notes(sysId).join('\n')).toContain(
        '2 of 3 legs have reported; waiting for 1 not yet seen.'
      )
      const settle = await runStep(
        'close',
        {
          ...connection,
          change_sys_id: sysId,
          result: 'failure',
          expected_legs: '3',
          settle_legs: 'true'
        },
        env('9103')
      )
      ok(settle)
      change = sim.instance.store.get('change_request', sysId)!
      expect([change.state, change.close_code, closes(sysId)]).toEqual([
        '3',
        'unsuccessful',
        1
      ])
      expect(change.close_notes).toContain(
        '1 more leg expected, never seen (no task)'
      )
      expect(settle.summary).toContain('Legs: 2 of 3 reported.')
    }),
    60_000
  )

  it(
    'a leg whose task is open when the settling job runs is closed unsuccessful, saying it never reported',
    counted(counts, 'open leg settled', async () => {
      const sysId = await createLegs('9104', ['one', 'two'], 2)
      ok(await closeLeg('9104', sysId, 'one', 'success', 2))
      const settle = await runStep(
        'close',
        {
          ...connection,
          change_sys_id: sysId,
          result: 'success',
          expected_legs: '2',
          settle_legs: 'true'
        },
        env('9104')
      )
      ok(settle)
      const two = tasksOf(sysId).find(
        t => t.short_description === 'Deployment leg: two'
      )!
      expect([two.state, two.close_code]).toEqual(['3', 'unsuccessful'])
      expect(two.close_notes).toContain('Leg two never reported its result')
      const change = sim.instance.store.get('change_request', sysId)!
      expect([change.close_code, closes(sysId)]).toEqual(['unsuccessful', 1])
    }),
    60_000
  )

  it(
    'names a leg without a leg input for the job as the run shows it, and refuses when it cannot read it',
    counted(counts, 'leg named from the job', async () => {
      const named = await runStep(
        'create',
        {
          ...connection,
          type: 'normal',
          assignment_group: 'DevOps Team',
          expected_legs: '2'
        },
        env('9105')
      )
      ok(named)
      const sysId = named.outputs.change_sys_id!
      expect(tasksOf(sysId).map(t => t.short_description)).toEqual([
        'Deployment leg: deploy'
      ])
      const unnamed = await runStep(
        'create',
        {
          ...connection,
          type: 'normal',
          assignment_group: 'DevOps Team',
          expected_legs: '2',
          github_token: ''
        },
        env('9106')
      )
      expect(unnamed.code).toBe(1)
      expect(errors(unnamed).join('\n')).toContain(
        "leg: give each leg a name (e.g. ${{ matrix.region }}); the job's name could not be read: no github_token was given."
      )
      expect(changesOf('9106')).toHaveLength(0)
    }),
    60_000
  )
})

describe('re-running the failed legs of a matrix', () => {
  /** One leg of one attempt: create (its task), then close from its result. */
  async function leg(
    runId: string,
    attempt: number,
    name: string,
    result: string,
    {expected_legs = '3', ...inputs}: Record<string, string> = {}
  ): Promise<{sysId: string; close: StepRun}> {
    const expected = Number(expected_legs)
    const sysId = await createLegs(runId, [name], expected, attempt, inputs)
    const close = await closeLeg(runId, sysId, name, result, expected, attempt)
    ok(close)
    return {sysId, close}
  }

  it(
    'counts the legs that succeeded in the first attempt: the re-run of the failed leg leaves its change to the settling job, which closes it successful, naming where each leg ran',
    counted(counts, 're-run of a failed leg', async () => {
      const first = await leg('9150', 1, 'eu-west', 'success')
      await leg('9150', 1, 'us-east', 'failure')
      await leg('9150', 1, 'ap-south', 'success')
      const one = sim.instance.store.get('change_request', first.sysId)!
      expect([one.state, one.close_code]).toEqual(['3', 'unsuccessful'])
      // "Re-run failed jobs": only us-east runs again, in attempt 2.
      const again = await leg('9150', 2, 'us-east', 'success')
      expect(again.sysId).not.toBe(first.sysId)
      // The other legs may be queued in a "Re-run all jobs": a leg does not close on their earlier word.
      expect(again.close.outputs.state).not.toBe('closed')
      expect(closes(again.sysId)).toBe(0)
      expect(
        notes(again.sysId).filter(n => n.startsWith('Leg us-east: success'))
      ).toEqual([
        expect.stringContaining(
          `1 of 3 legs have reported in this attempt; ap-south (${one.number}), eu-west (${one.number}) succeeded in an earlier attempt of this run and have not run in this one.`
        )
      ])
      // The settling job runs once every leg of the attempt has ended, and closes it.
      const settle = await runStep(
        'close',
        {
          ...connection,
          change_sys_id: again.sysId,
          result: 'success',
          expected_legs: '3',
          settle_legs: 'true'
        },
        env('9150', 2)
      )
      ok(settle)
      expect(settle.outputs.state).toBe('closed')
      const two = sim.instance.store.get('change_request', again.sysId)!
      expect([two.state, two.close_code, closes(again.sysId)]).toEqual([
        '3',
        'successful',
        1
      ])
      const legsListed = two
        .close_notes!.split('\n')
        .filter(l => l.startsWith('- '))
      expect(legsListed).toEqual([
        expect.stringMatching(
          new RegExp(
            `^- ap-south: successful \\(CTASK\\d+ in ${one.number}, an earlier attempt of this run\\)$`
          )
        ),
        expect.stringMatching(
          new RegExp(
            `^- eu-west: successful \\(CTASK\\d+ in ${one.number}, an earlier attempt of this run\\)$`
          )
        ),
        expect.stringMatching(/^- us-east: successful \(CTASK\d+\)$/)
      ])
      // Nothing was written to the first change, and the second has only us-east's task.
      expect(tasksOf(again.sysId).map(t => t.short_description)).toEqual([
        'Deployment leg: us-east'
      ])
      expect(changesOf('9150').filter(c => c.state !== '4')).toHaveLength(2)
    }),
    90_000
  )

  it(
    'does not carry a leg that failed again, nor one from another run with the same correlation id',
    counted(counts, 're-run carries only this run', async () => {
      await leg('9151', 1, 'eu-west', 'success', {expected_legs: '2'})
      await leg('9151', 1, 'us-east', 'failure', {expected_legs: '2'})
      const retry = await leg('9151', 2, 'us-east', 'failure', {
        expected_legs: '2'
      })
      ok(
        await runStep(
          'close',
          {
            ...connection,
            change_sys_id: retry.sysId,
            result: 'failure',
            expected_legs: '2',
            settle_legs: 'true'
          },
          env('9151', 2)
        )
      )
      const two = sim.instance.store.get('change_request', retry.sysId)!
      expect([two.state, two.close_code]).toEqual(['3', 'unsuccessful'])
      expect(two.close_notes).toMatch(
        /- eu-west: successful \(CTASK\d+ in CHG\d+, an earlier attempt of this run\)/
      )

      // Another run re-using a correlation id of its own: the earlier run's successes are not this run's.
      const ids = {expected_legs: '2', correlation_id: 'payments-prod-9160'}
      await leg('9160', 1, 'eu-west', 'success', ids)
      await leg('9160', 1, 'us-east', 'failure', ids)
      const other = await leg('9161', 2, 'us-east', 'success', ids)
      expect(other.close.outputs.state).not.toBe('closed')
      expect(
        sim.instance.store.get('change_request', other.sysId)!.state
      ).not.toBe('3')
      expect(notes(other.sysId).join('\n')).toContain(
        '1 of 2 legs have reported; waiting for 1 not yet seen.'
      )
    }),
    120_000
  )

  it(
    '"Re-run all jobs" one leg at a time (max-parallel: 1): no leg closes on an earlier attempt\'s word; the last leg of the attempt closes from this attempt\'s results',
    counted(counts, 're-run all, one at a time', async () => {
      await leg('9152', 1, 'eu-west', 'success')
      await leg('9152', 1, 'us-east', 'failure')
      await leg('9152', 1, 'ap-south', 'success')
      const a = await leg('9152', 2, 'eu-west', 'success')
      expect(a.close.outputs.state).not.toBe('closed')
      const b = await leg('9152', 2, 'us-east', 'failure')
      expect(b.sysId).toBe(a.sysId)
      // us-east failed again and ap-south counts from attempt 1: complete, yet ap-south is about to run.
      expect(closes(a.sysId)).toBe(0)
      const c = await leg('9152', 2, 'ap-south', 'success')
      expect(c.sysId).toBe(a.sysId)
      expect(c.close.outputs.state).toBe('closed')
      const change = sim.instance.store.get('change_request', a.sysId)!
      expect([change.close_code, closes(a.sysId)]).toEqual(['unsuccessful', 1])
      expect(change.close_notes).not.toContain('an earlier attempt')
    }),
    120_000
  )
})

describe('the all-in-one gate as a matrix leg', () => {
  it(
    'two legs through main and post: one change, implemented once by both, closed by the last post from both results',
    counted(counts, 'gate legs', async () => {
      const gateInputs = (leg: string): Record<string, string> => ({
        ...connection,
        type: 'normal',
        assignment_group: 'DevOps Team',
        environment: 'production',
        poll_interval_seconds: '5',
        expected_legs: '2',
        leg
      })
      const mains = await Promise.all(
        ['left', 'right'].map(leg =>
          runStep('gate', gateInputs(leg), env('9107'))
        )
      )
      mains.forEach(ok)
      expect(new Set(mains.map(m => m.outputs.change_number)).size).toBe(1)
      const sysId = mains[0]!.outputs.change_sys_id!
      expect(mains.map(m => m.state.leg)).toEqual(['left', 'right'])
      github.steps = [
        {name: 'Gate', status: 'completed', conclusion: 'success'},
        {name: 'Deploy', status: 'completed', conclusion: 'success'},
        {name: 'Post Gate', status: 'in_progress', conclusion: null}
      ]
      const first = await runStep('gate-post', gateInputs('left'), {
        ...env('9107'),
        state: mains[0]!.state
      })
      ok(first)
      expect(sim.instance.store.get('change_request', sysId)!.state).toBe('-1')
      expect(setTo(sysId, '-1')).toBe(1)
      const second = await runStep('gate-post', gateInputs('right'), {
        ...env('9107'),
        state: mains[1]!.state
      })
      ok(second)
      const change = sim.instance.store.get('change_request', sysId)!
      expect([change.state, change.close_code, closes(sysId)]).toEqual([
        '3',
        'successful',
        1
      ])
      expect(second.summary).toContain('Legs: 2 of 2 reported.')
    }),
    60_000
  )

  it(
    'refuses legs on a change without a correlation id, before writing anything',
    counted(counts, 'no correlation id', async () => {
      const made = sim.instance.store.insert(
        'change_request',
        {
          type: 'normal',
          state: '-1',
          approval: 'approved',
          short_description: 'made by hand'
        },
        'admin'
      )
      const run = await runStep(
        'create',
        {
          ...connection,
          change_number: made.number!,
          expected_legs: '2',
          leg: 'a'
        },
        env('9108')
      )
      expect(run.code).toBe(1)
      expect(errors(run).join('\n')).toContain(
        `${made.number} has no correlation id, so its legs' tasks could not be told from anyone else's`
      )
      expect(tasksOf(made.sys_id!)).toEqual([])
    }),
    60_000
  )

  it(
    'a leg that fails after the change was closed successful says so, in a warning and a work note',
    counted(counts, 'late failure', async () => {
      const sysId = await createLegs('9109', ['x', 'y'], 2)
      // A person closes leg y's task by hand as successful while it still runs.
      const y = tasksOf(sysId).find(
        t => t.short_description === 'Deployment leg: y'
      )!
      const row = sim.instance.store.get('change_task', y.sys_id!)!
      sim.instance.store.update(
        'change_task',
        row,
        {
          state: '3',
          active: 'false',
          close_code: 'successful',
          close_notes: 'closed by hand',
          // A minute before leg x reports: x is the last to report, so x closes.
          closed_at: new Date(Date.now() - 60_000)
            .toISOString()
            .slice(0, 19)
            .replace('T', ' ')
        },
        'admin'
      )
      ok(await closeLeg('9109', sysId, 'x', 'success', 2))
      expect(sim.instance.store.get('change_request', sysId)!.close_code).toBe(
        'successful'
      )
      const late = await closeLeg('9109', sysId, 'y', 'failure', 2)
      expect(late.code).toBe(0)
      expect(late.stdout).toMatch(
        /::warning::Leg y ended failure after CHG\d+ was closed successful: the close code does not tell this leg's result/
      )
      expect(
        notes(sysId).filter(n => n.startsWith('Leg y ended failure after'))
      ).toHaveLength(1)
    }),
    60_000
  )
})
