import {describe, expect, it} from '@jest/globals'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import type {Simulator} from '../src/simulator/server.js'
import {add, suiteCounts} from './helpers/counts.js'
import {admin, raw, withSimulator} from './helpers/sim.js'

/**
 * The simulator against ServiceNow's documents. Every file in
 * fixtures/servicenow/ is one documented request and its documented answer;
 * this sends the same request to the simulator and checks the answer has the
 * same shape: the status, every key the document shows (the simulator may
 * have more), the same JSON value types, {display_value, value} objects where
 * the document has them, and any header the fixture names. Values are not
 * compared. A new fixture file is picked up by being there.
 *
 * Fixture format (FIXTURES.md): { source, given?, tolerate?, request: {
 * method, path, query?, body?, form?, raw?, auth? }, response: { status,
 * headers?, body? } }. Paths and query values may hold {placeholders}, filled
 * from records made first (PLACEHOLDERS); `given` names a precondition
 * (GIVENS); both are registries: add an entry to support a new one.
 *
 * Shapes alone let values drift (nextstates without the current state still has
 * the shape), so a fixture may also list `facts`: values the document states as
 * rules, each { fact: what and where the document says it, at: 'body.a.b' or
 * 'body.list.0' or 'header.location', and one of equals (a string, placeholders
 * filled), includes (the list at `at` holds it), matches (a regular expression) }.
 */

const DIR = join(
  fileURLToPath(new URL('.', import.meta.url)),
  'fixtures',
  'servicenow'
)
const counts = suiteCounts('contract')

interface Fixture {
  source: string
  given?: string
  /** Narrow, named allowances for documents whose example is schematic rather than a recorded answer: rule → why. */
  tolerate?: Partial<Record<Tolerance, string>>
  request: {
    method: string
    path: string
    query?: Record<string, string>
    body?: unknown
    /** An application/x-www-form-urlencoded body (the OAuth token endpoint). */
    form?: Record<string, string>
    /** A body sent as is (an attachment's bytes). */
    raw?: {contentType: string; text: string}
    /** Who sends it: the integration user (default), the approver set up by `given`, nobody, or wrong credentials. */
    auth?: 'integration' | 'approver' | 'admin' | 'none' | 'wrong'
  }
  response: {status: number; headers?: string[]; body?: unknown}
  facts?: Fact[]
}

/** A documented value rule (see the format above). */
interface Fact {
  fact: string
  at: string
  equals?: string
  includes?: string
  matches?: string
}

/**
 * - result-as-array: the document shows `result` as a one-element array where the API answers one
 *   object (the Change Management API's recorded answers are one object: accept both).
 * - string-for-field-object: the document shows a field as a bare string where the rest of the same
 *   document (its recorded GET example) shows a {display_value, value} object.
 * - string-for-typed-value: the document shows a {display_value, value} object's value as a string where
 *   its recorded GET example shows a JSON number or boolean.
 */
type Tolerance =
  'result-as-array' | 'string-for-field-object' | 'string-for-typed-value'

interface Context {
  sim: Simulator
  values: Record<string, string>
  /** The Authorization header for auth: 'approver'. */
  approver?: string
}

const basic = (user: string, password: string): string =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
const INTEGRATION = basic('devops.integration', 'sn-integration-pw')

async function ok(
  response: Promise<{status: number; json: any}>,
  what: string
): Promise<any> {
  const r = await response
  if (r.status >= 300)
    throw new Error(
      `setting up ${what} failed: ${r.status} ${JSON.stringify(r.json)}`
    )
  return r.json?.result
}

const sysIdOf = async (
  ctx: Context,
  table: string,
  query: string
): Promise<string> =>
  (
    await ok(
      raw(
        ctx.sim,
        'GET',
        `/api/now/table/${table}?sysparm_fields=sys_id&sysparm_limit=1&sysparm_query=${encodeURIComponent(query)}`
      ),
      table
    )
  )[0].sys_id

/** The sys_id in a created record, whichever API answered: a string or {value}, the record or a one-element list. */
function sysIdIn(result: any): string {
  const record = Array.isArray(result) ? result[0] : result
  return typeof record?.sys_id === 'string'
    ? record.sys_id
    : record?.sys_id?.value
}

