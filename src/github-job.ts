import { githubApi } from './github-api.js'
import { RUNNER_NAME_ENV } from './constants.js'
import type { RunContext } from './github-context.js'
import type { JobResult } from './settings/close.js'

/**
 * The outcome of the job this step runs in, so far. A post step cannot see the
 * job status directly; the REST API lists the current run attempt's jobs with
 * their steps, and the job in progress on this runner is ours. Needs a token
 * with `actions: read`. Undefined when it cannot be told.
 */
export async function currentJobResult(token: string, run: RunContext): Promise<JobResult | undefined> {
  const [owner, repo] = run.repository.split('/')
  const runner = process.env[RUNNER_NAME_ENV]
  if (!token || !owner || !repo || !runner || !run.runId) return undefined
  const octokit = githubApi(token)
  const jobs = await octokit.paginate(octokit.rest.actions.listJobsForWorkflowRunAttempt, {
    owner,
    repo,
    run_id: run.runId,
    attempt_number: run.runAttempt,
    per_page: 100
  })
  const mine = jobs.filter((job) => job.status === 'in_progress' && job.runner_name === runner)
  const job = mine[0]
  if (mine.length !== 1 || job === undefined) return undefined
  const conclusions = (job.steps ?? []).map((step) => step.conclusion)
  if (conclusions.includes('failure')) return 'failure'
  if (conclusions.includes('cancelled')) return 'cancelled'
  return 'success'
}
