import type {ServiceNowClient} from '../servicenow/client.js'
import {
  field,
  formatGlideDate,
  parseGlideDate,
  type RawRecord,
  valueOf
} from '../servicenow/fields.js'
import {query, type EncodedQuery} from '../servicenow/query.js'
import type {ReportSettings} from '../settings/dora-settings.js'
import {parseDeploymentLine} from './deployment-line.js'
import {resolveReference} from './lookup.js'

/** One change closed in the period, with what the report needs to know of it. */
export interface Deployment {
  sysId: string
  number: string
  created: Date
  closed: Date
  closeCode: string
  /** From the change's deployment line; '' when it carries none. */
  environment: string
  /** The configuration item's name; '' when the change names none. */
  service: string
  /** The oldest commit that went out, from the deployment line. */
  oldestCommit: Date | undefined
  /** Incidents whose caused_by is this change, but canceled ones. */
  incidents: {opened: Date | undefined; resolved: Date | undefined}[]
  /** Numbers of the changes (not canceled) whose parent is this one: its rollbacks. */
  rollbacks: string[]
}

/** IN lists stay short enough for a URL (the instance's limit is about 8 KB of query string). */
const IN_CHUNK = 100
const INCIDENT_CANCELED = '8'
const PAGE = 500

/**
 * Every change closed in [from, until) within the scope, read page by page, with its
 * deployment line, its configuration item's name, the incidents it caused and its rollbacks.
 * Closed is the state value the instance's choice list says (3 unless renumbered).
 */
export async function readDeployments(
  client: ServiceNowClient,
  settings: ReportSettings,
  from: Date,
  until: Date
): Promise<Deployment[]> {
  const states = await client.changes.states()
  const q = (
    await scopeQuery(
      client,
      settings,
      query().eq('state', String(states.value('closed')))
    )
  )
    .atLeast('closed_at', formatGlideDate(from))
    .before('closed_at', formatGlideDate(until))
    // sys_id after the time: changes closed in the same second keep one order from page to page.
    .orderBy('closed_at')
    .orderBy('sys_id')
  const rows: RawRecord[] = []
  for await (const row of client.table.all('change_request', {
    query: q,
    fields: [
      'sys_id',
      'number',
      'type',
      'sys_created_on',
      'closed_at',
      'close_code',
      'cmdb_ci',
      'description'
    ],
    excludeReferenceLink: true,
    pageSize: PAGE
  }))
    rows.push(row)
  const ids = rows.map(r => valueOf(r, 'sys_id'))
  const lines = await deploymentLines(client, rows)
  const services = await names(
    client,
    'cmdb_ci',
    rows.map(r => valueOf(r, 'cmdb_ci'))
  )
  const incidents = new Map<string, Deployment['incidents']>()
  for await (const i of inChunks(client, 'incident', 'caused_by', ids, [
    'caused_by',
    'state',
    'opened_at',
    'resolved_at'
  ])) {
    // A canceled incident (state 8 in the base system's choices) was no failure: it is left out.
    if (valueOf(i, 'state') === INCIDENT_CANCELED) continue
    const cause = valueOf(i, 'caused_by')
    incidents.set(cause, [
      ...(incidents.get(cause) ?? []),
      {
        opened: parseGlideDate(valueOf(i, 'opened_at')),
        resolved: parseGlideDate(valueOf(i, 'resolved_at'))
      }
    ])
  }
  const canceled = String(states.value('canceled'))
  const rollbacks = new Map<string, string[]>()
  for await (const child of inChunks(client, 'change_request', 'parent', ids, [
    'number',
    'parent',
    'state'
  ])) {
    if (valueOf(child, 'state') === canceled) continue
    const parent = valueOf(child, 'parent')
    rollbacks.set(parent, [
      ...(rollbacks.get(parent) ?? []),
      valueOf(child, 'number')
    ])
  }
  return rows.flatMap(r => {
    const sysId = valueOf(r, 'sys_id')
    const created = parseGlideDate(valueOf(r, 'sys_created_on'))
    const closed = parseGlideDate(valueOf(r, 'closed_at'))
    if (created === undefined || closed === undefined) return []
    const line = lines.get(sysId)
    return [
      {
        sysId,
        number: valueOf(r, 'number'),
        created,
        closed,
        closeCode: valueOf(r, 'close_code'),
        environment: line?.environment ?? '',
        service: services.get(valueOf(r, 'cmdb_ci')) ?? '',
        oldestCommit: line?.oldestCommit,
        incidents: incidents.get(sysId) ?? [],
        rollbacks: rollbacks.get(sysId) ?? []
      }
    ]
  })
}

