import type {RunContext} from '../github-context.js'
import type {ChangeRecord} from '../servicenow/change-record.js'
import type {ServiceNowClient} from '../servicenow/client.js'
import {toIncident, type IncidentRecord} from '../servicenow/incidents.js'
import {valueOf} from '../servicenow/fields.js'
import {query} from '../servicenow/query.js'
import {oneLine} from '../servicenow/text.js'
import {isTerminal} from '../servicenow/change-model.js'
import {
  claimsSuccess,
  type CloseOptions,
  type JobResult
} from '../settings/close.js'
import {finishOwnTasks} from './change-tasks.js'
import {readChange} from './lookup.js'
import type {ChangeDeps} from './deps.js'
import {cancelChange, moveChange, TransitionError} from './move.js'
import {onHoldRefusal} from './transition-check.js'

export interface CloseOutcome {
  record: ChangeRecord
  /** What was done: closed, canceled, or nothing because it was already final. */
  action: 'closed' | 'canceled' | 'none'
  incident: IncidentRecord | undefined
}

export interface ClosePlan {
  target: 'closed' | 'canceled'
  closeCode: string
}

/**
 * success → Closed/successful; failure → Closed/unsuccessful; cancelled or
 * skipped → Canceled if implementation had not begun, else Closed/unsuccessful.
 * A close_code input overrides the code of a close; it does not turn a
 * cancelation into a close (that would claim an implementation that never began),
 * and a code claiming success (successful, successful_issues) never overrides a result that was not success (the close step
 * refuses that pair as input; the gate learns its result only at the end).
 */
export function planClose(
  record: ChangeRecord,
  result: JobResult,
  closeCode: CloseOptions['closeCode']
): ClosePlan {
  const began =
    record.stateLabel === 'implement' || record.stateLabel === 'review'
  if ((result === 'cancelled' || result === 'skipped') && !began)
    return {target: 'canceled', closeCode: ''}
  const override =
    claimsSuccess(closeCode) && result !== 'success' ? undefined : closeCode
  return {
    target: 'closed',
    closeCode:
      override ?? (result === 'success' ? 'successful' : 'unsuccessful')
  }
}

/** How the deployment ended, how to close for it, and which run it was. */
export interface CloseRequest {
  result: JobResult
  options: CloseOptions
  run: RunContext
}

export async function closeFromResult(
  deps: ChangeDeps,
  record: ChangeRecord,
  {result, options, run}: CloseRequest
): Promise<CloseOutcome> {
  const {client, info} = deps
  let incident: IncidentRecord | undefined
  if (result === 'failure' && options.openIncidentOnFailure)
    incident = await openIncident(deps, record, run)

  if (isTerminal(record.stateLabel)) {
    info(`${record.number} is already ${record.stateLabel}; nothing to close.`)
    return {record, action: 'none', incident}
  }
  const plan = planClose(record, result, options.closeCode)
  const notes =
    options.closeNotes ||
    `Deployment job result: ${result}. ${run.workflow} run #${run.runNumber} (attempt ${run.runAttempt}) by ${run.actor}: ${run.runUrl}`
  if (plan.target === 'canceled') {
    const canceled = await cancelChange(
      deps,
      record,
      `Deployment ${result} before implementation began. ${notes}`
    )
    info(
      `${canceled.number} canceled: the deployment was ${result} before implementation began.`
    )
    return {record: canceled, action: 'canceled', incident}
  }
  // Said before anything is written: finishing our tasks and then failing on the hold would leave it half-done.
  const held = onHoldRefusal(record, 'closed')
  if (held !== undefined) throw new TransitionError(held)
  await finishOwnTasks(deps, record, {
    closeCode: plan.closeCode,
    closeNotes: notes
  })
  const closed = await moveChange(deps, record, 'closed', {
    finalFields: {close_code: plan.closeCode, close_notes: notes},
    note:
      incident === undefined
        ? undefined
        : `Incident ${incident.number} opened for this failed deployment.`
  })
  // What is reported is what the record holds: another close racing this one may have written its code.
  if (closed.closeCode !== plan.closeCode) {
    throw new TransitionError(
      `${closed.number} is ${closed.stateName} with close code ${closed.closeCode || '(none)'}, not ${plan.closeCode}: ${await lastUpdater(client, closed)} closed it at the same time. Look at the change's history.`
    )
  }
  info(`${closed.number} closed: ${closed.closeCode}.`)
  return {record: closed, action: 'closed', incident}
}

/**
 * When the job's outcome cannot be told: never successful by default. A work note says why and
 * the change stays where it is, for a person (or the close action) to decide from what they can see.
 */
export async function leaveForAPerson(
  deps: ChangeDeps,
  record: ChangeRecord,
  why: string,
  run: RunContext
): Promise<ChangeRecord> {
  await deps.client.changes.patch(record.sysId, {
    work_notes: `The pipeline could not tell how the deployment ended (${run.runUrl}): ${why}. The change is left in ${record.stateName} for a person to close.`
  })
  return readChange(deps.client, record.sysId)
}

/** Who last wrote the change (sys_updated_by), as far as the record says. */
async function lastUpdater(
  client: ServiceNowClient,
  record: ChangeRecord
): Promise<string> {
  try {
    const by = oneLine(
      valueOf(
        await client.table.get('change_request', record.sysId, {
          fields: ['sys_updated_by']
        }),
        'sys_updated_by'
      )
    )
    return by === '' ? 'someone else' : `${by} (the last to update it)`
  } catch {
    return 'someone else'
  }
}

/**
 * An incident caused by the change, so change-failure and time-to-restore
 * figures built on change and incident records (the report step's) count it.
 * ServiceNow's DevOps Insights does not: it counts only DevOps change requests,
 * those that are part of pipeline step executions
 * (markdown/it-service-management/devops-change-velocity/devops-insights-dboard-ws.md). Idempotent: a re-run finds the open
 * incident this change already caused.
 */
async function openIncident(
  {client, info}: ChangeDeps,
  record: ChangeRecord,
  run: RunContext
): Promise<IncidentRecord> {
  const existing = await client.table.list('incident', {
    query: query()
      .eq('caused_by', record.sysId)
      .eq('active', 'true')
      .orderBy('sys_created_on'),
    fields: ['sys_id', 'number'],
    limit: 1
  })
  const found = existing.records[0]
  if (found !== undefined) {
    const incident = toIncident(found, client.baseUrl, 'GET')
    info(`Incident ${incident.number} is already open for ${record.number}.`)
    return incident
  }
  const incident = await client.createIncident({
    causedBy: record.sysId,
    short_description: `Failed deployment: ${record.shortDescription}`.slice(
      0,
      160
    ),
    description: `The deployment under change ${record.number} failed.\nRun: ${run.runUrl}\nCommit: ${run.commitUrl}\nTriggered by: ${run.actor}`,
    ...(record.cmdbCi ? {cmdb_ci: record.cmdbCi.sysId} : {}),
    ...(record.assignmentGroup
      ? {assignment_group: record.assignmentGroup.sysId}
      : {}),
    impact: '2',
    urgency: '2'
  })
  info(
    `Opened incident ${incident.number} (${incident.url}), caused by ${record.number}.`
  )
  return incident
}
