import {createChecked} from './checked-create.js'
import {type ChangeType, type StateLabel} from './change-model.js'
import {
  CHANGE_RECORD_FIELDS,
  toChangeRecord,
  type ChangeRecord
} from './change-record.js'
import {
  CHANGE_TASK_FIELDS,
  toChangeTask,
  type ChangeTask
} from './change-task.js'
import type {Connection} from './connection.js'
import {InputError, ServiceNowError} from './errors.js'
import {
  field,
  isRecord,
  shown,
  single,
  valueOf,
  type RawRecord
} from './fields.js'
import {checkSysId, isSysId} from './ids.js'
import {journalEntries} from './journal.js'
import {parseNextStates, type NextStates} from './next-states.js'
import {query, type EncodedQuery} from './query.js'
import type {TableApi} from './table-api.js'
import {readStateChoices, type StateChoices} from './state-choices.js'

const BASE = '/api/sn_chg_rest/change'

/** Fields whose every write appends an entry (the record's journal, sys_journal_field). */
const JOURNAL_FIELDS = ['work_notes', 'comments']
/** Tasks read a page at a time, and no more than this many in all (a change with more is not a deployment's). */
const TASK_PAGE = 100
const MAX_TASKS = 2000

export interface StandardTemplate {
  sysId: string
  name: string
}

/**
 * Change requests through the Change Management API (`sn_chg_rest`), which
 * applies the change model and creates standard changes from templates.
 * Instances without that plugin answer its URLs with 400/404 "Requested URI
 * does not represent any resource"; then every operation falls back, once
 * and for the rest of the run, to the Table API on change_request.
 */
export class ChangeApi {
  private available: boolean | undefined
  private choices: Promise<StateChoices> | undefined
  /** Where warnings go: fields an answer says it ignored (__meta.ignoredFields). */
  warn: (line: string) => void = () => {}

  constructor(
    private readonly conn: Connection,
    private readonly table: TableApi
  ) {}

  /**
   * The instance's change states, read from sys_choice once per client (one
   * request per step) and mapped by label: instances renumber and add states.
   */
  states(): Promise<StateChoices> {
    this.choices ??= readStateChoices(this.table).catch((error: unknown) => {
      this.choices = undefined
      throw error
    })
    return this.choices
  }

  /** Whether the Change Management API answered (undefined until first tried). */
  get changeApiAvailable(): boolean | undefined {
    return this.available
  }

  createNormal(fields: Record<string, unknown>): Promise<ChangeRecord> {
    return this.create('normal', fields)
  }

  createEmergency(fields: Record<string, unknown>): Promise<ChangeRecord> {
    return this.create('emergency', fields)
  }

  async createStandard(
    template: StandardTemplate,
    fields: Record<string, unknown>
  ): Promise<ChangeRecord> {
    checkSysId(template.sysId, 'template sys_id')
    return this.either(
      async () =>
        this.record(
          await this.post(`${BASE}/standard/${template.sysId}`, fields),
          'POST',
          `${BASE}/standard`
        ),
      async () => {
        // What the standard change record producer does on the instance: the template's values, then ours,
        // and the template's current version (change_request.std_change_producer_version references the
        // Standard Change Template Version table, change-management-api.md), not the template itself.
        const values = await this.templateValues(template.sysId)
        const version = await this.templateVersion(template.sysId)
        const model = await this.changeModel('standard')
        const body = {
          ...parseTemplateValues(values),
          ...fields,
          type: 'standard',
          ...(version === undefined
            ? {}
            : {std_change_producer_version: version}),
          ...(model === undefined ? {} : {chg_model: model})
        }
        return this.insertOnTable(body)
      }
    )
  }

