import {afterAll, beforeAll, describe, expect, it} from '@jest/globals'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {Simulator} from '../src/simulator/server.js'
import {admin, withSimulator} from './helpers/sim.js'
import {errors, type StepRun} from '../scripts/local-runner.js'
import {suiteCounts} from './helpers/counts.js'
import {scannedSteps} from './helpers/scan.js'

/**
 * The split steps as a workflow runs them: each bundle a child process, the
 * outputs of one fed to the inputs of the next, against the simulator.
 */
let sim: Simulator
const counts = suiteCounts('e2e-split')
let runStep: ReturnType<typeof scannedSteps>
let connection: Record<string, string>
beforeAll(async () => {
  sim = await withSimulator({
    approval: {mode: 'auto', afterMs: 300, rejectPattern: 'REJECT'}
  })
  runStep = scannedSteps(sim, counts)
  connection = {
    instance_url: sim.url,
    username: 'devops.integration',
    password: 'sn-integration-pw'
  }
})
afterAll(() => sim.stop())

const record = async (number: string): Promise<any> =>
  admin(sim, 'GET', `/changes/${number}`)
const fast = {poll_interval_seconds: '5', timeout_minutes: '1'}
function ok(run: StepRun): void {
  expect({code: run.code, errors: errors(run), stderr: run.stderr}).toEqual({
    code: 0,
    errors: [],
    stderr: ''
  })
}

describe('create → wait → update → close', () => {
  // The four steps run once, each fed the outputs of the one before; each test reads one behaviour off the recorded runs.
  let create: StepRun
  let wait: StepRun
  let update: StepRun
  let close: StepRun
  let closed: any
  beforeAll(async () => {
    create = await runStep('create', {
      ...connection,
      environment: 'production',
      assignment_group: 'DevOps Team',
      cmdb_ci: 'Payments API',
      risk: 'low'
    })
    wait = await runStep('wait', {
      ...connection,
      change_sys_id: create.outputs.change_sys_id!,
      ...fast
    })
    update = await runStep('update', {
      ...connection,
      change_sys_id: wait.outputs.change_sys_id!,
      state: 'implement',
      work_notes: 'Rolling out v1.2.3'
    })
    close = await runStep('close', {
      ...connection,
      change_sys_id: update.outputs.change_sys_id!,
      result: 'success'
    })
    closed = await record(create.outputs.change_number!)
  }, 60_000)

  it('every step passes: exit code 0, no error line, nothing on stderr', () => {
    for (const run of [create, wait, update, close]) ok(run)
  })

  it('create opens a normal change in Assess with approval requested', () => {
    expect(create.outputs).toMatchObject({
      created: 'true',
      skipped: 'false',
      state: 'assess',
      approval: 'requested',
      change_number: expect.stringMatching(/^CHG\d{7}$/)
    })
  })

  it("create links the change's form and announces it in a notice", () => {
    expect(create.outputs.change_url).toBe(
      `${sim.url}/change_request.do?sys_id=${create.outputs.change_sys_id}`
    )
    expect(create.stdout).toContain(
      `::notice title=ServiceNow change request::${create.outputs.change_number} created: ${create.outputs.change_url}`
    )
  })

  it('create reports its requests, none retried or failed, in its metrics and job summary', () => {
    const metrics = JSON.parse(create.outputs.metrics!)
    expect(metrics).toEqual({
      api_calls: expect.any(Number),
      retries: 0,
      errors: 0,
      create_seconds: expect.any(Number)
    })
    expect(metrics.api_calls).toBeGreaterThanOrEqual(5)
    expect(create.summary).toContain(create.outputs.change_number)
    expect(create.summary).toMatch(
      /ServiceNow requests.*\d+ \(0 retries, 0 failed tries\)/
    )
  })

  it('create describes the deployment from the run: short description and correlation id', () => {
    expect(closed.short_description).toBe(
      'Deploy octo-org/payments@1a2b3c4 to production'
    )
    expect(closed.correlation_id).toBe(
      'octo-org/payments/4242/deploy/production'
    )
  })

  it('wait passes once the change is approved, and it is then Scheduled', () => {
    expect(wait.outputs).toMatchObject({
      decision: 'approved',
      state: 'scheduled',
      approval: 'approved',
      change_number: create.outputs.change_number
    })
  })

  it('wait lists every approver and how each decided, in its output and job summary', () => {
    const approvers = JSON.parse(wait.outputs.approvers!)
    expect(approvers.map((a: any) => [a.name, a.state])).toEqual([
      ['Alice Approver', 'approved'],
      ['Bob CAB', 'approved'],
      ['Carol CAB', 'not_required']
    ])
    expect(wait.summary).toMatch(
      /Approvals[\s\S]*Alice Approver[\s\S]*Timeline/
    )
  })

  it('wait reports how long it waited, the same figure in its output and metrics', () => {
    expect(Number(wait.outputs.waited_seconds)).toBeLessThan(15)
    expect(JSON.parse(wait.outputs.metrics!)).toMatchObject({
      waited_seconds: Number(wait.outputs.waited_seconds)
    })
  })

  it('update moves the change to Implement', () => {
    expect(update.outputs.state).toBe('implement')
  })

  it('close closes the change as successful', () => {
    expect(close.outputs).toMatchObject({state: 'closed'})
    expect(closed).toMatchObject({
      state_label: 'Closed',
      close_code: 'successful'
    })
  })

  it("update's work note says who ran the deployment and which run", () => {
    expect(closed.work_notes).toContain(
      'Rolling out v1.2.3\n(mona, Deploy run #17: https://github.com/octo-org/payments/actions/runs/4242)'
    )
  })
})