/** How each placeholder is made; each is made once per fixture, on first use. */
const PLACEHOLDERS: Record<string, (ctx: Context) => Promise<string>> = {
  change_sys_id: async ctx =>
    (
      await ok(
        raw(
          ctx.sim,
          'POST',
          '/api/now/table/change_request?sysparm_input_display_value=true',
          {
            body: {
              short_description: 'Contract test change',
              assignment_group: 'DevOps Team',
              cmdb_ci: 'Payments API'
            }
          }
        ),
        'a normal change in New'
      )
    ).sys_id,
  template_sys_id: ctx =>
    sysIdOf(ctx, 'std_change_record_producer', 'name=Deploy web application'),
  group_sys_id: ctx => sysIdOf(ctx, 'sys_user_group', 'name=DevOps Team'),
  user_sys_id: ctx => sysIdOf(ctx, 'sys_user', 'user_name=devops.integration'),
  ci_sys_id: ctx => sysIdOf(ctx, 'cmdb_ci', 'name=Payments API'),
  other_ci_sys_id: ctx => sysIdOf(ctx, 'cmdb_ci', 'name=Orders DB'),
  /** Made by the given 'a finished CI association worker'. */
  worker_sys_id: async () => {
    throw new Error(
      "{worker_sys_id} needs the given 'a finished CI association worker'"
    )
  },
  incident_sys_id: async ctx =>
    (
      await ok(
        raw(ctx.sim, 'POST', '/api/now/table/incident', {
          body: {
            short_description: 'Contract test incident',
            assignment_group: await value(ctx, 'group_sys_id'),
            caller_id: await value(ctx, 'user_sys_id'),
            cmdb_ci: await value(ctx, 'ci_sys_id')
          }
        }),
        'an incident'
      )
    ).sys_id,
  attachment_sys_id: async ctx =>
    (
      await ok(
        raw(
          ctx.sim,
          'POST',
          `/api/now/attachment/file?table_name=change_request&table_sys_id=${await value(ctx, 'change_sys_id')}&file_name=report.txt`,
          {
            body: 'all green',
            headers: {'Content-Type': 'text/plain'}
          }
        ),
        'an attachment'
      )
    ).sys_id,
  approval_sys_id: async ctx => {
    await GIVENS['change in Assess with a pending approval']!(ctx)
    return sysIdOf(
      ctx,
      'sysapproval_approver',
      `sysapproval=${await value(ctx, 'change_sys_id')}^state=requested`
    )
  },
  task_sys_id: async ctx =>
    sysIdIn(
      await ok(
        raw(
          ctx.sim,
          'POST',
          `/api/sn_chg_rest/change/${await value(ctx, 'change_sys_id')}/task`,
          {body: {short_description: 'Contract test task'}}
        ),
        'a change task'
      )
    ),
  /** The state value {change_sys_id} is in now (after any given). */
  change_state: async ctx =>
    String(
      (
        await ok(
          raw(
            ctx.sim,
            'GET',
            `/api/now/table/change_request/${await value(ctx, 'change_sys_id')}?sysparm_fields=state`
          ),
          'reading the state'
        )
      ).state
    ),
  /** A sys_id no record has. */
  missing_sys_id: async () => '0123456789abcdef0123456789abcdef'
}

async function value(ctx: Context, name: string): Promise<string> {
  if (ctx.values[name] === undefined) {
    const make = PLACEHOLDERS[name]
    if (make === undefined)
      throw new Error(
        `no setup for placeholder {${name}}: add it to PLACEHOLDERS in __tests__/contract.test.ts`
      )
    ctx.values[name] = await make(ctx)
  }
  return ctx.values[name]!
}

/** How long the simulator's Change Management workers take (0: done by the next request). */
const workersTake = (ctx: Context, ms: number): Promise<unknown> =>
  fetch(`${ctx.sim.url}/__sim/config`, {
    method: 'PATCH',
    headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({workerDelayMs: ms})
  })

/** {change_sys_id} (on Payments API) planned for tomorrow 10:00–11:00 GMT. */
async function plannedWindow(ctx: Context): Promise<void> {
  const day = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10)
  await ok(
    raw(
      ctx.sim,
      'PATCH',
      `/api/now/table/change_request/${await value(ctx, 'change_sys_id')}`,
      {body: {start_date: `${day} 10:00:00`, end_date: `${day} 11:00:00`}}
    ),
    'planning the change'
  )
}