  /** Active standard change templates with exactly this name. */
  async findTemplates(name: string): Promise<StandardTemplate[]> {
    const q = query().eq('name', name).eq('active', 'true')
    return this.either<StandardTemplate[]>(
      async () => {
        const response = await this.conn.request({
          method: 'GET',
          path: `${BASE}/standard/template`,
          query: {sysparm_query: q.toString()}
        })
        const result = (response.body as {result?: unknown})?.result
        return templateList(result).map(t => ({
          sysId: valueOf(t, 'sys_id'),
          name: field(t, 'name').value ?? field(t, 'name').display ?? ''
        }))
      },
      async () => {
        const page = await this.table.list('std_change_record_producer', {
          query: q,
          fields: ['sys_id', 'name']
        })
        return page.records.map(t => ({
          sysId: valueOf(t, 'sys_id'),
          name: valueOf(t, 'name')
        }))
      }
    )
  }

  /** The names of the active standard change templates (at most 500, the template list's default page). */
  async templateNames(): Promise<string[]> {
    const q = query().eq('active', 'true')
    const names = await this.either<string[]>(
      async () => {
        const response = await this.conn.request({
          method: 'GET',
          path: `${BASE}/standard/template`,
          query: {sysparm_query: q.toString(), sysparm_fields: 'name'}
        })
        return templateList((response.body as {result?: unknown})?.result).map(
          t => field(t, 'name').value ?? field(t, 'name').display ?? ''
        )
      },
      async () =>
        (
          await this.table.list('std_change_record_producer', {
            query: q,
            fields: ['name'],
            limit: 500
          })
        ).records.map(t => valueOf(t, 'name'))
    )
    return names.filter(n => n !== '')
  }

  async get(sysId: string): Promise<ChangeRecord> {
    checkSysId(sysId, 'change_sys_id')
    return this.either(
      async () =>
        this.record(
          (await this.conn.request({method: 'GET', path: `${BASE}/${sysId}`}))
            .body,
          'GET',
          BASE,
          sysId
        ),
      async () =>
        this.record(
          {
            result: await this.table.get('change_request', sysId, {
              fields: CHANGE_RECORD_FIELDS
            })
          },
          'GET',
          '/api/now/table/change_request',
          sysId
        )
    )
  }

  /**
   * Writes fields of the change. A PATCH of plain fields is safe to repeat and the
   * connection retries it. A PATCH carrying a journal field (work_notes, comments)
   * is not: each write appends an entry, so a retry after a lost answer (a dropped
   * connection, a 502/504 from a proxy, a cut body) would write the note twice.
   *
   * Design: the PATCH stays one request (one update of the record, one audit row,
   * the note written with the state it explains) but is sent as not idempotent,
   * and after a failure that may have landed it is handled like a create
   * (createChecked): count the entries with this text before, and after the
   * failure look whether one more is there. One update is one transaction, so a
   * landed note means the whole PATCH landed; only the plain fields are then
   * re-sent (safe) to get the record back. Splitting note and fields into two
   * PATCHes would double the updates and audit rows on every write to save a
   * read that only a failure costs; the read before is the price of knowing.
   */
  async patch(
    sysId: string,
    fields: Record<string, unknown>
  ): Promise<ChangeRecord> {
    checkSysId(sysId, 'change_sys_id')
    const journal = JOURNAL_FIELDS.filter(
      f => typeof fields[f] === 'string' && (fields[f] as string).trim() !== ''
    )
    if (journal.length === 0) return this.patchOnce(sysId, fields, true)
    const before = await this.journalCounts(sysId, fields, journal)
    const rest = Object.fromEntries(
      Object.entries(fields).filter(([f]) => !journal.includes(f))
    )
    return createChecked(
      {connection: this.conn},
      {
        create: () => this.patchOnce(sysId, fields, false),
        landed: async () => {
          const after = await this.journalCounts(sysId, fields, journal)
          if (!journal.some(f => (after[f] ?? 0) > (before[f] ?? 0)))
            return undefined
          return Object.keys(rest).length === 0
            ? this.get(sysId)
            : this.patchOnce(sysId, rest, true)
        },
        onRetry: error =>
          this.warn(
            `Writing to ${sysId} failed (${error.message}); looking whether the note landed before writing it again.`
          )
      }
    )
  }

