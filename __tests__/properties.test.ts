import {afterAll, describe, expect, it} from '@jest/globals'
import fc from 'fast-check'
import nock from 'nock'
import {readFileSync} from 'node:fs'
import {parse} from 'yaml'
import {readChange, findOpenByCorrelation} from '../src/change/lookup.js'
import {judgeSteps} from '../src/github-job.js'
import {APPROVALS, toChangeRecord} from '../src/servicenow/change-record.js'
import {ServiceNowClient} from '../src/servicenow/client.js'
import {InputError, ServiceNowError} from '../src/servicenow/errors.js'
import {isRecordNumber, isSysId} from '../src/servicenow/ids.js'
import {toIncident} from '../src/servicenow/incidents.js'
import {queryValueProblem} from '../src/servicenow/query.js'
import {LINE_BREAK} from '../src/servicenow/text.js'
import type {RunContext} from '../src/github-context.js'
import {readCloseSettings} from '../src/settings/close.js'
import {readCreateSettings} from '../src/settings/create.js'
import {readGateSettings} from '../src/settings/gate.js'
import {OWNED_FIELDS} from '../src/settings/parse.js'
import {readReportSettings} from '../src/settings/dora-settings.js'
import {readUpdateSettings} from '../src/settings/update.js'
import {readWaitSettings} from '../src/settings/wait.js'
import {FakeClock} from './helpers/clock.js'
import {add, suiteCounts} from './helpers/counts.js'
import {useNock} from './helpers/nock.js'

/**
 * Properties over everything an instance can answer and everything a workflow can
 * pass: any JSON value gives a valid record or one ServiceNowError naming what was
 * sent; any inputs give settings or one InputError. Never a TypeError, never NaN.
 */
const counts = suiteCounts('properties')
const RUNS = 300
const checked = <T>(
  name: string,
  property: fc.IAsyncPropertyWithHooks<[T]> | fc.IPropertyWithHooks<[T]>
): Promise<void> | void => {
  add(counts, 'properties checked')
  counts['runs each'] = RUNS
  add(counts, `runs: ${name}`, RUNS)
  return fc.assert(property as never, {numRuns: RUNS}) as Promise<void> | void
}
useNock()
afterAll(() => nock.cleanAll())

const SYS_ID = '0123456789abcdef0123456789abcdef'
const oneLine = (text: string): boolean => !LINE_BREAK.test(text)

/** Values an instance (or a proxy in front of it) might put in a field. */
const oddValue = fc.oneof(
  fc.jsonValue(),
  fc.double(),
  fc.constantFrom(
    '',
    ' ',
    '-5',
    '-2',
    '3',
    '1e400',
    'Infinity',
    'NaN',
    '1.5',
    '0x10',
    'scheduled',
    'Cancelled',
    'approved',
    'not requested',
    'maybe'
  ),
  fc.constantFrom(
    'CHG0030001',
    'CHG0030001\n::warning::x',
    'approved\u2028::error::x',
    SYS_ID,
    SYS_ID.toUpperCase(),
    `${SYS_ID}\n`
  ),
  fc.string()
)
const fieldValue = fc.oneof(
  oddValue,
  fc.record({value: oddValue, display_value: oddValue}, {requiredKeys: []})
)
const recordish = fc.record(
  {
    sys_id: fc.oneof(fc.constant(SYS_ID), fieldValue),
    number: fc.oneof(fc.constant('CHG0030001'), fieldValue),
    state: fc.oneof(
      fc.constantFrom('-5', '-2', '0', '3', '4', '-1'),
      fieldValue
    ),
    approval: fc.oneof(fc.constantFrom(...APPROVALS), fieldValue),
    type: fc.oneof(
      fc.constantFrom('normal', 'standard', 'emergency', ''),
      fieldValue
    ),
    short_description: fieldValue,
    start_date: fieldValue,
    assignment_group: fieldValue,
    on_hold: fieldValue
  },
  {requiredKeys: []}
)
const anyAnswer = fc.oneof(
  fc.jsonValue(),
  recordish,
  fc.array(recordish, {maxLength: 2})
)

