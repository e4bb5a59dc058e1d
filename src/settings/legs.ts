import * as core from '@actions/core'
import {LegInput as I} from '../constants.js'
import {InputError} from '../servicenow/errors.js'
import {boolean, integer, text} from './inputs.js'
import {oneLine} from './parse.js'

/** GitHub runs at most 256 jobs of one matrix. */
export const MAX_LEGS = 256
/** A leg's name goes into its task's correlation_id beside the change's (100 characters in all). */
export const LEG_NAME_MAX = 80

/**
 * The deployment's legs, when it has them: how many report to the change and this one's name
 * ('' when it is to be the job's name as the runner shows it, read from the jobs API).
 * Undefined for a deployment of one job, which closes the change itself.
 */
export interface LegSettings {
  expected: number
  leg: string
}

export function readLegSettings(): LegSettings | undefined {
  const expected = integer(I.ExpectedLegs, 1, 1, MAX_LEGS)
  const leg = oneLine(I.Leg, text(I.Leg))
  if (leg.length > LEG_NAME_MAX)
    throw new InputError(
      `Invalid ${I.Leg}: ${leg.length} characters; at most ${LEG_NAME_MAX}.`
    )
  if (expected === 1 && leg === '') return undefined
  core.debug(`legs: ${expected} expected; this one ${leg || '(the job name)'}`)
  return {expected, leg}
}

/** Close only: whether this step settles the change from its legs instead of reporting one. */
export function readSettleLegs(): boolean {
  return boolean(I.SettleLegs, false)
}