  private patchOnce(
    sysId: string,
    fields: Record<string, unknown>,
    idempotent: boolean
  ): Promise<ChangeRecord> {
    return this.either(
      async () =>
        this.record(
          (
            await this.conn.request({
              method: 'PATCH',
              path: `${BASE}/${sysId}`,
              json: fields,
              idempotent
            })
          ).body,
          'PATCH',
          BASE,
          sysId
        ),
      async () =>
        this.tableRecord(
          fields,
          await this.table.patch('change_request', sysId, fields, {
            fields: this.readBack(fields),
            idempotent
          }),
          'PATCH',
          sysId
        )
    )
  }

  /**
   * How many entries of each journal field carry exactly this text. The record's
   * journal field read with sysparm_display_value shows its entries
   * (table-api.md, sysparm_display_value; journal.ts reads the headers).
   */
  private async journalCounts(
    sysId: string,
    fields: Record<string, unknown>,
    journal: readonly string[]
  ): Promise<Record<string, number>> {
    const raw = await this.table.get('change_request', sysId, {
      fields: journal,
      displayValue: 'true'
    })
    return Object.fromEntries(
      journal.map(f => {
        const text = String(fields[f]).trim()
        return [
          f,
          journalEntries(
            field(raw, f).display ?? field(raw, f).value ?? ''
          ).filter(e => e.text === text).length
        ]
      })
    )
  }

  /**
   * The states the change may move to now and the conditions of each
   * transition, per its model. Undefined without the Change Management API:
   * the caller then walks the type's standard path.
   */
  async nextStates(sysId: string): Promise<NextStates | undefined> {
    checkSysId(sysId, 'change_sys_id')
    return this.either(
      async () => {
        const response = await this.conn.request({
          method: 'GET',
          path: `${BASE}/${sysId}/nextstates`
        })
        const choices = await this.states()
        return parseNextStates(
          response.body,
          value => choices.label(value),
          `${BASE}/${sysId}/nextstates`
        )
      },
      async () => undefined
    )
  }

  /** The change's change tasks that are still active (change-management-api.md, GET /change/{sys_id}/task). */
  activeTasks(sysId: string): Promise<ChangeTask[]> {
    return this.tasks(sysId, {activeOnly: true})
  }

  /**
   * The change's change tasks, oldest first (change-management-api.md, GET
   * /change/{sys_id}/task, sysparm_limit default 500 with sysparm_offset; Table API
   * change_task by change_request). Every page: a matrix of many legs has a task each.
   */
  async tasks(
    sysId: string,
    {activeOnly = false}: {activeOnly?: boolean} = {}
  ): Promise<ChangeTask[]> {
    checkSysId(sysId, 'change_sys_id')
    const q = (): EncodedQuery => {
      const base = query()
      if (activeOnly) base.eq('active', 'true')
      return base.orderBy('number')
    }
    return this.eitherEndpoint(
      async () => {
        const found: ChangeTask[] = []
        for (let offset = 0; ;) {
          const response = await this.conn.request({
            method: 'GET',
            path: `${BASE}/${sysId}/task`,
            query: {
              sysparm_query: q().toString(),
              sysparm_limit: String(TASK_PAGE),
              sysparm_offset: String(offset)
            }
          })
          const result = (response.body as {result?: unknown})?.result
          const page = Array.isArray(result) ? (result as RawRecord[]) : []
          found.push(...page.map(toChangeTask))
          if (page.length < TASK_PAGE || found.length >= MAX_TASKS) return found
          offset += page.length
        }
      },
      async () => {
        const found: ChangeTask[] = []
        for await (const row of this.table.all('change_task', {
          query: q().eq('change_request', sysId),
          fields: CHANGE_TASK_FIELDS,
          displayValue: 'all',
          excludeReferenceLink: true,
          pageSize: TASK_PAGE
        }))
          found.push(toChangeTask(row))
        return found
      }
    )
  }

