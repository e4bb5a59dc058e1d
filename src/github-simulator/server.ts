import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse
} from 'node:http'
import type {AddressInfo, Socket} from 'node:net'
import {GithubWorld, type Run, type TokenInfo} from './world.js'

/**
 * A local GitHub REST API, as much of it as this action uses, answering as docs.github.com/rest
 * documents it: workflow runs by status, a run's jobs, its pending deployments and their review
 * (POST …/pending_deployments: environment_ids, state approved|rejected, comment), its review log
 * (…/approvals), deployments and their statuses, compare with per_page/page, and repository
 * dispatches (204). Lists page by per_page (at most 100) and page, with a Link header. A token it
 * does not know gets 401 "Bad credentials"; a token that may only read gets 403 "Resource not
 * accessible by integration" when it reviews; a spent primary rate limit gets 403 with
 * x-ratelimit-remaining: 0 (docs: rate limits for the REST API); a fault the world holds answers
 * in place of the route. Reviewing an environment that is
 * no longer waiting gets 422, as a second review of the same deployment does.
 */
export interface GithubSimulator {
  url: string
  world: GithubWorld
  stop(): Promise<void>
}

export async function startGithubSimulator(
  options: {port?: number; world?: GithubWorld} = {}
): Promise<GithubSimulator> {
  const world = options.world ?? new GithubWorld()
  const sockets = new Set<Socket>()
  const server: Server = createServer((req, res) => {
    void handle(world, req, res).catch((error: unknown) => {
      reply(res, 500, {message: String(error)})
    })
  })
  server.on('connection', socket => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>(resolve =>
    server.listen(options.port ?? 0, '127.0.0.1', resolve)
  )
  const {port} = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    world,
    stop: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>(resolve => server.close(() => resolve()))
    }
  }
}

interface Answer {
  status: number
  body?: unknown
  headers?: Record<string, string>
}

