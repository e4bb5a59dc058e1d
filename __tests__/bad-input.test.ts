import {afterAll, beforeAll, describe, expect, it} from '@jest/globals'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {Simulator} from '../src/simulator/server.js'
import {withSimulator} from './helpers/sim.js'
import {errors} from '../scripts/local-runner.js'
import {add, counted, suiteCounts} from './helpers/counts.js'
import {scannedSteps} from './helpers/scan.js'

/**
 * Bad input ends the step with one clear line and exit code 1, before any
 * request reaches ServiceNow (counted on the simulator's request log).
 */
let sim: Simulator
const counts = suiteCounts('bad-input')
let runStep: ReturnType<typeof scannedSteps>
let connection: Record<string, string>
beforeAll(async () => {
  sim = await withSimulator()
  runStep = scannedSteps(sim, counts)
  connection = {
    instance_url: sim.url,
    username: 'devops.integration',
    password: 'sn-integration-pw'
  }
})
afterAll(() => sim.stop())

const ID = '0123456789abcdef0123456789abcdef'
type Case = [
  entry: string,
  inputs: () => Record<string, string>,
  message: RegExp
]

/** A 2 MB file. */
function bigFile(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'big-')), 'huge.bin')
  writeFileSync(path, Buffer.alloc(2 * 1024 * 1024))
  return path
}

