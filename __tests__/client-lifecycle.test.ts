import {afterAll, beforeAll, describe, expect, it} from '@jest/globals'
import {ServiceNowError} from '../src/servicenow/errors.js'
import {query} from '../src/servicenow/query.js'
import type {Simulator} from '../src/simulator/server.js'
import {SEED_OAUTH_CLIENT, SEED_TEMPLATES} from '../src/simulator/seed.js'
import {admin, clientFor, withSimulator} from './helpers/sim.js'

let sim: Simulator
beforeAll(async () => {
  sim = await withSimulator()
})
afterAll(() => sim.stop())

async function groupId(
  client: ReturnType<typeof clientFor>['client'],
  name: string
): Promise<string> {
  const page = await client.table.list('sys_user_group', {
    query: query().eq('name', name),
    fields: ['sys_id']
  })
  return String(page.records[0]?.sys_id)
}

describe.each([
  ['with the Change Management API', true],
  ['on an instance without it (Table API fallback)', false]
])('a normal change from creation to closure, %s', (_name, changeApi) => {
  let local: Simulator
  beforeAll(async () => {
    local = await withSimulator({changeApi})
  })
  afterAll(() => local.stop())

  it('creates, requests approval, is approved twice, implements, reviews and closes', async () => {
    const {client} = clientFor(local)
    const group = await groupId(client, 'DevOps Team')
    const created = await client.changes.createNormal({
      short_description: 'Deploy octo/app@abc1234 to production',
      assignment_group: group,
      correlation_id: 'octo/app/1/deploy'
    })
    expect(client.changes.changeApiAvailable).toBe(changeApi)
    expect(created).toMatchObject({
      number: expect.stringMatching(/^CHG\d{7}$/),
      type: 'normal',
      stateLabel: 'new',
      approval: 'not requested'
    })
    expect(created.url).toBe(
      `${local.url}/change_request.do?sys_id=${created.sysId}`
    )

    const next = await client.changes.nextStates(created.sysId)
    expect(next).toEqual(
      changeApi
        ? {
            available: ['new', 'assess', 'canceled'],
            transitions: [
              {to: 'assess', available: true, unmet: []},
              {to: 'canceled', available: true, unmet: []}
            ]
          }
        : undefined
    )

    const assess = await client.changes.patch(created.sysId, {
      state: await client.changes.stateValue('assess')
    })
    expect([assess.stateLabel, assess.approval]).toEqual([
      'assess',
      'requested'
    ])

    await admin(local, 'POST', `/changes/${created.number}/approve`, {
      comments: 'Technical review done'
    })
    expect((await client.changes.get(created.sysId)).stateLabel).toBe(
      'authorize'
    )
    await admin(local, 'POST', `/changes/${created.number}/approve`, {
      approver: 'bob.cab',
      comments: 'CAB ok'
    })
    const scheduled = await client.changes.get(created.sysId)
    expect([scheduled.stateLabel, scheduled.approval]).toEqual([
      'scheduled',
      'approved'
    ])

    const approvers = await client.approvers(created.sysId)
    expect(approvers.map(a => [a.name, a.state, a.comments])).toEqual([
      ['Alice Approver', 'approved', 'Technical review done'],
      ['Bob CAB', 'approved', 'CAB ok'],
      ['Carol CAB', 'not_required', '']
    ])

    for (const state of ['implement', 'review'] as const) {
      expect(
        (
          await client.changes.patch(created.sysId, {
            state: await client.changes.stateValue(state)
          })
        ).stateLabel
      ).toBe(state)
    }
    const refused = await client.changes
      .patch(created.sysId, {state: await client.changes.stateValue('closed')})
      .catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(ServiceNowError)
    expect((refused as ServiceNowError).serviceNowMessage).toMatch(
      /mandatory: Close code, Close notes/
    )
    const closed = await client.changes.patch(created.sysId, {
      state: await client.changes.stateValue('closed'),
      close_code: 'successful',
      close_notes: 'Deployed by the pipeline'
    })
    expect([closed.stateLabel, closed.closeCode]).toEqual([
      'closed',
      'successful'
    ])

    const found = await client.table.list('change_request', {
      query: query().eq('correlation_id', 'octo/app/1/deploy'),
      fields: ['number']
    })
    expect(found.records).toEqual([{number: created.number}])
    client.dispose()
  })

  it('creates a standard change from a template found by name', async () => {
    const {client} = clientFor(local)
    const templates = await client.changes.findTemplates(SEED_TEMPLATES.restart)
    expect(templates).toHaveLength(1)
    const change = await client.changes.createStandard(templates[0]!, {
      short_description: 'Restart payments'
    })
    expect([
      change.type,
      change.approval,
      change.stateLabel,
      change.shortDescription
    ]).toEqual(['standard', 'approved', 'new', 'Restart payments'])
    expect(
      await client.changes.findTemplates(SEED_TEMPLATES.duplicate)
    ).toHaveLength(2)
    expect(await client.changes.findTemplates('No such template')).toEqual([])
    client.dispose()
  })

  it('records an approver decision as the signed-in approver, rejection comments required', async () => {
    const {client} = clientFor(local)
    const group = await groupId(client, 'DevOps Team')
    const change = await client.changes.createNormal({
      short_description: 'Needs a decision',
      assignment_group: group
    })
    await client.changes.patch(change.sysId, {
      state: await client.changes.stateValue('assess')
    })
    const {client: alice} = clientFor(local, {
      method: 'basic',
      username: 'alice.approver',
      password: 'alice'
    })
    await expect(
      alice.changes.decideApproval(change.sysId, 'rejected', ' ')
    ).rejects.toThrow(/needs comments/)
    await alice.changes.decideApproval(
      change.sysId,
      'rejected',
      'Backout plan is missing'
    )
    const after = await client.changes.get(change.sysId)
    expect([after.stateLabel, after.approval]).toEqual(['new', 'rejected'])
    expect((await client.approvers(change.sysId))[0]).toMatchObject({
      name: 'Alice Approver',
      state: 'rejected',
      comments: 'Backout plan is missing'
    })
    // Nothing left for Alice to decide.
    await expect(
      alice.changes.decideApproval(change.sysId, 'approved')
    ).rejects.toThrow(
      changeApi
        ? /failed 400: The current user is not authorized to approve/
        : /has no pending approval/
    )
    client.dispose()
    alice.dispose()
  })

  it('attaches a file and opens an incident caused by the change', async () => {
    const {client} = clientFor(local)
    const change = await client.changes.createEmergency({
      short_description: 'Hotfix'
    })
    expect(change.type).toBe('emergency')
    const attachment = await client.attach(
      {table: 'change_request', sysId: change.sysId},
      {
        name: 'sbom.json',
        contentType: 'application/json',
        data: Buffer.from('{"bomFormat":"CycloneDX"}')
      }
    )
    expect(attachment).toMatchObject({fileName: 'sbom.json', sizeBytes: 25})
    const incident = await client.createIncident({
      causedBy: change.sysId,
      short_description: 'Deployment failed'
    })
    expect(incident.number).toMatch(/^INC\d{7}$/)
    const row = await client.table.get('incident', incident.sysId, {
      fields: ['caused_by'],
      excludeReferenceLink: true
    })
    expect(row.caused_by).toBe(change.sysId)
    client.dispose()
  })
})

