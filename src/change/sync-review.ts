import type {ServiceNowClient} from '../servicenow/client.js'
import {
  CHANGE_RECORD_FIELDS,
  toChangeRecord,
  type ChangeRecord
} from '../servicenow/change-record.js'
import {isTerminal} from '../servicenow/change-model.js'
import {OWN_MARK} from '../servicenow/change-task.js'
import {valueOf} from '../servicenow/fields.js'
import {query} from '../servicenow/query.js'
import type {ChangeDeps} from './deps.js'
import {evaluate} from './wait-loop.js'
import {rejectionMessage} from './wait-policy.js'
import {cancellationMessage} from './who-canceled.js'

/**
 * The ServiceNow side of the sync step (issue 13): the change request a workflow run made for
 * an environment, and what its state says of the deployment waiting on GitHub.
 */

/** What to do with a deployment waiting on GitHub for review. */
export type ReviewDecision =
  | {kind: 'approve'; comment: string}
  | {kind: 'reject'; comment: string}
  | {kind: 'wait'; why: string}

/**
 * The change `create` made for this run and environment: its default correlation id is
 * <owner/repo>/<run id>/<job>/<environment> and it carries the action's mark. An open one
 * first (the oldest, as duplicates are settled), else the newest that ended. A change made with
 * a correlation_id of one's own is not found: the sync step says so.
 */
export async function findRunChange(
  client: ServiceNowClient,
  repository: string,
  runId: number,
  environment: string
): Promise<ChangeRecord | undefined> {
  const prefix = `${repository}/${runId}/`
  const page = await client.table.list('change_request', {
    query: query()
      .startsWith('correlation_id', prefix)
      .eq('correlation_display', OWN_MARK)
      .orderBy('sys_created_on')
      .orderBy('number'),
    fields: [...CHANGE_RECORD_FIELDS, 'correlation_display'],
    displayValue: 'all',
    excludeReferenceLink: true,
    limit: 50
  })
  const states = await client.changes.states()
  // Checked again here: the query is the instance's, and a proxy may answer another. After the
  // prefix comes the job id, which has no slash (GitHub: a job id holds letters, digits, - and
  // _), then the environment, whole: a change for canary/production is not production's.
  const environmentOf = (id: string): string =>
    id.slice(prefix.length).split('/').slice(1).join('/')
  const mine = page.records
    .filter(
      r =>
        valueOf(r, 'correlation_display') === OWN_MARK &&
        valueOf(r, 'correlation_id').startsWith(prefix) &&
        sameEnvironment(
          environmentOf(valueOf(r, 'correlation_id')),
          environment
        )
    )
    .map(r => toChangeRecord(r, client.baseUrl, states))
  return mine.find(c => !isTerminal(c.stateLabel)) ?? mine.at(-1)
}

/** GitHub environment names are case-insensitive: `Production` and `production` are one. */
export function sameEnvironment(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase()
}

/**
 * Approve when the change may be implemented now (the wait's own rule: approved and Scheduled
 * or Implement, not on hold, within its window when honor_change_window), naming the change and
 * who approved it; reject when it was rejected, canceled, already done or its window ended,
 * with the approver's comment; otherwise leave it waiting, saying why.
 */
export async function decideReview(
  deps: ChangeDeps,
  record: ChangeRecord,
  now: number,
  honorChangeWindow: boolean
): Promise<ReviewDecision> {
  const {client} = deps
  const verdict = evaluate(record, now, {
    proceedWhen: 'approved',
    honorChangeWindow
  })
  if (verdict.kind === 'wait') return {kind: 'wait', why: verdict.why}
  const approvers = await client.approvers(record.sysId).catch(() => [])
  if (verdict.kind === 'proceed') {
    const names = approvers.filter(a => a.state === 'approved').map(a => a.name)
    return {
      kind: 'approve',
      comment: `${record.number} is approved in ServiceNow${names.length === 0 ? '' : ` by ${names.join(', ')}`} (${record.stateLabel}): ${record.url}`
    }
  }
  let why = `${verdict.reason}.`
  if (verdict.decision === 'rejected') why = rejectionMessage(record, approvers)
  if (verdict.decision === 'canceled' && record.stateLabel === 'canceled')
    why = await cancellationMessage(client, record).catch(() => why)
  return {kind: 'reject', comment: `${why} ${record.url}`}
}
