/**
 * Who, what and where of this run, from the runner's GITHUB_* variables: the same ones
 * @actions/github's context reads, read here so that a step that never calls GitHub does not
 * evaluate Octokit (which importing that context does) at its start.
 */
export interface RunContext {
  repository: string
  sha: string
  ref: string
  actor: string
  workflow: string
  job: string
  runId: number
  runNumber: number
  runAttempt: number
  serverUrl: string
  runUrl: string
  commitUrl: string
}

export function runContext(): RunContext {
  const env = process.env
  const repository = env.GITHUB_REPOSITORY ?? ''
  const serverUrl = env.GITHUB_SERVER_URL || 'https://github.com'
  const sha = env.GITHUB_SHA ?? ''
  const runId = Number.parseInt(env.GITHUB_RUN_ID ?? '', 10) || 0
  return {
    repository,
    sha,
    ref: env.GITHUB_REF ?? '',
    actor: env.GITHUB_ACTOR ?? '',
    workflow: env.GITHUB_WORKFLOW ?? '',
    job: env.GITHUB_JOB ?? '',
    runId,
    runNumber: Number.parseInt(env.GITHUB_RUN_NUMBER ?? '', 10) || 0,
    runAttempt: Number(env.GITHUB_RUN_ATTEMPT ?? '1') || 1,
    serverUrl,
    runUrl: `${serverUrl}/${repository}/actions/runs/${runId}`,
    commitUrl: `${serverUrl}/${repository}/commit/${sha}`
  }
}
