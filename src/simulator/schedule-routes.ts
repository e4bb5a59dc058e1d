import {checkAccess} from './access.js'
import {
  cisOf,
  detectConflicts,
  firstAvailable,
  recordsChecked
} from './conflicts.js'
import {notFound, SnError} from './errors.js'
import type {Instance} from './instance.js'
import {json, param, type Reply, type RequestContext} from './reply.js'
import {glideAt, glideMs, windowOf} from './schedules.js'
import type {Row} from './store.js'
import {readJsonBody} from './table-routes.js'

/**
 * The schedule side of the Change Management API (change-management-api.md): conflict checking,
 * the first available slot, free time spans, CI association, risk, and the workers that do the
 * asynchronous ones. `show` formats a record the Change Management way (change-routes.ts).
 */
type Show = (table: string, row: Row) => Record<string, unknown>

/** change.conflict.next_available.schedule_window: 90 days by default (configure-conflict-properties.md). */
const SCHEDULE_WINDOW_DAYS = 90
const CONFLICT = 'conflict'

/** GET /change/worker/{sys_id}. */
export function workerRoute(
  instance: Instance,
  ctx: RequestContext,
  sysId: string | undefined
): Reply {
  if (ctx.method !== 'GET' || sysId === undefined) throw noResource()
  checkAccess(ctx.user, 'change_request', 'Read')
  const shown = instance.workers.show(sysId, ctx.baseUrl)
  if (shown === undefined) throw notFound()
  return json(200, {result: shown})
}

/** /change/{sys_id}/conflict, /schedule[/first_available], /ci and /risk; undefined for any other path. */
export function scheduleRoute(
  instance: Instance,
  ctx: RequestContext,
  change: Row,
  second: string,
  third: string | undefined,
  show: Show
): Reply | undefined {
  if (second === 'conflict' && third === undefined)
    return conflictRoute(instance, ctx, change, show)
  if (second === 'schedule') return scheduleSlots(instance, ctx, change, third)
  if (second === 'ci' && third === undefined)
    return ciRoute(instance, ctx, change, show)
  if (second === 'risk' && third === undefined && ctx.method === 'PATCH')
    return riskRoute(instance, ctx, change, show)
  return undefined
}

/**
 * POST starts a run (answering its sys_id), GET shows the running or last run, DELETE cancels a
 * running one. A POST while a run is going answers that run and starts none (UNVERIFIED: the
 * document does not say; starting a second would only repeat it).
 */
function conflictRoute(
  instance: Instance,
  ctx: RequestContext,
  change: Row,
  show: Show
): Reply {
  const id = change.sys_id ?? ''
  switch (ctx.method) {
    case 'POST': {
      checkAccess(ctx.user, 'change_request', 'Update')
      const running = instance.workers.running(CONFLICT, id)
      if (running !== undefined) return json(200, {result: running})
      const startedAt = glideAt(instance.now())
      const run = instance.workers.start(CONFLICT, id, {task: id}, () => ({
        state: 'complete',
        result: completeConflictRun(instance, change, startedAt)
      }))
      return json(200, {result: run})
    }
    case 'GET': {
      checkAccess(ctx.user, 'change_request', 'Read')
      const {done, running} = instance.workers.latest(CONFLICT, id)
      const last = done?.result ?? {}
      const canceled = last.canceled === 'true'
      const rows = instance.store.rows('conflict').filter(r => r.change === id)
      // The document's note: after a completed run the status reads "Conflict" even with none found.
      // Job status as sys_execution_tracker's states (UNVERIFIED but "2", which the document shows
      // for a finished run): 1 running, 2 successful, 4 cancelled; "" before any run.
      return json(200, {
        result: {
          status: last.lastRun === undefined ? 'Not Run' : 'Conflict',
          last_run: last.lastRun ?? '',
          record_count: last.recordCount ?? '0',
          job_status: running ? '1' : canceled ? '4' : done ? '2' : '',
          conflicts: rows.map(r => show('conflict', r))
        }
      })
    }
    case 'DELETE': {
      checkAccess(ctx.user, 'change_request', 'Update')
      const running = instance.workers.running(CONFLICT, id)
      // The status table: "400 Bad request. Cancel request failed." when there is nothing to cancel.
      if (running === undefined)
        throw new SnError(400, 'Cancel request failed', null)
      instance.workers.cancel(running)
      // t_RunManualConflictDetection.md, "Cancel conflict detection manually": the conflicts are
      // cleared and the Conflict Status reads Not Run.
      for (const r of instance.store.rows('conflict'))
        if (r.change === id) instance.store.delete('conflict', r.sys_id ?? '')
      instance.store.update(
        'change_request',
        change,
        {conflict_status: 'Not Run'},
        'system'
      )
      // The document's response body is "None": an empty result (UNVERIFIED beyond that).
      return json(200, {result: {}})
    }
    default:
      throw noResource()
  }
}

