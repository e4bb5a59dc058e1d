import {HttpClient} from '@actions/http-client'
import type {IncomingHttpHeaders} from 'node:http'
import {createAuthenticator, type AuthSettings} from './auth.js'
import type {Authenticator} from './authenticator.js'
import {systemClock, type Clock} from './clock.js'
import {ServiceNowError} from './errors.js'
import {exchange, ExchangeError} from './exchange.js'
import {classifyFailure, isTlsRefusal, mayPass, TOKEN_PATH} from './failure.js'
import {registerSecret, safeUrl} from './redact.js'
import {RatePacing} from './rate-pacing.js'
import {
  backoffDelay,
  defaultRetryPolicy,
  parseRateLimitReset,
  parseRetryAfter,
  type RetryPolicy
} from './retry.js'

export type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'
export type QueryParams = Record<string, string | number | boolean | undefined>

export interface RequestSpec {
  method: Method
  /** Path from the instance root, e.g. /api/now/table/change_request. */
  path: string
  query?: QueryParams
  /** Sent as JSON. */
  json?: unknown
  /** Sent as application/x-www-form-urlencoded (the token endpoint accepts nothing else). */
  form?: Record<string, string>
  /** Sent as is (attachments). */
  raw?: {data: Buffer; contentType: string}
  /**
   * Whether sending the request twice does no harm. Defaults to true for every
   * method but POST. Only idempotent requests are retried after a failure that
   * may have reached the instance.
   */
  idempotent?: boolean
  /** False for the token endpoint itself. */
  authenticated?: boolean
}

export interface ApiResponse {
  status: number
  headers: IncomingHttpHeaders
  /** Parsed JSON, or undefined for an empty body (204). */
  body: unknown
}

export interface ConnectionOptions {
  baseUrl: string
  auth: AuthSettings
  /** The deadline of one request, from connecting to the answer's last byte. */
  timeoutMs?: number
  retry?: Partial<RetryPolicy>
  clock?: Clock
  random?: () => number
  mask?: (secret: string) => void
  /** One line per request (method, path, status, time). Never headers or bodies. */
  log?: (line: string) => void
  userAgent?: string
  /** GitHub's OIDC ID token for an audience, for auth oidc and oidc_jwt_bearer (core.getIDToken in the action). */
  idToken?: (audience: string) => Promise<string>
}

export interface RequestEvent {
  method: Method
  path: string
  attempt: number
  status?: number
  error?: ServiceNowError
  ms: number
}

/**
 * One instance, one sign-in, one retrying HTTP client. Everything else in the
 * library sends its requests through here.
 *
 * Built on @actions/http-client so that HTTPS_PROXY/NO_PROXY work as on any
 * runner. Its own retries and redirects are off: retries are decided here,
 * and a redirect from an API endpoint means a login or SSO page, never data.
 */
export class Connection {
  readonly baseUrl: string
  readonly clock: Clock
  private readonly http: HttpClient
  private readonly auth: Authenticator
  private readonly retry: RetryPolicy
  private readonly random: () => number
  private readonly log: (line: string) => void
  /** How long one request may take before it is given up (request_timeout_seconds). */
  readonly timeoutMs: number
  private readonly userAgent: string
  private readonly listeners: ((event: RequestEvent) => void)[] = []
  /** Until when a rate limit asked this client to hold its requests, and the answer that said so. */
  private pausedUntil = 0
  private pausedBy: ServiceNowError | undefined
  /** Time this client has spent waiting out rate limits: all of it comes from one budget (maxRateLimitWaitMs). */
  private rateLimitedMs = 0
  /** What the instance's rate-limit rule says, and this client's pace by it. */
  readonly pacing = new RatePacing()
  /** Set while a caller with its own deadline (the wait loop) runs: no wait may end after it. */
  private waitUntil: number | undefined

