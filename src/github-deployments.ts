import {githubApi, githubErrorText, type GithubApiLimits} from './github-api.js'

/**
 * The GitHub side of the sync step: workflow runs waiting on an environment's review, their
 * pending deployments, and the review itself (docs.github.com/rest/actions/workflow-runs:
 * "List workflow runs for a repository" with status=waiting, "Get pending deployments for a
 * workflow run", "Review pending deployments for a workflow run": environment_ids, state
 * approved|rejected, comment). Only a required reviewer of the environment may review;
 * current_user_can_approve says whether the token's user is one.
 */
export interface WaitingDeployment {
  runId: number
  runAttempt: number
  environmentId: number
  environment: string
  canApprove: boolean
}

export type GithubApi = Awaited<ReturnType<typeof githubApi>>

/**
 * A sync step's calls: pages of runs, one read of each run's pending deployments, and for each
 * deployment reviewed a read again and the review, each possibly tried twice. Room for a run
 * waiting on several environments: a budget spent mid-way leaves rows said, not reviews lost.
 */
export function syncLimits(maxRuns: number, budgetMs: number): GithubApiLimits {
  return {
    requestTimeoutMs: 10_000,
    attempts: 2,
    budgetMs,
    maxRequests: 10 + maxRuns * 12
  }
}

export async function waitingDeployments(
  api: GithubApi,
  repository: string,
  maxRuns: number
): Promise<{
  deployments: WaitingDeployment[]
  /** Runs whose pending deployments could not be read, and why. */
  unread: {runId: number; why: string}[]
  runsSeen: number
  more: boolean
}> {
  const [owner, repo] = split(repository)
  const runs: {id: number; run_attempt?: number}[] = []
  let more = false
  for (let page = 1; runs.length < maxRuns; page++) {
    const {data} = await api.rest.actions.listWorkflowRunsForRepo({
      owner,
      repo,
      status: 'waiting',
      per_page: 100,
      page
    })
    runs.push(...data.workflow_runs)
    // total_count says whether runs wait past the ones read, even when max_runs ends on a page's end.
    if (data.total_count > runs.length && runs.length >= maxRuns) more = true
    if (data.workflow_runs.length < 100) break
  }
  if (runs.length > maxRuns) {
    more = true
    runs.length = maxRuns
  }
  const deployments: WaitingDeployment[] = []
  const unread: {runId: number; why: string}[] = []
  for (const run of runs) {
    // One run whose deployments cannot be read does not keep the others from their review.
    const data = await api.rest.actions
      .getPendingDeploymentsForRun({owner, repo, run_id: run.id})
      .then(r => r.data)
      .catch((error: unknown) => {
        unread.push({runId: run.id, why: githubErrorText(error)})
        return []
      })
    for (const pending of data) {
      const env = pending.environment
      if (env.id === undefined || env.name === undefined) continue
      deployments.push({
        runId: run.id,
        runAttempt: run.run_attempt ?? 1,
        environmentId: env.id,
        environment: env.name,
        canApprove: pending.current_user_can_approve
      })
    }
  }
  return {deployments, unread, runsSeen: runs.length, more}
}

/** Whether this environment still waits on this run: another sync may have reviewed it since. */
export async function stillWaiting(
  api: GithubApi,
  repository: string,
  runId: number,
  environmentId: number
): Promise<boolean> {
  const [owner, repo] = split(repository)
  const {data} = await api.rest.actions.getPendingDeploymentsForRun({
    owner,
    repo,
    run_id: runId
  })
  return data.some(p => p.environment.id === environmentId)
}

export type ReviewResult = 'reviewed' | 'already-reviewed' | {refused: string}

/**
 * Reviews one environment's deployment of one run. A 422 means it no longer waits (another
 * sync, or a person, reviewed it first): that is the outcome wanted, said as such. A 403 or a
 * 422 naming the reviewer means this token may not review: said, never retried.
 */
export async function reviewDeployment(
  api: GithubApi,
  repository: string,
  runId: number,
  environmentId: number,
  state: 'approved' | 'rejected',
  comment: string
): Promise<ReviewResult> {
  const [owner, repo] = split(repository)
  try {
    await api.rest.actions.reviewPendingDeploymentsForRun({
      owner,
      repo,
      run_id: runId,
      environment_ids: [environmentId],
      state,
      comment
    })
    return 'reviewed'
  } catch (error) {
    const status = (error as {status?: unknown}).status
    const message = error instanceof Error ? error.message : String(error)
    if (status === 422 && /no pending deployment/i.test(message))
      return 'already-reviewed'
    // A rate limit is a 403 too (docs: rate limits for the REST API): a wait, not a permission.
    if (status === 403 && /rate limit/i.test(message)) throw error
    if (status === 403 || status === 422)
      return {refused: `${status}: ${message}`}
    throw error
  }
}

function split(repository: string): [string, string] {
  const [owner = '', repo = ''] = repository.split('/')
  return [owner, repo]
}