describe('create', () => {
  it('adopts the open change on a re-run instead of creating another', async () => {
    const env = {env: {GITHUB_RUN_ID: '5555', GITHUB_RUN_ATTEMPT: '1'}}
    const first = await runStep(
      'create',
      {...connection, assignment_group: 'DevOps Team'},
      env
    )
    ok(first)
    const again = await runStep(
      'create',
      {...connection, assignment_group: 'DevOps Team'},
      {env: {GITHUB_RUN_ID: '5555', GITHUB_RUN_ATTEMPT: '2'}}
    )
    ok(again)
    expect(again.outputs).toMatchObject({
      created: 'false',
      change_sys_id: first.outputs.change_sys_id
    })
    const all = (await admin(sim, 'GET', '/changes')).filter(
      (c: any) => c.correlation_id === 'octo-org/payments/5555/deploy'
    )
    expect(all).toHaveLength(1)
  })

  it('adopts an existing change by number', async () => {
    const first = await runStep('create', {
      ...connection,
      assignment_group: 'DevOps Team',
      correlation_id: 'adopt-by-number'
    })
    const adopted = await runStep('create', {
      ...connection,
      change_number: first.outputs.change_number!
    })
    ok(adopted)
    expect(adopted.outputs).toMatchObject({
      created: 'false',
      change_sys_id: first.outputs.change_sys_id
    })
  })

  it('makes an emergency change that waits for the CAB in Authorize', async () => {
    const create = await runStep('create', {
      ...connection,
      type: 'emergency',
      correlation_id: 'emergency-1',
      justification: 'Outage'
    })
    ok(create)
    expect(create.outputs).toMatchObject({
      state: 'authorize',
      approval: 'requested'
    })
    const wait = await runStep('wait', {
      ...connection,
      change_number: create.outputs.change_number!,
      ...fast
    })
    ok(wait)
    expect(wait.outputs).toMatchObject({
      decision: 'approved',
      state: 'scheduled'
    })
  }, 30_000)

  it('makes a standard change from a template by name, pre-approved and scheduled at once', async () => {
    const create = await runStep('create', {
      ...connection,
      template: 'Deploy web application',
      correlation_id: 'standard-1'
    })
    ok(create)
    expect(create.outputs).toMatchObject({
      state: 'scheduled',
      approval: 'approved'
    })
    const created = await record(create.outputs.change_number!)
    expect(created.type).toBe('standard')
    // The template's description stays; the run's context is a work note.
    const raw = await fetch(
      `${sim.url}/api/now/table/change_request/${create.outputs.change_sys_id}?sysparm_fields=description`,
      {
        headers: {
          Accept: 'application/json',
          Authorization: `Basic ${Buffer.from('devops.integration:sn-integration-pw').toString('base64')}`
        }
      }
    ).then(r => r.json() as Promise<any>)
    expect(raw.result.description).toBe(
      'Routine deployment through the pipeline'
    )
    expect(created.work_notes[0]).toMatch(
      /^Deployment of octo-org\/payments at 1a2b3c4d/
    )
    const wait = await runStep('wait', {
      ...connection,
      change_sys_id: create.outputs.change_sys_id!,
      ...fast
    })
    ok(wait)
    expect(Number(wait.outputs.waited_seconds)).toBeLessThan(2)
  })

  it('says what to fix when the connection is wrong, whichever call meets it', async () => {
    const noRole = await runStep('create', {
      ...connection,
      username: 'no.roles',
      password: 'no.roles',
      template: 'Deploy web application'
    })
    expect(errors(noRole)).toEqual([
      expect.stringMatching(
        /signed the user in but refused the request .*ACL Exception.*Give the integration user the itil or change_manager role/
      )
    ])
    const badPassword = await runStep('create', {
      ...connection,
      password: 'wrong',
      template: 'Deploy web application'
    })
    expect(errors(badPassword)).toEqual([
      expect.stringMatching(
        /refused the credentials \(401 User Not Authenticated\)\. Check username and password/
      )
    ])
  })

  it('refuses an ambiguous or unknown template before creating anything', async () => {
    const before = (await admin(sim, 'GET', '/changes')).length
    const ambiguous = await runStep('create', {
      ...connection,
      template: 'Rotate TLS certificates',
      correlation_id: 'standard-2'
    })
    expect(ambiguous.code).toBe(1)
    expect(errors(ambiguous)).toEqual([
      expect.stringMatching(
        /2 active standard change templates are named 'Rotate TLS certificates'/
      )
    ])
    const unknown = await runStep('create', {
      ...connection,
      template: 'Nope',
      correlation_id: 'standard-3'
    })
    expect(errors(unknown)).toEqual([
      expect.stringMatching(
        /no active standard change template is named 'Nope'/
      )
    ])
    expect((await admin(sim, 'GET', '/changes')).length).toBe(before)
  })

  it('cancels what it created when approval cannot be requested, and says so', async () => {
    const create = await runStep('create', {
      ...connection,
      correlation_id: 'no-group'
    })
    expect(create.code).toBe(1)
    expect(errors(create)[0]).toMatch(
      /Created (CHG\d+) .* but could not request approval: .*mandatory: Assignment group.*It was canceled so that nothing is left half-done/
    )
    const number = /Created (CHG\d+)/.exec(errors(create)[0] ?? '')?.[1] ?? ''
    expect((await record(number)).state_label).toBe('Canceled')
  })

  it('links a parent change and takes any field through fields', async () => {
    const parent = await runStep('create', {
      ...connection,
      assignment_group: 'DevOps Team',
      correlation_id: 'parent-1'
    })
    const child = await runStep('create', {
      ...connection,
      type: 'emergency',
      parent_change: parent.outputs.change_number!,
      correlation_id: 'rollback-1',
      fields: 'category: Software\npriority: 3',
      request_approval: 'false'
    })
    ok(child)
    expect(child.outputs).toMatchObject({
      state: 'new',
      approval: 'not requested'
    })
    const raw = await fetch(
      `${sim.url}/api/now/table/change_request/${child.outputs.change_sys_id}?sysparm_fields=parent,category&sysparm_exclude_reference_link=true`,
      {
        headers: {
          Accept: 'application/json',
          Authorization: `Basic ${Buffer.from('devops.integration:sn-integration-pw').toString('base64')}`
        }
      }
    ).then(r => r.json() as Promise<any>)
    expect(raw.result).toEqual({
      parent: parent.outputs.change_sys_id,
      category: 'Software'
    })
  })
})

