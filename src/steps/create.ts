import {attachFiles, resolveAttachments} from '../change/attachments.js'
import {runContext} from '../github-context.js'
import {readCreateSettings} from '../settings/create.js'
import {addEvidence, createPhase, reportSkipped} from './phases.js'
import {scheduleLines, writeSummary} from './summary.js'
import {runStep} from './step.js'

/** The create step: create or adopt the change request for this deployment. */
export function run(): Promise<void> {
  return runStep(async ctx => {
    const run = runContext()
    const settings = readCreateSettings(run)
    if (!settings.controlled) {
      reportSkipped(settings.environment)
      return
    }
    const files = await resolveAttachments(settings.attachments)
    await addEvidence(settings, run)
    const outcome = await createPhase(ctx, settings)
    const attachments = await attachFiles(
      ctx.deps(settings.connection),
      outcome.record,
      files
    )
    await writeSummary({
      title: `ServiceNow change ${outcome.created ? 'created' : 'adopted'}`,
      record: outcome.record,
      lines: scheduleLines(outcome.record, outcome.schedule),
      timeline: ctx.timeline,
      metrics: ctx.metrics,
      attachments
    })
  })
}
