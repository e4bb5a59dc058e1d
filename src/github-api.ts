import * as github from '@actions/github'

/** What the GitHub API may cost one step: every caller degrades (a warning, no evidence) when it is spent. */
export interface GithubApiLimits {
  /** One request, from sending to the last byte. */
  requestTimeoutMs: number
  /** Tries per request (a timeout, a network error, 429 or 5xx is tried again). */
  attempts: number
  /** All requests of the step together, retries and waits included. */
  budgetMs: number
  /** Requests in all: bounds paging through an endless Link header. */
  maxRequests: number
}

export const defaultGithubApiLimits: GithubApiLimits = { requestTimeoutMs: 10_000, attempts: 2, budgetMs: 30_000, maxRequests: 60 }

/**
 * An Octokit for the GitHub API calls the action makes (jobs, deployments,
 * compare), each with a deadline, a bounded retry, and the whole step's calls
 * within one time budget and request count. Without this an API that never
 * answers stalls a step for as long as the runner lets it, and a Link header
 * that never ends pages forever. Every call is a read, so repeating one is safe.
 */
export function githubApi(token: string, limits: GithubApiLimits = defaultGithubApiLimits): ReturnType<typeof github.getOctokit> {
  const octokit = github.getOctokit(token)
  const ends = Date.now() + limits.budgetMs
  let sent = 0
  octokit.hook.wrap('request', async (request, options) => {
    const what = `GitHub API ${options.method} ${String(options.url).split('?')[0]}`
    for (let attempt = 1; ; attempt++) {
      const left = ends - Date.now()
      if (left <= 0) throw new Error(`${what}: no time left of the ${limits.budgetMs / 1000} s this step gives the GitHub API`)
      if (++sent > limits.maxRequests) throw new Error(`${what}: more than ${limits.maxRequests} GitHub API requests in one step; stopped there`)
      const timeoutMs = Math.min(limits.requestTimeoutMs, left)
      try {
        return await request({ ...options, request: { ...options.request, signal: AbortSignal.timeout(timeoutMs) } })
      } catch (error) {
        const status = (error as { status?: number }).status
        const passing = status === undefined || status === 429 || status >= 500 || isAbort(error)
        if (!passing || attempt >= limits.attempts) {
          throw isAbort(error) ? new Error(`${what} gave no answer within ${Math.round(timeoutMs / 1000)} s`) : error
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(1000 * attempt, Math.max(0, ends - Date.now()))))
      }
    }
  })
  return octokit
}

function isAbort(error: unknown): boolean {
  const e = error as { name?: string; message?: string; cause?: { name?: string } } | undefined
  return e?.name === 'AbortError' || e?.name === 'TimeoutError' || e?.cause?.name === 'TimeoutError' || /aborted|timeout/i.test(e?.message ?? '')
}
