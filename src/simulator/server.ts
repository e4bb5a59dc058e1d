import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse
} from 'node:http'
import {createServer as createTlsServer} from 'node:https'
import type {AddressInfo, Socket} from 'node:net'
import {adminRoute, type LiveSettings} from './admin-routes.js'
import {Attachments} from './attachments.js'
import {changeRoute} from './change-routes.js'
import {SnError} from './errors.js'
import {Faults, type FaultRule} from './faults.js'
import {cut, echo, endlessPage, huge, trickle} from './hostile.js'
import {Instance, type ApprovalPolicy} from './instance.js'
import type {OidcTrust} from './jwt-verifier.js'
import {OAuthServer} from './oauth.js'
import {OidcSignIn} from './oidc.js'
import {RateLimiter, type RateLimitConfig} from './rate-limit.js'
import {HIBERNATION_PAGE, type Reply, type RequestContext} from './reply.js'
import {seedHistory} from './history.js'
import {notifyGithubOnChange} from './notify-github.js'
import {seed, SEED_API_KEY, SEED_USERS} from './seed.js'
import type {Row} from './store.js'
import {tableRoute} from './table-routes.js'

export interface SimulatorOptions {
  port?: number
  host?: string
  approval?: Partial<ApprovalPolicy>
  rateLimit?: RateLimitConfig
  latencyMs?: number
  hibernating?: boolean
  /** False: the instance has no Change Management API plugin (sn_chg_rest answers 400). */
  changeApi?: boolean
  /** False: only PATCH /sn_chg_rest/change/{sys_id}/risk is missing (an older release). */
  riskApi?: boolean
  /** How long the Change Management API's asynchronous workers take, on the instance's clock (default 200 ms). */
  workerDelayMs?: number
  transitionRefusal?: 'error' | 'ignore'
  tokenLifetimeSeconds?: number
  clientCredentials?: boolean
  attachmentMaxBytes?: number
  faults?: FaultRule[]
  /** Serve https with this key and certificate (PEM) instead of plain http. */
  tls?: {key: string; cert: string}
  /** Weeks of past deployments and incidents to seed (for the report). */
  historyWeeks?: number
  /** Trust an OIDC provider's ID tokens: as API bearer tokens and in the JWT bearer grant. */
  oidc?: OidcTrust
  /** REST API keys (x-sn-apikey) and the user_name each signs in as; default: SEED_API_KEY. */
  apiKeys?: Record<string, string>
  /**
   * The instance's clock (default Date.now): record times, token lifetimes, rate-limit windows.
   * A benchmark that compresses hours passes a faster one. Timers (automatic approvals, latency)
   * and the request log's times stay on the wall clock.
   */
  now?: () => number
  /** Send repository_dispatch to this GitHub API when a change of this action changes approval or state (the README's business rule). */
  notifyGithub?: {url: string; token: string}
}

export interface RequestLogEntry {
  method: string
  path: string
  status: number | 'dropped' | 'hung'
  ms: number
  /** Size of the response body. */
  bytes: number
  user: string | undefined
  /** The client's User-Agent: which of many clients signed in as one user sent it. */
  agent: string | undefined
  at: number
}

/**
 * A local stand-in for a ServiceNow instance. Start it on port 0 from a test,
 * read `url`, and `stop()` it; or run it from the command line (cli.ts).
 */
export class Simulator {
  readonly instance: Instance
  readonly oauth: OAuthServer
  readonly oidc: OidcSignIn
  readonly faults = new Faults()
  readonly rateLimiter: RateLimiter
  readonly attachments: Attachments
  readonly log: RequestLogEntry[] = []
  readonly settings: LiveSettings
  readonly passwords = new Map<string, string>(
    Object.values(SEED_USERS).map(u => [u.user_name, u.password])
  )
  readonly apiKeys: Map<string, string>
  private readonly server: Server
  private readonly sockets = new Set<Socket>()
  private baseUrl = ''