  constructor(options: ConnectionOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '')
    this.timeoutMs = options.timeoutMs ?? 30_000
    this.clock = options.clock ?? systemClock
    this.random = options.random ?? Math.random
    this.retry = {...defaultRetryPolicy, ...options.retry}
    this.log = options.log ?? (() => {})
    this.userAgent = options.userAgent ?? 'servicenow-change'
    // Only its agent is used (keep-alive, or a tunnel through HTTPS_PROXY); requests go through exchange().
    this.http = new HttpClient(this.userAgent, [], {
      allowRetries: false,
      allowRedirects: false,
      keepAlive: true
    })
    const mask = options.mask ?? (() => {})
    this.auth = createAuthenticator(options.auth, {
      clock: this.clock,
      // Registered twice: with the runner (its log) and with redact() (everything the action prints).
      mask: secret => {
        registerSecret(secret)
        mask(secret)
      },
      ...(options.idToken === undefined ? {} : {idToken: options.idToken}),
      requestToken: async form =>
        (
          await this.request({
            method: 'POST',
            path: TOKEN_PATH,
            form,
            authenticated: false,
            idempotent: true
          })
        ).body
    })
  }

  get maxAttempts(): number {
    return this.retry.maxAttempts
  }

  get authMethod(): AuthSettings['method'] {
    return this.auth.method
  }

  /** More than "check the credentials" after a final 401, when the sign-in method can say it. */
  explainAuthRefusal(): string | undefined {
    return this.auth.explainRefusal?.()
  }

  /** Observe every attempt (for metrics and tests); returns a function that stops observing. */
  onRequest(listener: (event: RequestEvent) => void): () => void {
    this.listeners.push(listener)
    return () => this.listeners.splice(this.listeners.indexOf(listener), 1)
  }

  /** Frees the keep-alive sockets so the process can end. */
  dispose(): void {
    this.http.dispose()
  }

  url(path: string, query?: QueryParams): string {
    const params = new URLSearchParams()
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) params.set(key, String(value))
    }
    const text = params.toString()
    return `${this.baseUrl}${path}${text === '' ? '' : `?${text}`}`
  }

  async request(spec: RequestSpec): Promise<ApiResponse> {
    const idempotent = spec.idempotent ?? spec.method !== 'POST'
    const where =
      spec.query === undefined
        ? spec.path
        : this.url(spec.path, spec.query).slice(this.baseUrl.length)
    let renewed = false
    // Tries that failed, not counting rate-limit turn-aways that said when to come back: those
    // are waited out against the step's time budget for rate limits instead of max_attempts.
    let failures = 0
    for (let attempt = 1; ; attempt++) {
      // After a 429 this client holds all its requests until the instance said to come back.
      const pause = this.pausedUntil - this.clock.now()
      if (pause > 0 && this.pausedBy !== undefined)
        await this.pauseFor(pause, this.pausedBy, true)
      // Outside the try: a failed sign-in is its own error (already retried), not this request's.
      const authorization =
        spec.authenticated === false
          ? undefined
          : await this.auth.authorization()
      const started = this.clock.now()
      let outcome: ApiResponse | ServiceNowError
      try {
        outcome = await this.send(spec, where, authorization)
      } catch (error) {
        outcome = asNetworkError(error, spec.method, where)
      }
      const ms = this.clock.now() - started
      const status =
        outcome instanceof ServiceNowError ? outcome.status : outcome.status
      this.log(
        `${spec.method} ${where} → ${status ?? (outcome as ServiceNowError).kind} (${ms} ms${attempt > 1 ? `, attempt ${attempt}` : ''})`
      )
      for (const listener of this.listeners) {
        listener({
          method: spec.method,
          path: spec.path,
          attempt,
          status,
          ms,
          ...(outcome instanceof ServiceNowError ? {error: outcome} : {})
        })
      }
      if (!(outcome instanceof ServiceNowError)) return outcome

      // A 401 with OAuth usually means the token expired early or was revoked: renew once.
      if (outcome.status === 401 && spec.authenticated !== false && !renewed) {
        renewed = true
        if (await this.auth.renew()) continue
      }
      const told = toldWhen(outcome)
      if (!told) failures++
      const final = attempt > 1 ? outcome.afterAttempts(attempt) : outcome
      // Held even when the request is left to its caller: the instance said when to come back.
      const hold = told ? this.comeBackAfter(outcome) : undefined
      if (hold !== undefined) this.holdUntil(this.clock.now() + hold, outcome)
      const delay = this.retryDelay(outcome, idempotent, failures, hold)
      if (delay === undefined) throw final
      await this.pauseFor(delay, final, told)
    }
  }

  /**
   * Runs `body` (e.g. one poll of the wait loop) under a deadline of the caller's: no retry
   * or rate-limit wait inside it may end later; the error is the caller's to handle instead.
   */
  async within<T>(until: number, body: () => Promise<T>): Promise<T> {
    const outer = this.waitUntil
    this.waitUntil = Math.min(until, outer ?? Infinity)
    try {
      return await body()
    } finally {
      this.waitUntil = outer
    }
  }

  /**
   * The wait before a caller repeats a request it had to check first (a create that may have
   * landed): a rate limit's Retry-After when the instance gave one, else the backoff of this attempt.
   */
  async waitToRetry(
    error: ServiceNowError,
    attempt: number,
    random: () => number = this.random
  ): Promise<void> {
    const told = toldWhen(error)
    const delay = told
      ? this.comeBackAfter(error)
      : backoffDelay(attempt, this.retry, random)
    if (told) this.holdUntil(this.clock.now() + delay, error)
    await this.pauseFor(delay, error, told)
  }

  /** Holds every request of this client until `until`: a 429 turned one away. */
  private holdUntil(until: number, by: ServiceNowError): void {
    if (until <= this.pausedUntil) return
    this.pausedUntil = until
    this.pausedBy = by
  }

  /**
   * After a 429 that said when to come back: the pacing's spread return (rate-pacing.ts), but
   * no later than may be waited, so that a spread never turns a reset that fits into a failure.
   */
  private comeBackAfter(error: ServiceNowError): number {
    const after = Math.max(error.retryAfterMs!, this.retry.baseDelayMs)
    const hold = this.pacing.holdAfterRefusal(
      after,
      this.clock.now(),
      this.random
    )
    return Math.min(hold, Math.max(after, this.waitLeft(true)))
  }

  /** What may still be waited: to the caller's deadline, or for a rate limit the step's budget. */
  private waitLeft(rateLimited: boolean): number {
    return this.waitUntil !== undefined
      ? this.waitUntil - this.clock.now()
      : rateLimited
        ? this.retry.maxRateLimitWaitMs - this.rateLimitedMs
        : Infinity
  }

  /**
   * Sleeps before a retry, unless the sleep would pass what may be waited: a caller's deadline
   * (see within), or for a rate limit the step's budget. Then `error` is final, naming when the
   * instance said to come back.
   */
  private async pauseFor(
    ms: number,
    error: ServiceNowError,
    rateLimited: boolean
  ): Promise<void> {
    const now = this.clock.now()
    const left = this.waitLeft(rateLimited)
    if (ms > left)
      throw rateLimited
        ? error.beyondWaitBudget(Math.max(this.pausedUntil, now))
        : error
    if (rateLimited && this.waitUntil === undefined) this.rateLimitedMs += ms
    await this.clock.sleep(ms)
  }

  /**
   * How long to wait before the next try, or undefined when the failure is final. `failures`
   * counts tries that failed; 429s with a Retry-After are not among them: max_attempts does
   * not limit those (the step's rate-limit budget or the caller's deadline bounds them by time).
   */
  private retryDelay(
    error: ServiceNowError,
    idempotent: boolean,
    failures: number,
    hold: number | undefined
  ): number | undefined {
    const told = hold !== undefined
    if (!mayPass(error) || (!told && failures >= this.retry.maxAttempts))
      return undefined
    // A request that is not safe to repeat is repeated here only when it certainly never left
    // (connection refused): anything else is for the caller, who can check first whether it landed.
    if (!idempotent && (error.status !== undefined || error.mayHaveLanded))
      return undefined
    if (told) return hold
    return backoffDelay(failures, this.retry, this.random)
  }

  private async send(
    spec: RequestSpec,
    where: string,
    authorization: string | undefined
  ): Promise<ApiResponse> {
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'User-Agent': this.userAgent
    }
    let body: Buffer | undefined
    if (spec.json !== undefined) {
      headers['Content-Type'] = 'application/json'
      body = Buffer.from(JSON.stringify(spec.json))
    } else if (spec.form !== undefined) {
      headers['Content-Type'] = 'application/x-www-form-urlencoded'
      body = Buffer.from(new URLSearchParams(spec.form).toString())
    } else if (spec.raw !== undefined) {
      headers['Content-Type'] = spec.raw.contentType
      body = spec.raw.data
    }
    if (body !== undefined) headers['Content-Length'] = String(body.length)
    if (authorization !== undefined)
      headers[this.auth.header ?? 'Authorization'] = authorization

    const url = `${this.baseUrl}${where}`
    const answer = await exchange({
      url,
      method: spec.method,
      headers,
      body,
      agent: this.http.getAgent(url),
      deadlineMs: this.timeoutMs
    })
    this.pacing.observe(answer.headers, answer.status, this.clock.now())
    return interpret(
      answer.status,
      answer.headers,
      answer.text,
      spec,
      where,
      this.baseUrl,
      this.clock.now()
    )
  }
}

