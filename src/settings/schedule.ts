import {ConflictInput, CreateInput as I} from '../constants.js'
import {InputError} from '../servicenow/errors.js'
import {integer, list, oneOf, text} from './inputs.js'
import {queryValue} from './parse.js'

/** What a conflict found by ServiceNow's conflict checking does to the step. */
export const CONFLICT_POLICIES = ['ignore', 'warn', 'wait', 'fail'] as const
export type ConflictPolicy = (typeof CONFLICT_POLICIES)[number]

export function readConflictPolicy(): ConflictPolicy {
  return oneOf(ConflictInput.OnConflict, CONFLICT_POLICIES, 'warn')
}

/** create's schedule inputs: CIs to associate and whether ServiceNow picks the slot. */
export interface ScheduleSettings {
  onConflict: ConflictPolicy
  /** Names or sys_ids, resolved before anything is created. */
  affectedCis: string[]
  /** Seconds of the slot to ask for with schedule: first_available; undefined: the inputs' dates stand. */
  firstAvailableSeconds: number | undefined
}

/** 90 days: the instance's default scheduling window (change.conflict.next_available.schedule_window). */
const LONGEST_SLOT_MINUTES = 90 * 24 * 60

export function readScheduleSettings(dates: {
  start_date?: string
  end_date?: string
}): ScheduleSettings {
  const schedule = oneOf(I.Schedule, ['first_available'] as const, '')
  const duration = text(I.DurationMinutes)
  if (schedule === '' && duration !== '')
    throw new InputError(
      `duration_minutes is the length of the slot schedule: first_available asks for; without it, give start_date and end_date.`
    )
  if (schedule !== '' && dates.end_date !== undefined)
    throw new InputError(
      `schedule: first_available sets the planned end from duration_minutes: end_date cannot be given too (start_date is where the search starts).`
    )
  const affectedCis = list(I.AffectedCis).map(ci =>
    queryValue(I.AffectedCis, ci)
  )
  return {
    onConflict: readConflictPolicy(),
    affectedCis: [...new Set(affectedCis)],
    firstAvailableSeconds:
      schedule === ''
        ? undefined
        : integer(I.DurationMinutes, 60, 1, LONGEST_SLOT_MINUTES) * 60
  }
}
