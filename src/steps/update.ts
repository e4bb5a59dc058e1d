import * as core from '@actions/core'
import { info } from './log.js'
import { attachFiles, resolveAttachments } from '../change/attachments.js'
import { readChange } from '../change/lookup.js'
import { moveChange } from '../change/move.js'
import { forWrite } from '../change/standard-fields.js'
import { runContext } from '../github-context.js'
import { readUpdateSettings } from '../settings/update.js'
import { openChange } from './phases.js'
import { setChangeOutputs, writeSummary } from './summary.js'
import { runStep } from './step.js'

/** The update step: move the change along and record progress. */
export function run(): Promise<void> {
  return runStep(async (ctx) => {
    const settings = readUpdateSettings()
    const files = await resolveAttachments(settings.attachments)
    const opened = await openChange(ctx, settings, 'update')
    if (opened === undefined) return
    const { client } = opened
    let record = opened.record
    // Every note says who and which run, so the record tells the story without the workflow log.
    const run = runContext()
    const by = `${run.actor}, ${run.workflow} run #${run.runNumber}: ${run.runUrl}`
    const note = settings.workNotes !== '' ? `${settings.workNotes}\n(${by})` : settings.state !== undefined ? `Moved to ${settings.state} by ${by}` : undefined
    const fields = forWrite(record, settings.fields, core.warning)
    record = await core.group(`Update ${record.number}`, async () => {
      if (settings.state === undefined && settings.workNotes === '' && Object.keys(fields).length === 0) return record
      if (settings.state !== undefined) {
        return moveChange(client, record, settings.state, { finalFields: fields, note, timeline: ctx.timeline, info })
      }
      await client.changes.patch(record.sysId, { ...fields, ...(note ? { work_notes: note } : {}) })
      ctx.timeline.add(`updated ${[...Object.keys(fields), ...(settings.workNotes ? ['work notes'] : [])].join(', ')}`)
      return readChange(client, record.sysId)
    })
    const attachments = await attachFiles(client, record, files, info)
    info(`${record.number} is ${record.stateName}, approval ${record.approval}.`)
    setChangeOutputs(record)
    await writeSummary({ title: `ServiceNow change ${record.number} updated`, record, timeline: ctx.timeline, metrics: ctx.metrics, attachments })
  })
}
