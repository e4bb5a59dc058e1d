import type {RunContext} from '../github-context.js'
import type {ChangeRecord} from '../servicenow/change-record.js'
import type {UpdateSettings} from '../settings/update.js'
import type {ChangeDeps} from './deps.js'
import {readChange} from './lookup.js'
import {moveChange} from './move.js'
import {forWrite} from './standard-fields.js'

/** What the update step was asked to write. */
export type ChangeUpdate = Pick<
  UpdateSettings,
  'state' | 'workNotes' | 'fields'
>

/**
 * Moves the change to the state asked for (fields and note with the last move), or, with no
 * state, writes the fields and note in one update. Nothing asked, nothing written. Returns the
 * record as the instance holds it afterwards.
 */
export async function updateChange(
  deps: ChangeDeps,
  record: ChangeRecord,
  update: ChangeUpdate,
  run: RunContext
): Promise<ChangeRecord> {
  const {client} = deps
  // Every note says who and which run, so the record tells the story without the workflow log.
  const by = `${run.actor}, ${run.workflow} run #${run.runNumber}: ${run.runUrl}`
  const note =
    update.workNotes !== ''
      ? `${update.workNotes}\n(${by})`
      : update.state !== undefined
        ? `Moved to ${update.state} by ${by}`
        : undefined
  const fields = forWrite(record, update.fields, deps.warn)
  if (
    update.state === undefined &&
    update.workNotes === '' &&
    Object.keys(fields).length === 0
  )
    return record
  if (update.state !== undefined)
    return moveChange(deps, record, update.state, {finalFields: fields, note})
  await client.changes.patch(record.sysId, {
    ...fields,
    ...(note ? {work_notes: note} : {})
  })
  deps.timeline?.add(
    `updated ${[...Object.keys(fields), ...(update.workNotes ? ['work notes'] : [])].join(', ')}`
  )
  return readChange(client, record.sysId)
}
