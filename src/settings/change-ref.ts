import * as core from '@actions/core'
import {ChangeRefInput as I, SKIPPED_ENV} from '../constants.js'
import {InputError} from '../servicenow/errors.js'
import {checkSysId} from '../servicenow/ids.js'
import {boolean, text} from './inputs.js'
import {queryValue} from './parse.js'

/** Which change a step acts on: by sys_id, by number, or none because create skipped. */
export type ChangeRef =
  | {kind: 'sys_id'; sysId: string}
  | {kind: 'number'; number: string}
  | {kind: 'skipped'}

const NUMBER = /^[A-Z]{2,8}\d{4,}$/

export function parseChangeNumber(name: string, raw: string): string {
  const value = queryValue(name, raw.trim())
  if (!NUMBER.test(value))
    throw new InputError(
      `Invalid ${name} '${value}': expected a change number such as CHG0030001.`
    )
  return value
}

/** An expression that evaluated to nothing often arrives as the text 'null' or 'undefined'. */
function notAnEmptyExpression(name: string, value: string): void {
  if (value === 'null' || value === 'undefined') {
    throw new InputError(
      `Invalid ${name} '${value}': the expression that sets it produced nothing. Check the step id and output name.`
    )
  }
}

export function readChangeRef(): ChangeRef {
  const sysId = text(I.ChangeSysId)
  const number = text(I.ChangeNumber)
  notAnEmptyExpression(I.ChangeSysId, sysId)
  notAnEmptyExpression(I.ChangeNumber, number)
  if (sysId !== '' && number !== '')
    throw new InputError(`Give change_sys_id or change_number, not both.`)
  if (sysId !== '')
    return {kind: 'sys_id', sysId: checkSysId(sysId, I.ChangeSysId)}
  if (number !== '')
    return {kind: 'number', number: parseChangeNumber(I.ChangeNumber, number)}
  if (boolean(I.Skipped, false) || process.env[SKIPPED_ENV] === 'true') {
    core.debug('no change request: create skipped this environment')
    return {kind: 'skipped'}
  }
  throw new InputError(
    "Give change_sys_id (the create step's change_sys_id output) or change_number."
  )
}
