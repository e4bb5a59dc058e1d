import {attachFiles, resolveAttachments} from '../change/attachments.js'
import {runContext} from '../github-context.js'
import {readCreateSettings} from '../settings/create.js'
import {addEvidence, createPhase, reportSkipped} from './phases.js'
import {legNameFor, startLeg} from './legs.js'
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
    // The leg's name before anything is created: a leg that cannot be named is an input error.
    const leg =
      settings.legs === undefined
        ? undefined
        : await legNameFor(settings.legs, settings.githubToken, run)
    const outcome = await createPhase(ctx, settings)
    const deps = ctx.deps(settings.connection)
    const legLines =
      leg === undefined ? [] : await startLeg(deps, outcome.record, leg, run)
    const attachments = await attachFiles(deps, outcome.record, files)
    await writeSummary({
      title: `ServiceNow change ${outcome.created ? 'created' : 'adopted'}`,
      record: outcome.record,
      lines: [...legLines, ...scheduleLines(outcome.record, outcome.schedule)],
      timeline: ctx.timeline,
      metrics: ctx.metrics,
      attachments
    })
  })
}