describe('rollback', () => {
  it("a failed deployment's rollback opens a change linked to the failed one and closes it from the rollback's result", async () => {
    const failed = await runStep('create', {
      ...connection,
      template: 'Deploy web application',
      correlation_id: 'rollback-deploy'
    })
    ok(
      await runStep('update', {
        ...connection,
        change_sys_id: failed.outputs.change_sys_id!,
        state: 'implement'
      })
    )
    ok(
      await runStep('close', {
        ...connection,
        change_sys_id: failed.outputs.change_sys_id!,
        result: 'failure',
        open_incident_on_failure: 'true'
      })
    )

    const rollback = await runStep('create', {
      ...connection,
      template: 'Restart application server',
      parent_change: failed.outputs.change_number!,
      short_description: `Roll back ${failed.outputs.change_number}`,
      correlation_id: 'rollback-of-deploy'
    })
    ok(rollback)
    ok(
      await runStep('wait', {
        ...connection,
        change_sys_id: rollback.outputs.change_sys_id!,
        ...fast
      })
    )
    ok(
      await runStep('update', {
        ...connection,
        change_sys_id: rollback.outputs.change_sys_id!,
        state: 'implement'
      })
    )
    const closed = await runStep('close', {
      ...connection,
      change_sys_id: rollback.outputs.change_sys_id!,
      result: 'success'
    })
    ok(closed)
    const parent = sim.instance.store.get(
      'change_request',
      rollback.outputs.change_sys_id!
    )?.parent
    expect(parent).toBe(failed.outputs.change_sys_id)
    expect(await record(failed.outputs.change_number!)).toMatchObject({
      close_code: 'unsuccessful'
    })
    expect(await record(rollback.outputs.change_number!)).toMatchObject({
      state_label: 'Closed',
      close_code: 'successful'
    })
  })
})

