import * as core from '@actions/core'
import {CloseInput as I, LegInput} from '../constants.js'
import {readChangeRef, type ChangeRef} from './change-ref.js'
import {readConnectionSettings, type ConnectionSettings} from './connection.js'
import {readAttachmentSpec, type AttachmentSpec} from './attachments.js'
import {boolean, oneOf, prose, secret} from './inputs.js'
import {readLegSettings, readSettleLegs, type LegSettings} from './legs.js'
import {InputError} from '../servicenow/errors.js'

export const JOB_RESULTS = [
  'success',
  'failure',
  'cancelled',
  'skipped'
] as const
export type JobResult = (typeof JOB_RESULTS)[number]
export const CLOSE_CODES = [
  'successful',
  'successful_issues',
  'unsuccessful'
] as const
export type CloseCode = (typeof CLOSE_CODES)[number]

/** A close code that says the change succeeded (successful, or successful with issues): only a successful deployment may claim it. */
export function claimsSuccess(code: string | undefined): boolean {
  return code === 'successful' || code === 'successful_issues'
}

export interface CloseOptions {
  closeCode: CloseCode | undefined
  closeNotes: string
  openIncidentOnFailure: boolean
}

export interface CloseSettings extends CloseOptions {
  connection: ConnectionSettings
  change: ChangeRef
  result: JobResult
  attachments: AttachmentSpec
  /** This step is one leg of the deployment, or (settleLegs) the job that settles them. */
  legs: LegSettings | undefined
  settleLegs: boolean
  githubToken: string
}

/** The close options the gate shares with close (the gate learns the result itself). */
export function readCloseOptions(): CloseOptions {
  const code = oneOf(I.CloseCode, CLOSE_CODES, '')
  return {
    closeCode: code === '' ? undefined : code,
    closeNotes: prose(I.CloseNotes),
    openIncidentOnFailure: boolean(I.OpenIncidentOnFailure, false)
  }
}

export function readCloseSettings(): CloseSettings {
  const connection = readConnectionSettings()
  const change = readChangeRef()
  const result = oneOf(I.Result, JOB_RESULTS, '')
  if (result === '')
    throw new InputError(
      `result is required: the deployment job's result, e.g. \${{ needs.deploy.result }} (${JOB_RESULTS.join(', ')}).`
    )
  const options = readCloseOptions()
  if (claimsSuccess(options.closeCode) && result !== 'success') {
    throw new InputError(
      `close_code ${options.closeCode} contradicts result ${result}: a deployment that did not succeed cannot close as successful. Leave close_code empty: the result decides.`
    )
  }
  const legs = readLegSettings()
  const settleLegs = readSettleLegs()
  if (settleLegs && legs === undefined)
    throw new InputError(
      `${LegInput.SettleLegs} needs ${LegInput.ExpectedLegs}: how many legs report to the change.`
    )
  if (settleLegs && legs?.leg !== '')
    throw new InputError(
      `${LegInput.SettleLegs} settles every leg: give it no ${LegInput.Leg}.`
    )
  const settings = {
    connection,
    change,
    result,
    ...options,
    attachments: readAttachmentSpec(),
    legs,
    settleLegs,
    githubToken: secret(LegInput.GithubToken)
  }
  core.debug(
    `close: result ${result}; close code ${settings.closeCode ?? '(from result)'}; incident on failure ${settings.openIncidentOnFailure}`
  )
  return settings
}