const CASES: Case[] = [
  [
    'create',
    () => ({...connection, instance_url: 'http://acme.service-now.com'}),
    /plain http would send credentials/
  ],
  [
    'create',
    () => ({...connection, instance_url: 'https://u:p@acme.service-now.com'}),
    /carries credentials/
  ],
  [
    'create',
    () => ({...connection, instance_url: 'ftp://acme'}),
    /scheme must be https/
  ],
  [
    'create',
    () => ({
      ...connection,
      instance_url: 'https://acme.service-now.com/now/nav/ui'
    }),
    /points at a page/
  ],
  [
    'create',
    () => ({...connection, instance_url: 'https://acme.service-now.com/?a=b'}),
    /query or fragment/
  ],
  [
    'create',
    () => ({...connection, instance_url: ''}),
    /instance_url is empty/
  ],
  [
    'create',
    () => ({...connection, password: ''}),
    /username is set but password is not/
  ],
  ['create', () => ({...connection, token: 'abc'}), /Conflicting credentials/],
  [
    'create',
    () => ({...connection, auth: 'oauth_password'}),
    /needs client_id and client_secret/
  ],
  ['create', () => ({...connection, auth: 'magic'}), /Invalid auth 'magic'/],
  [
    'create',
    () => ({...connection, client_id: 'x'}),
    /client_id is set but client_secret is not/
  ],
  [
    'create',
    () => ({instance_url: sim.url}),
    /No ServiceNow credentials given/
  ],
  [
    'create',
    () => ({...connection, request_timeout_seconds: '0'}),
    /request_timeout_seconds '0': must be from 1 to 300/
  ],
  [
    'create',
    () => ({...connection, request_timeout_seconds: '-5'}),
    /must be from 1 to 300/
  ],
  [
    'create',
    () => ({...connection, request_timeout_seconds: 'soon'}),
    /expected a whole number/
  ],
  [
    'create',
    () => ({...connection, max_attempts: '99'}),
    /max_attempts '99': must be from 1 to 10/
  ],
  ['create', () => ({...connection, type: 'urgent'}), /Invalid type 'urgent'/],
  [
    'create',
    () => ({
      ...connection,
      type: 'emergency',
      template: 'Restart application server'
    }),
    /type 'emergency' cannot go with template/
  ],
  [
    'create',
    () => ({...connection, type: 'standard'}),
    /A standard change needs template/
  ],
  [
    'create',
    () => ({...connection, template: 'a^NQactive=true'}),
    /contains '\^'/
  ],
  [
    'create',
    () => ({...connection, assignment_group: 'Dev^ORname=x'}),
    /assignment_group: it contains '\^'/
  ],
  [
    'create',
    () => ({...connection, change_number: 'CHG001^NQ'}),
    /contains '\^'/
  ],
  [
    'create',
    () => ({...connection, change_number: 'banana'}),
    /expected a change number such as CHG0030001/
  ],
  [
    'create',
    () => ({...connection, correlation_id: 'x'.repeat(101)}),
    /101 characters; ServiceNow keeps 100/
  ],
  [
    'create',
    () => ({...connection, correlation_id: 'a^b'}),
    /correlation_id: it contains '\^'/
  ],
  [
    'create',
    () => ({...connection, environment: 'prod^x'}),
    /environment: it contains '\^'/
  ],
  [
    'create',
    () => ({...connection, fields: '{"a": '}),
    /starts like JSON but does not parse/
  ],
  [
    'create',
    () => ({...connection, fields: '["a"]'}),
    /expected a JSON object/
  ],
  [
    'create',
    () => ({...connection, fields: 'no colon here'}),
    /line 1 'no colon here' is not 'name: value'/
  ],
  [
    'create',
    () => ({...connection, fields: 'Bad Name: x'}),
    /'Bad Name' on line 1 is not a ServiceNow field name/
  ],
  [
    'create',
    () => ({...connection, fields: '{"u_x": {"nested": 1}}'}),
    /must be text, a number or true\/false/
  ],
  [
    'create',
    () => ({...connection, risk: 'extreme'}),
    /Invalid risk 'extreme'/
  ],
  ['create', () => ({...connection, impact: '7'}), /Invalid impact '7'/],
  [
    'create',
    () => ({...connection, start_date: 'tomorrow'}),
    /Invalid start_date 'tomorrow'/
  ],
  [
    'create',
    () => ({...connection, end_date: '2026-02-30 10:00:00'}),
    /not a real date|Invalid end_date/
  ],
  [
    'create',
    () => ({
      ...connection,
      start_date: '2026-12-02T10:00:00Z',
      end_date: '2026-12-01T10:00:00Z'
    }),
    /must be before end_date/
  ],
  [
    'create',
    () => ({...connection, request_approval: 'yes'}),
    /Invalid request_approval 'yes': expected true or false/
  ],
  ['wait', () => ({...connection}), /Give change_sys_id .* or change_number/],
  [
    'wait',
    () => ({...connection, change_sys_id: ID, change_number: 'CHG0030001'}),
    /not both/
  ],
  [
    'wait',
    () => ({...connection, change_sys_id: 'null'}),
    /the expression that sets it produced nothing/
  ],
  [
    'wait',
    () => ({...connection, change_number: 'undefined'}),
    /the expression that sets it produced nothing/
  ],
  [
    'wait',
    () => ({...connection, change_sys_id: 'abc'}),
    /a ServiceNow sys_id is 32 lower-case hexadecimal characters/
  ],
  [
    'wait',
    () => ({...connection, change_sys_id: ID, timeout_minutes: '-1'}),
    /timeout_minutes '-1': must be from 0 to 10080/
  ],
  [
    'wait',
    () => ({...connection, change_sys_id: ID, timeout_minutes: '99999'}),
    /must be from 0 to 10080/
  ],
  [
    'wait',
    () => ({...connection, change_sys_id: ID, poll_interval_seconds: '1'}),
    /poll_interval_seconds '1': must be from 5 to 3600/
  ],
  [
    'wait',
    () => ({...connection, change_sys_id: ID, proceed_when: 'soon'}),
    /Invalid proceed_when 'soon'/
  ],
  [
    'wait',
    () => ({...connection, change_sys_id: ID, on_timeout: 'ignore'}),
    /Invalid on_timeout 'ignore'/
  ],
  [
    'wait',
    () => ({...connection, change_sys_id: ID, honor_change_window: 'maybe'}),
    /Invalid honor_change_window/
  ],
  ['update', () => ({...connection, change_sys_id: ID}), /Nothing to update/],
  [
    'update',
    () => ({...connection, change_sys_id: ID, state: 'done'}),
    /Invalid state 'done'/
  ],
  [
    'update',
    () => ({...connection, change_sys_id: ID, fields: 'state: 3'}),
    /'state' cannot be set through fields: use the state input/
  ],
  ['close', () => ({...connection, change_sys_id: ID}), /result is required/],
  [
    'close',
    () => ({...connection, change_sys_id: ID, result: 'ok'}),
    /Invalid result 'ok'/
  ],
  [
    'close',
    () => ({
      ...connection,
      change_sys_id: ID,
      result: 'success',
      close_code: 'great'
    }),
    /Invalid close_code 'great'/
  ],
  [
    'close',
    () => ({
      ...connection,
      change_sys_id: ID,
      result: 'failure',
      open_incident_on_failure: '1'
    }),
    /Invalid open_incident_on_failure/
  ],
  [
    'gate',
    () => ({...connection, poll_interval_seconds: '0'}),
    /must be from 5 to 3600/
  ],
  [
    'create',
    () => ({...connection, attachments: '/no/such/dir/*.xml'}),
    /attachments: '\/no\/such\/dir\/\*\.xml' matches no file/
  ],
  [
    'update',
    () => ({
      ...connection,
      change_sys_id: ID,
      attachments: bigFile(),
      attachment_max_mb: '1'
    }),
    /is 2\.0 MB, over attachment_max_mb \(1\.0 MB\)/
  ],
  [
    'close',
    () => ({
      ...connection,
      change_sys_id: ID,
      result: 'success',
      attachment_max_mb: '0'
    }),
    /attachment_max_mb '0': must be from 1 to 1024/
  ],
  [
    'update',
    () => ({...connection, change_sys_id: ID, attachments: '!*.log'}),
    /exclusions .* are not supported/
  ],
  // Contradictions and fields the action owns (SECURITY.md "Inputs that are refused").
  [
    'close',
    () => ({
      ...connection,
      change_sys_id: ID,
      result: 'failure',
      close_code: 'successful'
    }),
    /close_code successful contradicts result failure/
  ],
  [
    'close',
    () => ({
      ...connection,
      change_sys_id: ID,
      result: 'cancelled',
      close_code: 'successful'
    }),
    /close_code successful contradicts result cancelled/
  ],
  [
    'create',
    () => ({...connection, fields: 'approval: approved'}),
    /'approval' cannot be set through fields: approvals are decided in ServiceNow/
  ],
  [
    'create',
    () => ({...connection, fields: '{"state": "-1"}'}),
    /'state' cannot be set through fields/
  ],
  [
    'create',
    () => ({...connection, fields: 'number: CHG0000001'}),
    /'number' cannot be set through fields/
  ],
  [
    'create',
    () => ({...connection, fields: `sys_id: ${ID}`}),
    /'sys_id' cannot be set through fields/
  ],
  [
    'create',
    () => ({...connection, fields: 'active: false'}),
    /'active' cannot be set through fields/
  ],
  [
    'create',
    () => ({...connection, fields: 'on_hold: true'}),
    /'on_hold' cannot be set through fields/
  ],
  [
    'create',
    () => ({...connection, fields: 'correlation_id: other'}),
    /'correlation_id' cannot be set through fields: use the correlation_id input/
  ],
  [
    'create',
    () => ({...connection, fields: 'sys_created_by: admin'}),
    /'sys_created_by' cannot be set through fields: ServiceNow sets system fields/
  ],
  [
    'create',
    () => ({...connection, fields: 'short_description: x'}),
    /'short_description' cannot be set through fields: use the short_description input/
  ],
  [
    'create',
    () => ({...connection, fields: 'parent: x'}),
    /'parent' cannot be set through fields: use the parent_change input/
  ],
  [
    'gate',
    () => ({...connection, fields: 'close_code: successful'}),
    /'close_code' cannot be set through fields: use the close_code input/
  ],
  [
    'update',
    () => ({...connection, change_sys_id: ID, fields: 'approval: approved'}),
    /'approval' cannot be set through fields/
  ],
  [
    'update',
    () => ({...connection, change_sys_id: ID, fields: 'work_notes: hi'}),
    /'work_notes' cannot be set through fields: use the work_notes input/
  ],
  // Fields the instance stamps by itself as the change moves (finding 19).
  [
    'create',
    () => ({
      ...connection,
      fields: 'chg_model: 62d10fa1c303101035ae3f52c1d3aec1'
    }),
    /'chg_model' cannot be set through fields: the action picks the change model/
  ],
  [
    'create',
    () => ({...connection, fields: 'closed_at: 2020-01-01 00:00:00'}),
    /'closed_at' cannot be set through fields: ServiceNow stamps it/
  ],
  [
    'create',
    () => ({...connection, fields: 'approval_set: 2020-01-01 00:00:00'}),
    /'approval_set' cannot be set through fields: ServiceNow stamps it/
  ],
  [
    'update',
    () => ({
      ...connection,
      change_sys_id: ID,
      fields: 'work_end: 2020-01-01 00:00:00'
    }),
    /'work_end' cannot be set through fields: ServiceNow stamps the actual end/
  ],
  [
    'update',
    () => ({
      ...connection,
      change_sys_id: ID,
      fields: '{"opened_by": "admin"}'
    }),
    /'opened_by' cannot be set through fields/
  ],
  // Java trim() strips every char up to U+0020, so these would reach the query as scripts (finding 18).
  [
    'create',
    () => ({...connection, correlation_id: '\u0001javascript:gs.getUserID()'}),
    /Invalid correlation_id: it begins with 'javascript:'/
  ],
  [
    'create',
    () => ({
      ...connection,
      assignment_group: '\u0008javascript:gs.getUserID()'
    }),
    /Invalid assignment_group: it begins with 'javascript:'/
  ],
  [
    'create',
    () => ({...connection, cmdb_ci: 'web\u200bserver'}),
    /Invalid cmdb_ci: it contains the control or invisible character U\+200B/
  ],
  [
    'create',
    () => ({...connection, short_description: 'Deploy\n::warning::forged'}),
    /Invalid short_description: it has a line break/
  ],
  [
    'create',
    () => ({...connection, short_description: 'Deploy\u2028two lines'}),
    /Invalid short_description: it has a line break/
  ],
  [
    'create',
    () => ({
      ...connection,
      instance_url: `${sim.url.slice(0, 12)}\n${sim.url.slice(12)}`
    }),
    /Invalid instance_url: it has a line break or space inside/
  ]
]

describe('bad input', () => {
  afterAll(() => {
    // Every step this suite runs, and so every request the simulator saw, belongs to a bad-input case.
    add(counts, 'bad inputs tried', counts['step runs scanned'] ?? 0)
    add(counts, 'requests sent for bad inputs', sim.requests().length)
  })

  it(`has at least 40 cases (${CASES.length})`, () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40)
  })

  it.each(
    CASES.map(
      ([entry, inputs, message], i) => [i + 1, entry, inputs, message] as const
    )
  )(
    '#%i %s: one clear line, exit 1, no request',
    counted(
      counts,
      'bad inputs refused with one clear line',
      async (_n, entry, inputs, message) => {
        const before = sim.requests().length
        const run = await runStep(entry, inputs())
        const lines = errors(run)
        const sent = sim.requests().length - before
        expect(run.code).toBe(1)
        expect(lines).toHaveLength(1)
        expect(lines[0]).toMatch(message)
        expect(sent).toBe(0)
      }
    )
  )
})
