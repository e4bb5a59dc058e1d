import * as core from '@actions/core'
import { resolveChange } from '../change/lookup.js'
import { Output } from '../constants.js'
import { readWaitSettings } from '../settings/wait.js'
import { waitPhase } from './phases.js'
import { writeSummary } from './report.js'
import { abortOnSignals, runStep } from './step.js'

/** The wait step: until the change may be implemented; fails when it may not. */
export function run(): Promise<void> {
  const signal = abortOnSignals()
  return runStep(async (ctx) => {
    const settings = readWaitSettings()
    if (settings.change.kind === 'skipped') {
      core.setOutput(Output.Skipped, 'true')
      core.info('No change request for this environment: nothing to wait for.')
      return
    }
    const client = ctx.client(settings.connection)
    const record = await resolveChange(client, settings.change)
    const result = await waitPhase(ctx, client, record, settings, signal)
    await writeSummary({
      title: result.ok ? `ServiceNow change ${result.record.number} approved` : `ServiceNow change ${result.record.number}: ${result.outcome.decision}`,
      record: result.record,
      lines: result.ok ? [] : [result.message],
      approvers: result.approvers,
      timeline: ctx.timeline,
      waitedMs: result.outcome.waitedMs
    })
    if (!result.ok) throw new Error(result.message)
  })
}
