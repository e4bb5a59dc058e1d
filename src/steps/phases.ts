import * as core from '@actions/core'
import {info} from './log.js'
import {createOrAdopt, type CreateOutcome} from '../change/create-change.js'
import {
  planSchedule,
  resolveAffectedCis,
  type ScheduleReport
} from '../change/schedule-plan.js'
import type {ChangeDeps} from '../change/deps.js'
import {resolveChange} from '../change/lookup.js'
import {settleDuplicates} from '../change/duplicates.js'
import {
  concludeWait,
  waitForApproval,
  type WaitResult
} from '../change/wait-policy.js'
import {Output, SKIPPED_ENV} from '../constants.js'
import {githubErrorText} from '../github-api.js'
import type {ChangeRecord} from '../servicenow/change-record.js'
import type {ChangeRef} from '../settings/change-ref.js'
import type {ConnectionSettings} from '../settings/connection.js'
import type {CreateSettings} from '../settings/create.js'
import type {RunContext} from '../github-context.js'
import {deploymentEvidence, type Evidence} from '../github-evidence.js'
import {deploymentLine} from '../change/deployment-line.js'
import type {WaitOptions} from '../settings/wait.js'
import {
  approversJson,
  setChangeOutputs,
  setConflictOutputs,
  setScheduleOutputs
} from './summary.js'
import type {StepContext} from './step.js'

/**
 * The phases the split steps and the all-in-one gate share. They take the
 * change they act on as an argument and never know where it came from.
 */

export function reportSkipped(environment: string): void {
  info(
    `Environment '${environment}' is not change-controlled: no change request, and later steps of this action pass through.`
  )
  core.setOutput(Output.Skipped, 'true')
  core.setOutput(Output.Created, 'false')
  core.exportVariable(SKIPPED_ENV, 'true')
}

/**
 * The change a wait, update or close step acts on, with a client for it; undefined
 * (outputs skipped=true) when create skipped this environment.
 */
export async function openChange(
  ctx: StepContext,
  settings: {connection: ConnectionSettings; change: ChangeRef},
  verb: string,
  /** For the wait: its reads ride out a rate limit until the wait's own deadline, not rate_limit_wait_minutes. */
  until?: number
): Promise<{deps: ChangeDeps; record: ChangeRecord} | undefined> {
  if (settings.change.kind === 'skipped') {
    core.setOutput(Output.Skipped, 'true')
    info(`No change request for this environment: nothing to ${verb}.`)
    return undefined
  }
  const deps = ctx.deps(settings.connection)
  const {client} = deps
  const ref = settings.change
  const open = async (): Promise<ChangeRecord> => {
    const record = await resolveChange(client, ref)
    await settleDuplicates(deps, record)
    return record
  }
  const record =
    until === undefined
      ? await open()
      : await client.connection.within(until, open)
  return {deps, record}
}

/**
 * Adds the commits going out to the description the action writes (to the work
 * note for a standard change, whose description is the template's). Without a
 * token it says so once and the description keeps the run link and commit.
 * Then, for any deployment to an environment (a description given too), the
 * machine-readable line the report reads (change/deployment-line.ts).
 */
export async function addEvidence(
  settings: CreateSettings,
  run: RunContext
): Promise<void> {
  if (settings.environment === '') return
  const evidence = await commitsGoingOut(settings, run)
  const field = settings.type === 'standard' ? 'work_notes' : 'description'
  // The machine-readable line last, after any cut to the field's 4000 characters.
  const line = deploymentLine({
    environment: settings.environment,
    commits: evidence?.commits,
    oldestCommit: evidence?.oldest,
    newestCommit: evidence?.newest
  })
  const text = `${settings.fields[field] ?? ''}\n\n${evidence?.text ?? ''}`
    .trim()
    .slice(0, 4000 - line.length - 2)
  settings.fields[field] = `${text}\n\n${line}`.trim()
}

/** The commits going out, when the description is ours and a token can read them. */
async function commitsGoingOut(
  settings: CreateSettings,
  run: RunContext
): Promise<Evidence | undefined> {
  if (!settings.describeFromContext) return undefined
  if (settings.githubToken === '') {
    info(
      'No github_token: the description names the run and the commit, not the commits going out.'
    )
    return undefined
  }
  try {
    const evidence = await deploymentEvidence(
      settings.githubToken,
      run,
      settings.environment
    )
    if (evidence !== undefined)
      info(
        `${evidence.commits} commit(s) since the last successful deployment to ${settings.environment}.`
      )
    return evidence
  } catch (error) {
    core.warning(
      `Could not read the commits going out from GitHub (${githubErrorText(error)}); the description names the run and the commit.`
    )
    return undefined
  }
}

/** Create or adopt, then settle the change's schedule (schedule-plan.ts) before approval is asked. */
export async function createPhase(
  ctx: StepContext,
  settings: CreateSettings
): Promise<CreateOutcome & {schedule: ScheduleReport | undefined}> {
  const started = Date.now()
  const deps = ctx.deps(settings.connection)
  let schedule: ScheduleReport | undefined
  const outcome = await core.group('Create the change request', async () => {
    // Names first: a CI that does not exist is an input error before anything is created.
    const affectedCiIds = await resolveAffectedCis(
      deps.client,
      settings.schedule.affectedCis
    )
    return createOrAdopt(deps, settings, async (record, created) => {
      const planned = await planSchedule(deps, record, {
        settings: settings.schedule,
        affectedCiIds,
        searchFrom: settings.fields.start_date,
        riskGiven: settings.fields.risk !== undefined,
        created
      })
      schedule = planned.report
      return planned.record
    })
  })
  ctx.metrics.create_seconds = Math.round((Date.now() - started) / 100) / 10
  setChangeOutputs(outcome.record)
  setScheduleOutputs(outcome.record, schedule)
  core.setOutput(Output.Created, String(outcome.created))
  core.setOutput(Output.Skipped, 'false')
  core.notice(
    `${outcome.record.number} ${outcome.created ? 'created' : 'adopted'}: ${outcome.record.url}`,
    {title: 'ServiceNow change request'}
  )
  return {...outcome, schedule}
}

/** Waits (the loop in its own log group), concludes by the wait policy, then sets the outputs. */
export async function waitPhase(
  ctx: StepContext,
  deps: ChangeDeps,
  start: ChangeRecord,
  options: WaitOptions,
  signal: AbortSignal
): Promise<WaitResult> {
  const outcome = await core.group(
    `Wait for ${start.number} to be approved`,
    () => waitForApproval(deps, start, options, signal)
  )
  const result = await concludeWait(deps, start, outcome, options)
  const {record} = result
  setChangeOutputs(record)
  core.setOutput(Output.Decision, result.decision)
  core.setOutput(Output.Approvers, approversJson(result.approvers))
  ctx.metrics.waited_seconds = Math.round(outcome.waitedMs / 1000)
  core.setOutput(Output.WaitedSeconds, String(ctx.metrics.waited_seconds))
  setConflictOutputs(
    result.conflicts ?? {kind: 'not-checked', why: 'no check was made'}
  )
  if (result.ok)
    info(
      `${record.number} may be implemented (${record.stateLabel}, approval ${record.approval}).`
    )
  return result
}
