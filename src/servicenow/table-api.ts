import type {Connection, QueryParams} from './connection.js'
import {ServiceNowError} from './errors.js'
import {field, isRecord, shown, type RawRecord} from './fields.js'
import {checkSysId, checkTable, isSysId} from './ids.js'
import type {EncodedQuery} from './query.js'

export type DisplayValue = 'false' | 'true' | 'all'

export interface ReadOptions {
  /** Ask only for these fields (sysparm_fields): smaller answers, and fewer ACL checks. */
  fields?: readonly string[]
  displayValue?: DisplayValue
  /** Bare sys_ids instead of {link, value} for references. */
  excludeReferenceLink?: boolean
}

export interface ListOptions extends ReadOptions {
  query?: EncodedQuery
  limit?: number
  offset?: number
}

export interface WriteOptions extends ReadOptions {
  /** Reference fields may be given by display name (sysparm_input_display_value=true). */
  inputDisplayValue?: boolean
  /** False when sending it twice would do harm (a PATCH that appends a journal entry): see RequestSpec. */
  idempotent?: boolean
}

export interface Page {
  records: RawRecord[]
  /** X-Total-Count, when the instance sent it. */
  total: number | undefined
  /** Offset of the next page, from the Link header's rel="next"; undefined on the last page. */
  nextOffset: number | undefined
}

/** Pages one listing may read: 200 pages of 500 are 100,000 records, far past any period the report reads. */
export const MAX_PAGES = 200

/** The Table API: `/api/now/table/{table}[/{sys_id}]`, every value a string. */
export class TableApi {
  constructor(private readonly conn: Connection) {}

  async get(
    table: string,
    sysId: string,
    options: ReadOptions = {}
  ): Promise<RawRecord> {
    const response = await this.conn.request({
      method: 'GET',
      path: `/api/now/table/${checkTable(table)}/${checkSysId(sysId)}`,
      query: readParams(withSysId(options))
    })
    return theRecord(
      resultRecord(response.body, 'GET', table),
      sysId,
      'GET',
      table
    )
  }

  async list(table: string, options: ListOptions = {}): Promise<Page> {
    if (options.offset !== undefined && options.offset < 0)
      throw new RangeError('offset must not be negative')
    const response = await this.conn.request({
      method: 'GET',
      path: `/api/now/table/${checkTable(table)}`,
      query: {
        ...readParams(options),
        sysparm_query: options.query?.toString() || undefined,
        sysparm_limit: options.limit,
        sysparm_offset: options.offset
      }
    })
    const result = (response.body as {result?: unknown} | undefined)?.result
    if (!Array.isArray(result))
      throw unexpected('GET', `/api/now/table/${table}`, 'a list', result)
    const odd = result.find(r => !isRecord(r))
    if (odd !== undefined)
      throw unexpected(
        'GET',
        `/api/now/table/${table}`,
        'a list of records',
        odd
      )
    const total = Number(response.headers['x-total-count'])
    return {
      records: result as RawRecord[],
      total: Number.isFinite(total) ? total : undefined,
      nextOffset: nextOffset(response.headers.link)
    }
  }

  /**
   * Every record matching, page by page (Link rel="next"), up to MAX_PAGES pages: an instance or
   * proxy whose Link header never ends (or points back) gets a clear error, not endless requests.
   */
  async *all(
    table: string,
    options: ListOptions & {pageSize?: number} = {}
  ): AsyncGenerator<RawRecord> {
    let offset: number | undefined = options.offset ?? 0
    for (let pages = 0; offset !== undefined; pages++) {
      if (pages === MAX_PAGES) {
        throw new ServiceNowError({
          kind: 'invalid-response',
          method: 'GET',
          path: `/api/now/table/${table}`,
          message: `the instance still offered a next page after ${MAX_PAGES} pages; stopped reading there. Narrow the query (a shorter period or a scope)`
        })
      }
      const page = await this.list(table, {
        ...options,
        limit: options.pageSize ?? 1000,
        offset
      })
      yield* page.records
      offset = page.records.length === 0 ? undefined : page.nextOffset
    }
  }

