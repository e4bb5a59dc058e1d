import {githubApi} from './github-api.js'
import {RUNNER_NAME_ENV} from './constants.js'
import type {RunContext} from './github-context.js'
import type {JobResult} from './settings/close.js'

/** What the jobs API showed of this job: a result, or why none can be told. */
export type JobOutcome =
  {result: JobResult; why?: undefined} | {result: undefined; why: string}

/**
 * The outcome of the job this step runs in, so far. A post step cannot see the
 * job status directly; the REST API lists the current run attempt's jobs with
 * their steps, and the job in progress on this runner is ours. Needs a token
 * with `actions: read`. A result only when the steps say it positively.
 */
export async function currentJobResult(
  token: string,
  run: RunContext
): Promise<JobOutcome> {
  const found = await currentJob(token, run)
  return found.job === undefined
    ? {result: undefined, why: found.why}
    : judgeSteps(found.job.steps)
}

/**
 * The job's name as the run shows it: for a matrix leg, the job's name with its matrix
 * values ("deploy (eu-west)"), which GITHUB_JOB (the job's id) does not tell apart.
 */
export async function currentJobName(
  token: string,
  run: RunContext
): Promise<{name: string; why?: undefined} | {name: undefined; why: string}> {
  const found = await currentJob(token, run)
  if (found.job === undefined) return {name: undefined, why: found.why}
  const name = found.job.name
  return typeof name === 'string' && name.trim() !== ''
    ? {name: name.trim()}
    : {name: undefined, why: 'the jobs API shows the job without a name'}
}

/**
 * The job this step runs in: the current run attempt's jobs, as the REST API lists them,
 * and the one in progress on this runner. Needs a token with `actions: read`.
 */
async function currentJob(
  token: string,
  run: RunContext
): Promise<
  | {job: Record<string, unknown>; why?: undefined}
  | {job: undefined; why: string}
> {
  const [owner, repo] = run.repository.split('/')
  const runner = process.env[RUNNER_NAME_ENV]
  if (!token) return {job: undefined, why: 'no github_token was given'}
  if (!owner || !repo || !runner || !run.runId)
    return {
      job: undefined,
      why: 'the run, repository or runner name is missing from the environment'
    }
  const octokit = await githubApi(token)
  const jobs = await octokit.paginate(
    octokit.rest.actions.listJobsForWorkflowRunAttempt,
    {
      owner,
      repo,
      run_id: run.runId,
      attempt_number: run.runAttempt,
      per_page: 100
    }
  )
  const mine = (jobs as unknown[]).filter(
    job =>
      isObject(job) &&
      job.status === 'in_progress' &&
      job.runner_name === runner
  )
  if (mine.length !== 1)
    return {
      job: undefined,
      why: `the jobs API shows ${mine.length} jobs in progress on runner '${runner}', not one`
    }
  return {job: mine[0] as Record<string, unknown>}
}

const SUCCEEDED = ['success', 'skipped']
const FAILED = ['failure', 'timed_out']
/** Statuses of a step that has not started: what the steps after this post step show while it runs. */
const NOT_STARTED = ['queued', 'pending', 'waiting']

interface ListedStep {
  name: string
  status: unknown
  conclusion: unknown
  number: unknown
}

/**
 * The job's result from its steps as the jobs API lists them. Trusted only when
 * the list is plain:
 * - the steps are put in order by `number` (the API's own order), or kept in
 *   the listed order when no step carries one; numbers that are missing on some
 *   steps, repeated or not integers make the order unknown;
 * - exactly one step is in progress and it is a post step ("Post <name>", as the
 *   runner names the post half of an action): this one. A second step in progress
 *   is one the API has not caught up with;
 * - every step before it has completed; the steps after it have not started or
 *   completed success/skipped (a failure listed after it means the order is wrong).
 * Then: failure (or timed_out) before it is a failure, then cancelled; success
 * only when every step before it concluded success or skipped. Anything else,
 * including no steps before it or a conclusion this code has never seen, is not
 * a result.
 */
export function judgeSteps(steps: unknown): JobOutcome {
  if (!Array.isArray(steps))
    return {result: undefined, why: 'the jobs API listed no steps for this job'}
  const list = ordered(
    steps.map((step): ListedStep =>
      isObject(step)
        ? {
            name: typeof step.name === 'string' ? step.name : '?',
            status: step.status,
            conclusion: step.conclusion,
            number: step.number
          }
        : {
            name: '?',
            status: undefined,
            conclusion: undefined,
            number: undefined
          }
    )
  )
  if (list === undefined)
    return {
      result: undefined,
      why: 'the jobs API numbers the steps of this job inconsistently'
    }
  const running = list.filter(step => step.status === 'in_progress')
  const self = running[0]
  if (
    running.length !== 1 ||
    self === undefined ||
    !self.name.startsWith('Post ')
  ) {
    return {
      result: undefined,
      why: `the jobs API shows ${
        running.length === 0
          ? 'no step'
          : running
              .map(step => `'${step.name}'`)
              .slice(0, 3)
              .join(', ')
      } in progress, not just this post step`
    }
  }
  const at = list.indexOf(self)
  const before = list.slice(0, at)
  if (before.length === 0)
    return {
      result: undefined,
      why: 'the jobs API does not yet list the steps before this one'
    }
  const after = list
    .slice(at + 1)
    .filter(
      step =>
        !NOT_STARTED.includes(String(step.status)) &&
        !(
          step.status === 'completed' &&
          SUCCEEDED.includes(String(step.conclusion))
        )
    )
  const unfinished = before.filter(
    step => step.status !== 'completed' || typeof step.conclusion !== 'string'
  )
  if (after.length > 0 || unfinished.length > 0)
    return {
      result: undefined,
      why: `the jobs API shows ${described([...unfinished, ...after])}${after.length > 0 ? ' after this post step' : ''}`
    }
  const conclusions = before.map(step => String(step.conclusion))
  if (conclusions.some(c => FAILED.includes(c))) return {result: 'failure'}
  if (conclusions.includes('cancelled')) return {result: 'cancelled'}
  const unclear = before.filter(
    step => !SUCCEEDED.includes(String(step.conclusion))
  )
  if (unclear.length > 0)
    return {result: undefined, why: `the jobs API shows ${described(unclear)}`}
  return {result: 'success'}
}

/** The steps in the API's order: by `number` when every step has a distinct integer one, as listed when none has. */
function ordered(list: ListedStep[]): ListedStep[] | undefined {
  const numbered = list.filter(step => step.number !== undefined)
  if (numbered.length === 0) return list
  if (
    numbered.length !== list.length ||
    !list.every(step => Number.isSafeInteger(step.number))
  )
    return undefined
  if (new Set(list.map(step => step.number)).size !== list.length)
    return undefined
  return [...list].sort((a, b) => (a.number as number) - (b.number as number))
}

function described(steps: ListedStep[]): string {
  return steps
    .slice(0, 3)
    .map(
      step =>
        `'${step.name}' ${step.status === 'completed' ? `concluded ${String(step.conclusion)}` : `is ${String(step.status)}`}`
    )
    .join(', ')
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