/**
 * A finished run: the change's conflicts replaced, its conflict fields set (c_ConflictDetection.md);
 * answers what GET /conflict shows of it.
 */
function completeConflictRun(
  instance: Instance,
  change: Row,
  startedAt: string
): Record<string, string> {
  const id = change.sys_id ?? ''
  for (const r of instance.store.rows('conflict'))
    if (r.change === id) instance.store.delete('conflict', r.sys_id ?? '')
  const found = detectConflicts(instance, change)
  for (const c of found)
    instance.store.insert(
      'conflict',
      {
        change: id,
        conflicting_change: c.conflictingChange,
        configuration_item: c.ci,
        schedule: c.schedule,
        type: c.type,
        last_checked: startedAt
      },
      'system'
    )
  instance.store.update(
    'change_request',
    change,
    {
      conflict_status: found.length > 0 ? 'Conflict' : 'No Conflict',
      conflict_last_run: startedAt,
      outside_maintenance_schedule: String(
        found.some(c => c.type === 'not_in_maintenance_window')
      )
    },
    'system'
  )
  return {lastRun: startedAt, recordCount: String(recordsChecked(instance))}
}

/**
 * PATCH /change/{sys_id}/schedule/first_available and GET /change/{sys_id}/schedule: 202 and a
 * worker of type "schedule" (the document's examples). The 400s are the document's list.
 */
function scheduleSlots(
  instance: Instance,
  ctx: RequestContext,
  change: Row,
  third: string | undefined
): Reply {
  const id = change.sys_id ?? ''
  if (third === 'first_available' && ctx.method === 'PATCH') {
    checkAccess(ctx.user, 'change_request', 'Update')
    const body = readJsonBody(ctx)
    const duration = Number(body.duration_in_seconds)
    if (
      body.duration_in_seconds === undefined ||
      body.duration_in_seconds === '' ||
      !Number.isInteger(duration) ||
      duration <= 0
    )
      throw badRequest('The duration_in_seconds value is invalid or missing')
    const given = body.planned_start_time
    const from =
      given === undefined ? instance.now() : glideMs(String(given ?? ''))
    if (!Number.isFinite(from))
      throw badRequest('Invalid planned_start_time value provided')
    if ((change.cmdb_ci ?? '') === '')
      throw badRequest(
        'The change request does not have an associated configuration item'
      )
    const request = {change_sys_id: id, duration_in_seconds: duration}
    const worker = instance.workers.start('schedule', id, request, () => {
      const slot = firstAvailable(
        instance,
        change,
        from,
        duration * 1000,
        SCHEDULE_WINDOW_DAYS * 24 * 3_600_000
      )
      if (slot === undefined)
        return {
          state: 'complete',
          messages: {
            infoMessages: [
              `No slots found for ${SCHEDULE_WINDOW_DAYS} days from now`
            ]
          }
        }
      instance.store.update(
        'change_request',
        change,
        {start_date: glideAt(slot.start), end_date: glideAt(slot.end)},
        ctx.user.user_name ?? 'system'
      )
      return {
        state: 'complete',
        messages: {infoMessages: ['Change has been updated']}
      }
    })
    return json(202, {result: instance.workers.show(worker, ctx.baseUrl)})
  }
  if (third === undefined && ctx.method === 'GET') {
    checkAccess(ctx.user, 'change_request', 'Update')
    const window = windowOf(change)
    if (window === undefined)
      throw badRequest(
        'The change request is missing the planned start and end times'
      )
    if ((change.cmdb_ci ?? '') === '')
      throw badRequest(
        'The change request does not have an associated configuration item'
      )
    const worker = instance.workers.start(
      'schedule',
      id,
      {change_sys_id: id},
      () => {
        const spans = freeSpans(instance, change, window.end - window.start)
        return {
          state: 'complete',
          payload: {
            spans: spans.map(s => ({
              start: {value: glideAt(s.start), display_value: glideAt(s.start)},
              end: {value: glideAt(s.end), display_value: glideAt(s.end)}
            }))
          }
        }
      }
    )
    return json(202, {result: instance.workers.show(worker, ctx.baseUrl)})
  }
  throw noResource()
}

