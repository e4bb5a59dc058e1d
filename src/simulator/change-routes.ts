import {checkAccess} from './access.js'
import {createHash} from 'node:crypto'
import {
  availableStates,
  transitions,
  type Transition
} from './change-lifecycle.js'
import {BusinessRuleAbort, notFound, SnError} from './errors.js'
import {
  STANDARD_TEMPLATE_FIELDS,
  type Instance,
  type WriteResult
} from './instance.js'
import type {StateNumbering} from './state-numbering.js'
import {json, param, type Reply, type RequestContext} from './reply.js'
import {scheduleRoute, workerRoute} from './schedule-routes.js'
import {TABLES} from './schema.js'
import type {Row} from './store.js'
import {paginate, queryRows, readJsonBody} from './table-routes.js'

/** Choice fields whose values are numbers: sn_chg_rest sends them as JSON numbers (-5.0 prints as -5). */
const NUMERIC = new Set([
  'state',
  'risk',
  'impact',
  'priority',
  'sys_mod_count'
])

/**
 * The Change Management API, /api/sn_chg_rest/change…: every field an object
 * {display_value, value} with real numbers and booleans, dates adding
 * display_value_internal, and `__meta.ignoredFields` on the record. Creates
 * answer 200, not 201.
 */
export function changeRoute(
  instance: Instance,
  ctx: RequestContext,
  rest: string
): Reply {
  const parts = rest.split('/').filter(p => p !== '')
  const [first, second, third] = parts

  if (
    ctx.method === 'GET' &&
    first === 'standard' &&
    second === 'template' &&
    third === undefined
  ) {
    const rows = queryRows(
      instance,
      'std_change_record_producer',
      param(ctx, 'sysparm_query'),
      ctx.user
    )
    // change-management-api.md, GET /sn_chg_rest/change/standard/template: sysparm_limit "Default: 500".
    const {page, headers} = paginate(ctx, rows, 500)
    return json(
      200,
      {
        result: page.map(r =>
          objectFormat(instance, 'std_change_record_producer', r)
        )
      },
      headers
    )
  }
  if (
    ctx.method === 'POST' &&
    (first === 'normal' || first === 'emergency') &&
    second === undefined
  ) {
    checkAccess(ctx.user, 'change_request', 'Insert')
    return created(
      instance,
      changeApiWrite('created', () =>
        instance.insert(
          'change_request',
          {...fieldsFrom(ctx), type: first},
          ctx.user,
          {inputDisplayValue: false}
        )
      )
    )
  }
  if (
    ctx.method === 'POST' &&
    first === 'standard' &&
    second !== undefined &&
    third === undefined
  ) {
    checkAccess(ctx.user, 'change_request', 'Insert')
    const template = instance.store.get('std_change_record_producer', second)
    if (template === undefined || template.active !== 'true')
      throw new SnError(
        404,
        'No Record found',
        'Standard change template not found or inactive'
      )
    // The values live in the sys_template the producer references; the change records the template's latest version.
    const values = templateValues(
      instance.store.get('sys_template', template.template ?? '')?.template ??
        ''
    )
    const given = fieldsFrom(ctx)
    // change-management-api.md, POST /change/standard/{id}: description and the plans come from the
    // template; passed in, they are ignored and listed in __meta.ignoredFields.
    const fromTemplate = STANDARD_TEMPLATE_FIELDS.filter(f => f in given)
    for (const f of fromTemplate) delete given[f]
    const body = {
      ...values,
      ...given,
      type: 'standard',
      std_change_producer_version: latestVersion(instance, second)?.sys_id ?? ''
    }
    const {row, ignored} = changeApiWrite('created', () =>
      instance.insert('change_request', body, ctx.user, {
        inputDisplayValue: false
      })
    )
    return created(instance, {row, ignored: [...fromTemplate, ...ignored]})
  }
  if (first === 'worker') return workerRoute(instance, ctx, second)
  // change-management-api.md's risk section is headed /change/standard/{sys_id}/risk while its URL
  // format is /change/{sys_id}/risk: both are served.
  if (first === 'standard' && third === 'risk' && parts.length === 3)
    return changeRoute(instance, ctx, `/${second}/risk`)
  if (ctx.method === 'GET' && first === undefined) {
    checkAccess(ctx.user, 'change_request', 'Read')
    const {page, headers} = paginate(
      ctx,
      queryRows(
        instance,
        'change_request',
        param(ctx, 'sysparm_query'),
        ctx.user
      )
    )
    return json(
      200,
      {result: page.map(r => objectFormat(instance, 'change_request', r))},
      headers
    )
  }
  if (first === undefined || !/^[0-9a-f]{32}$/.test(first)) {
    throw new SnError(
      400,
      'Requested URI does not represent any resource',
      null
    )
  }
  const change = instance.store.get('change_request', first)
  if (change === undefined) throw notFound()

  if (second === undefined) {
    switch (ctx.method) {
      case 'GET':
        checkAccess(ctx.user, 'change_request', 'Read')
        return json(200, {
          result: objectFormat(instance, 'change_request', change)
        })
      case 'PATCH':
      case 'PUT': {
        checkAccess(ctx.user, 'change_request', 'Update')
        const result = changeApiWrite('updated', () =>
          instance.update('change_request', change, fieldsFrom(ctx), ctx.user, {
            inputDisplayValue: false
          })
        )
        return json(200, {
          result: {
            ...objectFormat(instance, 'change_request', result.row),
            __meta: {ignoredFields: result.ignored}
          }
        })
      }
      case 'DELETE':
        checkAccess(ctx.user, 'change_request', 'Delete')
        instance.store.delete('change_request', first)
        return {status: 204}
    }
  }
  if (second === 'nextstates' && ctx.method === 'GET') {
    checkAccess(ctx.user, 'change_request', 'Read')
    // change-management-api.md, GET /change/{sys_id}/nextstates: available_states includes the current
    // state; state_transitions holds one array per "to" state, each transition with its conditions.
    // States are shown in this instance's numbering (a custom state model renumbers them).
    const numbering = instance.store.states
    const facts = instance.facts(change)
    const states = availableStates(change, facts)
    const moves = transitions(change, facts)
    const labelled = [...new Set([...states, ...moves.map(t => t.to)])]
    return json(200, {
      result: {
        available_states: states.map(s => numbering.wire(s)),
        state_transitions: moves.map(t => [documentedTransition(t, numbering)]),
        state_label: Object.fromEntries(
          labelled.map(s => [numbering.wire(s), numbering.label(s)])
        )
      }
    })
  }
  if (second === 'task') return taskRoute(instance, ctx, change, third)
  const scheduled = scheduleRoute(
    instance,
    ctx,
    change,
    second ?? '',
    third,
    (t, r) => objectFormat(instance, t, r)
  )
  if (scheduled !== undefined) return scheduled
  if (
    second === 'approvals' &&
    (ctx.method === 'PATCH' || ctx.method === 'PUT')
  ) {
    const body = fieldsFrom(ctx)
    const decision = body.state
    if (decision !== 'approved' && decision !== 'rejected') {
      throw new SnError(
        400,
        'Invalid approval state',
        "state must be 'approved' or 'rejected'"
      )
    }
    const comments =
      typeof body.comments === 'string' ? body.comments : undefined
    if (decision === 'rejected' && (comments ?? '').trim() === '')
      throw new SnError(400, 'Comments are required to reject', null)
    const mine = instance
      .pendingApprovals(change)
      .find(a => a.approver === ctx.user.sys_id)
    // change-management-api.md, PATCH /change/{sys_id}/approvals, status codes: "400 ... such as the
    // user not having the authority to approve or reject the change request". The wording is UNVERIFIED.
    if (mine === undefined)
      throw new SnError(
        400,
        'The current user is not authorized to approve or reject this change request',
        ''
      )
    instance.decide(mine, decision, comments)
    return json(200, {result: objectFormat(instance, 'change_request', change)})
  }
  throw new SnError(400, 'Requested URI does not represent any resource', null)
}