/** A 429 that said when to come back (later than now): waited out by time, not counted as a failed try. */
function toldWhen(error: ServiceNowError): boolean {
  return (
    classifyFailure(error) === 'rate-limited' &&
    error.retryAfterMs !== undefined &&
    error.retryAfterMs > 0
  )
}

const TRUNCATED =
  'The body ends before the JSON does: the connection was probably cut mid-answer.'

function interpret(
  status: number,
  headers: IncomingHttpHeaders,
  text: string,
  spec: RequestSpec,
  where: string,
  baseUrl: string,
  now: number
): ApiResponse {
  const base = {method: spec.method, path: where, status}
  if (status >= 300 && status < 400) {
    const location =
      typeof headers.location === 'string'
        ? safeUrl(headers.location)
        : 'elsewhere'
    throw new ServiceNowError({
      ...base,
      kind: 'http',
      message: `the instance redirected to ${location}`,
      detail:
        'An API endpoint redirects only to a login or single-sign-on page: check instance_url and that the integration user may sign in without SSO.'
    })
  }
  let parsed: unknown
  const trimmed = text.trim()
  if (trimmed !== '') {
    try {
      parsed = JSON.parse(trimmed)
    } catch {
      throw notJson(base, trimmed, baseUrl)
    }
  }
  if (status >= 200 && status < 300) return {status, headers, body: parsed}

  const {message, detail} = errorText(parsed)
  throw new ServiceNowError({
    ...base,
    kind: 'http',
    message: message ?? defaultMessage(status),
    detail,
    retryAfterMs: status === 429 ? comeBackIn(headers, now) : undefined,
    mayHaveLanded: mayHaveActed(status)
  })
}

