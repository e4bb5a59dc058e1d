import type {ServiceNowClient} from '../servicenow/client.js'
import {
  CHANGE_RECORD_FIELDS,
  toChangeRecord,
  type ChangeRecord
} from '../servicenow/change-record.js'
import {InputError, isNotFound} from '../servicenow/errors.js'
import {valueOf} from '../servicenow/fields.js'
import {isSysId} from '../servicenow/ids.js'
import {isTerminal} from '../servicenow/change-model.js'
import {OWN_MARK} from '../servicenow/change-task.js'
import {query} from '../servicenow/query.js'
import type {ChangeRef} from '../settings/change-ref.js'

/**
 * Reading change requests. Reads go through the Table API, which every
 * instance has and which returns only the fields asked for; display values
 * come along ('all') so references carry their names for people.
 */

export async function readChange(
  client: ServiceNowClient,
  sysId: string,
  fields: readonly string[] = CHANGE_RECORD_FIELDS
): Promise<ChangeRecord> {
  const raw = await client.table.get('change_request', sysId, {
    fields,
    displayValue: 'all',
    excludeReferenceLink: true
  })
  return toChangeRecord(raw, client.baseUrl, await client.changes.states())
}

/** Just what the wait loop decides on: one small answer per poll. */
export const POLL_FIELDS = [
  'sys_id',
  'number',
  'type',
  'state',
  'approval',
  'start_date',
  'end_date',
  'on_hold',
  'on_hold_reason'
] as const

export async function pollChange(
  client: ServiceNowClient,
  sysId: string
): Promise<ChangeRecord> {
  const raw = await client.table.get('change_request', sysId, {
    fields: POLL_FIELDS,
    excludeReferenceLink: true
  })
  return toChangeRecord(raw, client.baseUrl, await client.changes.states())
}

export async function findChangeByNumber(
  client: ServiceNowClient,
  number: string
): Promise<ChangeRecord | undefined> {
  const page = await client.table.list('change_request', {
    query: query().eq('number', number),
    fields: CHANGE_RECORD_FIELDS,
    displayValue: 'all',
    excludeReferenceLink: true,
    limit: 1
  })
  const raw = page.records[0]
  return raw === undefined
    ? undefined
    : toChangeRecord(raw, client.baseUrl, await client.changes.states())
}

/** The change a step acts on; a clear error when it does not exist. */
export async function resolveChange(
  client: ServiceNowClient,
  ref: Exclude<ChangeRef, {kind: 'skipped'}>
): Promise<ChangeRecord> {
  if (ref.kind === 'number') {
    const found = await findChangeByNumber(client, ref.number)
    if (found === undefined)
      throw new InputError(
        `No change request ${ref.number} on ${client.baseUrl} (or the integration user may not read it).`
      )
    return found
  }
  try {
    return await readChange(client, ref.sysId)
  } catch (error) {
    if (isNotFound(error))
      throw new InputError(
        `No change request with sys_id ${ref.sysId} on ${client.baseUrl} (or the integration user may not read it).`
      )
    throw error
  }
}

/**
 * Open change requests this action made for this deployment, oldest first: the
 * correlation id is exactly the one asked for and correlation_display carries
 * the action's mark (set on every change it creates). Another integration may
 * tag its changes with the same id (a ticket key), and a proxy or a broken
 * instance may answer records that were not asked for; neither is ever adopted
 * or settled as a duplicate, so the answer is checked, not only the query.
 * (correlation_id and correlation_display are plain text fields of change_request,
 * ≤100 characters each, with no unique constraint: the change_request dictionary.)
 */
export async function findOpenByCorrelation(
  client: ServiceNowClient,
  correlationId: string
): Promise<ChangeRecord[]> {
  const page = await client.table.list('change_request', {
    query: query()
      .eq('correlation_id', correlationId)
      .eq('correlation_display', OWN_MARK)
      .eq('active', 'true')
      .orderBy('sys_created_on')
      .orderBy('number'),
    fields: [...CHANGE_RECORD_FIELDS, 'correlation_display'],
    displayValue: 'all',
    excludeReferenceLink: true
  })
  const states = await client.changes.states()
  return page.records
    .filter(r => valueOf(r, 'correlation_display') === OWN_MARK)
    .map(r => toChangeRecord(r, client.baseUrl, states))
    .filter(
      record =>
        record.correlationId === correlationId && !isTerminal(record.stateLabel)
    )
}

/**
 * A reference input given as a sys_id or a display name (e.g. "DevOps Team").
 * Resolved here rather than with sysparm_input_display_value, which the Change
 * Management API does not take and which silently leaves an unmatched name empty.
 */
export async function resolveReference(
  client: ServiceNowClient,
  input: string,
  value: string,
  target: {table: string; nameField: string; what: string}
): Promise<string> {
  if (isSysId(value)) {
    try {
      await client.table.get(target.table, value, {fields: ['sys_id']})
      return value
    } catch (error) {
      if (isNotFound(error))
        throw new InputError(
          `${input}: no ${target.what} with sys_id ${value}.`
        )
      throw error
    }
  }
  const page = await client.table.list(target.table, {
    query: query().eq(target.nameField, value),
    fields: ['sys_id'],
    limit: 2
  })
  if (page.records.length === 0)
    throw new InputError(`${input}: no ${target.what} named '${value}'.`)
  if (page.records.length > 1)
    throw new InputError(
      `${input}: several ${target.what}s are named '${value}'; give its sys_id instead.`
    )
  return valueOf(page.records[0] ?? {}, 'sys_id')
}