describe('the client against the simulator', () => {
  it('signs in with OAuth, and renews transparently when the instance expires its token mid-run', async () => {
    const {client} = clientFor(sim, {
      method: 'oauth_password',
      clientId: SEED_OAUTH_CLIENT.clientId,
      clientSecret: SEED_OAUTH_CLIENT.clientSecret,
      username: 'devops.integration',
      password: 'sn-integration-pw'
    })
    await client.table.list('change_request', {fields: ['sys_id'], limit: 1})
    await admin(sim, 'POST', '/tokens/expire')
    await client.table.list('change_request', {fields: ['sys_id'], limit: 1})
    const tokenCalls = sim.requests({path: '/oauth_token.do'})
    expect(tokenCalls.map(r => r.status)).toEqual([200, 200])
    client.dispose()
  })

  it('rides out injected 503s and 429s on reads', async () => {
    const {client, clock} = clientFor(sim)
    await admin(sim, 'POST', '/faults', {
      kind: 'status',
      status: 503,
      path: '/api/now/table/cmdb_ci',
      times: 2
    })
    await admin(sim, 'POST', '/faults', {
      kind: 'status',
      status: 429,
      path: '/api/now/table/cmdb_ci',
      retryAfterSeconds: 2
    })
    const page = await client.table.list('cmdb_ci', {
      fields: ['name'],
      limit: 1
    })
    expect(page.records).toHaveLength(1)
    expect(page.total).toBe(3)
    expect(clock.sleeps).toHaveLength(3)
    // Retry-After 2 s, plus jitter of up to as long again (random() is 0.5 here).
    expect(clock.sleeps).toContain(3000)
    client.dispose()
  })

  it('gives up on a hung request after the request timeout, naming it', async () => {
    const {client} = clientFor(sim, undefined, {timeoutMs: 200})
    await admin(sim, 'POST', '/faults', {
      kind: 'hang',
      path: '/api/now/table/cmdb_ci',
      times: 5
    })
    const error = (await client.table
      .list('cmdb_ci')
      .catch((e: unknown) => e)) as ServiceNowError
    expect(error.kind).toBe('timeout')
    expect(error.message).toMatch(
      /no answer within request_timeout_seconds \(nothing after 0\.2 s\) \(gave up after 5 attempts\)/
    )
    await admin(sim, 'DELETE', '/faults')
    client.dispose()
  })

  it('reads every page of a large result', async () => {
    const {client} = clientFor(sim)
    const names: string[] = []
    for await (const row of client.table.all('sys_user', {
      fields: ['user_name'],
      pageSize: 4
    }))
      names.push(String(row.user_name))
    // Seven seeded people and the OIDC web-service user, over two pages.
    expect(names).toHaveLength(8)
    expect(new Set(names).size).toBe(8)
    client.dispose()
  })
})