/** The report's scope inputs as conditions; names are resolved to sys_ids first. */
async function scopeQuery(
  client: ServiceNowClient,
  settings: ReportSettings,
  q: EncodedQuery
): Promise<EncodedQuery> {
  if (settings.cmdbCi !== '')
    q.eq(
      'cmdb_ci',
      await resolveReference(client, 'cmdb_ci', settings.cmdbCi, {
        table: 'cmdb_ci',
        nameField: 'name',
        what: 'configuration item'
      })
    )
  if (settings.assignmentGroup !== '')
    q.eq(
      'assignment_group',
      await resolveReference(
        client,
        'assignment_group',
        settings.assignmentGroup,
        {table: 'sys_user_group', nameField: 'name', what: 'group'}
      )
    )
  if (settings.correlationPrefix !== '')
    q.startsWith('correlation_id', settings.correlationPrefix)
  return q
}

/**
 * Each change's deployment line: in its description, or, for a standard change (whose
 * description is its template's, so create writes the line as a work note), in its work notes.
 * A journal field read with sysparm_display_value shows its entries (table-api.md,
 * sysparm_display_value), so one list read per hundred standard changes finds them.
 */
async function deploymentLines(
  client: ServiceNowClient,
  rows: RawRecord[]
): Promise<Map<string, ReturnType<typeof parseDeploymentLine>>> {
  const lines = new Map<string, ReturnType<typeof parseDeploymentLine>>()
  const inNotes: string[] = []
  for (const r of rows) {
    const line = parseDeploymentLine(valueOf(r, 'description'))
    if (line !== undefined) lines.set(valueOf(r, 'sys_id'), line)
    else if (valueOf(r, 'type') === 'standard')
      inNotes.push(valueOf(r, 'sys_id'))
  }
  for await (const r of inChunks(
    client,
    'change_request',
    'sys_id',
    inNotes,
    ['sys_id', 'work_notes'],
    'all'
  )) {
    const line = parseDeploymentLine(field(r, 'work_notes').display ?? '')
    if (line !== undefined) lines.set(valueOf(r, 'sys_id'), line)
  }
  return lines
}

/** sys_id → name of the records of a table named by these references. */
async function names(
  client: ServiceNowClient,
  table: string,
  refs: string[]
): Promise<Map<string, string>> {
  const found = new Map<string, string>()
  for await (const r of inChunks(client, table, 'sys_id', refs, [
    'sys_id',
    'name'
  ]))
    found.set(valueOf(r, 'sys_id'), valueOf(r, 'name'))
  return found
}

/** The rows of a table whose field is one of these values, a hundred values a query, every page. */
async function* inChunks(
  client: ServiceNowClient,
  table: string,
  name: string,
  values: string[],
  fields: string[],
  displayValue: 'false' | 'all' = 'false'
): AsyncGenerator<RawRecord> {
  const distinct = [...new Set(values.filter(v => v !== ''))]
  for (let i = 0; i < distinct.length; i += IN_CHUNK)
    yield* client.table.all(table, {
      query: query().in(name, distinct.slice(i, i + IN_CHUNK)),
      fields,
      displayValue,
      excludeReferenceLink: true,
      pageSize: PAGE
    })
}
