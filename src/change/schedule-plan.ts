import {isMissingApi} from '../servicenow/change-api.js'
import type {ChangeRecord} from '../servicenow/change-record.js'
import type {ServiceNowClient} from '../servicenow/client.js'
import {workerDone, type WorkerStatus} from '../servicenow/cm-worker.js'
import {ServiceNowError} from '../servicenow/errors.js'
import {parseGlideDate} from '../servicenow/fields.js'
import {
  associateAffectedCis,
  evaluateRisk,
  requestFirstAvailable
} from '../servicenow/schedule-api.js'
import {IMPACT_LEVELS, RISK_LEVELS} from '../settings/parse.js'
import type {ScheduleSettings} from '../settings/schedule.js'
import {span, type ConflictFinding} from './conflict-check.js'
import {checkAtCreate} from './conflict-policy.js'
import type {ChangeDeps} from './deps.js'
import {readChange, resolveReference} from './lookup.js'

/** How long create waits for an association or a slot the instance works out asynchronously. */
export const WORKER_LIMIT_MS = 2 * 60_000

/** What create found out about the change's schedule, for its outputs and summary. */
export interface ScheduleReport {
  conflicts: ConflictFinding | undefined
  /** Lower-case, as the risk and impact inputs take them: "high", "moderate"… */
  risk: {risk: string; impact: string} | undefined
  /** Lines for the job summary: the slot found, CIs associated, what could not be done. */
  lines: string[]
}

/** affected_cis as sys_ids, before anything is created: a name that matches no CI is an input error. */
export async function resolveAffectedCis(
  client: ServiceNowClient,
  cis: string[]
): Promise<string[]> {
  const ids: string[] = []
  for (const ci of cis)
    ids.push(
      await resolveReference(client, 'affected_cis', ci, {
        table: 'cmdb_ci',
        nameField: 'name',
        what: 'configuration item'
      })
    )
  return [...new Set(ids)]
}

/**
 * After create or adopt, before approval is requested: associate the affected CIs,
 * let ServiceNow pick the first free slot, check conflicts in the planned window,
 * read the risk. In that order, because the slot and the conflicts depend on the
 * CIs, and an approver should see the window that will be used.
 * Without the Change Management API each part says in one line that it needs it,
 * and the rest goes on (conflicts may still fail the step: on_conflict: fail).
 */
export async function planSchedule(
  deps: ChangeDeps,
  start: ChangeRecord,
  plan: {
    settings: ScheduleSettings
    affectedCiIds: string[]
    /** The start_date input (GMT), where the search for a slot begins. */
    searchFrom: string | undefined
    /** A risk input was given: the instance's evaluation would overwrite it. */
    riskGiven: boolean
    created: boolean
  }
): Promise<{record: ChangeRecord; report: ScheduleReport}> {
  const report: ScheduleReport = {
    conflicts: undefined,
    risk: undefined,
    lines: []
  }
  const say = (line: string, warn = false): void => {
    ;(warn ? deps.warn : deps.info)(line)
    report.lines.push(line)
  }
  let record = start
  if (plan.affectedCiIds.length > 0)
    await associate(deps, record, plan.affectedCiIds, say)
  const seconds = plan.settings.firstAvailableSeconds
  if (seconds !== undefined) {
    if (
      !plan.created &&
      record.startDate !== undefined &&
      record.endDate !== undefined
    )
      say(
        `${record.number} keeps its planned window ${span({start: record.startDate, end: record.endDate})}: schedule: first_available picks a slot only for a change without one.`
      )
    else
      record = await firstAvailable(deps, record, seconds, plan.searchFrom, say)
  }
  report.conflicts = await checkAtCreate(deps, record, plan.settings.onConflict)
  report.risk = await readRisk(
    deps,
    record,
    plan.created && !plan.riskGiven,
    say
  )
  return {record, report}
}

async function associate(
  deps: ChangeDeps,
  record: ChangeRecord,
  ids: string[],
  say: (line: string, warn?: boolean) => void
): Promise<void> {
  const conn = deps.client.connection
  const done = await viaWorker(deps, () =>
    associateAffectedCis(conn, record.sysId, ids)
  )
  if (done === undefined) {
    say(
      `affected_cis needs the Change Management API (sn_chg_rest), which this instance does not serve: no CI was associated with ${record.number}.`,
      true
    )
    return
  }
  if (done.state === 'error' || done.errors.length > 0)
    throw new Error(
      `Associating affected_cis with ${record.number} failed: ${[...done.errors, ...done.warnings].join('; ') || 'the worker ended in error'}.`
    )
  if (done.state !== 'complete')
    throw new Error(
      `Associating affected_cis with ${record.number} did not finish within ${WORKER_LIMIT_MS / 60_000} min; conflicts would be checked without them.`
    )
  deps.timeline?.add(`associated ${ids.length} affected CI(s)`)
  say(
    `${ids.length} affected CI${ids.length === 1 ? '' : 's'} associated with ${record.number}${done.infos.length > 0 ? ` (${done.infos.join('; ')})` : ''}.`
  )
}

