import * as core from '@actions/core'
import {UpdateInput as I} from '../constants.js'
import {STATE_LABELS, type StateLabel} from '../servicenow/change-model.js'
import {InputError} from '../servicenow/errors.js'
import {readChangeRef, type ChangeRef} from './change-ref.js'
import {readConnectionSettings, type ConnectionSettings} from './connection.js'
import {readAttachmentSpec, type AttachmentSpec} from './attachments.js'
import {oneOf, prose} from './inputs.js'
import {parseFields} from './parse.js'

export interface UpdateSettings {
  connection: ConnectionSettings
  change: ChangeRef
  state: StateLabel | undefined
  workNotes: string
  fields: Record<string, string>
  attachments: AttachmentSpec
}

export function readUpdateSettings(): UpdateSettings {
  const connection = readConnectionSettings()
  const change = readChangeRef()
  const state = oneOf(I.State, STATE_LABELS, '')
  const fields = parseFields(I.Fields, prose(I.Fields), {
    state: I.State,
    work_notes: I.WorkNotes
  })
  const attachments = readAttachmentSpec()
  const settings: UpdateSettings = {
    connection,
    change,
    state: state === '' ? undefined : state,
    workNotes: prose(I.WorkNotes),
    fields,
    attachments
  }
  if (
    settings.state === undefined &&
    settings.workNotes === '' &&
    Object.keys(fields).length === 0 &&
    attachments.patterns.length === 0
  ) {
    throw new InputError(
      'Nothing to update: give state, work_notes, fields or attachments.'
    )
  }
  core.debug(
    `update: state ${settings.state ?? '(unchanged)'}; ${Object.keys(fields).length} field(s); work notes ${settings.workNotes === '' ? 'none' : 'given'}`
  )
  return settings
}