async function handle(
  world: GithubWorld,
  req: IncomingMessage,
  res: ServerResponse
): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase()
  // Absolute, as GitHub's Link headers are: Octokit's paginate follows them as they are.
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'github'}`)
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const raw = Buffer.concat(chunks).toString('utf8')
  const auth = req.headers.authorization ?? ''
  const token = /^(?:token|Bearer) (.+)$/.exec(auth)?.[1] ?? ''
  const user = world.tokens.get(token)
  world.requests.push({
    method,
    path: url.pathname + url.search,
    login: user?.login
  })
  if (user === undefined) {
    reply(res, 401, {message: 'Bad credentials'})
    return
  }
  const limit = rateLimit(world, user)
  if (limit.remaining < 0) {
    reply(
      res,
      403,
      {message: `API rate limit exceeded for user ID ${user.id}.`},
      limit.headers
    )
    return
  }
  const fault = world.faultFor(method, url.pathname + url.search)
  if (fault !== undefined) {
    reply(
      res,
      fault.status,
      {message: fault.message ?? 'Server Error'},
      limit.headers
    )
    return
  }
  let body: unknown
  try {
    body = raw === '' ? undefined : JSON.parse(raw)
  } catch {
    reply(res, 400, {message: 'Problems parsing JSON'}, limit.headers)
    return
  }
  const answer = route(world, user, method, url, body)
  reply(res, answer.status, answer.body, {...limit.headers, ...answer.headers})
}

function route(
  world: GithubWorld,
  user: TokenInfo,
  method: string,
  url: URL,
  body: unknown
): Answer {
  const m = /^\/repos\/([^/]+\/[^/]+)(\/.*)$/.exec(url.pathname)
  if (m === null) return notFound()
  const repository = m[1]!
  const rest = m[2]!
  const repo = world.repos.get(repository)
  if (repo === undefined) return notFound()
  const q = url.searchParams

  if (method === 'POST' && rest === '/dispatches') {
    const b = body as
      {event_type?: unknown; client_payload?: unknown} | undefined
    if (typeof b?.event_type !== 'string' || b.event_type === '')
      return invalid("event_type wasn't supplied.")
    const dispatch = {
      repository,
      event_type: b.event_type,
      client_payload: b.client_payload ?? {},
      at: world.now()
    }
    world.dispatches.push(dispatch)
    world.onDispatch(dispatch)
    return {status: 204}
  }
  if (method === 'GET' && rest === '/actions/runs') {
    const status = q.get('status')
    const runs = [...repo.runs.values()]
      .filter(r => status === null || r.status === status)
      .sort((a, b) => b.id - a.id)
    return paged(url, runs.map(runJson), (items, total) => ({
      total_count: total,
      workflow_runs: items
    }))
  }
  const runMatch = /^\/actions\/runs\/(\d+)(\/.*)?$/.exec(rest)
  if (runMatch !== null) {
    const run = repo.runs.get(Number(runMatch[1]))
    if (run === undefined) return notFound()
    const sub = runMatch[2] ?? ''
    if (method === 'GET' && sub === '') return {status: 200, body: runJson(run)}
    if (method === 'GET' && sub === '/pending_deployments')
      return {
        status: 200,
        body: run.pending.flatMap(name => {
          const env = repo.environments.get(name)
          return env === undefined
            ? []
            : [
                {
                  environment: {id: env.id, name: env.name},
                  wait_timer: 0,
                  wait_timer_started_at: null,
                  current_user_can_approve:
                    !user.readOnly && env.reviewers.includes(user.login),
                  reviewers: env.reviewers.map(login => ({
                    type: 'User',
                    reviewer: {login}
                  }))
                }
              ]
        })
      }
    if (method === 'POST' && sub === '/pending_deployments')
      return review(world, repo.environments, run, user, body)
    if (method === 'GET' && sub === '/approvals')
      return {
        status: 200,
        body: run.reviews.map(r => ({
          state: r.state,
          comment: r.comment,
          environments: r.environments.map(name => ({name})),
          user: {login: r.user}
        }))
      }
    const jobs = /^\/attempts\/(\d+)\/jobs$/.exec(sub)
    if (method === 'GET' && jobs !== null)
      return paged(url, run.jobs, (items, total) => ({
        total_count: total,
        jobs: items
      }))
    return notFound()
  }
  if (method === 'GET' && rest === '/deployments') {
    const environment = q.get('environment')
    const list = repo.deployments
      .filter(d => environment === null || d.environment === environment)
      .sort((a, b) => b.id - a.id)
      .map(d => ({id: d.id, sha: d.sha, environment: d.environment}))
    return paged(url, list, items => items)
  }
  const statuses = /^\/deployments\/(\d+)\/statuses$/.exec(rest)
  if (method === 'GET' && statuses !== null) {
    const d = repo.deployments.find(x => x.id === Number(statuses[1]))
    if (d === undefined) return notFound()
    return paged(
      url,
      [...d.statuses].reverse().map(state => ({state})),
      items => items
    )
  }
  const compare = /^\/compare\/([0-9a-f]+)\.\.\.([0-9a-f]+)$/.exec(rest)
  if (method === 'GET' && compare !== null) {
    const from = repo.commits.findIndex(c => c.sha === compare[1])
    if (from < 0) return notFound()
    const after = repo.commits.slice(from + 1).map(c => ({
      sha: c.sha,
      commit: {message: c.message, author: {name: c.author, date: c.date}},
      author: {login: c.author}
    }))
    const perPage = Number(q.get('per_page') ?? 0)
    const page = Number(q.get('page') ?? 1)
    // Unpaginated, a compare lists the first 250 commits (docs: compare two commits).
    const commits =
      perPage > 0
        ? after.slice((page - 1) * perPage, page * perPage)
        : after.slice(0, 250)
    return {
      status: 200,
      body: {
        total_commits: after.length,
        commits,
        html_url: `https://github.com/${repository}/compare/${compare[1]!.slice(0, 7)}...${compare[2]!.slice(0, 7)}`
      }
    }
  }
  return notFound()
}

/**
 * POST …/pending_deployments. GitHub documents environment_ids, state and comment as required;
 * only a required reviewer of every named environment may review; an environment that is not
 * waiting on this run cannot be reviewed (422). Approving the last waiting environment lets
 * the run go on; rejecting fails it.
 */
