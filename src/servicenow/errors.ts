import {redact} from './redact.js'
import {singleLine} from './text.js'

/**
 * The two kinds of failure the library reports.
 *
 * InputError: the user's settings are wrong; raised before any request is sent.
 * ServiceNowError: a request failed; carries what a person needs to act on it.
 */

export class InputError extends Error {
  override name = 'InputError'

  /** One line, whatever input it quotes: an error is one clear line in the log. */
  constructor(message: string) {
    super(singleLine(message))
  }
}

export type FailureKind =
  | 'http' // the instance answered with an error status
  | 'network' // no answer at all: refused, reset, DNS, TLS
  | 'timeout' // no answer within the request timeout
  | 'invalid-response' // an answer that is not the JSON ServiceNow sends (HTML page, truncated body)

export interface ServiceNowErrorInit {
  kind: FailureKind
  method: string
  path: string
  status?: number
  message?: string
  detail?: string
  retryAfterMs?: number
  /**
   * When a rate limit said to come back, for a wait that would not fit in the time the step may
   * spend on rate limits: the error names it, so a person knows when to run again.
   */
  comeBackAt?: number
  /** True when the instance may have acted on the request even though we saw no answer. */
  mayHaveLanded?: boolean
  /** How many tries were made before giving up, when more than one. */
  attempts?: number
  cause?: unknown
}

export class ServiceNowError extends Error {
  override name = 'ServiceNowError'
  readonly kind: FailureKind
  readonly method: string
  readonly path: string
  readonly status: number | undefined
  /** ServiceNow's own error.message, when it sent one. */
  readonly serviceNowMessage: string | undefined
  /** ServiceNow's own error.detail, when it sent one. */
  readonly detail: string | undefined
  readonly retryAfterMs: number | undefined
  readonly comeBackAt: number | undefined
  readonly mayHaveLanded: boolean
  readonly attempts: number

  private readonly init: ServiceNowErrorInit

  constructor(given: ServiceNowErrorInit) {
    // An instance or proxy may echo credentials in its error text: they go before anything can print them.
    const init = {
      ...given,
      message: given.message === undefined ? undefined : redact(given.message),
      detail: given.detail === undefined ? undefined : redact(given.detail)
    }
    super(
      describe(init),
      init.cause === undefined ? undefined : {cause: init.cause}
    )
    this.init = init
    this.kind = init.kind
    this.method = init.method
    this.path = init.path
    this.status = init.status
    this.serviceNowMessage = init.message
    this.detail = init.detail
    this.retryAfterMs = init.retryAfterMs
    this.comeBackAt = init.comeBackAt
    this.mayHaveLanded = init.mayHaveLanded ?? false
    this.attempts = init.attempts ?? 1
  }

  /** The same failure, noting how many tries it took to give up. */
  afterAttempts(attempts: number): ServiceNowError {
    return new ServiceNowError({...this.init, attempts})
  }

  /** The same failure, naming when the instance said to come back (the step will not wait that long). */
  beyondWaitBudget(comeBackAt: number): ServiceNowError {
    return new ServiceNowError({...this.init, comeBackAt})
  }
}

function describe(init: ServiceNowErrorInit): string {
  const where = `${init.method} ${stripQuery(init.path)}`
  const status = init.status === undefined ? '' : ` ${init.status}`
  // ServiceNow's messages carry layout (the data policy's "\n\t"): one line reads better in a log.
  const text = [init.message, init.detail]
    .filter(s => s !== undefined && s.trim() !== '')
    .map(s => withoutRuleIds(s!.replace(/\s+/g, ' ').trim()))
    .join(': ')
  const tries =
    init.attempts !== undefined && init.attempts > 1
      ? ` (gave up after ${init.attempts} attempts)`
      : ''
  // To the second: what the instance said (Retry-After, X-RateLimit-Reset) has no finer grain.
  const at =
    init.comeBackAt === undefined
      ? ''
      : new Date(Math.round(init.comeBackAt / 1000) * 1000)
          .toISOString()
          .replace('.000Z', 'Z')
  const back =
    at === ''
      ? ''
      : `. The instance said to come back at ${at}, later than this step may wait for a rate limit (rate_limit_wait_minutes)`
  return `ServiceNow ${where} failed${status}${text === '' ? '' : `: ${text}`}${tries}${back}`
}

/**
 * A business rule's abort names the rule as '<name>^<sys_id of the rule>' and may
 * append "Business Rule Stack:<names>" (answers recorded in public integrations' logs):
 * a person needs the name, not the rule's sys_id or the stack repeated.
 */
function withoutRuleIds(text: string): string {
  return text
    .replace(/(aborted by Business Rule '[^'^]*)\^[0-9a-f]+'/g, "$1'")
    .replace(/\.? ?Business Rule Stack:.*$/, '')
}

/** Queries can be long and say nothing useful in a one-line error; the path names the operation. */
function stripQuery(path: string): string {
  const q = path.indexOf('?')
  return q === -1 ? path : path.slice(0, q)
}

export function isNotFound(error: unknown): boolean {
  return (
    error instanceof ServiceNowError &&
    error.kind === 'http' &&
    error.status === 404
  )
}