  constructor(private readonly options: SimulatorOptions = {}) {
    const now = options.now ?? ((): number => Date.now())
    this.instance = new Instance(
      {
        approval: {mode: 'manual', afterMs: 0, ...options.approval},
        transitionRefusal: options.transitionRefusal ?? 'error',
        ignoreStateWrites: false,
        riskApi: options.riskApi ?? true
      },
      now
    )
    if (options.workerDelayMs !== undefined)
      this.instance.workers.delayMs = options.workerDelayMs
    seed(this.instance.store)
    if (options.notifyGithub !== undefined)
      notifyGithubOnChange(this.instance.store, options.notifyGithub)
    if (options.historyWeeks !== undefined)
      seedHistory(this.instance.store, {
        weeks: options.historyWeeks,
        now: now()
      })
    this.oidc = new OidcSignIn(this.instance.store, options.oidc, now)
    this.oauth = new OAuthServer(
      this.instance.store,
      this.passwords,
      {
        tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 1800,
        clientCredentials: options.clientCredentials ?? true
      },
      now,
      this.oidc
    )
    this.rateLimiter = new RateLimiter(options.rateLimit, now)
    this.apiKeys = new Map(
      Object.entries(options.apiKeys ?? {[SEED_API_KEY.key]: SEED_API_KEY.user})
    )
    this.attachments = new Attachments(
      this.instance,
      options.attachmentMaxBytes ?? 5 * 1024 * 1024
    )
    this.settings = {
      latencyMs: options.latencyMs ?? 0,
      hibernating: options.hibernating ?? false,
      changeApi: options.changeApi ?? true
    }
    for (const rule of options.faults ?? []) this.faults.add(rule)
    const handler = (req: IncomingMessage, res: ServerResponse): void =>
      void this.handle(req, res)
    this.server =
      options.tls === undefined
        ? createServer(handler)
        : createTlsServer(options.tls, handler)
    // The raw socket, for https too: one whose handshake failed must still be closed on stop.
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket)
      socket.on('close', () => this.sockets.delete(socket))
    })
  }

  get url(): string {
    return this.baseUrl
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(
        this.options.port ?? 0,
        this.options.host ?? '127.0.0.1',
        () => resolve()
      )
    })
    const address = this.server.address() as AddressInfo
    const host =
      address.family === 'IPv6' ? `[${address.address}]` : address.address
    this.baseUrl = `${this.options.tls === undefined ? 'http' : 'https'}://${host}:${address.port}`
    return this
  }

  async stop(): Promise<void> {
    this.instance.stop()
    for (const socket of this.sockets) socket.destroy()
    await new Promise<void>(resolve => this.server.close(() => resolve()))
  }

  /** The API requests seen (admin requests are not counted). */
  requests(filter?: {method?: string; path?: string}): RequestLogEntry[] {
    return this.log.filter(
      e =>
        (filter?.method === undefined || e.method === filter.method) &&
        (filter?.path === undefined || e.path.includes(filter.path))
    )
  }

  private async handle(
    req: IncomingMessage,
    res: ServerResponse
  ): Promise<void> {
    const started = Date.now()
    const method = (req.method ?? 'GET').toUpperCase()
    const url = new URL(req.url ?? '/', 'http://simulator')
    let body = await readBody(req)

    if (url.pathname.startsWith('/__sim/')) {
      write(res, this.admin(method, url, body))
      return
    }
    const entry: RequestLogEntry = {
      method,
      path: url.pathname + url.search,
      status: 0,
      ms: 0,
      bytes: 0,
      user: undefined,
      agent: req.headers['user-agent'],
      at: started
    }
    this.log.push(entry)
    const finish = (status: RequestLogEntry['status']): void => {
      entry.status = status
      entry.ms = Date.now() - started
    }

    const query = decodeURIComponent(url.search)
    const before = this.faults.take(method, url.pathname, query, 'before')
    const delay = this.settings.latencyMs + before.delayMs
    if (delay > 0) await new Promise(resolve => setTimeout(resolve, delay))
    if (before.fault?.kind === 'swallow-state')
      body = this.swallowState(url.pathname, body, before.fault)
    const spoil = {req, url, body}
    if (
      before.fault !== undefined &&
      this.applyFault(before.fault, res, finish, undefined, spoil)
    )
      return

    let reply: Reply
    if (this.settings.hibernating) {
      reply = {
        status: 200,
        raw: {data: HIBERNATION_PAGE, contentType: 'text/html'}
      }
    } else {
      const ctx: RequestContext = {
        req,
        method,
        url,
        body,
        baseUrl: this.baseUrl,
        user: {}
      }
      reply = this.route(ctx)
      entry.user = ctx.user.user_name
    }
    // A delay `when: 'after'` holds the answer of a write that has already landed: the window in which others act.
    const taken = this.faults.take(method, url.pathname, query, 'after')
    if (taken.delayMs > 0)
      await new Promise(resolve => setTimeout(resolve, taken.delayMs))
    const after = taken.fault
    if (
      after !== undefined &&
      this.applyFault(after, res, finish, reply, spoil)
    )
      return
    entry.bytes = write(res, reply)
    finish(reply.status)
  }

  private route(ctx: RequestContext): Reply {
    try {
      const path = ctx.url.pathname
      if (path === '/oauth_token.do') {
        if (ctx.method !== 'POST')
          throw new SnError(405, 'Method not Supported', null)
        return this.oauth.handle(ctx.req.headers['content-type'], ctx.body)
      }
      if (!path.startsWith('/api/')) {
        return {
          status: 404,
          raw: {
            data: '<html><head><title>Page not found</title></head><body>Not found</body></html>',
            contentType: 'text/html'
          }
        }
      }
      checkHeaders(ctx)
      ctx.user = this.authenticate(ctx)
      const limit = this.rateLimiter.check(ctx.user.user_name ?? '')
      const reply = this.resource(ctx, path)
      // A request that matches a rule carries the rule's headers whatever its answer.
      return limit === undefined
        ? reply
        : {...reply, headers: {...limit, ...reply.headers}}
    } catch (error) {
      return errorReply(error)
    }
  }

  private resource(ctx: RequestContext, path: string): Reply {
    try {
      // Workers due are done before any request is served: whatever it reads sees their work.
      this.instance.workers.settle()
      const table =
        /^\/api\/now\/(?:v[12]\/)?table\/([^/]+)(?:\/([^/]+))?\/?$/.exec(path)
      if (table !== null)
        return tableRoute(this.instance, ctx, table[1] ?? '', table[2])
      const attachment = /^\/api\/now\/(?:v1\/)?attachment(\/.*)?$/.exec(path)
      if (attachment !== null)
        return this.attachments.route(ctx, attachment[1] ?? '')
      const change = /^\/api\/sn_chg_rest\/(?:v1\/)?change(\/.*)?$/.exec(path)
      if (change !== null && this.settings.changeApi)
        return changeRoute(this.instance, ctx, change[1] ?? '')
      throw new SnError(
        400,
        'Requested URI does not represent any resource',
        null
      )
    } catch (error) {
      return errorReply(error)
    }
  }

  private authenticate(ctx: RequestContext): Row {
    const header = ctx.req.headers.authorization ?? ''
    const unauthenticated = new SnError(
      401,
      'User Not Authenticated',
      'Required to provide Auth information'
    )
    let user: Row | undefined
    const apiKey = ctx.req.headers['x-sn-apikey']
    if (typeof apiKey === 'string') {
      // An API key authentication profile reads the key from the x-sn-apikey header and signs in
      // the key's user (markdown/platform-security/authentication/configure-api-key.md). A key
      // that matches no active key gets the same 401 as any failed sign-in.
      const name = this.apiKeys.get(apiKey)
      user =
        name === undefined
          ? undefined
          : this.instance.store
              .rows('sys_user')
              .find(u => u.user_name === name && u.active === 'true')
    } else if (header.startsWith('Basic ')) {
      const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8')
      const colon = decoded.indexOf(':')
      const name = decoded.slice(0, colon)
      if (colon > 0 && this.passwords.get(name) === decoded.slice(colon + 1)) {
        user = this.instance.store
          .rows('sys_user')
          .find(u => u.user_name === name && u.active === 'true')
      }
    } else if (header.startsWith('Bearer ')) {
      const token = header.slice(7)
      // An instance's own access tokens are opaque; a three-part token is a JWT for the OIDC provider entry.
      user =
        token.split('.').length === 3
          ? this.oidc.userFor(token, ctx.url.pathname)
          : this.oauth.userFor(token)
    }
    if (user === undefined) throw unauthenticated
    return user
  }

  /** A write whose state is lost on the way, while the change's approval changes at that moment. */
  private swallowState(path: string, body: Buffer, rule: FaultRule): Buffer {
    const row = this.instance.store.get(
      'change_request',
      path.split('/').at(-1) ?? ''
    )
    if (row !== undefined && rule.approval !== undefined)
      this.instance.store.update(
        'change_request',
        row,
        {approval: rule.approval},
        'system'
      )
    let fields: Record<string, unknown>
    try {
      fields = JSON.parse(body.toString('utf8')) as Record<string, unknown>
    } catch {
      return body
    }
    delete fields.state
    return Buffer.from(JSON.stringify(fields))
  }

  /** Writes the fault's answer; false when the request should go on (a delay only). */
  private applyFault(
    rule: FaultRule,
    res: ServerResponse,
    finish: (s: RequestLogEntry['status']) => void,
    reply: Reply | undefined,
    request: {req: IncomingMessage; url: URL; body: Buffer}
  ): boolean {
    switch (rule.kind) {
      case 'trickle':
        trickle(res, reply)
        finish(reply?.status ?? 200)
        return true
      case 'cut':
        cut(res, reply, rule.framing ?? 'content-length')
        finish('dropped')
        return true
      case 'huge':
        huge(res, rule.bytes, rule.framing)
        finish(200)
        return true
      case 'echo':
        echo(res, request.req, request.body)
        finish(400)
        return true
      case 'endless-paging':
        endlessPage(res, reply, request.url, this.baseUrl)
        finish(200)
        return true
      case 'drop':
        res.socket?.destroy()
        finish('dropped')
        return true
      case 'hang':
        // Never answer; the socket is destroyed when the client gives up or the simulator stops.
        finish('hung')
        return true
      case 'expire-token':
        this.oauth.expireAll()
        return false
      case 'html':
        write(res, {
          status: 200,
          raw: {data: HIBERNATION_PAGE, contentType: 'text/html'}
        })
        finish(200)
        return true
      case 'truncate': {
        const full = JSON.stringify(
          reply?.json ?? {
            result: {sys_id: 'a'.repeat(32), number: 'CHG0000000', state: '-5'}
          }
        )
        write(res, {
          status: reply?.status ?? 200,
          raw: {
            data: full.slice(0, Math.max(1, Math.floor(full.length / 2))),
            contentType: 'application/json'
          }
        })
        finish(reply?.status ?? 200)
        return true
      }
      case 'answer':
        write(
          res,
          rule.text !== undefined
            ? {
                status: rule.status ?? 200,
                raw: {data: rule.text, contentType: 'application/json'}
              }
            : {status: rule.status ?? 200, json: rule.json ?? null}
        )
        finish(rule.status ?? 200)
        return true
      case 'status': {
        const status = rule.status ?? 500
        const retryAfter =
          rule.retryAfter ??
          (rule.retryAfterSeconds === undefined
            ? undefined
            : String(rule.retryAfterSeconds))
        const headers: Record<string, string> = {
          ...rule.headers,
          ...(retryAfter === undefined ? {} : {'Retry-After': retryAfter})
        }
        const reason =
          status === 429 ? 'Rate limit exceeded' : `Simulated fault ${status}`
        write(
          res,
          rule.htmlBody === true
            ? {
                status,
                headers,
                raw: {
                  data: `<html><head><title>${status} Error</title></head><body>${reason}</body></html>`,
                  contentType: 'text/html'
                }
              }
            : {
                status,
                headers,
                json: {
                  error: {message: reason, detail: 'Injected by the simulator'},
                  status: 'failure'
                }
              }
        )
        finish(status)
        return true
      }
      default:
        return false
    }
  }

  private admin(method: string, url: URL, body: Buffer): Reply {
    try {
      return adminRoute(this, method, url, body)
    } catch (error) {
      if (error instanceof SnError)
        return {status: error.status, json: error.body()}
      return {
        status: 400,
        json: {
          error: {
            message: error instanceof Error ? error.message : String(error),
            detail: null
          },
          status: 'failure'
        }
      }
    }
  }
}

