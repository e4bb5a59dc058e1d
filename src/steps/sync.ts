import * as core from '@actions/core'
import {info} from './log.js'
import {
  decideReview,
  findRunChange,
  sameEnvironment
} from '../change/sync-review.js'
import {Output} from '../constants.js'
import {githubApi, githubErrorText} from '../github-api.js'
import {
  reviewDeployment,
  stillWaiting,
  syncLimits,
  waitingDeployments,
  type WaitingDeployment
} from '../github-deployments.js'
import {jsonLine} from '../servicenow/text.js'
import {readSyncSettings} from '../settings/sync.js'
import {escape} from './summary-parts.js'
import {runStep} from './step.js'

/** One waiting deployment and what this sync did with it. */
export interface Reviewed {
  run_id: number
  environment: string
  change: string
  /** approved | rejected: this sync reviewed it; waiting: left as it is; already_reviewed; refused: the token may not review; skipped: not one of the environments; error: it could not be read or reviewed (why says), the next sync tries again. */
  outcome:
    | 'approved'
    | 'rejected'
    | 'waiting'
    | 'already_reviewed'
    | 'refused'
    | 'skipped'
    | 'error'
  why: string
}

/**
 * The sync step (issue 13): runs on a schedule or on repository_dispatch and holds no runner
 * while people decide. It lists the workflow runs waiting on an environment's review, finds the
 * change request each run made for that environment, and reviews the deployment from it:
 * approved when ServiceNow approved it and its window allows, rejected when ServiceNow rejected
 * or canceled it, left waiting otherwise. Each deployment is read again just before its review,
 * and a review that finds it already reviewed (another sync, a person) says so: two syncs at
 * once review each deployment once. Bounded by max_runs and time_limit_seconds.
 */