  /**
   * Adds a change task to the change (change-management-api.md, POST
   * /change/{sys_id}/task: one task a call, the fields of the body applied over the
   * default task; the Table API inserts into change_task with change_request).
   * A POST is not repeated after a failure that may have landed: the caller looks
   * for the task before trying again.
   */
  async createTask(
    changeSysId: string,
    fields: Record<string, string>
  ): Promise<ChangeTask> {
    checkSysId(changeSysId, 'change_sys_id')
    return this.eitherEndpoint(
      async () => {
        const body = await this.post(`${BASE}/${changeSysId}/task`, fields)
        const raw = single((body as {result?: unknown} | undefined)?.result)
        this.noteIgnored(raw)
        const task = toChangeTask(raw)
        if (!isSysId(task.sysId))
          throw new ServiceNowError({
            kind: 'invalid-response',
            method: 'POST',
            path: `${BASE}/${changeSysId}/task`,
            message: 'the answer names no change task (no sys_id)'
          })
        return task
      },
      async () =>
        toChangeTask(
          await this.table.create(
            'change_task',
            {...fields, change_request: changeSysId},
            {
              fields: CHANGE_TASK_FIELDS,
              displayValue: 'all',
              excludeReferenceLink: true
            }
          )
        )
    )
  }

  /** Writes to one change task of this change (PATCH /change/{sys_id}/task/{task_sys_id}). */
  async updateTask(
    changeSysId: string,
    taskSysId: string,
    fields: Record<string, unknown>
  ): Promise<void> {
    checkSysId(changeSysId, 'change_sys_id')
    checkSysId(taskSysId, 'change task sys_id')
    await this.eitherEndpoint(
      async () => {
        const response = await this.conn.request({
          method: 'PATCH',
          path: `${BASE}/${changeSysId}/task/${taskSysId}`,
          json: fields
        })
        this.noteIgnored(
          single((response.body as {result?: unknown} | undefined)?.result)
        )
      },
      async () => {
        await this.table.patch('change_task', taskSysId, fields, {
          fields: ['sys_id']
        })
      }
    )
  }

  /** Approve or reject the signed-in user's pending approval of this change. */
  async decideApproval(
    sysId: string,
    decision: 'approved' | 'rejected',
    comments?: string
  ): Promise<void> {
    checkSysId(sysId, 'change_sys_id')
    if (
      decision === 'rejected' &&
      (comments === undefined || comments.trim() === '')
    ) {
      throw new InputError('Rejecting a change needs comments saying why.')
    }
    await this.either(
      async () => {
        const response = await this.conn.request({
          method: 'PATCH',
          path: `${BASE}/${sysId}/approvals`,
          json: {state: decision, comments}
        })
        this.noteIgnored(
          single((response.body as {result?: unknown} | undefined)?.result)
        )
      },
      async () => {
        // gs.getUserID() in a query value is ServiceNow's documented way to say "the signed-in user".
        const pending = await this.table.list('sysapproval_approver', {
          query: query()
            .eq('sysapproval', sysId)
            .isCurrentUser('approver')
            .eq('state', 'requested'),
          fields: ['sys_id']
        })
        const row = pending.records[0]
        if (row === undefined)
          throw new InputError(
            `The signed-in user has no pending approval on change ${sysId}.`
          )
        await this.table.patch('sysapproval_approver', valueOf(row, 'sys_id'), {
          state: decision,
          comments
        })
      }
    )
  }

  /** A state label as the write body carries it: this instance's number for it. */
  async stateValue(label: StateLabel): Promise<string> {
    return String((await this.states()).value(label))
  }

  private async create(
    type: 'normal' | 'emergency',
    fields: Record<string, unknown>
  ): Promise<ChangeRecord> {
    return this.either(
      async () =>
        this.record(
          await this.post(`${BASE}/${type}`, fields),
          'POST',
          `${BASE}/${type}`
        ),
      async () => {
        const model = await this.changeModel(type)
        const body = {
          ...fields,
          type,
          ...(model === undefined ? {} : {chg_model: model})
        }
        return this.insertOnTable(body)
      }
    )
  }

  private async post(
    path: string,
    fields: Record<string, unknown>
  ): Promise<unknown> {
    return (await this.conn.request({method: 'POST', path, json: fields})).body
  }