export async function startSimulator(
  options: SimulatorOptions = {}
): Promise<Simulator> {
  return new Simulator(options).start()
}

function errorReply(error: unknown): Reply {
  if (error instanceof SnError)
    return {status: error.status, json: error.body(), headers: error.headers}
  const message = error instanceof Error ? error.message : String(error)
  return {
    status: 500,
    json: {
      error: {message: 'Internal server error', detail: message},
      status: 'failure'
    }
  }
}

/**
 * A missing Accept, or a body without Content-Type, is a 400: the Table API's request headers
 * (markdown/api-reference/rest-apis/c_TableAPI.md); the 400 itself is recorded from instances.
 */
function checkHeaders(ctx: RequestContext): void {
  const accept = ctx.req.headers.accept ?? ''
  if (!/json|\*\/\*/.test(accept))
    throw new SnError(
      400,
      'Invalid Accept header',
      'Requests must accept application/json'
    )
  if (ctx.body.length > 0 && (ctx.req.headers['content-type'] ?? '') === '') {
    throw new SnError(
      400,
      'Invalid Content-Type header',
      'A request with a body must say its Content-Type'
    )
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** Writes the reply; returns the body's size in bytes. */
function write(res: ServerResponse, reply: Reply): number {
  if (res.destroyed) return 0
  const headers: Record<string, string> = {...reply.headers}
  let data: Buffer | string | undefined
  if (reply.raw !== undefined) {
    headers['Content-Type'] = reply.raw.contentType
    data = reply.raw.data
  } else if (reply.json !== undefined) {
    headers['Content-Type'] = 'application/json;charset=UTF-8'
    data = JSON.stringify(reply.json)
  }
  res.writeHead(reply.status, headers)
  res.end(data)
  return data === undefined ? 0 : Buffer.byteLength(data)
}
