import { checkAccess } from './access.js'
import { availableStates } from './change-lifecycle.js'
import { BusinessRuleAbort, notFound, SnError } from './errors.js'
import type { Instance, WriteResult } from './instance.js'
import { json, param, type Reply, type RequestContext } from './reply.js'
import { TABLES } from './schema.js'
import type { Row } from './store.js'
import { paginate, queryRows, readJsonBody } from './table-routes.js'

/** Choice fields whose values are numbers: sn_chg_rest sends them as JSON numbers (-5.0 prints as -5). */
const NUMERIC = new Set(['state', 'risk', 'impact', 'priority', 'sys_mod_count'])

/**
 * The Change Management API, /api/sn_chg_rest/change…: every field an object
 * {display_value, value} with real numbers and booleans, dates adding
 * display_value_internal, and `__meta.ignoredFields` on the record. Creates
 * answer 200, not 201.
 */
export function changeRoute(instance: Instance, ctx: RequestContext, rest: string): Reply {
  const parts = rest.split('/').filter((p) => p !== '')
  const [first, second, third] = parts

  if (ctx.method === 'GET' && first === 'standard' && second === 'template' && third === undefined) {
    const rows = queryRows(instance, 'std_change_record_producer', param(ctx, 'sysparm_query'), ctx.user)
    // change-management-api.md, GET /sn_chg_rest/change/standard/template: sysparm_limit "Default: 500".
    const { page, headers } = paginate(ctx, rows, 500)
    return json(200, { result: page.map((r) => objectFormat(instance, 'std_change_record_producer', r)) }, headers)
  }
  if (ctx.method === 'POST' && (first === 'normal' || first === 'emergency') && second === undefined) {
    checkAccess(ctx.user, 'change_request', 'Insert')
    return created(instance, changeApiWrite('created', () => instance.insert('change_request', { ...fieldsFrom(ctx), type: first }, ctx.user, { inputDisplayValue: false })))
  }
  if (ctx.method === 'POST' && first === 'standard' && second !== undefined && third === undefined) {
    checkAccess(ctx.user, 'change_request', 'Insert')
    const template = instance.store.get('std_change_record_producer', second)
    if (template === undefined || template.active !== 'true') throw new SnError(404, 'No Record found', 'Standard change template not found or inactive')
    const values = templateValues(template.template ?? '')
    const body = { ...values, ...fieldsFrom(ctx), type: 'standard', std_change_producer_version: second }
    return created(instance, changeApiWrite('created', () => instance.insert('change_request', body, ctx.user, { inputDisplayValue: false })))
  }
  if (ctx.method === 'GET' && first === undefined) {
    checkAccess(ctx.user, 'change_request', 'Read')
    const { page, headers } = paginate(ctx, queryRows(instance, 'change_request', param(ctx, 'sysparm_query'), ctx.user))
    return json(200, { result: page.map((r) => objectFormat(instance, 'change_request', r)) }, headers)
  }
  if (first === undefined || !/^[0-9a-f]{32}$/.test(first)) {
    throw new SnError(400, 'Requested URI does not represent any resource', null)
  }
  const change = instance.store.get('change_request', first)
  if (change === undefined) throw notFound()

  if (second === undefined) {
    switch (ctx.method) {
      case 'GET':
        checkAccess(ctx.user, 'change_request', 'Read')
        return json(200, { result: objectFormat(instance, 'change_request', change) })
      case 'PATCH':
      case 'PUT': {
        checkAccess(ctx.user, 'change_request', 'Update')
        const result = changeApiWrite('updated', () => instance.update('change_request', change, fieldsFrom(ctx), ctx.user, { inputDisplayValue: false }))
        return json(200, { result: { ...objectFormat(instance, 'change_request', result.row), __meta: { ignoredFields: result.ignored } } })
      }
      case 'DELETE':
        checkAccess(ctx.user, 'change_request', 'Delete')
        instance.store.delete('change_request', first)
        return { status: 204 }
    }
  }
  if (second === 'nextstates' && ctx.method === 'GET') {
    checkAccess(ctx.user, 'change_request', 'Read')
    const numbering = instance.store.states
    const states = availableStates(change)
    const wire = (s: string): string => numbering.wire(s)
    return json(200, {
      result: {
        available_states: states.map(wire),
        state_label: Object.fromEntries(states.map((s) => [wire(s), numbering.label(s)])),
        state_transitions: states.slice(1).map((to) => ({ from_state: wire(change.state ?? ''), to_state: wire(to), transition_available: true }))
      }
    })
  }
  if (second === 'approvals' && (ctx.method === 'PATCH' || ctx.method === 'PUT')) {
    const body = fieldsFrom(ctx)
    const decision = body.state
    if (decision !== 'approved' && decision !== 'rejected') {
      throw new SnError(400, 'Invalid approval state', "state must be 'approved' or 'rejected'")
    }
    const comments = typeof body.comments === 'string' ? body.comments : undefined
    if (decision === 'rejected' && (comments ?? '').trim() === '') throw new SnError(400, 'Comments are required to reject', null)
    const mine = instance.pendingApprovals(change).find((a) => a.approver === ctx.user.sys_id)
    // change-management-api.md, PATCH /change/{sys_id}/approvals, status codes: "400 ... such as the
    // user not having the authority to approve or reject the change request". The wording is UNVERIFIED.
    if (mine === undefined) throw new SnError(400, 'The current user is not authorized to approve or reject this change request', '')
    instance.decide(mine, decision, comments)
    return json(200, { result: objectFormat(instance, 'change_request', change) })
  }
  throw new SnError(400, 'Requested URI does not represent any resource', null)
}

/** A write through sn_chg_rest: a business rule's abort is worded the Change Management API's way. */
function changeApiWrite(verb: 'created' | 'updated', write: () => WriteResult): WriteResult {
  try {
    return write()
  } catch (error) {
    throw error instanceof BusinessRuleAbort ? error.forChangeApi(verb) : error
  }
}

/** sn_chg_rest takes field values from the JSON body and from non-sysparm query parameters. */
function fieldsFrom(ctx: RequestContext): Record<string, unknown> {
  const fromQuery: Record<string, unknown> = {}
  for (const [k, v] of ctx.url.searchParams) if (!k.startsWith('sysparm_')) fromQuery[k] = v
  return { ...fromQuery, ...readJsonBody(ctx) }
}

function created(instance: Instance, { row, ignored }: WriteResult): Reply {
  return json(200, { result: { ...objectFormat(instance, 'change_request', row), __meta: { ignoredFields: ignored } } })
}

export function templateValues(text: string): Record<string, string> {
  const values: Record<string, string> = {}
  for (const part of text.split('^')) {
    const eq = part.indexOf('=')
    if (eq > 0) values[part.slice(0, eq)] = part.slice(eq + 1)
  }
  return values
}

function objectFormat(instance: Instance, table: string, row: Row): Record<string, unknown> {
  const schema = TABLES[table]
  const out: Record<string, unknown> = {}
  for (const [name, type] of Object.entries(schema?.fields ?? {})) {
    const shown = instance.store.format(table, row, '', { display: 'all', fields: [name], excludeReferenceLink: true })[name] as {
      display_value: string
      value: string
    }
    let value: unknown = shown.value
    if (NUMERIC.has(name) && shown.value !== '') value = Number(shown.value)
    else if (type.kind === 'boolean') value = shown.value === 'true'
    out[name] =
      type.kind === 'date' ? { display_value: shown.display_value, value, display_value_internal: shown.value } : { display_value: shown.display_value, value }
  }
  return out
}