/** Up to 10 free spans of the change's length, each after the last (change.conflict.next_available.choice_limit is larger). */
function freeSpans(
  instance: Instance,
  change: Row,
  duration: number
): {start: number; end: number}[] {
  const spans: {start: number; end: number}[] = []
  let from = instance.now()
  const horizon = from + SCHEDULE_WINDOW_DAYS * 24 * 3_600_000
  while (spans.length < 10) {
    const slot = firstAvailable(
      instance,
      change,
      from,
      duration,
      horizon - from
    )
    if (slot === undefined) break
    spans.push(slot)
    from = slot.end
  }
  return spans
}

/**
 * POST /change/{sys_id}/ci (202, a worker of the association's type) and GET /change/{sys_id}/ci
 * (the associated CIs). Messages are the document's examples: "Invalid CMDB_CI sys_id provided",
 * "CMDB_CI sys_id already associated to provided."
 */
function ciRoute(
  instance: Instance,
  ctx: RequestContext,
  change: Row,
  show: Show
): Reply {
  const id = change.sys_id ?? ''
  const TYPES = ['affected', 'impacted', 'offering']
  if (ctx.method === 'GET') {
    checkAccess(ctx.user, 'change_request', 'Read')
    const type = param(ctx, 'association_type')
    if (type === undefined || !TYPES.includes(type))
      throw badRequest(
        'association_type is required: affected, impacted or offering'
      )
    const rows =
      type === 'affected'
        ? instance.store.rows('task_ci').filter(r => r.task === id)
        : []
    return json(200, {
      result: rows.map(r => ({
        ...show('task_ci', r),
        sys_id: {value: id, display_value: id}
      }))
    })
  }
  if (ctx.method !== 'POST') throw noResource()
  checkAccess(ctx.user, 'change_request', 'Update')
  const body = readJsonBody(ctx)
  const type = body.association_type
  const raw = body.cmdb_ci_sys_ids
  const ids = Array.isArray(raw)
    ? raw.map(String)
    : typeof raw === 'string'
      ? raw.split(',').map(s => s.trim())
      : undefined
  if (ids === undefined || ids.length === 0 || ids.every(i => i === ''))
    throw badRequest('cmdb_ci_sys_ids is required')
  if (typeof type !== 'string' || !TYPES.includes(type))
    throw badRequest(
      'association_type is required: affected, impacted or offering'
    )
  const request = {cmdb_ci_sys_ids: ids, association_type: type, task: id}
  const worker = instance.workers.start(type, id, request, () => {
    const errorMessages: string[] = []
    const infoMessages: string[] = []
    let added = 0
    for (const ci of ids) {
      if (instance.store.get('cmdb_ci', ci) === undefined) {
        errorMessages.push(`Invalid CMDB_CI sys_id provided: ${ci}`)
        continue
      }
      if (type !== 'affected' || cisOf(instance, change).includes(ci)) {
        infoMessages.push('CMDB_CI sys_id already associated to provided.')
        continue
      }
      instance.store.insert('task_ci', {task: id, ci_item: ci}, 'system')
      added++
    }
    return {
      state: added === 0 && errorMessages.length > 0 ? 'error' : 'complete',
      messages: {errorMessages, infoMessages}
    }
  })
  return json(202, {result: instance.workers.show(worker, ctx.baseUrl)})
}

/**
 * PATCH /change/{sys_id}/risk: the instance's risk conditions evaluated, the record answered.
 * The simulator's conditions stand for an instance's (Change Risk Calculation): a change on a
 * business service (cmdb_ci_service) is High risk, Medium impact; an emergency change is High
 * risk; otherwise risk and impact stay as they are.
 */
function riskRoute(
  instance: Instance,
  ctx: RequestContext,
  change: Row,
  show: Show
): Reply {
  checkAccess(ctx.user, 'change_request', 'Update')
  if (!instance.riskApi) throw noResource()
  const ci = instance.store.get('cmdb_ci', change.cmdb_ci ?? '')
  const values: Row = {}
  if (ci?.sys_class_name === 'cmdb_ci_service') {
    values.risk = '2'
    values.impact = '2'
  } else if (change.type === 'emergency') values.risk = '2'
  if (Object.keys(values).length > 0)
    instance.store.update('change_request', change, values, 'system')
  return json(200, {result: show('change_request', change)})
}

const noResource = (): SnError =>
  new SnError(400, 'Requested URI does not represent any resource', null)

/** The CM API's 400 for a bad request (the wording is UNVERIFIED; the conditions are the document's). */
const badRequest = (detail: string): SnError =>
  new SnError(400, 'Bad Request', detail)
