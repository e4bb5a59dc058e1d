import type {Connection} from './connection.js'
import {ServiceNowError} from './errors.js'
import {
  field,
  formatGlideDate,
  isRecord,
  shown,
  single,
  type FieldValue,
  type RawRecord
} from './fields.js'
import {checkSysId, isSysId} from './ids.js'
import {parseWorker, type WorkerStatus} from './cm-worker.js'
import type {Reference} from './change-record.js'

/**
 * The schedule side of the Change Management API (change-management-api.md):
 * conflict checking, the first available slot, CI association and risk. Each is
 * asynchronous but risk; none has a Table API equivalent, so on an instance
 * without the API they fail with isMissingApi (change-api.ts) and the caller
 * says what it could not do.
 */
const BASE = '/api/sn_chg_rest/change'

/** One conflict the instance found (table conflict; fields from t_RunManualConflictDetection.md). */
export interface ConflictRow {
  /** The type's value: `not_in_maintenance_window` is the document's; the others are read by label too. */
  type: string
  /** Its label: "CI Already Scheduled", "Blackout", "Not In Maintenance Window", … */
  typeLabel: string
  /** The other change ("Conflicting change"), for a change already scheduled on the CI. */
  conflictingChange: Reference | undefined
  /** The CI the conflict is on ("Affected CI"). */
  ci: Reference | undefined
  /** The blackout or maintenance schedule causing it ("Schedule"). */
  schedule: Reference | undefined
}

/** What GET /change/{sys_id}/conflict says about the last run. */
export interface ConflictRun {
  /** "Conflict" after any completed run, even one that found none (the document's note); "Not Run" before. */
  status: string
  /**
   * The run's job status: the document's examples show "2" for a finished run. The other values
   * are UNVERIFIED; they are read as sys_execution_tracker's (0 pending, 1 running, 2 successful,
   * 3 failed, 4 cancelled).
   */
  jobStatus: string
  lastRun: string
  conflicts: ConflictRow[]
}

/** POST /change/{sys_id}/conflict: starts conflict checking; answers the sys_id of the run. */
export async function startConflictCheck(
  conn: Connection,
  changeSysId: string
): Promise<string> {
  checkSysId(changeSysId, 'change_sys_id')
  const path = `${BASE}/${changeSysId}/conflict`
  // Starting a check twice only checks twice: safe to retry after a lost answer.
  const response = await conn.request({method: 'POST', path, idempotent: true})
  const result = (response.body as {result?: unknown} | undefined)?.result
  if (typeof result !== 'string' || !isSysId(result))
    throw invalid('POST', path, response.body, 'the sys_id of a conflict run')
  return result
}

/** GET /change/{sys_id}/conflict: the running or last completed run and its conflicts. */
export async function readConflicts(
  conn: Connection,
  changeSysId: string
): Promise<ConflictRun> {
  checkSysId(changeSysId, 'change_sys_id')
  const path = `${BASE}/${changeSysId}/conflict`
  const response = await conn.request({method: 'GET', path})
  const result = single(
    (response.body as {result?: unknown} | undefined)?.result
  )
  const list = result.conflicts
  if (typeof result.status !== 'string' || !Array.isArray(list))
    throw invalid('GET', path, response.body, 'a conflict checking status')
  return {
    status: result.status,
    jobStatus: text(result.job_status),
    lastRun: text(result.last_run),
    conflicts: list.filter(isRecord).map(toConflict)
  }
}

function toConflict(raw: RawRecord): ConflictRow {
  const type = field(raw, 'type')
  return {
    type: type.value ?? '',
    typeLabel: type.display ?? type.value ?? 'conflict',
    conflictingChange: reference(field(raw, 'conflicting_change')),
    ci: reference(field(raw, 'configuration_item')),
    schedule: reference(field(raw, 'schedule'))
  }
}

function reference(value: FieldValue): Reference | undefined {
  return value.value === undefined || value.value === ''
    ? undefined
    : {sysId: value.value, display: value.display}
}

function text(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number'
    ? String(value)
    : ''
}

/**
 * PATCH /change/{sys_id}/schedule/first_available: asks the instance to move the change's
 * planned start and end to the first free slot of this length, from `from` (or now). 202 and
 * a worker; the worker's info message says "Change has been updated" or "No slots found for
 * <n> days from now".
 */
export async function requestFirstAvailable(
  conn: Connection,
  changeSysId: string,
  durationSeconds: number,
  from: Date | undefined
): Promise<WorkerStatus> {
  checkSysId(changeSysId, 'change_sys_id')
  const path = `${BASE}/${changeSysId}/schedule/first_available`
  const response = await conn.request({
    method: 'PATCH',
    path,
    json: {
      duration_in_seconds: durationSeconds,
      ...(from === undefined ? {} : {planned_start_time: formatGlideDate(from)})
    }
  })
  return parseWorker(response.body, path)
}

/**
 * POST /change/{sys_id}/ci: associates CIs as affected. 202 and a worker; already associated
 * ones are an info message, so repeating it (a re-run) adds nothing twice.
 */
export async function associateAffectedCis(
  conn: Connection,
  changeSysId: string,
  ciSysIds: string[]
): Promise<WorkerStatus> {
  checkSysId(changeSysId, 'change_sys_id')
  for (const id of ciSysIds) checkSysId(id, 'configuration item sys_id')
  const path = `${BASE}/${changeSysId}/ci`
  const response = await conn.request({
    method: 'POST',
    path,
    idempotent: true,
    json: {cmdb_ci_sys_ids: ciSysIds, association_type: 'affected'}
  })
  return parseWorker(response.body, path)
}

export interface RiskReading {
  risk: FieldValue
  impact: FieldValue
}

/**
 * PATCH /change/{sys_id}/risk: the instance evaluates its risk conditions and answers the
 * record with risk and impact. The document's heading names it for standard changes
 * (/change/standard/{sys_id}/risk) while its URL format is /change/{sys_id}/risk; the latter
 * is what is sent.
 */
export async function evaluateRisk(
  conn: Connection,
  changeSysId: string
): Promise<RiskReading> {
  checkSysId(changeSysId, 'change_sys_id')
  const path = `${BASE}/${changeSysId}/risk`
  const response = await conn.request({method: 'PATCH', path})
  const record = single(
    (response.body as {result?: unknown} | undefined)?.result
  )
  const risk = field(record, 'risk')
  if (risk.value === undefined && risk.display === undefined)
    throw invalid('PATCH', path, response.body, 'a change with its risk')
  return {risk, impact: field(record, 'impact')}
}

function invalid(
  method: string,
  path: string,
  body: unknown,
  expected: string
): ServiceNowError {
  return new ServiceNowError({
    kind: 'invalid-response',
    method,
    path,
    message: `the instance answered ${shown(body)} where ${expected} was expected`
  })
}
