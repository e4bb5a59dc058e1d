import { STATE_VALUES, stateLabel, type StateLabel } from './change-model.js'
import { CHANGE_RECORD_FIELDS, toChangeRecord, type ChangeRecord } from './change-record.js'
import type { Connection } from './connection.js'
import { InputError, ServiceNowError } from './errors.js'
import { field, isRecord, shown, single, valueOf, type RawRecord } from './fields.js'
import { checkSysId, isSysId } from './ids.js'
import { query } from './query.js'
import type { TableApi } from './table-api.js'

const BASE = '/api/sn_chg_rest/change'

export interface StandardTemplate {
  sysId: string
  name: string
  /** The template's field values (`field=value^…`), when read through the Table API. */
  values: string | undefined
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

  constructor(
    private readonly conn: Connection,
    private readonly table: TableApi
  ) {}

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

  async createStandard(template: StandardTemplate, fields: Record<string, unknown>): Promise<ChangeRecord> {
    checkSysId(template.sysId, 'template sys_id')
    return this.either(
      async () => this.record(await this.post(`${BASE}/standard/${template.sysId}`, fields), 'POST', `${BASE}/standard`),
      async () => {
        // What the standard change record producer does on the instance: the template's values, then ours.
        const values = template.values ?? (await this.templateValues(template.sysId))
        const body = { ...parseTemplateValues(values), ...fields, type: 'standard', std_change_producer_version: template.sysId }
        return this.record({ result: await this.table.create('change_request', body) }, 'POST', '/api/now/table/change_request')
      }
    )
  }

  /** Active standard change templates with exactly this name. */
  async findTemplates(name: string): Promise<StandardTemplate[]> {
    const q = query().eq('name', name).eq('active', 'true')
    return this.either<StandardTemplate[]>(
      async () => {
        const response = await this.conn.request({ method: 'GET', path: `${BASE}/standard/template`, query: { sysparm_query: q.toString() } })
        const result = (response.body as { result?: unknown })?.result
        return templateList(result).map((t) => ({
          sysId: valueOf(t, 'sys_id'),
          name: field(t, 'name').value ?? field(t, 'name').display ?? '',
          values: undefined
        }))
      },
      async () => {
        const page = await this.table.list('std_change_record_producer', { query: q, fields: ['sys_id', 'name', 'template'] })
        return page.records.map((t) => ({ sysId: valueOf(t, 'sys_id'), name: valueOf(t, 'name'), values: valueOf(t, 'template') }))
      }
    )
  }

  async get(sysId: string): Promise<ChangeRecord> {
    checkSysId(sysId, 'change_sys_id')
    return this.either(
      async () => this.record((await this.conn.request({ method: 'GET', path: `${BASE}/${sysId}` })).body, 'GET', BASE),
      async () => this.record({ result: await this.table.get('change_request', sysId, { fields: CHANGE_RECORD_FIELDS }) }, 'GET', '/api/now/table/change_request')
    )
  }

  async patch(sysId: string, fields: Record<string, unknown>): Promise<ChangeRecord> {
    checkSysId(sysId, 'change_sys_id')
    return this.either(
      async () => this.record((await this.conn.request({ method: 'PATCH', path: `${BASE}/${sysId}`, json: fields })).body, 'PATCH', BASE),
      async () => this.record({ result: await this.table.patch('change_request', sysId, fields, { fields: CHANGE_RECORD_FIELDS }) }, 'PATCH', '/api/now/table/change_request')
    )
  }

  /**
   * The states the change may move to now, per its model. Undefined without the
   * Change Management API: the caller then walks the type's standard path.
   */
  async nextStates(sysId: string): Promise<StateLabel[] | undefined> {
    checkSysId(sysId, 'change_sys_id')
    return this.either(
      async () => {
        const response = await this.conn.request({ method: 'GET', path: `${BASE}/${sysId}/nextstates` })
        const result = single((response.body as { result?: unknown })?.result) as { available_states?: unknown }
        const states = Array.isArray(result.available_states) ? result.available_states : []
        return states.map((s) => stateLabel(Number(s))).filter((s): s is StateLabel => s !== undefined)
      },
      async () => undefined
    )
  }

  /** Approve or reject the signed-in user's pending approval of this change. */
  async decideApproval(sysId: string, decision: 'approved' | 'rejected', comments?: string): Promise<void> {
    checkSysId(sysId, 'change_sys_id')
    if (decision === 'rejected' && (comments === undefined || comments.trim() === '')) {
      throw new InputError('Rejecting a change needs comments saying why.')
    }
    await this.either(
      async () => {
        await this.conn.request({ method: 'PATCH', path: `${BASE}/${sysId}/approvals`, json: { state: decision, comments } })
      },
      async () => {
        // gs.getUserID() in a query value is ServiceNow's documented way to say "the signed-in user".
        const pending = await this.table.list('sysapproval_approver', {
          query: query().eq('sysapproval', sysId).isCurrentUser('approver').eq('state', 'requested'),
          fields: ['sys_id']
        })
        const row = pending.records[0]
        if (row === undefined) throw new InputError(`The signed-in user has no pending approval on change ${sysId}.`)
        await this.table.patch('sysapproval_approver', valueOf(row, 'sys_id'), { state: decision, comments })
      }
    )
  }

  /** A state label as the write body carries it. */
  static stateValue(label: StateLabel): string {
    return String(STATE_VALUES[label])
  }

  private async create(type: 'normal' | 'emergency', fields: Record<string, unknown>): Promise<ChangeRecord> {
    return this.either(
      async () => this.record(await this.post(`${BASE}/${type}`, fields), 'POST', `${BASE}/${type}`),
      async () => this.record({ result: await this.table.create('change_request', { ...fields, type }) }, 'POST', '/api/now/table/change_request')
    )
  }

  private async post(path: string, fields: Record<string, unknown>): Promise<unknown> {
    return (await this.conn.request({ method: 'POST', path, json: fields })).body
  }

  private async templateValues(sysId: string): Promise<string> {
    return valueOf(await this.table.get('std_change_record_producer', sysId, { fields: ['template'] }), 'template')
  }

  private record(body: unknown, method: string, path: string): ChangeRecord {
    // The docs show `result` as an object; some versions send a one-element array.
    const result = (body as { result?: unknown } | undefined)?.result
    return toChangeRecord(Array.isArray(result) ? result[0] : result, this.conn.baseUrl, { method, path })
  }

  /** Try the Change Management API; on an instance without it, remember that and use the fallback. */
  private async either<T>(viaChangeApi: () => Promise<T>, viaTableApi: () => Promise<T>): Promise<T> {
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
  const odd = list.find((t: unknown) => !isRecord(t) || !isSysId(valueOf(t, 'sys_id')))
  if (odd !== undefined) {
    throw new ServiceNowError({ kind: 'invalid-response', method: 'GET', path: `${BASE}/standard/template`, message: `the instance listed ${shown(odd)} as a template` })
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
