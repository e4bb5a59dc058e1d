import {APPROVAL_PAGE} from './approval-page.js'
import type {Attachments} from './attachments.js'
import {SnError} from './errors.js'
import type {FaultRule, Faults} from './faults.js'
import type {Instance} from './instance.js'
import type {OAuthServer} from './oauth.js'
import type {OidcSignIn} from './oidc.js'
import type {RateLimiter} from './rate-limit.js'
import type {Reply} from './reply.js'
import {addSchedule} from './schedules.js'
import type {Row} from './store.js'

/** Settings that can change while the simulator runs (admin API: PATCH /__sim/config). */
export interface LiveSettings {
  latencyMs: number
  hibernating: boolean
  changeApi: boolean
}

/**
 * The parts of a running simulator its controls reach. Named here, not taken from server.ts's
 * class, so that the server imports its routes and the routes do not import the server back.
 */
export interface SimulatorControls {
  readonly instance: Instance
  readonly oauth: OAuthServer
  readonly oidc: OidcSignIn
  readonly faults: Faults
  readonly rateLimiter: RateLimiter
  readonly attachments: Attachments
  /** The request log: read and cleared here, written by the server. */
  readonly log: unknown[]
  readonly settings: LiveSettings
}

/**
 * /__sim/…: the simulator's own controls, no authentication (it listens on
 * loopback). Tests and the demo use them to decide approvals, inject faults
 * and read the request log and the reasons OIDC tokens were refused.
 */