function validRecordOrError(
  make: () => ReturnType<typeof toChangeRecord>
): void {
  let record
  try {
    record = make()
  } catch (error) {
    expect(error).toBeInstanceOf(ServiceNowError)
    expect((error as ServiceNowError).kind).toBe('invalid-response')
    expect(oneLine((error as Error).message)).toBe(true)
    expect((error as Error).message).toMatch(
      /the instance sent|the answer has no result/
    )
    return
  }
  expect(isSysId(record.sysId)).toBe(true)
  expect(isRecordNumber(record.number)).toBe(true)
  expect(Number.isInteger(record.state)).toBe(true)
  expect(APPROVALS).toContain(record.approval)
  expect(oneLine(record.url)).toBe(true)
}

describe('answers from the instance', () => {
  it('toChangeRecord: any JSON value is a valid record or one ServiceNowError', () =>
    checked(
      'toChangeRecord',
      fc.property(anyAnswer, raw =>
        validRecordOrError(() =>
          toChangeRecord(raw, 'https://acme.service-now.com')
        )
      )
    ))

  it('toIncident: any record is an incident with a number and sys_id, or one ServiceNowError', () =>
    checked(
      'toIncident',
      fc.property(recordish, raw => {
        try {
          const incident = toIncident(
            raw as Record<string, unknown>,
            'https://acme.service-now.com',
            'GET'
          )
          expect(
            isSysId(incident.sysId) && isRecordNumber(incident.number)
          ).toBe(true)
        } catch (error) {
          expect(error).toBeInstanceOf(ServiceNowError)
          expect(oneLine((error as Error).message)).toBe(true)
        }
      })
    ))

  // A read maps states through the instance's choices first (one sys_choice request per client);
  // this instance has none to give, so the defaults apply and the answer under test decides.
  const client = (): ServiceNowClient => {
    nock('https://acme.service-now.com')
      .get('/api/now/table/sys_choice')
      .query(true)
      .optionally()
      .reply(404, {
        error: {message: 'No Record found', detail: null},
        status: 'failure'
      })
    return new ServiceNowClient({
      baseUrl: 'https://acme.service-now.com',
      auth: {method: 'basic', username: 'u', password: 'p'},
      clock: new FakeClock(0),
      retry: {maxAttempts: 1}
    })
  }

  it('a change read over HTTP: any JSON body is a valid record or one ServiceNowError', () =>
    checked(
      'readChange over HTTP',
      fc.asyncProperty(
        fc.oneof(
          anyAnswer.map(r => ({result: r})),
          fc.jsonValue()
        ),
        async body => {
          nock('https://acme.service-now.com')
            .get(`/api/now/table/change_request/${SYS_ID}`)
            .query(true)
            .reply(200, JSON.stringify(body), {
              'Content-Type': 'application/json'
            })
          const c = client()
          try {
            let read
            try {
              read = await readChange(c, SYS_ID)
            } catch (error) {
              validRecordOrError(() => {
                throw error
              })
              return
            }
            validRecordOrError(() => read)
          } finally {
            c.dispose()
          }
        }
      )
    ))

  it('a list of changes over HTTP: any JSON body is valid records or one ServiceNowError', () =>
    checked(
      'findOpenByCorrelation over HTTP',
      fc.asyncProperty(
        fc.oneof(
          fc.array(anyAnswer, {maxLength: 3}).map(r => ({result: r})),
          fc.jsonValue()
        ),
        async body => {
          nock('https://acme.service-now.com')
            .get('/api/now/table/change_request')
            .query(true)
            .reply(200, JSON.stringify(body), {
              'Content-Type': 'application/json'
            })
          const c = client()
          try {
            const found = await findOpenByCorrelation(c, 'deploy/1')
            for (const record of found) validRecordOrError(() => record)
          } catch (error) {
            validRecordOrError(() => {
              throw error
            })
          } finally {
            c.dispose()
          }
        }
      )
    ))

  /** Any JSON body for this request: the operation gives its value or one ServiceNowError, never a TypeError. */
  const OTHER_READS: [
    string,
    'get' | 'post',
    RegExp,
    (c: ServiceNowClient) => Promise<unknown>
  ][] = [
    [
      'approvers',
      'get',
      /\/api\/now\/table\/sysapproval_approver/,
      c => c.approvers(SYS_ID)
    ],
    [
      'standard change templates',
      'get',
      /\/api\/sn_chg_rest\/change\/standard\/template/,
      c => c.changes.findTemplates('Deploy')
    ],
    [
      'attachments',
      'get',
      /\/api\/now\/attachment/,
      c => c.attachments({table: 'change_request', sysId: SYS_ID})
    ],
    [
      'incident created',
      'post',
      /\/api\/now\/table\/incident/,
      c => c.createIncident({causedBy: SYS_ID, short_description: 'x'})
    ]
  ]
  it.each(OTHER_READS)(
    '%s: any JSON body gives a value or one ServiceNowError',
    (name, method, path, op) =>
      checked(
        name,
        fc.asyncProperty(
          fc.oneof(
            fc.array(anyAnswer, {maxLength: 3}).map(r => ({result: r})),
            anyAnswer.map(r => ({result: r})),
            fc.jsonValue()
          ),
          async body => {
            const scope = nock('https://acme.service-now.com')
            scope[method](path).query(true).reply(200, JSON.stringify(body), {
              'Content-Type': 'application/json'
            })
            const c = client()
            try {
              await op(c)
            } catch (error) {
              expect(error).toBeInstanceOf(ServiceNowError)
              expect(oneLine((error as Error).message)).toBe(true)
            } finally {
              c.dispose()
            }
          }
        )
      )
  )

  it('the jobs API: any steps value gives success only when every step before this one succeeded or was skipped', () => {
    const step = fc.oneof(
      fc.record(
        {
          name: fc.oneof(
            fc.constantFrom(
              'Gate',
              'Deploy',
              'Post Gate',
              'Post Run actions/checkout@v4',
              'Complete job'
            ),
            fc.string()
          ),
          status: fc.constantFrom(
            'completed',
            'in_progress',
            'queued',
            'pending',
            'weird',
            'COMPLETED'
          ),
          conclusion: fc.oneof(
            fc.constantFrom(
              'success',
              'skipped',
              'failure',
              'timed_out',
              'cancelled',
              'neutral',
              'stale'
            ),
            fc.constant(null)
          )
        },
        {requiredKeys: []}
      ),
      fc.jsonValue()
    )
    return checked(
      'judgeSteps',
      fc.property(
        fc.oneof(fc.array(step, {maxLength: 6}), fc.jsonValue()),
        steps => {
          const outcome = judgeSteps(steps)
          if (outcome.result === undefined) {
            expect(typeof outcome.why).toBe('string')
            return
          }
          expect(Array.isArray(steps)).toBe(true)
          const list = (steps as unknown[]).map(s =>
            s !== null && typeof s === 'object' && !Array.isArray(s)
              ? (s as Record<string, unknown>)
              : {}
          )
          // A result only with one step in progress, a post step, and every step before it completed.
          const running = list.filter(s => s.status === 'in_progress')
          expect(running).toHaveLength(1)
          expect(String(running[0]!.name).startsWith('Post ')).toBe(true)
          const self = list.indexOf(running[0]!)
          expect(self).toBeGreaterThan(0)
          const before = list.slice(0, self)
          for (const s of before) expect(s.status).toBe('completed')
          if (outcome.result === 'success') {
            for (const s of before)
              expect(['success', 'skipped']).toContain(String(s.conclusion))
            for (const s of list.slice(self + 1))
              expect(
                ['queued', 'pending', 'waiting'].includes(String(s.status)) ||
                  ['success', 'skipped'].includes(String(s.conclusion))
              ).toBe(true)
          } else {
            expect(
              before.some(s =>
                ['failure', 'timed_out', 'cancelled'].includes(
                  String(s.conclusion)
                )
              )
            ).toBe(true)
          }
        }
      )
    )
  })
})

