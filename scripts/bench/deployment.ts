/**
 * One deployment as the all-in-one gate runs it, through the library itself (one process holds
 * many): create → wait for approval → Implement → close, each on its own client as each step
 * of a real run would be.
 */
import {createOrAdopt} from '../../src/change/create-change.js'
import {closeFromResult} from '../../src/change/close-change.js'
import {readChange} from '../../src/change/lookup.js'
import {moveChange} from '../../src/change/move.js'
import {Timeline} from '../../src/change/timeline.js'
import {waitForApproval} from '../../src/change/wait-policy.js'
import type {RunContext} from '../../src/github-context.js'
import {ServiceNowClient} from '../../src/servicenow/client.js'
import type {Clock} from '../../src/servicenow/clock.js'
import type {CreateSettings} from '../../src/settings/create.js'
import {auth, quiet} from './table.js'

export interface DeploymentLimits {
  /** The wait step's timeout_minutes, in ms. */
  waitMs: number
  /** rate_limit_wait_minutes, in ms, for each step. */
  rateLimitWaitMs: number
}

function runContext(i: number): RunContext {
  return {
    repository: 'octo-org/payments',
    sha: '1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d',
    ref: 'refs/heads/main',
    actor: 'mona',
    workflow: 'Deploy',
    job: 'deploy',
    runId: 100_000 + i,
    runNumber: i,
    runAttempt: 1,
    serverUrl: 'https://github.com',
    runUrl: `https://github.com/octo-org/payments/actions/runs/${100_000 + i}`,
    commitUrl: 'https://github.com/octo-org/payments/commit/1a2b3c4d'
  }
}

/** Runs deployment `i`; resolves with its duration in the clock's time, or throws why it failed. */
export async function deployment(
  baseUrl: string,
  i: number,
  clock: Clock,
  limits: DeploymentLimits
): Promise<number> {
  const started = clock.now()
  const step = async <T>(
    name: string,
    body: (client: ServiceNowClient) => Promise<T>
  ): Promise<T> => {
    const client = new ServiceNowClient({
      baseUrl,
      auth,
      clock,
      // Which deployment and step sent a request, in the simulator's log.
      userAgent: `servicenow-change bench/${i}/${name}`,
      retry: {maxRateLimitWaitMs: limits.rateLimitWaitMs}
    })
    try {
      return await body(client)
    } finally {
      client.dispose()
    }
  }
  const settings: CreateSettings = {
    connection: {
      baseUrl,
      auth,
      timeoutMs: 30_000,
      maxAttempts: 5,
      rateLimitWaitMs: limits.rateLimitWaitMs
    },
    adoptNumber: undefined,
    type: 'emergency',
    template: undefined,
    environment: 'production',
    controlled: true,
    requestApproval: true,
    correlationId: `bench/${i}`,
    fields: {
      short_description: `bench deployment ${i}`,
      correlation_id: `bench/${i}`
    },
    references: {assignmentGroup: '', cmdbCi: '', parentChange: ''},
    attachments: {patterns: [], maxBytes: 1},
    // The fleet measures the approval path: no conflict checking (four requests more per change).
    schedule: {
      onConflict: 'ignore',
      affectedCis: [],
      firstAvailableSeconds: undefined
    },
    describeFromContext: false,
    githubToken: ''
  }
  const created = await step('create', async client => {
    const timeline = new Timeline(clock)
    return (
      await createOrAdopt(
        {client, timeline, info: quiet, warn: quiet},
        settings
      )
    ).record
  })
  const approved = await step('wait', async client => {
    const outcome = await waitForApproval(
      {client, info: quiet, warn: quiet},
      created,
      {
        timeoutMs: limits.waitMs,
        pollIntervalMs: 30_000,
        proceedWhen: 'approved',
        honorChangeWindow: true,
        onTimeout: 'fail',
        cancelOnAbort: false,
        onConflict: 'ignore'
      },
      undefined
    )
    if (outcome.decision !== 'approved' || outcome.record === undefined)
      throw new Error(`deployment ${i}: ${outcome.decision}: ${outcome.reason}`)
    return outcome.record
  })
  await step('close', async client => {
    const deps = {
      client,
      timeline: new Timeline(clock),
      info: quiet,
      warn: quiet
    }
    const implementing = await moveChange(
      deps,
      await readChange(client, approved.sysId),
      'implement'
    )
    await closeFromResult(deps, implementing, {
      result: 'success',
      options: {
        closeCode: undefined,
        closeNotes: 'bench',
        openIncidentOnFailure: false
      },
      run: runContext(i)
    })
  })
  return clock.now() - started
}