export function adminRoute(
  sim: SimulatorControls,
  method: string,
  url: URL,
  body: Buffer
): Reply {
  const path = url.pathname.slice('/__sim'.length)
  const input = parse(body)
  const ok = (json: unknown = {ok: true}): Reply => ({status: 200, json})

  if (path === '/health') return ok()
  if (path === '/approvals' && method === 'GET')
    return {
      status: 200,
      raw: {data: APPROVAL_PAGE, contentType: 'text/html; charset=utf-8'}
    }
  if (path === '/requests') {
    if (method === 'DELETE') {
      sim.log.length = 0
      return ok()
    }
    return ok(sim.log)
  }
  if (path === '/faults') {
    if (method === 'DELETE') {
      sim.faults.clear()
      return ok()
    }
    if (method === 'POST')
      return ok({id: sim.faults.add(input as unknown as FaultRule)})
    return ok(sim.faults.list())
  }
  if (path === '/config' && method === 'GET')
    return ok({approval: sim.instance.config.approval, ...sim.settings})
  if (path === '/config' && (method === 'PATCH' || method === 'POST')) {
    if (typeof input.latencyMs === 'number')
      sim.settings.latencyMs = input.latencyMs
    if (typeof input.hibernating === 'boolean')
      sim.settings.hibernating = input.hibernating
    if (typeof input.changeApi === 'boolean')
      sim.settings.changeApi = input.changeApi
    if (typeof input.riskApi === 'boolean')
      sim.instance.config.riskApi = input.riskApi
    if (typeof input.workerDelayMs === 'number')
      sim.instance.workers.delayMs = input.workerDelayMs
    if (input.rateLimit !== undefined) {
      sim.rateLimiter.config =
        input.rateLimit === null
          ? undefined
          : (input.rateLimit as {limit: number; windowMs: number})
      sim.rateLimiter.reset()
    }
    if (typeof input.approval === 'object' && input.approval !== null)
      Object.assign(sim.instance.config.approval, input.approval)
    if (
      input.transitionRefusal === 'error' ||
      input.transitionRefusal === 'ignore'
    )
      sim.instance.config.transitionRefusal = input.transitionRefusal
    if (typeof input.ignoreStateWrites === 'boolean')
      sim.instance.config.ignoreStateWrites = input.ignoreStateWrites
    if (typeof input.tokenLifetimeSeconds === 'number')
      sim.oauth.config.tokenLifetimeSeconds = input.tokenLifetimeSeconds
    if (typeof input.clientCredentials === 'boolean')
      sim.oauth.config.clientCredentials = input.clientCredentials
    if (typeof input.attachmentMaxBytes === 'number')
      sim.attachments.maxBytes = input.attachmentMaxBytes
    return ok()
  }
  if (path === '/auth-refusals') return ok(sim.oidc.refusals)
  if (path === '/schedules' && method === 'POST')
    return {status: 201, json: addSchedule(sim.instance, input)}
  if (path === '/workers' && method === 'GET')
    return ok(sim.instance.workers.list(`${url.protocol}//${url.host}`))
  if (path === '/states' && method === 'PATCH') {
    // A custom state model: { renumber: { "Implement": "5" }, add: [{ "value": "6", "label": "Pending review" }] }.
    const states = sim.instance.store.states
    for (const [label, value] of Object.entries(
      (input.renumber ?? {}) as Record<string, string>
    ))
      states.renumber(label, String(value))
    for (const extra of (input.add ?? []) as {value: string; label: string}[])
      states.add(String(extra.value), extra.label)
    sim.instance.store.writeStateChoices()
    return ok(states.choices())
  }
  if (path === '/tokens/expire' && method === 'POST') {
    sim.oauth.expireAll()
    return ok()
  }
  const change = /^\/changes\/([A-Za-z0-9]+)(?:\/(approve|reject))?$/.exec(path)
  if (change !== null) {
    const row = sim.instance.store
      .rows('change_request')
      .find(r => r.number === change[1] || r.sys_id === change[1])
    if (row === undefined)
      throw new SnError(404, `No change request ${change[1]}`, null)
    const action = change[2]
    if (action !== undefined && method === 'POST') {
      const comments =
        typeof input.comments === 'string' ? input.comments : undefined
      if (action === 'reject' && (comments ?? '').trim() === '')
        throw new SnError(400, 'Comments are required to reject', null)
      const pending = sim.instance.pendingApprovals(row)
      const byName =
        typeof input.approver === 'string'
          ? sim.instance.store
              .rows('sys_user')
              .find(u => u.user_name === input.approver)
          : undefined
      const approval =
        byName === undefined
          ? pending[0]
          : pending.find(a => a.approver === byName.sys_id)
      if (approval === undefined) {
        throw new SnError(
          409,
          `${row.number} has no pending approval${byName === undefined ? '' : ` for ${input.approver}`}`,
          `state ${row.state}, approval ${row.approval}`
        )
      }
      sim.instance.decide(
        approval,
        action === 'approve' ? 'approved' : 'rejected',
        comments
      )
    }
    return ok(summary(sim, row))
  }
  if (path === '/changes' && method === 'GET')
    return ok(
      sim.instance.store.rows('change_request').map(r => summary(sim, r))
    )
  throw new SnError(
    404,
    `No simulator endpoint ${method} ${url.pathname}`,
    null
  )
}

function summary(sim: SimulatorControls, row: Row): Record<string, unknown> {
  const store = sim.instance.store
  return {
    number: row.number,
    sys_id: row.sys_id,
    type: row.type,
    state: row.state,
    state_label: sim.instance.store.states.label(row.state ?? ''),
    approval: row.approval,
    short_description: row.short_description,
    correlation_id: row.correlation_id,
    close_code: row.close_code,
    approvers: store
      .rows('sysapproval_approver')
      .filter(a => a.sysapproval === row.sys_id)
      .map(a => ({
        approver: store.displayOf('sys_user', a.approver ?? ''),
        user: store.get('sys_user', a.approver ?? '')?.user_name,
        state: a.state,
        comments: store
          .journal(a.sys_id ?? '', 'comments')
          .map(j => j.value)
          .join('\n')
      })),
    work_notes: store.journal(row.sys_id ?? '', 'work_notes').map(j => j.value),
    attachments: sim.attachments
      .forRecord(row.sys_id ?? '')
      .map(a => a.file_name)
  }
}

function parse(body: Buffer): Record<string, unknown> {
  const text = body.toString('utf8').trim()
  if (text === '') return {}
  const parsed: unknown = JSON.parse(text)
  return parsed !== null && typeof parsed === 'object'
    ? (parsed as Record<string, unknown>)
    : {}
}