describe('inputs from a workflow', () => {
  // What the readers take from the run: every text field a plain value, the numbers small.
  const texts = [
    'repository',
    'sha',
    'ref',
    'actor',
    'workflow',
    'job',
    'serverUrl',
    'runUrl',
    'commitUrl'
  ]
  const RUN = {
    ...Object.fromEntries(texts.map(k => [k, `${k}-of-the-run`])),
    runId: 4242,
    runNumber: 17,
    runAttempt: 1
  } as unknown as RunContext
  const declared = (file: string): string[] =>
    Object.keys(
      (parse(readFileSync(file, 'utf8')) as {inputs: Record<string, unknown>})
        .inputs
    )

  /** What a workflow can put in an input: anything but NUL (the runner passes inputs as environment variables). */
  const inputValue = fc
    .oneof(
      fc.constant(''),
      fc.constantFrom(
        'true',
        'false',
        '0',
        '-1',
        '5',
        '99999',
        'success',
        'failure',
        'cancelled',
        'successful',
        'normal',
        'standard',
        'emergency',
        'implement',
        'closed'
      ),
      fc.constantFrom(
        'https://acme.service-now.com',
        'http://127.0.0.1:1',
        'acme',
        'https://a\n.service-now.com',
        'CHG0030001',
        SYS_ID,
        'DevOps Team'
      ),
      fc.constantFrom(
        'javascript:gs.getUserID()',
        ' JavaScript:x',
        'a^b',
        'a\nb',
        'a\u2028b',
        '{"approval":"approved"}',
        'state: 3',
        'on_hold: true',
        '{"a":',
        '2026-11-23T10:00:00Z'
      ),
      fc.string(),
      fc.string({unit: 'grapheme'})
    )
    .map(s => s.replace(/\0/g, ''))

  const READERS: [string, string, () => unknown][] = [
    ['create', 'create/action.yml', () => readCreateSettings(RUN)],
    ['wait', 'wait/action.yml', () => readWaitSettings()],
    ['update', 'update/action.yml', () => readUpdateSettings()],
    ['close', 'close/action.yml', () => readCloseSettings()],
    ['gate', 'action.yml', () => readGateSettings(RUN)],
    ['report', 'report/action.yml', () => readReportSettings()]
  ]

  it.each(READERS)(
    '%s: any inputs give settings or one InputError',
    (name, file, read) => {
      const names = declared(file)
      const write = process.stdout.write.bind(process.stdout)
      // core.setSecret and core.debug write workflow commands to stdout: keep them out of the test log.
      process.stdout.write = (() => true) as typeof process.stdout.write
      try {
        checked(
          `read ${name} settings`,
          fc.property(
            fc.dictionary(fc.constantFrom(...names), inputValue, {maxKeys: 8}),
            inputs => {
              for (const n of names)
                delete process.env[`INPUT_${n.toUpperCase()}`]
              for (const [n, v] of Object.entries(inputs))
                process.env[`INPUT_${n.toUpperCase()}`] = v
              // Most draws fail on the connection first: give it one half the time so the rest is reached.
              if (!('instance_url' in inputs) || inputs.instance_url === '') {
                process.env.INPUT_INSTANCE_URL = 'https://acme.service-now.com'
                process.env.INPUT_USERNAME ||= 'u'
                process.env.INPUT_PASSWORD ||= 'p'
              }
              let settings: unknown
              try {
                settings = read()
              } catch (error) {
                expect(error).toBeInstanceOf(InputError)
                expect(oneLine((error as Error).message)).toBe(true)
                return
              }
              const create =
                (settings as {create?: Record<string, unknown>}).create ??
                settings
              const fields = (create as {fields?: Record<string, string>})
                .fields
              if (fields !== undefined) {
                for (const key of Object.keys(fields))
                  expect(
                    OWNED_FIELDS[key] === undefined ||
                      key === 'correlation_id' ||
                      key === 'correlation_display'
                  ).toBe(true)
                if (fields.short_description !== undefined)
                  expect(oneLine(fields.short_description)).toBe(true)
              }
              const correlationId = (create as {correlationId?: string})
                .correlationId
              if (correlationId !== undefined)
                expect(queryValueProblem(correlationId)).toBeUndefined()
              const references = (
                create as {references?: Record<string, string>}
              ).references
              for (const value of Object.values(references ?? {}))
                expect(queryValueProblem(value)).toBeUndefined()
            }
          )
        )
      } finally {
        process.stdout.write = write
        for (const n of names) delete process.env[`INPUT_${n.toUpperCase()}`]
      }
    }
  )
})
