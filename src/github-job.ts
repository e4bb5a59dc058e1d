import { githubApi } from './github-api.js'
import { RUNNER_NAME_ENV } from './constants.js'
import type { RunContext } from './github-context.js'
import type { JobResult } from './settings/close.js'

/** What the jobs API showed of this job: a result, or why none can be told. */
export type JobOutcome = { result: JobResult; why?: undefined } | { result: undefined; why: string }

/**
 * The outcome of the job this step runs in, so far. A post step cannot see the
 * job status directly; the REST API lists the current run attempt's jobs with
 * their steps, and the job in progress on this runner is ours. Needs a token
 * with `actions: read`. A result only when the steps say it positively.
 */
export async function currentJobResult(token: string, run: RunContext): Promise<JobOutcome> {
  const [owner, repo] = run.repository.split('/')
  const runner = process.env[RUNNER_NAME_ENV]
  if (!token) return { result: undefined, why: 'no github_token was given' }
  if (!owner || !repo || !runner || !run.runId) return { result: undefined, why: 'the run, repository or runner name is missing from the environment' }
  const octokit = githubApi(token)
  const jobs = await octokit.paginate(octokit.rest.actions.listJobsForWorkflowRunAttempt, {
    owner,
    repo,
    run_id: run.runId,
    attempt_number: run.runAttempt,
    per_page: 100
  })
  const mine = (jobs as unknown[]).filter((job) => isObject(job) && job.status === 'in_progress' && job.runner_name === runner)
  if (mine.length !== 1) return { result: undefined, why: `the jobs API shows ${mine.length} jobs in progress on runner '${runner}', not one` }
  return judgeSteps((mine[0] as Record<string, unknown>).steps)
}

const SUCCEEDED = ['success', 'skipped']
const FAILED = ['failure', 'timed_out']

/**
 * The job's result from its steps as the jobs API lists them. This post step is
 * the last one in progress; every step before it must have completed. Failure
 * (or timed_out) anywhere is a failure, then cancelled; success only when every
 * step before this one concluded success or skipped. Anything else, including
 * no steps, a step still running (the API lags a step that just ended) or a
 * conclusion this code has never seen, is not a result.
 */
export function judgeSteps(steps: unknown): JobOutcome {
  if (!Array.isArray(steps)) return { result: undefined, why: 'the jobs API listed no steps for this job' }
  const list = steps.map((step) => (isObject(step) ? step : {}))
  let self = -1
  list.forEach((step, i) => {
    if (step.status === 'in_progress') self = i
  })
  const before = list.slice(0, Math.max(self, 0))
  if (self === -1 || before.length === 0) return { result: undefined, why: 'the jobs API does not yet list the steps before this one' }
  const conclusions = before.map((step) => (step.status === 'completed' && typeof step.conclusion === 'string' ? step.conclusion : undefined))
  if (conclusions.some((c) => c !== undefined && FAILED.includes(c))) return { result: 'failure' }
  if (conclusions.includes('cancelled')) return { result: 'cancelled' }
  const unclear = before.filter((_, i) => !SUCCEEDED.includes(conclusions[i] ?? ''))
  if (unclear.length > 0) {
    const named = unclear.map((step) => `'${typeof step.name === 'string' ? step.name : '?'}' ${step.status === 'completed' ? `concluded ${String(step.conclusion)}` : `is ${String(step.status)}`}`)
    return { result: undefined, why: `the jobs API shows ${named.slice(0, 3).join(', ')}` }
  }
  return { result: 'success' }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