  /**
   * A template's field values. The producer's `template` is a reference to the
   * sys_template that holds them (change-management-api.md, GET
   * /change/standard/template); an older record holding the values itself is read as such.
   */
  private async templateValues(sysId: string): Promise<string> {
    const holder = valueOf(
      await this.table.get('std_change_record_producer', sysId, {
        fields: ['template']
      }),
      'template'
    )
    if (!isSysId(holder)) return holder
    return valueOf(
      await this.table.get('sys_template', holder, {fields: ['template']}),
      'template'
    )
  }

  /** The template's newest Standard Change Template Version, what a standard change records. */
  private async templateVersion(
    producerSysId: string
  ): Promise<string | undefined> {
    const page = await this.table.list('std_change_producer_version', {
      query: query()
        .eq('std_change_producer', producerSysId)
        .orderByDesc('version'),
      fields: ['sys_id'],
      limit: 1
    })
    const found = page.records[0]
    return found === undefined ? undefined : valueOf(found, 'sys_id')
  }

  /**
   * The change model for this type (chg_model named Normal, Standard or
   * Emergency), on instances that have change models; undefined where the
   * table does not exist or cannot be read, which instances without them answer.
   */
  private async changeModel(type: ChangeType): Promise<string | undefined> {
    try {
      const name = type.charAt(0).toUpperCase() + type.slice(1)
      const page = await this.table.list('chg_model', {
        query: query().eq('name', name).eq('active', 'true'),
        fields: ['sys_id'],
        limit: 1
      })
      const found = page.records[0]
      return found === undefined ? undefined : valueOf(found, 'sys_id')
    } catch (error) {
      if (
        error instanceof ServiceNowError &&
        error.kind === 'http' &&
        [400, 403, 404].includes(error.status ?? 0)
      )
        return undefined
      throw error
    }
  }

  /** The change an answer carries; given `expected`, it must be that change (a mixed-up answer is an error, not another change to act on). */
  private async record(
    body: unknown,
    method: string,
    path: string,
    expected?: string
  ): Promise<ChangeRecord> {
    // The docs show `result` as an object; some versions send a one-element array.
    const result = (body as {result?: unknown} | undefined)?.result
    const raw = Array.isArray(result) ? result[0] : result
    const record = toChangeRecord(raw, this.conn.baseUrl, await this.states(), {
      method,
      path
    })
    if (expected !== undefined && record.sysId !== expected) {
      throw new ServiceNowError({
        kind: 'invalid-response',
        method,
        path,
        message: `asked for change ${expected}, the instance answered with ${record.number} (sys_id ${record.sysId})`
      })
    }
    if (isRecord(raw)) this.noteIgnored(raw)
    return record
  }

  /** A change inserted with the Table API (where the Change Management API is not there), read back. */
  private async insertOnTable(
    body: Record<string, unknown>
  ): Promise<ChangeRecord> {
    const answer = await this.table.create('change_request', body, {
      fields: this.readBack(body)
    })
    return this.tableRecord(body, answer, 'POST')
  }

  /** The record's own fields and those written: the Table API's answer to a write is the record as stored (table-api.md). */
  private readBack(body: Record<string, unknown>): string[] {
    return [
      ...new Set([
        ...CHANGE_RECORD_FIELDS,
        ...Object.keys(body).filter(f => !JOURNAL_FIELDS.includes(f))
      ])
    ]
  }