/**
 * Whether the instance may have carried out a request answered with this status.
 * Any 5xx can come from a gateway or node that gave up after the work was done;
 * a 4xx (429 included: a rate-limit rule turns the request away before it runs) means it was not.
 */
function mayHaveActed(status: number): boolean {
  return status >= 500
}

/**
 * How long a 429 asked to wait: until the next reset of the rule's window (X-RateLimit-Reset,
 * Unix seconds), or else Retry-After. ServiceNow sends both with a 429
 * (markdown/api-reference/rest-api-explorer/inbound-REST-API-rate-limiting.md); a proxy may send
 * only one, or a 0, a date in the past or garbage: then undefined or 0, and the client backs off
 * on its own.
 */
function comeBackIn(
  headers: IncomingHttpHeaders,
  now: number
): number | undefined {
  const first = (value: string | string[] | undefined): string | undefined =>
    Array.isArray(value) ? value[0] : value
  // The reset is the exact moment; Retry-After is the same moment rounded to seconds.
  return (
    parseRateLimitReset(first(headers['x-ratelimit-reset']), now) ??
    parseRetryAfter(first(headers['retry-after']), now)
  )
}

function notJson(
  base: {method: Method; path: string; status: number},
  text: string,
  baseUrl: string
): ServiceNowError {
  if (text.startsWith('<')) {
    const ok = base.status >= 200 && base.status < 300
    return new ServiceNowError({
      ...base,
      kind: ok ? 'invalid-response' : 'http',
      message: ok
        ? 'the instance answered with an HTML page instead of JSON'
        : `the answer is an HTML error page${titleOf(text)}, likely from a proxy or load balancer in front of the instance`,
      detail: ok
        ? `A hibernating developer instance does this: wake it by signing in at ${baseUrl} (or developer.servicenow.com). ` +
          'A single-sign-on or proxy login page does it too: check instance_url.'
        : undefined,
      // A 2xx page in place of the answer: whatever produced it, the instance may have acted.
      mayHaveLanded: ok || mayHaveActed(base.status)
    })
  }
  const looksCut = text.startsWith('{') || text.startsWith('[')
  return new ServiceNowError({
    ...base,
    kind: base.status >= 200 && base.status < 300 ? 'invalid-response' : 'http',
    message: `the answer is not valid JSON (${text.length} bytes)`,
    detail: looksCut ? TRUNCATED : undefined,
    // A 2xx that was cut short did run on the instance.
    mayHaveLanded: base.status < 300 || mayHaveActed(base.status)
  })
}