  /** POST: not repeated after a failure that may have landed (see Connection). */
  async create(
    table: string,
    body: Record<string, unknown>,
    options: WriteOptions = {}
  ): Promise<RawRecord> {
    const response = await this.conn.request({
      method: 'POST',
      path: `/api/now/table/${checkTable(table)}`,
      query: writeParams(options),
      json: body
    })
    return resultRecord(response.body, 'POST', table)
  }

  async patch(
    table: string,
    sysId: string,
    body: Record<string, unknown>,
    options: WriteOptions = {}
  ): Promise<RawRecord> {
    const response = await this.conn.request({
      method: 'PATCH',
      path: `/api/now/table/${checkTable(table)}/${checkSysId(sysId)}`,
      query: writeParams(withSysId(options)),
      json: body,
      ...(options.idempotent === undefined
        ? {}
        : {idempotent: options.idempotent})
    })
    return theRecord(
      resultRecord(response.body, 'PATCH', table),
      sysId,
      'PATCH',
      table
    )
  }
}

function readParams(options: ReadOptions): QueryParams {
  return {
    sysparm_fields: options.fields?.join(','),
    sysparm_display_value: options.displayValue,
    sysparm_exclude_reference_link:
      options.excludeReferenceLink === true ? 'true' : undefined
  }
}

function writeParams(options: WriteOptions): QueryParams {
  return {
    ...readParams(options),
    sysparm_input_display_value:
      options.inputDisplayValue === true ? 'true' : undefined
  }
}

function resultRecord(body: unknown, method: string, table: string): RawRecord {
  const result = (body as {result?: unknown} | undefined)?.result
  // The docs show an object; some versions send a one-element array.
  const one = Array.isArray(result) ? result[0] : result
  if (!isRecord(one))
    throw unexpected(method, `/api/now/table/${table}`, 'a record', result)
  return one
}

/** A read or write of one record asks for its sys_id too, so the answer can be checked against the request. */
function withSysId<T extends ReadOptions>(options: T): T {
  return options.fields === undefined || options.fields.includes('sys_id')
    ? options
    : {...options, fields: ['sys_id', ...options.fields]}
}

/**
 * The record asked for, or one error naming what came instead: a proxy or cache that mixes
 * answers can hand back another record, and acting on it would write to the wrong change.
 */
function theRecord(
  record: RawRecord,
  sysId: string,
  method: string,
  table: string
): RawRecord {
  const sent = field(record, 'sys_id').value
  if (sent === sysId) return record
  const what =
    table === 'change_request' ? 'a change request' : `a ${table} record`
  const message = isSysId(sent ?? '')
    ? `asked for record ${sysId}, the instance answered with sys_id ${sent}`
    : `the instance sent sys_id ${shown(record.sys_id)} where ${what} belongs`
  throw new ServiceNowError({
    kind: 'invalid-response',
    method,
    path: `/api/now/table/${table}`,
    message
  })
}

function unexpected(
  method: string,
  path: string,
  what: string,
  sent: unknown
): ServiceNowError {
  return new ServiceNowError({
    kind: 'invalid-response',
    method,
    path,
    message: `the answer has no result with ${what} (the instance sent ${shown(sent)})`
  })
}

/** `<url>;rel="first",<url>;rel="next",…`: the offset of the next page, if any. */
export function nextOffset(
  link: string | string[] | undefined
): number | undefined {
  const text = Array.isArray(link) ? link.join(',') : link
  if (text === undefined) return undefined
  for (const part of text.split(/,(?=\s*<)/)) {
    const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part)
    if (match?.[1] !== undefined) {
      const offset = new URL(match[1], 'http://x').searchParams.get(
        'sysparm_offset'
      )
      return offset === null ? undefined : Number(offset)
    }
  }
  return undefined
}