export function run(): Promise<void> {
  return runStep(async ctx => {
    const settings = readSyncSettings()
    const deps = ctx.deps(settings.connection)
    const deadline = Date.now() + settings.timeLimitMs
    // The GitHub calls get a minute past the time limit: a review begun before it may finish.
    const api = await githubApi(
      settings.githubToken,
      syncLimits(settings.maxRuns, settings.timeLimitMs + 60_000)
    )
    const waiting = await core.group('Runs waiting for a review', () =>
      waitingDeployments(api, settings.repository, settings.maxRuns)
    )
    info(
      `${waiting.deployments.length} deployments wait for a review in ${waiting.runsSeen} runs of ${settings.repository}${waiting.more ? ` (the first ${settings.maxRuns} runs; more wait)` : ''}.`
    )
    const rows: Reviewed[] = waiting.unread.map(u => ({
      run_id: u.runId,
      environment: '',
      change: '',
      outcome: 'error',
      why: `its pending deployments could not be read (${u.why})`
    }))
    for (const u of rows) core.warning(`Run ${u.run_id}: ${u.why}.`)
    for (const d of waiting.deployments) {
      const row = await core
        .group(
          `Run ${d.runId}, ${d.environment}`,
          async (): Promise<Reviewed> => {
            if (
              settings.environments.length > 0 &&
              !settings.environments.some(e =>
                sameEnvironment(e, d.environment)
              )
            )
              return outcome(
                d,
                '',
                'skipped',
                'not one of the environments this sync reviews'
              )
            if (Date.now() > deadline)
              return outcome(
                d,
                '',
                'waiting',
                'the time limit was reached first: the next sync reviews it'
              )
            const change = await findRunChange(
              deps.client,
              settings.repository,
              d.runId,
              d.environment
            )
            if (change === undefined)
              return outcome(
                d,
                '',
                'waiting',
                `no change request of this action names run ${d.runId} and ${d.environment} in its correlation id`
              )
            const decision = await decideReview(
              deps,
              change,
              Date.now(),
              settings.honorChangeWindow
            )
            if (decision.kind === 'wait')
              return outcome(d, change.number, 'waiting', decision.why)
            if (!d.canApprove)
              return outcome(
                d,
                change.number,
                'refused',
                `the token's user is not a required reviewer of ${d.environment}: add it to the environment's reviewers`
              )
            if (
              !(await stillWaiting(
                api,
                settings.repository,
                d.runId,
                d.environmentId
              ))
            )
              return outcome(
                d,
                change.number,
                'already_reviewed',
                'reviewed since it was listed'
              )
            const state = decision.kind === 'approve' ? 'approved' : 'rejected'
            const result = await reviewDeployment(
              api,
              settings.repository,
              d.runId,
              d.environmentId,
              state,
              decision.comment.slice(0, 1000)
            )
            if (result === 'already-reviewed')
              return outcome(
                d,
                change.number,
                'already_reviewed',
                // A 422 after a retried POST may be this review's own first try, whose answer was lost.
                "it was reviewed before this review's answer came: by another sync or a person, or by this very review when GitHub's first answer was lost (the run's review history says which)"
              )
            if (typeof result === 'object')
              return outcome(d, change.number, 'refused', result.refused)
            try {
              await deps.client.changes.patch(change.sysId, {
                work_notes: `GitHub deployment to ${d.environment} of run ${d.runId} ${state} by the sync step: ${decision.comment}`
              })
            } catch (error) {
              // The review stands on GitHub: said as done, with the note that is missing.
              const why = `${decision.comment} The work note saying so could not be written to ${change.number} (${error instanceof Error ? error.message : String(error)}).`
              core.warning(why)
              return outcome(d, change.number, state, why)
            }
            return outcome(d, change.number, state, decision.comment)
          }
        )
        .catch((error: unknown) =>
          // One deployment that cannot be read or reviewed does not keep the others from theirs.
          outcome(d, '', 'error', githubErrorText(error))
        )
      info(
        `Run ${row.run_id}, ${row.environment}: ${row.outcome}${row.change === '' ? '' : ` (${row.change})`}: ${row.why}`
      )
      rows.push(row)
    }
    core.setOutput(Output.Reviewed, jsonLine(rows))
    await writeSyncSummary(settings.repository, rows, waiting.more)
    const refused = rows.filter(r => r.outcome === 'refused')
    if (refused.length > 0)
      throw new Error(
        `${refused.length} deployment${refused.length === 1 ? '' : 's'} could not be reviewed with this token: ${refused[0]!.why}`
      )
    const failed = rows.filter(r => r.outcome === 'error')
    if (failed.length > 0)
      throw new Error(
        `${failed.length} waiting deployment${failed.length === 1 ? '' : 's'} could not be read or reviewed; the next sync tries again. Run ${failed[0]!.run_id}${failed[0]!.environment === '' ? '' : `, ${failed[0]!.environment}`}: ${failed[0]!.why}`
      )
  })
}

function outcome(
  d: WaitingDeployment,
  change: string,
  what: Reviewed['outcome'],
  why: string
): Reviewed {
  return {
    run_id: d.runId,
    environment: d.environment,
    change,
    outcome: what,
    why
  }
}

async function writeSyncSummary(
  repository: string,
  rows: Reviewed[],
  more: boolean
): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return
  const count = (o: Reviewed['outcome']): number =>
    rows.filter(r => r.outcome === o).length
  await core.summary
    .addHeading(
      `Deployments of ${escape(repository)} reviewed from ServiceNow`,
      3
    )
    .addRaw(
      `\n\n${count('approved')} approved, ${count('rejected')} rejected, ${count('waiting')} left waiting${count('already_reviewed') > 0 ? `, ${count('already_reviewed')} already reviewed` : ''}${count('refused') > 0 ? `, ${count('refused')} refused to this token` : ''}${count('error') > 0 ? `, ${count('error')} not read or reviewed (an error; the next sync tries again)` : ''}${more ? '; more runs wait than this sync reads' : ''}.\n\n`,
      true
    )
    .addTable([
      [
        {data: 'Run', header: true},
        {data: 'Environment', header: true},
        {data: 'Change', header: true},
        {data: 'Outcome', header: true},
        {data: 'Why', header: true}
      ],
      ...rows.map(r => [
        String(r.run_id),
        escape(r.environment),
        escape(r.change || '–'),
        r.outcome.replace('_', ' '),
        escape(r.why)
      ])
    ])
    .write()
}