function titleOf(html: string): string {
  const match = /<title>([^<]{1,120})<\/title>/i.exec(html)
  return match?.[1] === undefined ? '' : ` ("${match[1].trim()}")`
}

/** ServiceNow's envelope is {error:{message,detail},status:"failure"}; the OAuth endpoint's is {error, error_description}. */
function errorText(body: unknown): {
  message: string | undefined
  detail: string | undefined
} {
  const b = body as {error?: unknown; error_description?: unknown} | undefined
  if (b === undefined || b === null || typeof b !== 'object')
    return {message: undefined, detail: undefined}
  if (typeof b.error === 'object' && b.error !== null) {
    const e = b.error as {message?: unknown; detail?: unknown}
    return {message: stringOr(e.message), detail: stringOr(e.detail)}
  }
  if (typeof b.error === 'string' || typeof b.error_description === 'string') {
    return {
      message: stringOr(b.error_description) ?? stringOr(b.error),
      detail: undefined
    }
  }
  return {message: undefined, detail: undefined}
}

function stringOr(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== ''
    ? value.trim()
    : undefined
}

function defaultMessage(status: number): string {
  const known: Record<number, string> = {
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    429: 'Too Many Requests',
    500: 'Internal Server Error',
    502: 'Bad Gateway',
    503: 'Service Unavailable',
    504: 'Gateway Timeout'
  }
  return known[status] ?? `HTTP ${status}`
}

// Refused before anything was sent: even a POST cannot have landed.
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH'
])

function asNetworkError(
  error: unknown,
  method: Method,
  path: string
): ServiceNowError {
  if (error instanceof ServiceNowError) return error
  const err = error as {code?: string; message?: string}
  const text = err.message ?? String(error)
  if (error instanceof ExchangeError) {
    return new ServiceNowError({
      kind:
        error.failure === 'deadline'
          ? 'timeout'
          : error.failure === 'too-large'
            ? 'invalid-response'
            : 'network',
      method,
      path,
      message:
        error.failure === 'deadline'
          ? `no answer within request_timeout_seconds (${error.message})`
          : error.failure === 'too-large'
            ? `${error.message}: refused`
            : error.message,
      cause: error,
      // The request went out whole: the instance may have acted on it.
      mayHaveLanded: true
    })
  }
  let message: string
  if (err.code === 'ENOTFOUND') {
    message = 'the host name does not resolve: check instance_url'
  } else if (err.code !== undefined && isTlsRefusal(err.code)) {
    message = `the TLS certificate was not accepted (${err.code}). A proxy that inspects TLS needs its CA in NODE_EXTRA_CA_CERTS`
  } else {
    message = `the connection failed (${err.code ?? text})`
  }
  return new ServiceNowError({
    kind: 'network',
    method,
    path,
    message,
    cause: error,
    mayHaveLanded: !(err.code !== undefined && NOT_SENT_CODES.has(err.code))
  })
}