async function firstAvailable(
  deps: ChangeDeps,
  record: ChangeRecord,
  seconds: number,
  searchFrom: string | undefined,
  say: (line: string, warn?: boolean) => void
): Promise<ChangeRecord> {
  const conn = deps.client.connection
  const minutes = Math.round(seconds / 60)
  if (record.cmdbCi === undefined)
    throw new Error(
      `schedule: first_available needs a configuration item on ${record.number} (cmdb_ci): ServiceNow finds a slot for a CI.`
    )
  const done = await viaWorker(deps, () =>
    requestFirstAvailable(
      conn,
      record.sysId,
      seconds,
      parseGlideDate(searchFrom)
    )
  )
  if (done === undefined) {
    say(
      `schedule: first_available needs the Change Management API (sn_chg_rest), which this instance does not serve: ${record.number} keeps the planned dates it was given${record.startDate === undefined ? ' (none)' : ''}.`,
      true
    )
    return record
  }
  const said = [...done.infos, ...done.errors].join('; ')
  if (done.state === 'error')
    throw new Error(
      `ServiceNow could not find a slot for ${record.number}: ${said || 'the worker ended in error'}.`
    )
  if (done.state !== 'complete')
    throw new Error(
      `ServiceNow did not find a slot for ${record.number} within ${WORKER_LIMIT_MS / 60_000} min.`
    )
  // change-management-api.md: "No slots found for <number> days from now" when nothing is free.
  if (/no slots? found/i.test(said))
    throw new Error(
      `No free slot of ${minutes} min for ${record.number}: ServiceNow says "${said}".`
    )
  const moved = await readChange(deps.client, record.sysId)
  if (moved.startDate === undefined || moved.endDate === undefined)
    throw new Error(
      `ServiceNow reported ${said ? `"${said}"` : 'success'} for the first available slot, but ${record.number} still has no planned window.`
    )
  const line = `ServiceNow scheduled ${moved.number} in the first free ${minutes} min slot: ${span({start: moved.startDate, end: moved.endDate})}.`
  deps.timeline?.add(line.replace(/\.$/, ''))
  say(line)
  return moved
}

/** Starts a worker and follows it; undefined when the instance has no Change Management API. */
async function viaWorker(
  deps: ChangeDeps,
  begin: () => Promise<WorkerStatus>
): Promise<WorkerStatus | undefined> {
  const {client} = deps
  if (client.changes.changeApiAvailable === false) return undefined
  const deadline = client.connection.clock.now() + WORKER_LIMIT_MS
  try {
    const started = await client.connection.within(deadline, begin)
    return await workerDone(client.connection, started, deadline)
  } catch (error) {
    if (isMissingApi(error)) return undefined
    throw error
  }
}

/**
 * Risk and impact as the instance has them: evaluated by its risk conditions (PATCH
 * /change/{sys_id}/risk, which answers the record) for a change this step created without a
 * risk input; otherwise, and where the evaluation is not served, as the record has them.
 */
async function readRisk(
  deps: ChangeDeps,
  record: ChangeRecord,
  evaluate: boolean,
  say: (line: string, warn?: boolean) => void
): Promise<{risk: string; impact: string} | undefined> {
  const {client} = deps
  if (evaluate && client.changes.changeApiAvailable !== false) {
    try {
      const r = await evaluateRisk(client.connection, record.sysId)
      return named(r.risk.value, r.impact.value)
    } catch (error) {
      const refused =
        isMissingApi(error) ||
        (error instanceof ServiceNowError &&
          error.kind === 'http' &&
          error.status === 400)
      if (!refused) throw error
      say(
        `The instance did not evaluate ${record.number}'s risk (${isMissingApi(error) ? 'its release does not serve the risk endpoint' : (error as ServiceNowError).message}); risk and impact are as recorded.`
      )
    }
  }
  // The record as last read (create's answer, or the re-read after a slot was set) has them.
  return named(record.risk, record.impact)
}

function named(
  risk: string | undefined,
  impact: string | undefined
): {risk: string; impact: string} {
  const name = (
    levels: Record<string, string>,
    v: string | undefined
  ): string =>
    Object.entries(levels).find(
      ([, value]) => value === String(Number(v))
    )?.[0] ??
    v ??
    ''
  return {risk: name(RISK_LEVELS, risk), impact: name(IMPACT_LEVELS, impact)}
}
