import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'

export const BASE_SHA = 'b'.repeat(40)

export interface FakeGithub {
  url: string
  requests: string[]
  /** The step conclusions the current job reports (the post step itself is in progress). */
  steps: Record<string, unknown>[]
  /** When set, the in-progress job exactly as listed (steps included or left out), instead of one built from steps. */
  job?: Record<string, unknown>
  /** When set, the jobs list answers with this status and a GitHub error body. */
  jobsStatus?: number
  /** How many commits the compare since the last successful deployment holds (30 unless set). */
  compareCommits?: number
  stop(): Promise<void>
}

/**
 * Just enough of the GitHub REST API for the gate's post step: the jobs of
 * any run's attempt 1, one of them in progress on runner "GitHub Actions 7".
 */
export async function startFakeGithub(token: string): Promise<FakeGithub> {
  const fake: FakeGithub = {
    url: '',
    requests: [],
    steps: [],
    stop: async () => {}
  }
  const server: Server = createServer((req, res) => {
    fake.requests.push(`${req.method} ${req.url}`)
    if (
      req.headers.authorization !== `token ${token}` &&
      req.headers.authorization !== `Bearer ${token}`
    ) {
      res.writeHead(401, {'Content-Type': 'application/json'})
      res.end(JSON.stringify({message: 'Bad credentials'}))
      return
    }
    const url = req.url ?? ''
    const json = (body: unknown): void => {
      res.writeHead(200, {'Content-Type': 'application/json'})
      res.end(JSON.stringify(body))
    }
    // Deployments to production: the newest failed, the one before succeeded at BASE_SHA.
    if (url.startsWith('/repos/octo-org/payments/deployments?')) {
      json(
        new URL(url, 'http://x').searchParams.get('environment') ===
          'production'
          ? [
              {id: 2, sha: 'f'.repeat(40)},
              {id: 1, sha: BASE_SHA}
            ]
          : []
      )
      return
    }
    const statuses =
      /^\/repos\/octo-org\/payments\/deployments\/(\d+)\/statuses/.exec(url)
    if (statuses !== null) {
      json([{state: statuses[1] === '1' ? 'success' : 'failure'}])
      return
    }
    if (url.startsWith(`/repos/octo-org/payments/compare/${BASE_SHA}...`)) {
      const all = Array.from({length: fake.compareCommits ?? 30}, (_, i) => ({
        sha: `${String(i).padStart(2, '0')}${'a'.repeat(38)}`.slice(0, 40),
        commit: {
          message:
            i % 2 === 0
              ? `Change number ${i} (#${100 + i})\n\nbody`
              : `Change number ${i}`,
          // Commit i was made i hours after 2026-11-20 08:00 UTC: the oldest at 08:00, the newest 29 h later.
          author: {
            name: 'Mona',
            date: new Date(Date.UTC(2026, 10, 20, 8 + i)).toISOString()
          }
        },
        author: {login: 'mona'}
      }))
      // As GitHub: chronological order; at most 250 commits unpaginated, else the page asked for.
      const q = new URL(url, 'http://x').searchParams
      const perPage = Number(q.get('per_page') ?? 0)
      const page = Number(q.get('page') ?? 1)
      const commits =
        perPage > 0
          ? all.slice((page - 1) * perPage, page * perPage)
          : all.slice(0, 250)
      json({
        total_commits: all.length,
        commits,
        html_url: `https://github.com/octo-org/payments/compare/${BASE_SHA.slice(0, 7)}...1a2b3c4`
      })
      return
    }
    if (
      !/^\/repos\/octo-org\/payments\/actions\/runs\/\d+\/attempts\/1\/jobs/.test(
        url
      )
    ) {
      res.writeHead(404, {'Content-Type': 'application/json'})
      res.end(JSON.stringify({message: 'Not Found'}))
      return
    }
    if (fake.jobsStatus !== undefined) {
      res.writeHead(fake.jobsStatus, {'Content-Type': 'application/json'})
      res.end(JSON.stringify({message: 'Server Error'}))
      return
    }
    const jobs = [
      {
        id: 1,
        name: 'build',
        status: 'completed',
        conclusion: 'success',
        runner_name: 'GitHub Actions 3',
        steps: []
      },
      fake.job ?? {
        id: 2,
        name: 'deploy',
        status: 'in_progress',
        conclusion: null,
        runner_name: 'GitHub Actions 7',
        steps: fake.steps
      }
    ]
    res.writeHead(200, {'Content-Type': 'application/json'})
    res.end(JSON.stringify({total_count: jobs.length, jobs}))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  fake.stop = () => new Promise<void>(resolve => server.close(() => resolve()))
  return fake
}