async function startConflictRun(ctx: Context): Promise<void> {
  await ok(
    raw(
      ctx.sim,
      'POST',
      `/api/sn_chg_rest/change/${await value(ctx, 'change_sys_id')}/conflict`
    ),
    'starting conflict checking'
  )
}

/** The preconditions a fixture's `given` may name. */
const GIVENS: Record<string, (ctx: Context) => Promise<void>> = {
  'a planned window on the change': plannedWindow,
  // Payments API's maintenance window is tomorrow 02:00–04:00; the change is planned for 10:00.
  "a finished conflict run finding the change outside its CI's maintenance window":
    async ctx => {
      await workersTake(ctx, 0)
      await plannedWindow(ctx)
      const day = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10)
      await admin(ctx.sim, 'POST', '/schedules', {
        name: 'Payments window',
        type: 'maintenance',
        spans: [{start: `${day} 02:00:00`, end: `${day} 04:00:00`}],
        cis: ['Payments API']
      })
      await startConflictRun(ctx)
    },
  'a finished conflict run finding nothing': async ctx => {
    await workersTake(ctx, 0)
    await plannedWindow(ctx)
    await startConflictRun(ctx)
  },
  'a conflict run still going': async ctx => {
    await workersTake(ctx, 3_600_000)
    await plannedWindow(ctx)
    await startConflictRun(ctx)
  },
  'a finished CI association worker': async ctx => {
    await workersTake(ctx, 0)
    ctx.values.worker_sys_id = (
      await ok(
        raw(
          ctx.sim,
          'POST',
          `/api/sn_chg_rest/change/${await value(ctx, 'change_sys_id')}/ci`,
          {
            body: {
              cmdb_ci_sys_ids: [await value(ctx, 'other_ci_sys_id')],
              association_type: 'affected'
            }
          }
        ),
        'associating a CI'
      )
    ).worker.sysId
  },
  'an affected CI on the change': async ctx => {
    await GIVENS['a finished CI association worker']!(ctx)
  },
  // Requesting approval (New → Assess) asks the assignment group, DevOps Team, whose member is Alice.
  'change in Assess with a pending approval': async ctx => {
    if (ctx.approver !== undefined) return
    await ok(
      raw(
        ctx.sim,
        'PATCH',
        `/api/now/table/change_request/${await value(ctx, 'change_sys_id')}`,
        {body: {state: '-4'}}
      ),
      'moving the change to Assess'
    )
    ctx.approver = basic('alice.approver', 'alice')
  },
  // t_PlaceAChangeRequestOnHold.md: on hold, with the reason the form asks for.
  'change on hold': async ctx => {
    await ok(
      raw(
        ctx.sim,
        'PATCH',
        `/api/now/table/change_request/${await value(ctx, 'change_sys_id')}`,
        {body: {on_hold: 'true', on_hold_reason: 'Waiting for the vendor'}}
      ),
      'putting the change on hold'
    )
  },
  // {change_sys_id} becomes a standard change made from the seeded template.
  'a standard change': async ctx => {
    ctx.values.change_sys_id = sysIdIn(
      await ok(
        raw(
          ctx.sim,
          'POST',
          `/api/sn_chg_rest/change/standard/${await value(ctx, 'template_sys_id')}`,
          {body: {}}
        ),
        'a standard change'
      )
    )
  },
  // Both approvals decided (the group's in Assess, the CAB's in Authorize), then the move to Implement.
  'change in Implement (a normal change approved through Assess and Authorize, then moved to Implement)':
    async ctx => {
      const id = await value(ctx, 'change_sys_id')
      await ok(
        raw(ctx.sim, 'PATCH', `/api/now/table/change_request/${id}`, {
          body: {state: '-4'}
        }),
        'moving the change to Assess'
      )
      const number = (
        await ok(
          raw(
            ctx.sim,
            'GET',
            `/api/now/table/change_request/${id}?sysparm_fields=number`
          ),
          'reading the change'
        )
      ).number
      // The simulator's admin endpoint decides the pending approval, as a person on the instance would.
      for (let stage = 0; stage < 2; stage++)
        await admin(ctx.sim, 'POST', `/changes/${number}/approve`, {})
      await ok(
        raw(ctx.sim, 'PATCH', `/api/now/table/change_request/${id}`, {
          body: {state: '-1'}
        }),
        'moving the change to Implement'
      )
    },
  'one active change task on the change': async ctx => {
    await value(ctx, 'task_sys_id')
  },
  'a rate limit of one request per hour for the user, already used':
    async ctx => {
      await fetch(`${ctx.sim.url}/__sim/config`, {
        method: 'PATCH',
        headers: {'Content-Type': 'application/json'},
        body: JSON.stringify({rateLimit: {limit: 1, windowMs: 3_600_000}})
      })
      await raw(ctx.sim, 'GET', '/api/now/table/change_request?sysparm_limit=1')
    }
}