/** A write through sn_chg_rest: a business rule's abort is worded the Change Management API's way. */
function changeApiWrite(
  verb: 'created' | 'updated',
  write: () => WriteResult
): WriteResult {
  try {
    return write()
  } catch (error) {
    throw error instanceof BusinessRuleAbort ? error.forChangeApi(verb) : error
  }
}

/**
 * change-management-api.md: GET|POST /change/{sys_id}/task and PATCH|DELETE
 * /change/{sys_id}/task/{task_sys_id}; a task of another change is not found.
 */
function taskRoute(
  instance: Instance,
  ctx: RequestContext,
  change: Row,
  taskId: string | undefined
): Reply {
  const show = (row: Row, ignored?: string[]): Record<string, unknown> => ({
    ...objectFormat(instance, 'change_task', row),
    ...(ignored === undefined ? {} : {__meta: {ignoredFields: ignored}})
  })
  if (taskId === undefined) {
    if (ctx.method === 'GET') {
      checkAccess(ctx.user, 'change_task', 'Read')
      const rows = queryRows(
        instance,
        'change_task',
        param(ctx, 'sysparm_query'),
        ctx.user
      ).filter(t => t.change_request === change.sys_id)
      const {page, headers} = paginate(ctx, rows)
      return json(200, {result: page.map(r => show(r))}, headers)
    }
    if (ctx.method === 'POST') {
      checkAccess(ctx.user, 'change_task', 'Insert')
      const body = {
        ...fieldsFrom(ctx),
        change_request: change.sys_id,
        parent: change.sys_id
      }
      const {row, ignored} = instance.insert('change_task', body, ctx.user, {
        inputDisplayValue: false
      })
      // The document's task examples answer a one-element array, unlike the change endpoints.
      return json(200, {result: [show(row, ignored)]})
    }
    throw new SnError(
      405,
      'Method not Supported',
      `${ctx.method} method not supported for API`
    )
  }
  const task = instance.store.get('change_task', taskId)
  if (task === undefined || task.change_request !== change.sys_id)
    throw notFound()
  switch (ctx.method) {
    case 'GET':
      checkAccess(ctx.user, 'change_task', 'Read')
      return json(200, {result: show(task)})
    case 'PATCH':
    case 'PUT': {
      checkAccess(ctx.user, 'change_task', 'Update')
      const {row, ignored} = instance.update(
        'change_task',
        task,
        fieldsFrom(ctx),
        ctx.user,
        {inputDisplayValue: false}
      )
      return json(200, {result: [show(row, ignored)]})
    }
    case 'DELETE': {
      checkAccess(ctx.user, 'change_task', 'Delete')
      const before = show(task)
      instance.store.delete('change_task', taskId)
      return json(200, {result: [before]})
    }
    default:
      throw new SnError(
        405,
        'Method not Supported',
        `${ctx.method} method not supported for API`
      )
  }
}