function review(
  world: GithubWorld,
  environments: Map<string, {id: number; name: string; reviewers: string[]}>,
  run: Run,
  user: TokenInfo,
  body: unknown
): Answer {
  const b = body as
    {environment_ids?: unknown; state?: unknown; comment?: unknown} | undefined
  const ids = b?.environment_ids
  if (
    !Array.isArray(ids) ||
    ids.length === 0 ||
    !ids.every(i => Number.isInteger(i)) ||
    (b?.state !== 'approved' && b?.state !== 'rejected') ||
    typeof b.comment !== 'string'
  )
    return invalid(
      'Invalid request: environment_ids, state and comment are required.'
    )
  if (user.readOnly)
    return {
      status: 403,
      body: {message: 'Resource not accessible by integration'}
    }
  const named = [...environments.values()].filter(e => ids.includes(e.id))
  if (
    named.length !== ids.length ||
    !named.every(e => run.pending.includes(e.name))
  )
    return invalid('No pending deployment requests to approve or reject')
  if (!named.every(e => e.reviewers.includes(user.login)))
    return invalid('You are not a required reviewer of these environments')
  run.pending = run.pending.filter(p => !named.some(e => e.name === p))
  run.reviews.push({
    state: b.state,
    comment: b.comment,
    environments: named.map(e => e.name),
    user: user.login,
    at: world.now()
  })
  if (b.state === 'rejected') {
    run.status = 'completed'
    run.conclusion = 'failure'
  } else if (run.pending.length === 0) run.status = 'in_progress'
  return {
    status: 200,
    body: named.map(e => ({id: world.id(), environment: e.name}))
  }
}

function runJson(run: Run): Record<string, unknown> {
  return {
    id: run.id,
    name: run.name,
    head_sha: run.head_sha,
    run_attempt: run.run_attempt,
    status: run.status,
    conclusion: run.conclusion,
    created_at: run.created_at
  }
}

/** per_page (default 30, at most 100) and page, with a Link header naming the next and last pages. */
function paged<T>(
  url: URL,
  all: T[],
  wrap: (items: T[], total: number) => unknown
): Answer {
  const perPage = Math.min(
    100,
    Math.max(1, Number(url.searchParams.get('per_page') ?? 30) || 30)
  )
  const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1)
  const last = Math.max(1, Math.ceil(all.length / perPage))
  const items = all.slice((page - 1) * perPage, page * perPage)
  const link = (p: number, rel: string): string => {
    const u = new URL(url.toString())
    u.searchParams.set('page', String(p))
    u.searchParams.set('per_page', String(perPage))
    return `<${u.toString()}>; rel="${rel}"`
  }
  const links = [
    ...(page < last ? [link(page + 1, 'next'), link(last, 'last')] : []),
    ...(page > 1 ? [link(1, 'first'), link(page - 1, 'prev')] : [])
  ]
  return {
    status: 200,
    body: wrap(items, all.length),
    headers: links.length === 0 ? {} : {link: links.join(', ')}
  }
}

function rateLimit(
  world: GithubWorld,
  user: TokenInfo
): {remaining: number; headers: Record<string, string>} {
  let rate = world.rates.get(user.login)
  const now = Math.floor(world.now() / 1000)
  if (rate === undefined || rate.reset <= now) {
    rate = {
      limit: rate?.limit ?? 5000,
      remaining: rate?.limit ?? 5000,
      reset: now + 3600
    }
    world.rates.set(user.login, rate)
  }
  rate.remaining--
  return {
    remaining: rate.remaining,
    headers: {
      'x-ratelimit-limit': String(rate.limit),
      'x-ratelimit-remaining': String(Math.max(0, rate.remaining)),
      'x-ratelimit-reset': String(rate.reset),
      'x-ratelimit-used': String(rate.limit - Math.max(0, rate.remaining)),
      'x-ratelimit-resource': 'core'
    }
  }
}

function notFound(): Answer {
  return {
    status: 404,
    body: {
      message: 'Not Found',
      documentation_url: 'https://docs.github.com/rest'
    }
  }
}

function invalid(message: string): Answer {
  return {
    status: 422,
    body: {message, documentation_url: 'https://docs.github.com/rest'}
  }
}

function reply(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {}
): void {
  if (res.headersSent) return
  if (body === undefined) {
    res.writeHead(status, headers)
    res.end()
    return
  }
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    ...headers
  })
  res.end(JSON.stringify(body))
}
