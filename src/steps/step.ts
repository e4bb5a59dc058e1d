import * as core from '@actions/core'
import {dataPolicyAdvice} from '../change/data-policy.js'
import type {ChangeDeps} from '../change/deps.js'
import {Timeline} from '../change/timeline.js'
import {Output} from '../constants.js'
import {ServiceNowClient} from '../servicenow/client.js'
import {systemClock} from '../servicenow/clock.js'
import {ServiceNowError} from '../servicenow/errors.js'
import {explainConnectionFailure} from '../servicenow/connection-advice.js'
import {redactStdout} from '../servicenow/redact.js'
import {jsonLine} from '../servicenow/text.js'
import {
  connectionOptions,
  type ConnectionSettings
} from '../settings/connection.js'
import {info} from './log.js'

export interface StepContext {
  /** What the change layer's operations take: the step's one client (made on first use), its log and timeline. */
  deps(settings: ConnectionSettings): ChangeDeps
  timeline: Timeline
  metrics: RunMetrics
}

/** What the step cost: requests sent (every try), retries among them, failed tries, and phase times. */
export interface RunMetrics {
  api_calls: number
  retries: number
  errors: number
  create_seconds?: number
  waited_seconds?: number
}

/**
 * Runs one step: errors end it with one clear line (core.setFailed), or only a
 * warning for a post step, and the connection is always released.
 */
export async function runStep(
  body: (ctx: StepContext) => Promise<void>,
  options: {post?: boolean} = {}
): Promise<void> {
  let client: ServiceNowClient | undefined
  const metrics: RunMetrics = {api_calls: 0, retries: 0, errors: 0}
  const clientFor = (settings: ConnectionSettings): ServiceNowClient => {
    if (client === undefined) {
      client = new ServiceNowClient(connectionOptions(settings))
      client.changes.warn = core.warning
      client.connection.onRequest(event => {
        metrics.api_calls++
        if (event.attempt > 1) metrics.retries++
        if (event.error !== undefined) metrics.errors++
      })
    }
    return client
  }
  const ctx: StepContext = {
    deps: settings => ({
      client: clientFor(settings),
      info,
      warn: core.warning,
      timeline: ctx.timeline
    }),
    timeline: new Timeline(systemClock),
    metrics
  }
  const restoreStdout = redactStdout()
  const unfinished = unfinishedGuard(options.post === true)
  try {
    await body(ctx)
  } catch (error) {
    // A connection that is wrong fails whichever call comes first: say what to fix, not only which call failed.
    const explained =
      error instanceof ServiceNowError && client !== undefined
        ? explainConnectionFailure(error, client.connection)
        : undefined
    const said =
      explained ?? (error instanceof Error ? error.message : String(error))
    const advice = dataPolicyAdvice(said)
    const message = advice === undefined ? said : `${said} ${advice}`
    if (error instanceof Error && error.stack) core.debug(error.stack)
    if (options.post) core.warning(message)
    else core.setFailed(message)
  } finally {
    unfinished()
    if (client !== undefined) core.setOutput(Output.Metrics, jsonLine(metrics))
    client?.dispose()
    restoreStdout()
  }
}

/**
 * Node ends a process whose last promise can never settle (exit code 13, "unsettled top-level
 * await") without a word: whatever the cause, the step still says it did not finish. Returns
 * the function that stands the guard down once the step has finished.
 */
function unfinishedGuard(post: boolean): () => void {
  const onBeforeExit = (): void => {
    const message =
      'The step stopped before it finished: a request was left without an answer. This is a bug of the action; please report it.'
    if (post) core.warning(message)
    else core.setFailed(message)
  }
  process.once('beforeExit', onBeforeExit)
  return () => process.off('beforeExit', onBeforeExit)
}

/** Resolves when the runner cancels the job: it sends SIGINT, then SIGTERM a few seconds later. */
export function abortOnSignals(): AbortSignal {
  const controller = new AbortController()
  const onSignal = (signal: string): void => {
    if (!controller.signal.aborted)
      core.warning(`Received ${signal}: the workflow run is being cancelled.`)
    controller.abort()
  }
  process.on('SIGINT', () => onSignal('SIGINT'))
  process.on('SIGTERM', () => onSignal('SIGTERM'))
  return controller.signal
}