describe('attachments', () => {
  it('attaches evidence on create, update and close, once each, with a content type by extension', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evidence-'))
    writeFileSync(
      join(dir, 'junit.xml'),
      '<testsuite tests="12" failures="0"/>'
    )
    writeFileSync(join(dir, 'sbom.json'), '{"bomFormat":"CycloneDX"}')
    writeFileSync(join(dir, 'deploy.log'), 'deployed v1.2.3')
    const inputs = {
      ...connection,
      template: 'Deploy web application',
      correlation_id: 'evidence-1',
      attachments: `${dir}/*.xml\n${dir}/*.json\n${dir}/*.sarif (optional)`
    }
    const create = await runStep('create', inputs)
    ok(create)
    expect(create.stdout).toContain('Attached junit.xml (36 bytes)')
    expect(create.summary).toMatch(
      /Attachments[\s\S]*junit\.xml[\s\S]*sbom\.json/
    )
    const again = await runStep('create', inputs)
    ok(again)
    expect(again.stdout).toContain('junit.xml is already attached')
    const id = create.outputs.change_sys_id!
    ok(
      await runStep('update', {
        ...connection,
        change_sys_id: id,
        attachments: `${dir}/deploy.log`
      })
    )
    ok(
      await runStep('close', {
        ...connection,
        change_sys_id: id,
        result: 'success',
        attachments: `${dir}/junit.xml`
      })
    )
    const files = sim.attachments
      .forRecord(id)
      .map(f => [f.file_name, f.content_type])
    expect(files).toEqual([
      ['junit.xml', 'application/xml'],
      ['sbom.json', 'application/json'],
      ['deploy.log', 'text/plain']
    ])
  })
})

describe('environments that are not change-controlled', () => {
  it('skips: no change request, and wait, update and close pass through', async () => {
    const before = (await admin(sim, 'GET', '/changes')).length
    const create = await runStep('create', {
      ...connection,
      environment: 'staging',
      controlled_environments: 'prod*, production'
    })
    ok(create)
    expect(create.outputs).toMatchObject({skipped: 'true', created: 'false'})
    expect(create.exported).toEqual({SERVICENOW_CHANGE_SKIPPED: 'true'})
    // Later steps of the same job see the exported variable; other jobs pass skipped.
    for (const [entry, extra] of [
      ['wait', {}],
      ['update', {work_notes: 'x'}],
      ['close', {result: 'success'}]
    ] as const) {
      const sameJob = await runStep(
        entry,
        {...connection, ...extra},
        {env: create.exported}
      )
      ok(sameJob)
      expect(sameJob.outputs.skipped).toBe('true')
      const otherJob = await runStep(entry, {
        ...connection,
        ...extra,
        skipped: 'true'
      })
      ok(otherJob)
    }
    expect((await admin(sim, 'GET', '/changes')).length).toBe(before)
  })
})