  /**
   * A Table API write's answer, read back with the fields written: the Table API
   * has no ignoredFields list, and it drops a field it does not know (or that
   * this user may not write) without a word. So each written value is compared
   * with what the record now holds, and each that did not take is named, as the
   * Change Management API's __meta.ignoredFields is (noteIgnored).
   */
  private async tableRecord(
    body: Record<string, unknown>,
    raw: RawRecord,
    method: string,
    expected?: string
  ): Promise<ChangeRecord> {
    const missed = Object.entries(body)
      // state is checked by the move itself (a move the instance ignored is an error there, not a warning).
      .filter(
        ([f, v]) =>
          !JOURNAL_FIELDS.includes(f) &&
          f !== 'state' &&
          v !== undefined &&
          v !== null
      )
      .filter(([f, v]) => {
        const held = field(raw, f)
        return held.value !== String(v) && held.display !== String(v)
      })
      .map(([f]) => f)
    if (missed.length > 0) {
      const on = valueOf(raw, 'number') || valueOf(raw, 'sys_id')
      this.warn(
        `ServiceNow did not take ${missed.join(', ')} on ${on} (no such field, or read-only for this user): the record holds other values.`
      )
    }
    return this.record(
      {result: raw},
      method,
      '/api/now/table/change_request',
      expected
    )
  }

  /**
   * Every Change Management API answer to a write lists the body fields it did
   * not apply in `__meta.ignoredFields` (the document's task example also shows a
   * flat "__meta.ignoredFields" key): a value that silently went nowhere is worth a warning.
   */
  private noteIgnored(raw: RawRecord): void {
    const meta = raw.__meta as {ignoredFields?: unknown} | undefined
    const listed = meta?.ignoredFields ?? raw['__meta.ignoredFields']
    const ignored = (Array.isArray(listed) ? listed : []).filter(
      (f): f is string => typeof f === 'string' && f !== ''
    )
    if (ignored.length === 0) return
    const on = valueOf(raw, 'number') || valueOf(raw, 'sys_id')
    this.warn(
      `ServiceNow ignored ${ignored.join(', ')} on ${on} (no such field, or read-only for this user).`
    )
  }

  /**
   * As either(), for an endpoint a release may lack while the rest of the API
   * is there (the task endpoints came later than the change ones): that one
   * call falls back without giving up the API for the others.
   */
  private async eitherEndpoint<T>(
    viaChangeApi: () => Promise<T>,
    viaTableApi: () => Promise<T>
  ): Promise<T> {
    try {
      return await this.either(viaChangeApi, viaTableApi)
    } catch (error) {
      if (isMissingApi(error)) return viaTableApi()
      throw error
    }
  }

  /** Try the Change Management API; on an instance without it, remember that and use the fallback. */
  private async either<T>(
    viaChangeApi: () => Promise<T>,
    viaTableApi: () => Promise<T>
  ): Promise<T> {
    if (this.available === false) return viaTableApi()
    try {
      const result = await viaChangeApi()
      this.available = true
      return result
    } catch (error) {
      if (this.available === undefined && isMissingApi(error)) {
        this.available = false
        return viaTableApi()
      }
      throw error
    }
  }
}

/**
 * ServiceNow answers a REST path that no API serves with 400 (sometimes 404)
 * "Requested URI does not represent any resource". A 404 "No Record found" is
 * a missing record, not a missing API, and must not trigger the fallback.
 */
export function isMissingApi(error: unknown): boolean {
  return (
    error instanceof ServiceNowError &&
    error.kind === 'http' &&
    (error.status === 400 || error.status === 404) &&
    /does not represent any resource/i.test(error.serviceNowMessage ?? '')
  )
}

/** The template list of a Change Management API answer: records with a sys_id each, or one error naming what was sent. */
function templateList(result: unknown): RawRecord[] {
  const list = Array.isArray(result) ? result : []
  const odd = list.find(
    (t: unknown) => !isRecord(t) || !isSysId(valueOf(t, 'sys_id'))
  )
  if (odd !== undefined) {
    throw new ServiceNowError({
      kind: 'invalid-response',
      method: 'GET',
      path: `${BASE}/standard/template`,
      message: `the instance listed ${shown(odd)} as a template`
    })
  }
  return list as RawRecord[]
}

/** A template's `field=value^field=value` string, as the instance stores it. */
export function parseTemplateValues(text: string): Record<string, string> {
  const values: Record<string, string> = {}
  for (const part of text.split('^')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part !== 'EQ') values[part.slice(0, eq)] = part.slice(eq + 1)
  }
  return values
}
