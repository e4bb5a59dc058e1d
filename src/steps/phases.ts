import * as core from '@actions/core'
import { info } from './log.js'
import { createOrAdopt, type CreateOutcome } from '../change/create-change.js'
import type { ChangeDeps } from '../change/deps.js'
import { pollChange, readChange, resolveChange } from '../change/lookup.js'
import { cancelChange } from '../change/move.js'
import { settleDuplicates } from '../change/duplicates.js'
import { cancellationMessage } from '../change/who-canceled.js'
import { waitForDecision, type WaitOutcome } from '../change/wait-loop.js'
import { Output, SKIPPED_ENV } from '../constants.js'
import type { Approver } from '../servicenow/approvers.js'
import type { ChangeRecord } from '../servicenow/change-record.js'
import { systemClock } from '../servicenow/clock.js'
import type { ChangeRef } from '../settings/change-ref.js'
import type { ConnectionSettings } from '../settings/connection.js'
import type { CreateSettings } from '../settings/create.js'
import type { RunContext } from '../github-context.js'
import { deploymentEvidence } from '../github-evidence.js'
import type { WaitOptions } from '../settings/wait.js'
import { approversJson, setChangeOutputs } from './summary.js'
import type { StepContext } from './step.js'

/**
 * The phases the split steps and the all-in-one gate share. They take the
 * change they act on as an argument and never know where it came from.
 */

export function reportSkipped(environment: string): void {
  info(`Environment '${environment}' is not change-controlled: no change request, and later steps of this action pass through.`)
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
  settings: { connection: ConnectionSettings; change: ChangeRef },
  verb: string,
  /** For the wait: its reads ride out a rate limit until the wait's own deadline, not rate_limit_wait_minutes. */
  until?: number
): Promise<{ deps: ChangeDeps; record: ChangeRecord } | undefined> {
  if (settings.change.kind === 'skipped') {
    core.setOutput(Output.Skipped, 'true')
    info(`No change request for this environment: nothing to ${verb}.`)
    return undefined
  }
  const deps = ctx.deps(settings.connection)
  const { client } = deps
  const ref = settings.change
  const open = async (): Promise<ChangeRecord> => {
    const record = await resolveChange(client, ref)
    await settleDuplicates(deps, record)
    return record
  }
  const record = until === undefined ? await open() : await client.connection.within(until, open)
  return { deps, record }
}

/**
 * Adds the commits going out to the description the action writes (to the work
 * note for a standard change, whose description is the template's). Without a
 * token it says so once and the description keeps the run link and commit.
 */
export async function addEvidence(settings: CreateSettings, run: RunContext): Promise<void> {
  if (!settings.describeFromContext || settings.environment === '') return
  if (settings.githubToken === '') {
    info('No github_token: the description names the run and the commit, not the commits going out.')
    return
  }
  try {
    const evidence = await deploymentEvidence(settings.githubToken, run, settings.environment)
    if (evidence === undefined) return
    const field = settings.type === 'standard' ? 'work_notes' : 'description'
    settings.fields[field] = `${settings.fields[field] ?? ''}\n\n${evidence.text}`.trim().slice(0, 4000)
    info(`${evidence.commits} commit(s) since the last successful deployment to ${settings.environment}.`)
  } catch (error) {
    core.warning(`Could not read the commits going out from GitHub (${error instanceof Error ? error.message : String(error)}); the description names the run and the commit.`)
  }
}

export async function createPhase(ctx: StepContext, settings: CreateSettings): Promise<CreateOutcome> {
  const started = Date.now()
  const outcome = await core.group('Create the change request', () => createOrAdopt(ctx.deps(settings.connection), settings))
  ctx.metrics.create_seconds = Math.round((Date.now() - started) / 100) / 10
  setChangeOutputs(outcome.record)
  core.setOutput(Output.Created, String(outcome.created))
  core.setOutput(Output.Skipped, 'false')
  core.notice(`${outcome.record.number} ${outcome.created ? 'created' : 'adopted'}: ${outcome.record.url}`, { title: 'ServiceNow change request' })
  return outcome
}

export interface WaitPhaseResult {
  ok: boolean
  message: string
  outcome: WaitOutcome
  record: ChangeRecord
  approvers: Approver[]
}

export async function waitPhase(ctx: StepContext, deps: ChangeDeps, start: ChangeRecord, options: WaitOptions, signal: AbortSignal): Promise<WaitPhaseResult> {
  const { client } = deps
  // No retry or rate-limit wait inside a poll may outlast the wait itself (check once means once).
  const until = systemClock.now() + options.timeoutMs
  const outcome = await core.group(`Wait for ${start.number} to be approved`, () =>
    waitForDecision({
      ...options,
      clock: systemClock,
      random: Math.random,
      poll: () => client.connection.within(until, () => pollChange(client, start.sysId)),
      signal,
      info,
      warn: core.warning,
      onChange: (r) => ctx.timeline.add(`seen ${r.stateLabel ?? r.stateName}, approval ${r.approval}`)
    })
  )
  // The full record once (the polls asked only for what the decision needs); a cancel re-reads it itself.
  const last = outcome.record ?? start
  let record = await readChange(client, last.sysId).catch(() => last)
  let message = ''
  const ok = outcome.decision === 'approved'
  if (!ok) {
    message = outcome.reason.endsWith('.') || outcome.reason.endsWith(')') ? outcome.reason : `${outcome.reason}.`
    const cancelNote =
      outcome.decision === 'timeout' && options.onTimeout === 'cancel'
        ? `Canceled by the pipeline: ${outcome.reason}.`
        : outcome.decision === 'aborted' && options.cancelOnAbort
          ? 'Canceled by the pipeline: the GitHub workflow run was cancelled while waiting for approval.'
          : undefined
    if (cancelNote !== undefined) {
      try {
        record = await cancelChange(deps, record, cancelNote)
        message += ` ${record.number} was canceled.`
      } catch (error) {
        message += ` Canceling ${record.number} failed: ${error instanceof Error ? error.message : String(error)}`
      }
    }
  }
  const approvers = await client.approvers(record.sysId).catch((error: unknown) => {
    core.warning(`Could not read the approvers of ${record.number}: ${error instanceof Error ? error.message : String(error)}`)
    return [] as Approver[]
  })
  if (outcome.decision === 'rejected') message = rejectionMessage(record, approvers)
  if (outcome.decision === 'canceled' && record.stateLabel === 'canceled') message = await cancellationMessage(client, record).catch(() => message)
  setChangeOutputs(record)
  core.setOutput(Output.Decision, outcome.decision === 'aborted' ? 'canceled' : outcome.decision)
  core.setOutput(Output.Approvers, approversJson(approvers))
  ctx.metrics.waited_seconds = Math.round(outcome.waitedMs / 1000)
  core.setOutput(Output.WaitedSeconds, String(ctx.metrics.waited_seconds))
  if (ok) info(`${record.number} may be implemented (${record.stateLabel}, approval ${record.approval}).`)
  return { ok, message, outcome, record, approvers }
}

/** Who rejected it and what they said: the first thing a person needs. */
function rejectionMessage(record: ChangeRecord, approvers: Approver[]): string {
  const rejected = approvers.filter((a) => a.state === 'rejected')
  if (rejected.length === 0) return `${record.number} was rejected.`
  const who = rejected.map((a) => `${a.name}${a.comments ? `: "${a.comments}"` : ' (no comment)'}`).join('; ')
  return `${record.number} was rejected by ${who}.`
}