describe('wait', () => {
  it('fails on rejection, naming who rejected and why', async () => {
    const create = await runStep('create', {
      ...connection,
      assignment_group: 'DevOps Team',
      short_description: 'Please REJECT this',
      correlation_id: 'reject-1'
    })
    const wait = await runStep('wait', {
      ...connection,
      change_sys_id: create.outputs.change_sys_id!,
      ...fast
    })
    expect(wait.code).toBe(1)
    expect(wait.outputs).toMatchObject({
      decision: 'rejected',
      approval: 'rejected'
    })
    expect(errors(wait)).toEqual([
      `::error::${create.outputs.change_number} was rejected by Alice Approver: "Rejected by policy: the short description matches /REJECT/.".`
    ])
  }, 30_000)

  it('checks once with timeout_minutes 0, and cancels on timeout when asked', async () => {
    await admin(sim, 'PATCH', '/config', {approval: {mode: 'manual'}})
    try {
      const create = await runStep('create', {
        ...connection,
        assignment_group: 'DevOps Team',
        correlation_id: 'once-1'
      })
      const once = await runStep('wait', {
        ...connection,
        change_sys_id: create.outputs.change_sys_id!,
        timeout_minutes: '0',
        on_timeout: 'cancel'
      })
      expect(once.code).toBe(1)
      expect(once.outputs.decision).toBe('timeout')
      expect(errors(once)[0]).toMatch(
        /checked once: .* is assess, approval requested: waiting for approval\. (CHG\d+) was canceled\./
      )
      expect((await record(create.outputs.change_number!)).state_label).toBe(
        'Canceled'
      )
    } finally {
      await admin(sim, 'PATCH', '/config', {approval: {mode: 'auto'}})
    }
  })

  it('cancels the change when the run is cancelled (SIGINT) while waiting', async () => {
    await admin(sim, 'PATCH', '/config', {approval: {mode: 'manual'}})
    try {
      const create = await runStep('create', {
        ...connection,
        assignment_group: 'DevOps Team',
        correlation_id: 'abort-1'
      })
      const wait = await runStep(
        'wait',
        {...connection, change_sys_id: create.outputs.change_sys_id!, ...fast},
        {
          onSpawn: child => {
            child.stdout?.on('data', (d: Buffer) => {
              if (d.toString().includes('waiting for approval'))
                child.kill('SIGINT')
            })
          }
        }
      )
      expect(wait.code).toBe(1)
      expect(wait.stdout).toContain('Received SIGINT')
      expect(wait.outputs.decision).toBe('canceled')
      const after = await record(create.outputs.change_number!)
      expect(after.state_label).toBe('Canceled')
      expect(after.work_notes.join('\n')).toMatch(
        /workflow run was cancelled while waiting/
      )
    } finally {
      await admin(sim, 'PATCH', '/config', {approval: {mode: 'auto'}})
    }
  })
})

describe('update and close', () => {
  it('an update the instance silently ignores is an error, not a success', async () => {
    const create = await runStep('create', {
      ...connection,
      template: 'Restart application server',
      correlation_id: 'ignored-1'
    })
    await admin(sim, 'PATCH', '/config', {ignoreStateWrites: true})
    try {
      const update = await runStep('update', {
        ...connection,
        change_sys_id: create.outputs.change_sys_id!,
        state: 'review'
      })
      expect(update.code).toBe(1)
      expect(errors(update)[0]).toMatch(
        /accepted moving CHG\d+ from scheduled to implement, but the record is still scheduled/
      )
    } finally {
      await admin(sim, 'PATCH', '/config', {ignoreStateWrites: false})
    }
  })

  it('closes a failure as unsuccessful and opens an incident caused by the change, once', async () => {
    const create = await runStep('create', {
      ...connection,
      template: 'Restart application server',
      cmdb_ci: 'Orders DB',
      correlation_id: 'fail-1'
    })
    await runStep('update', {
      ...connection,
      change_sys_id: create.outputs.change_sys_id!,
      state: 'implement'
    })
    const close = await runStep('close', {
      ...connection,
      change_sys_id: create.outputs.change_sys_id!,
      result: 'failure',
      open_incident_on_failure: 'true'
    })
    ok(close)
    expect(close.outputs.incident_number).toMatch(/^INC\d{7}$/)
    expect(await record(create.outputs.change_number!)).toMatchObject({
      state_label: 'Closed',
      close_code: 'unsuccessful'
    })
    const again = await runStep('close', {
      ...connection,
      change_sys_id: create.outputs.change_sys_id!,
      result: 'failure',
      open_incident_on_failure: 'true'
    })
    ok(again)
    expect(again.outputs.incident_number).toBe(close.outputs.incident_number)
  })

  it('cancels a change whose deployment was cancelled before implementation began', async () => {
    const create = await runStep('create', {
      ...connection,
      template: 'Restart application server',
      correlation_id: 'cancel-1'
    })
    const close = await runStep('close', {
      ...connection,
      change_number: create.outputs.change_number!,
      result: 'cancelled'
    })
    ok(close)
    expect(close.outputs.state).toBe('canceled')
  })
})
