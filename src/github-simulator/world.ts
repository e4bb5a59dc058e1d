/**
 * What the GitHub API simulator holds: repositories with their environments, workflow runs
 * (with jobs, pending deployments and reviews), deployments and commits; the tokens it knows
 * and who they are; the dispatches it received. Plain data: the routes (routes.ts) read and
 * change it as GitHub's REST API does (docs.github.com/rest: actions/workflow-runs,
 * actions/workflow-jobs, deployments/deployments, deployments/statuses, commits/commits,
 * repos/repos#create-a-repository-dispatch-event), and tests arrange it directly.
 */
export interface Environment {
  id: number
  name: string
  /** Logins of the required reviewers: only they may review its pending deployments. */
  reviewers: string[]
}

export interface Job {
  id: number
  name: string
  status: 'queued' | 'waiting' | 'in_progress' | 'completed'
  conclusion: string | null
  runner_name: string | null
  steps: {
    name: string
    status: string
    conclusion: string | null
    number: number
  }[]
}

export interface Review {
  state: 'approved' | 'rejected'
  comment: string
  environments: string[]
  user: string
  at: number
}

export interface Run {
  id: number
  name: string
  head_sha: string
  run_attempt: number
  status: 'queued' | 'waiting' | 'in_progress' | 'completed'
  conclusion: string | null
  created_at: string
  jobs: Job[]
  /** Environments whose deployment waits for a review, by name. */
  pending: string[]
  reviews: Review[]
}

export interface Deployment {
  id: number
  sha: string
  environment: string
  statuses: string[]
}

export interface Commit {
  sha: string
  message: string
  author: string
  date: string
}

export interface Repo {
  environments: Map<string, Environment>
  runs: Map<number, Run>
  deployments: Deployment[]
  /** In order, oldest first: a compare lists the ones after its base. */
  commits: Commit[]
}

export interface TokenInfo {
  login: string
  id: number
  /** A GITHUB_TOKEN-like token: may read, may not review deployments (403). */
  readOnly?: boolean
}

export interface Dispatch {
  repository: string
  event_type: string
  client_payload: unknown
  at: number
}

export interface RateLimit {
  limit: number
  remaining: number
  /** Unix seconds. */
  reset: number
}

/**
 * An answer forced on matching requests, for tests of how callers meet GitHub's failures (a 500
 * on a run's jobs, a 502 from the proxy in front of it): the method (any when left out), a
 * path prefix or pattern, the status, and how many times (always when left out).
 */
export interface Fault {
  method?: string
  path: string | RegExp
  status: number
  message?: string
  times?: number
}

export class GithubWorld {
  readonly repos = new Map<string, Repo>()
  readonly tokens = new Map<string, TokenInfo>()
  readonly dispatches: Dispatch[] = []
  readonly requests: {
    method: string
    path: string
    login: string | undefined
  }[] = []
  /** Per login: the primary rate limit (403 with x-ratelimit-remaining: 0 when spent). */
  readonly rates = new Map<string, RateLimit>()
  readonly faults: Fault[] = []
  /** Told of each dispatch as it lands (an end-to-end test runs the sync step from here). */
  onDispatch: (dispatch: Dispatch) => void = () => {}
  private nextId = 1000

  constructor(private readonly clock: () => number = Date.now) {}

  now(): number {
    return this.clock()
  }

  /** The fault this request meets, if any; each use counts against its times. */
  faultFor(method: string, path: string): Fault | undefined {
    const fault = this.faults.find(
      f =>
        (f.method === undefined || f.method === method) &&
        (typeof f.path === 'string'
          ? path.startsWith(f.path)
          : f.path.test(path)) &&
        (f.times === undefined || f.times > 0)
    )
    if (fault?.times !== undefined) fault.times--
    return fault
  }

  id(): number {
    return this.nextId++
  }

  repo(name: string): Repo {
    let repo = this.repos.get(name)
    if (repo === undefined) {
      repo = {
        environments: new Map(),
        runs: new Map(),
        deployments: [],
        commits: []
      }
      this.repos.set(name, repo)
    }
    return repo
  }

  addToken(token: string, info: Omit<TokenInfo, 'id'> & {id?: number}): void {
    this.tokens.set(token, {id: info.id ?? this.id(), ...info})
  }

  addEnvironment(
    repository: string,
    name: string,
    reviewers: string[]
  ): Environment {
    const env = {id: this.id(), name, reviewers}
    this.repo(repository).environments.set(name, env)
    return env
  }

  /** A run whose deployment job waits on these environments' reviews. */
  addWaitingRun(
    repository: string,
    runId: number,
    environments: string[],
    over: Partial<Run> = {}
  ): Run {
    const run: Run = {
      id: runId,
      name: 'Deploy',
      head_sha: '1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d',
      run_attempt: 1,
      status: 'waiting',
      conclusion: null,
      created_at: new Date(this.now()).toISOString(),
      jobs: [],
      pending: [...environments],
      reviews: [],
      ...over
    }
    this.repo(repository).runs.set(runId, run)
    return run
  }
}
