import {readWaitSettings} from '../settings/wait.js'
import {openChange, waitPhase} from './phases.js'
import {scheduleLines, writeSummary} from './summary.js'
import {abortOnSignals, runStep} from './step.js'

/** The wait step: until the change may be implemented; fails when it may not. */
export function run(): Promise<void> {
  const signal = abortOnSignals()
  return runStep(async ctx => {
    const settings = readWaitSettings()
    const opened = await openChange(
      ctx,
      settings,
      'wait for',
      Date.now() + settings.timeoutMs
    )
    if (opened === undefined) return
    const {deps, record} = opened
    const result = await waitPhase(ctx, deps, record, settings, signal)
    await writeSummary({
      title: result.ok
        ? `ServiceNow change ${result.record.number} approved`
        : `ServiceNow change ${result.record.number}: ${result.outcome.decision}`,
      record: result.record,
      lines: [
        ...(result.ok ? [] : [result.message]),
        ...scheduleLines(result.record, {conflicts: result.conflicts})
      ],
      approvers: result.approvers,
      timeline: ctx.timeline,
      metrics: ctx.metrics,
      waitedMs: result.outcome.waitedMs
    })
    if (!result.ok) throw new Error(result.message)
  })
}
