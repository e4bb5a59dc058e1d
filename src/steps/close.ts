import * as core from '@actions/core'
import {attachFiles, resolveAttachments} from '../change/attachments.js'
import {closeFromResult} from '../change/close-change.js'
import {Output} from '../constants.js'
import {runContext} from '../github-context.js'
import {readCloseSettings} from '../settings/close.js'
import {endLeg, legNameFor, legSummary, settleFromLegs} from './legs.js'
import {openChange} from './phases.js'
import {setChangeOutputs, writeSummary} from './summary.js'
import {runStep} from './step.js'
import {readableCloseCode} from './summary-parts.js'

/** The close step: close the change from what really happened. */
export function run(): Promise<void> {
  return runStep(async ctx => {
    const settings = readCloseSettings()
    const files = await resolveAttachments(settings.attachments)
    const opened = await openChange(ctx, settings, 'close')
    if (opened === undefined) return
    const {deps, record} = opened
    // Evidence goes on before the close: a closed change may no longer take attachments.
    const attachments = await attachFiles(deps, record, files)
    const run = runContext()
    const legs = settings.legs
    let legLines: string[] = []
    let outcome
    if (legs !== undefined && settings.settleLegs) {
      const settled = await settleFromLegs(deps, record, legs.expected, {
        result: settings.result,
        options: settings,
        run
      })
      outcome = settled.outcome
      legLines = legSummary(settled.status, legs.expected)
    } else if (legs !== undefined) {
      const leg = await legNameFor(legs, settings.githubToken, run)
      const ended = await endLeg(deps, record, {
        leg,
        expected: legs.expected,
        result: settings.result,
        options: settings,
        run
      })
      legLines = legSummary(ended.status, legs.expected)
      outcome = ended.closed ?? {
        record: ended.record,
        action: 'none' as const,
        incident: undefined
      }
    } else {
      outcome = await core.group(`Close ${record.number}`, () =>
        closeFromResult(deps, record, {
          result: settings.result,
          options: settings,
          run
        })
      )
    }
    setChangeOutputs(outcome.record)
    if (outcome.incident !== undefined) {
      core.setOutput(Output.IncidentNumber, outcome.incident.number)
      core.setOutput(Output.IncidentSysId, outcome.incident.sysId)
    }
    const legOnly =
      legs !== undefined && !settings.settleLegs && outcome.action === 'none'
    await writeSummary({
      title: legOnly
        ? `ServiceNow change ${outcome.record.number}: leg reported ${settings.result}, change ${outcome.record.stateLabel}`
        : `ServiceNow change ${outcome.record.number} ${outcome.action === 'none' ? 'already ' + outcome.record.stateLabel : outcome.action}${
            outcome.record.closeCode
              ? `: ${readableCloseCode(outcome.record.closeCode)}`
              : ''
          }`,
      record: outcome.record,
      lines: legLines,
      ...(outcome.incident === undefined ? {} : {incident: outcome.incident}),
      timeline: ctx.timeline,
      metrics: ctx.metrics,
      attachments
    })
  })
}
