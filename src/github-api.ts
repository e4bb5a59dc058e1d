import type * as github from '@actions/github'

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

export const defaultGithubApiLimits: GithubApiLimits = {
  requestTimeoutMs: 10_000,
  attempts: 2,
  budgetMs: 30_000,
  maxRequests: 60
}

/**
 * An Octokit for the GitHub API calls the action makes (jobs, deployments,
 * compare), each with a deadline, a bounded retry, and the whole step's calls
 * within one time budget and request count. Without this an API that never
 * answers stalls a step for as long as the runner lets it, and a Link header
 * that never ends pages forever. Repeating a call is safe: all are reads but one, sync's review
 * of a pending deployment, and GitHub refuses a second review of it with 422 "No pending
 * deployment requests", which sync reads as already reviewed (github-deployments.ts).
 * The bounds sit in the fetch Octokit sends through (wrapping the runner's
 * proxy-aware one), so paging is bounded too. Octokit is loaded here, on the
 * first call: most steps never call GitHub, and evaluating it slowed every start.
 */
export async function githubApi(
  token: string,
  limits: GithubApiLimits = defaultGithubApiLimits
): Promise<ReturnType<typeof github.getOctokit>> {
  const [{getOctokit}, {defaults}] = await Promise.all([
    import('@actions/github'),
    import('@actions/github/lib/utils')
  ])
  const send = (defaults.request?.fetch ??
    globalThis.fetch) as typeof globalThis.fetch
  const ends = Date.now() + limits.budgetMs
  let sent = 0
  const bounded = async (
    url: string,
    init: RequestInit = {}
  ): Promise<Response> => {
    const what = `GitHub API ${init.method ?? 'GET'} ${new URL(url).pathname}`
    for (let attempt = 1; ; attempt++) {
      const left = ends - Date.now()
      if (left <= 0)
        throw new Error(
          `${what}: no time left of the ${limits.budgetMs / 1000} s this step gives the GitHub API`
        )
      if (++sent > limits.maxRequests)
        throw new Error(
          `${what}: more than ${limits.maxRequests} GitHub API requests in one step; stopped there`
        )
      const timeoutMs = Math.min(limits.requestTimeoutMs, left)
      try {
        // The signal bounds reading the body as well as waiting for the headers.
        const response = await send(url, {
          ...init,
          signal: AbortSignal.timeout(timeoutMs)
        })
        if (
          (response.status !== 429 && response.status < 500) ||
          attempt >= limits.attempts
        )
          return response
        await response.arrayBuffer().catch(() => undefined)
      } catch (error) {
        if (attempt >= limits.attempts)
          throw isTimeout(error)
            ? new Error(
                `${what} gave no answer within ${Math.round(timeoutMs / 1000)} s`
              )
            : error
      }
      await new Promise(resolve =>
        setTimeout(
          resolve,
          Math.min(1000 * attempt, Math.max(0, ends - Date.now()))
        )
      )
    }
  }
  return getOctokit(token, {
    request: {...defaults.request, fetch: bounded}
  })
}

function isTimeout(error: unknown): boolean {
  const name = (error as {name?: string} | undefined)?.name
  return name === 'TimeoutError' || name === 'AbortError'
}

/**
 * One line for a failed GitHub API call: its HTTP status when GitHub answered one (Octokit's
 * RequestError carries it; the message alone is GitHub's body, e.g. "Server Error", which hides
 * the 500). A request that got no answer is a RequestError too, with status 500 and no response:
 * that 500 was never sent by anyone, so it is not named.
 */
export function githubErrorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  const {status, response} =
    (error as {status?: unknown; response?: unknown} | undefined) ?? {}
  return typeof status === 'number' && response !== undefined
    ? `HTTP ${status}: ${message}`
    : message
}