async function fill(ctx: Context, text: string): Promise<string> {
  let out = text
  for (const match of text.matchAll(/\{([a-z_]+)\}/g))
    out = out.replace(match[0], await value(ctx, match[1]!))
  return out
}

async function fillDeep(ctx: Context, v: unknown): Promise<unknown> {
  if (typeof v === 'string') return fill(ctx, v)
  if (Array.isArray(v)) return Promise.all(v.map(x => fillDeep(ctx, x)))
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) out[k] = await fillDeep(ctx, x)
    return out
  }
  return v
}

async function send(
  ctx: Context,
  fixture: Fixture
): Promise<{status: number; headers: Headers; json: any}> {
  const {request} = fixture
  let path = await fill(ctx, request.path)
  if (request.query !== undefined) {
    const q = new URLSearchParams()
    for (const [k, v] of Object.entries(request.query))
      q.set(k, await fill(ctx, v))
    path += `${path.includes('?') ? '&' : '?'}${q.toString()}`
  }
  const auth =
    request.auth === 'none'
      ? ''
      : request.auth === 'wrong'
        ? basic('devops.integration', 'not-the-password')
        : request.auth === 'approver'
          ? ctx.approver
          : request.auth === 'admin'
            ? basic('admin', 'admin')
            : INTEGRATION
  if (auth === undefined)
    throw new Error(
      `auth 'approver' needs a given that sets up an approver (e.g. 'change in Assess with a pending approval')`
    )
  if (request.form !== undefined) {
    return raw(ctx.sim, request.method, path, {
      auth,
      body: new URLSearchParams(
        (await fillDeep(ctx, request.form)) as Record<string, string>
      ).toString(),
      headers: {'Content-Type': 'application/x-www-form-urlencoded'}
    })
  }
  if (request.raw !== undefined)
    return raw(ctx.sim, request.method, path, {
      auth,
      body: request.raw.text,
      headers: {'Content-Type': request.raw.contentType}
    })
  return raw(ctx.sim, request.method, path, {
    auth,
    ...(request.body === undefined
      ? {}
      : {body: await fillDeep(ctx, request.body)})
  })
}

const kind = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v
const isFieldObject = (
  v: unknown
): v is {display_value: unknown; value: unknown} =>
  kind(v) === 'object' &&
  'display_value' in (v as object) &&
  'value' in (v as object)

/** Where the simulator's answer differs in shape from the document's: one line per difference. */
function shapeDiff(
  doc: unknown,
  got: unknown,
  at: string,
  tolerate: Fixture['tolerate'],
  differences: string[],
  tally: Record<string, number>,
  inFieldObject = false
): void {
  add(tally, 'documented values compared')
  if (
    at === 'body.result' &&
    tolerate?.['result-as-array'] &&
    Array.isArray(doc) &&
    doc.length === 1 &&
    kind(got) === 'object'
  ) {
    return shapeDiff(doc[0], got, at, tolerate, differences, tally)
  }
  if (
    typeof doc === 'string' &&
    isFieldObject(got) &&
    tolerate?.['string-for-field-object']
  )
    return
  if (
    inFieldObject &&
    at.endsWith('.value') &&
    typeof doc === 'string' &&
    ['number', 'boolean'].includes(typeof got) &&
    tolerate?.['string-for-typed-value']
  )
    return
  if (kind(doc) !== kind(got)) {
    differences.push(
      `${at}: the document has ${kind(doc)}, the simulator ${kind(got)}`
    )
    return
  }
  if (Array.isArray(doc)) {
    const items = got as unknown[]
    if (doc.length > 0 && items.length === 0)
      differences.push(
        `${at}: the document lists items, the simulator none (set up a precondition)`
      )
    // Item by item where the document lists several (nextstates' transitions differ: one with
    // conditions, one without); items past the document's last are held to its last.
    if (doc.length > 0)
      for (const [i, item] of items.entries())
        shapeDiff(
          doc[Math.min(i, doc.length - 1)],
          item,
          `${at}[${i}]`,
          tolerate,
          differences,
          tally
        )
    return
  }
  if (kind(doc) === 'object') {
    const fieldObject = isFieldObject(doc)
    for (const [key, inner] of Object.entries(doc as Record<string, unknown>)) {
      if (!(key in (got as object)))
        differences.push(
          `${at}.${key}: in the document, missing from the simulator`
        )
      else
        shapeDiff(
          inner,
          (got as Record<string, unknown>)[key],
          `${at}.${key}`,
          tolerate,
          differences,
          tally,
          fieldObject
        )
    }
  }
}