/** One transition as nextstates shows it; ids are stable per transition and condition, as on an instance. */
function documentedTransition(
  t: Transition,
  numbering: StateNumbering
): Record<string, unknown> {
  const label = (s: string): string => numbering.label(s)
  return {
    sys_id: stableId(`transition:${t.from}>${t.to}`),
    display_value: `${label(t.from)} to ${label(t.to)}`,
    from_state: numbering.wire(t.from),
    to_state: numbering.wire(t.to),
    transition_available: t.available,
    automatic_transition: false,
    conditions: t.conditions.map(c => ({
      passed: c.passed,
      condition: {
        name: c.name,
        description: null,
        sys_id: stableId(`condition:${c.name}`)
      }
    }))
  }
}

function stableId(text: string): string {
  return createHash('md5').update(text).digest('hex')
}

/** The template's newest Standard Change Template Version: what a standard change records. */
function latestVersion(instance: Instance, producer: string): Row | undefined {
  return instance.store
    .rows('std_change_producer_version')
    .filter(v => v.std_change_producer === producer)
    .sort((a, b) => Number(b.version ?? 0) - Number(a.version ?? 0))[0]
}

/** sn_chg_rest takes field values from the JSON body and from non-sysparm query parameters. */
function fieldsFrom(ctx: RequestContext): Record<string, unknown> {
  const fromQuery: Record<string, unknown> = {}
  for (const [k, v] of ctx.url.searchParams)
    if (!k.startsWith('sysparm_')) fromQuery[k] = v
  return {...fromQuery, ...readJsonBody(ctx)}
}

function created(instance: Instance, {row, ignored}: WriteResult): Reply {
  return json(200, {
    result: {
      ...objectFormat(instance, 'change_request', row),
      __meta: {ignoredFields: ignored}
    }
  })
}

export function templateValues(text: string): Record<string, string> {
  const values: Record<string, string> = {}
  for (const part of text.split('^')) {
    const eq = part.indexOf('=')
    if (eq > 0) values[part.slice(0, eq)] = part.slice(eq + 1)
  }
  return values
}

function objectFormat(
  instance: Instance,
  table: string,
  row: Row
): Record<string, unknown> {
  const schema = TABLES[table]
  const out: Record<string, unknown> = {}
  for (const [name, type] of Object.entries(schema?.fields ?? {})) {
    const shown = instance.store.format(table, row, '', {
      display: 'all',
      fields: [name],
      excludeReferenceLink: true
    })[name] as {
      display_value: string
      value: string
    }
    let value: unknown = shown.value
    if (NUMERIC.has(name) && shown.value !== '') value = Number(shown.value)
    else if (type.kind === 'boolean') value = shown.value === 'true'
    out[name] =
      type.kind === 'date'
        ? {
            display_value: shown.display_value,
            value,
            display_value_internal: shown.value
          }
        : {display_value: shown.display_value, value}
  }
  return out
}
