import * as github from '@actions/github'

/** Who, what and where of this run, from the runner's GITHUB_* variables and event. */
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
  const ctx = github.context
  const repository = process.env.GITHUB_REPOSITORY ?? ''
  const serverUrl = ctx.serverUrl || 'https://github.com'
  const runAttempt = Number(process.env.GITHUB_RUN_ATTEMPT ?? '1') || 1
  return {
    repository,
    sha: ctx.sha ?? '',
    ref: ctx.ref ?? '',
    actor: ctx.actor ?? '',
    workflow: ctx.workflow ?? '',
    job: ctx.job ?? '',
    runId: ctx.runId || 0,
    runNumber: ctx.runNumber || 0,
    runAttempt,
    serverUrl,
    runUrl: `${serverUrl}/${repository}/actions/runs/${ctx.runId || 0}`,
    commitUrl: `${serverUrl}/${repository}/commit/${ctx.sha ?? ''}`
  }
}