/** Where the answer breaks a documented value rule: one line per fact broken. */
async function factDiff(
  facts: readonly Fact[],
  answer: {headers: Headers; json: unknown},
  filled: (text: string) => Promise<string>
): Promise<string[]> {
  const out: string[] = []
  for (const f of facts) {
    const [root, ...path] = f.at.split('.')
    let got: unknown =
      root === 'header'
        ? (answer.headers.get(path.join('.')) ?? undefined)
        : root === 'body'
          ? answer.json
          : undefined
    if (root === 'body')
      for (const key of path)
        got =
          got !== null && typeof got === 'object'
            ? (got as Record<string, unknown>)[key]
            : undefined
    const shown = JSON.stringify(got) ?? 'nothing'
    if (f.equals !== undefined && got !== (await filled(f.equals)))
      out.push(`${f.at} is ${shown}: ${f.fact}`)
    if (
      f.includes !== undefined &&
      !(Array.isArray(got) && got.includes(await filled(f.includes)))
    )
      out.push(`${f.at} is ${shown}: ${f.fact}`)
    if (
      f.matches !== undefined &&
      !(typeof got === 'string' && new RegExp(f.matches).test(got))
    )
      out.push(`${f.at} is ${shown}: ${f.fact}`)
    if (
      f.equals === undefined &&
      f.includes === undefined &&
      f.matches === undefined
    )
      out.push(
        `fact '${f.fact}' says nothing to check (equals, includes or matches)`
      )
  }
  return out
}

const files = readdirSync(DIR)
  .filter(f => f.endsWith('.json'))
  .sort()
counts['fixture files'] = files.length

describe('the simulator answers as ServiceNow documents it', () => {
  it('has fixtures to check', () => {
    expect(files.length).toBeGreaterThanOrEqual(10)
  })

  it.each(files)('%s', async file => {
    const fixture = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as Fixture
    expect(fixture.source).toMatch(/^markdown\/.+\.md: .+/)
    for (const rule of Object.keys(fixture.tolerate ?? {}))
      expect([
        'result-as-array',
        'string-for-field-object',
        'string-for-typed-value'
      ]).toContain(rule)
    // Each fixture gets fresh records and a fresh simulator state: one fixture's precondition is not another's.
    const own = await withSimulator()
    try {
      const ctx: Context = {sim: own, values: {}}
      if (fixture.given !== undefined) {
        const given = GIVENS[fixture.given]
        if (given === undefined)
          throw new Error(
            `unknown given '${fixture.given}': add it to GIVENS in __tests__/contract.test.ts`
          )
        await given(ctx)
      }
      const answer = await send(ctx, fixture)
      const differences: string[] = []
      if (answer.status !== fixture.response.status)
        differences.push(
          `status: the document has ${fixture.response.status}, the simulator ${answer.status}`
        )
      for (const header of fixture.response.headers ?? [])
        if (!answer.headers.has(header))
          differences.push(
            `header ${header}: in the document, missing from the simulator`
          )
      if (fixture.response.body !== undefined)
        shapeDiff(
          fixture.response.body,
          answer.json,
          'body',
          fixture.tolerate,
          differences,
          counts
        )
      differences.push(
        ...(await factDiff(fixture.facts ?? [], answer, text =>
          fill(ctx, text)
        ))
      )
      add(counts, 'documented value facts checked', fixture.facts?.length ?? 0)
      expect(differences).toEqual([])
      add(counts, 'fixtures checked')
    } finally {
      await own.stop()
    }
  })
})

