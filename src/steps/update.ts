import * as core from '@actions/core'
import {info} from './log.js'
import {attachFiles, resolveAttachments} from '../change/attachments.js'
import {updateChange} from '../change/update-change.js'
import {runContext} from '../github-context.js'
import {readUpdateSettings} from '../settings/update.js'
import {openChange} from './phases.js'
import {setChangeOutputs, writeSummary} from './summary.js'
import {runStep} from './step.js'

/** The update step: move the change along and record progress. */
export function run(): Promise<void> {
  return runStep(async ctx => {
    const settings = readUpdateSettings()
    const files = await resolveAttachments(settings.attachments)
    const opened = await openChange(ctx, settings, 'update')
    if (opened === undefined) return
    const {deps} = opened
    const record = await core.group(`Update ${opened.record.number}`, () =>
      updateChange(deps, opened.record, settings, runContext())
    )
    const attachments = await attachFiles(deps, record, files)
    info(
      `${record.number} is ${record.stateName}, approval ${record.approval}.`
    )
    setChangeOutputs(record)
    await writeSummary({
      title: `ServiceNow change ${record.number} updated`,
      record,
      timeline: ctx.timeline,
      metrics: ctx.metrics,
      attachments
    })
  })
}
