import {
  startGithubSimulator,
  type GithubSimulator
} from '../../src/github-simulator/server.js'
import {
  GithubWorld,
  type Job,
  type Run
} from '../../src/github-simulator/world.js'

export const BASE_SHA = 'b'.repeat(40)
export const REPOSITORY = 'octo-org/payments'

/**
 * The GitHub API simulator arranged as the gate's post step and the evidence meet it in
 * octo-org/payments: every run has a finished `build` job and an in-progress `deploy` job on
 * runner "GitHub Actions 7" whose steps a test sets; production's newest deployment failed and
 * the one before it succeeded at BASE_SHA; `compareCommits` commits follow BASE_SHA.
 */
export interface RunGithub {
  url: string
  world: GithubWorld
  /** "METHOD /path?query" of every request, in order. */
  readonly requests: string[]
  /** The step conclusions the current job reports (the post step itself is in progress). */
  steps: Record<string, unknown>[]
  /** When set, the in-progress job exactly as listed (steps included or left out), instead of one built from steps. */
  job?: Record<string, unknown>
  /** When set, every run's jobs list answers with this status and a GitHub error body. */
  jobsStatus?: number
  /** How many commits the compare since the last successful deployment holds (30 unless set). */
  compareCommits?: number
  stop(): Promise<void>
}

/** Runs are made on first read, so that any run id a test picks has the jobs it arranged. */
class RunsOnDemand extends Map<number, Run> {
  constructor(private readonly make: (id: number) => Run) {
    super()
  }

  override get(id: number): Run {
    return this.make(id)
  }
}

export async function startRunGithub(token: string): Promise<RunGithub> {
  const world = new GithubWorld()
  // A GITHUB_TOKEN: it reads runs, jobs, deployments and commits, and may not review.
  world.addToken(token, {login: 'github-actions[bot]', readOnly: true})
  const repo = world.repo(REPOSITORY)
  repo.deployments.push(
    {id: 1, sha: BASE_SHA, environment: 'production', statuses: ['success']},
    {
      id: 2,
      sha: 'f'.repeat(40),
      environment: 'production',
      statuses: ['failure']
    }
  )
  const state = {
    steps: [] as Record<string, unknown>[],
    job: undefined as Record<string, unknown> | undefined,
    jobsStatus: undefined as number | undefined,
    compareCommits: undefined as number | undefined
  }
  const setCommits = (count: number): void => {
    repo.commits = [
      {sha: BASE_SHA, message: 'Base', author: 'mona', date: ''},
      ...Array.from({length: count}, (_, i) => ({
        sha: `${String(i).padStart(2, '0')}${'a'.repeat(38)}`.slice(0, 40),
        message:
          i % 2 === 0
            ? `Change number ${i} (#${100 + i})\n\nbody`
            : `Change number ${i}`,
        author: 'mona',
        // Commit i was made i hours after 2026-11-20 08:00 UTC: the oldest at 08:00, the newest 29 h later.
        date: new Date(Date.UTC(2026, 10, 20, 8 + i)).toISOString()
      }))
    ]
  }
  setCommits(30)
  const jobs = (): Job[] => [
    {
      id: 1,
      name: 'build',
      status: 'completed',
      conclusion: 'success',
      runner_name: 'GitHub Actions 3',
      steps: []
    },
    (state.job as unknown as Job | undefined) ?? {
      id: 2,
      name: 'deploy',
      status: 'in_progress',
      conclusion: null,
      runner_name: 'GitHub Actions 7',
      steps: state.steps as unknown as Job['steps']
    }
  ]
  repo.runs = new RunsOnDemand(id =>
    world.addWaitingRun(REPOSITORY, id, [], {
      status: 'in_progress',
      jobs: jobs()
    })
  )
  const sim: GithubSimulator = await startGithubSimulator({world})
  const jobsFault =
    /^\/repos\/octo-org\/payments\/actions\/runs\/\d+\/attempts\/\d+\/jobs/
  return {
    url: sim.url,
    world,
    get requests() {
      return world.requests.map(r => `${r.method} ${r.path}`)
    },
    get steps() {
      return state.steps
    },
    set steps(steps) {
      state.steps = steps
    },
    get job() {
      return state.job
    },
    set job(job) {
      state.job = job
    },
    get jobsStatus() {
      return state.jobsStatus
    },
    set jobsStatus(status) {
      state.jobsStatus = status
      // Only this setter's own fault is replaced: a test may hold others.
      const own = world.faults.findIndex(f => f.path === jobsFault)
      if (own >= 0) world.faults.splice(own, 1)
      if (status !== undefined)
        world.faults.push({method: 'GET', path: jobsFault, status})
    },
    get compareCommits() {
      return state.compareCommits
    },
    set compareCommits(count) {
      state.compareCommits = count
      setCommits(count ?? 30)
    },
    stop: () => sim.stop()
  }
}