describe('the preconditions fixtures can name', () => {
  it.each(Object.keys(GIVENS))('%s can be set up', async given => {
    const own = await withSimulator()
    try {
      const ctx: Context = {sim: own, values: {}}
      await GIVENS[given]!(ctx)
      if (ctx.values.change_sys_id !== undefined)
        expect(
          own.instance.store.get('change_request', ctx.values.change_sys_id)
        ).toBeDefined()
    } finally {
      await own.stop()
    }
  })
})

describe('the value facts comparison itself', () => {
  const headers = new Headers({
    Location:
      'https://x/api/now/table/incident/0123456789abcdef0123456789abcdef'
  })
  const facts: Fact[] = [
    {
      fact: 'available_states holds the current state',
      at: 'body.result.available_states',
      includes: '-1'
    },
    {
      fact: 'an error envelope says failure',
      at: 'body.status',
      equals: 'failure'
    },
    {
      fact: 'Location names the new record',
      at: 'header.location',
      matches: '/api/now/table/incident/[0-9a-f]{32}$'
    }
  ]
  const same = async (text: string): Promise<string> => text

  it('passes an answer that keeps every fact and names each fact an answer breaks', async () => {
    expect(
      await factDiff(
        facts,
        {
          headers,
          json: {
            result: {available_states: ['0', '4', '-1']},
            status: 'failure'
          }
        },
        same
      )
    ).toEqual([])
    // The drift the shapes let through: the current state dropped from available_states.
    expect(
      await factDiff(
        facts,
        {
          headers: new Headers(),
          json: {result: {available_states: ['0', '4']}, status: 'success'}
        },
        same
      )
    ).toEqual([
      'body.result.available_states is ["0","4"]: available_states holds the current state',
      'body.status is "success": an error envelope says failure',
      'header.location is nothing: Location names the new record'
    ])
    expect(
      await factDiff([{fact: 'empty', at: 'body.x'}], {headers, json: {}}, same)
    ).toHaveLength(1)
  })
})

describe('the shape comparison itself', () => {
  const diff = (
    doc: unknown,
    got: unknown,
    tolerate?: Fixture['tolerate']
  ): string[] => {
    const out: string[] = []
    shapeDiff(doc, got, 'body', tolerate, out, {})
    return out
  }

  it('finds a missing key, another type, a bare value where an object was documented, and an empty list', () => {
    expect(diff({result: {a: ''}}, {result: {}})).toEqual([
      'body.result.a: in the document, missing from the simulator'
    ])
    expect(
      diff(
        {result: {state: {display_value: 'New', value: -5}}},
        {result: {state: {display_value: 'New', value: '-5'}}}
      )
    ).toEqual([
      'body.result.state.value: the document has number, the simulator string'
    ])
    expect(
      diff(
        {result: {state: {display_value: 'New', value: '-5'}}},
        {result: {state: '-5'}}
      )
    ).toEqual([
      'body.result.state: the document has object, the simulator string'
    ])
    expect(diff({result: [{a: ''}]}, {result: []})).toEqual([
      'body.result: the document lists items, the simulator none (set up a precondition)'
    ])
  })

  it('tolerates only what a fixture names, and only where it applies', () => {
    const doc = {
      result: [{sys_id: 'x', state: {display_value: 'New', value: '-5'}}]
    }
    const got = {
      result: {
        sys_id: {display_value: 'x', value: 'x'},
        state: {display_value: 'New', value: -5}
      }
    }
    expect(diff(doc, got)).toHaveLength(1)
    expect(diff(doc, got, {'result-as-array': 'why'})).toHaveLength(2)
    expect(
      diff(doc, got, {
        'result-as-array': 'why',
        'string-for-field-object': 'why',
        'string-for-typed-value': 'why'
      })
    ).toEqual([])
    // A documented string is not excused as a number outside a {display_value, value} object.
    expect(
      diff(
        {result: {size: '1'}},
        {result: {size: 1}},
        {'string-for-typed-value': 'why'}
      )
    ).toHaveLength(1)
  })
})
