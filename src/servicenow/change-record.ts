import type {StateLabel} from './change-model.js'
import {ServiceNowError} from './errors.js'
import {
  field,
  parseGlideDate,
  shown,
  valueOf,
  type RawRecord
} from './fields.js'
import {isRecordNumber, isSysId} from './ids.js'
import {DEFAULT_STATE_CHOICES, type StateChoices} from './state-choices.js'
import {oneLine} from './text.js'

/** A reference field: the sys_id it points at and, when the answer carried it, its display name. */
export interface Reference {
  sysId: string
  display: string | undefined
}

/** One change request, the same whichever API it was read from. */
export interface ChangeRecord {
  sysId: string
  number: string
  type: string
  state: number
  /** Lower-case label, undefined for a state this library does not know (a custom one). */
  stateLabel: StateLabel | undefined
  /** The instance's own label for the state ("Pending review"): how a state this library does not know is reported. */
  stateName: string
  /** not requested | requested | approved | rejected */
  approval: string
  shortDescription: string
  correlationId: string
  closeCode: string
  startDate: Date | undefined
  endDate: Date | undefined
  assignmentGroup: Reference | undefined
  cmdbCi: Reference | undefined
  parent: Reference | undefined
  onHold: boolean
  /** Why it is on hold, in a person's words (on_hold_reason); '' when not given. */
  onHoldReason: string
  /** risk and impact as stored (risk 1 Very High … 4 Low; impact 1 High … 3 Low); '' when not read. */
  risk: string
  impact: string
  /** The record's page, for a person. */
  url: string
}

/** The fields a ChangeRecord is built from: what a read asks for with sysparm_fields. */
export const CHANGE_RECORD_FIELDS = [
  'sys_id',
  'number',
  'type',
  'state',
  'approval',
  'short_description',
  'correlation_id',
  'close_code',
  'start_date',
  'end_date',
  'assignment_group',
  'cmdb_ci',
  'parent',
  'on_hold',
  'on_hold_reason',
  'risk',
  'impact'
] as const

export function changeUrl(baseUrl: string, sysId: string): string {
  return `${baseUrl}/change_request.do?sys_id=${sysId}`
}

/** The values of change_request.approval (task's approval choice list; change-management-api.md answers show `approved`). */
export const APPROVALS = [
  'not requested',
  'requested',
  'approved',
  'rejected',
  'cancelled',
  'not_required'
] as const

const TYPE = /^[a-z0-9_]{0,40}$/

/** Which request an answer came from, for the error that names what the instance sent. */
export interface AnswerSource {
  method: string
  path: string
}

const READ: AnswerSource = {
  method: 'GET',
  path: '/api/now/table/change_request'
}

/**
 * A change request from one record of an answer, or a ServiceNowError naming
 * what the instance sent instead. Whatever comes back (null, a number, a
 * sys_id that is an object, a state of 1e400, a number with a line break in
 * it) never becomes a record, an output or a log line. `states`: the instance's
 * state choices (ChangeApi.states()); ServiceNow's default numbering when omitted.
 */
export function toChangeRecord(
  raw: unknown,
  baseUrl: string,
  states: StateChoices = DEFAULT_STATE_CHOICES,
  source: AnswerSource = READ
): ChangeRecord {
  const invalid = (what: string): ServiceNowError =>
    new ServiceNowError({
      kind: 'invalid-response',
      method: source.method,
      path: source.path,
      message: `the instance sent ${what} where a change request belongs`
    })
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw invalid(shown(raw))
  const record = raw as RawRecord
  const checked = (
    name: string,
    test: (value: string) => boolean,
    expected: string
  ): string => {
    const value = field(record, name).value
    if (value === undefined || !test(value))
      throw invalid(`${name} ${shown(record[name])} (expected ${expected})`)
    return value
  }
  const sysId = checked(
    'sys_id',
    isSysId,
    'a sys_id of 32 hexadecimal characters'
  )
  const number = checked(
    'number',
    isRecordNumber,
    'a change number such as CHG0030001'
  )
  const state = parseState(
    checked(
      'state',
      v => Number.isInteger(parseState(v, states)),
      'a state number'
    ),
    states
  )
  const display = field(record, 'state').display
  const approval = checked(
    'approval',
    v => (APPROVALS as readonly string[]).includes(v),
    APPROVALS.join(', ')
  )
  const type = field(record, 'type').value ?? ''
  if (!TYPE.test(type))
    throw invalid(
      `type ${shown(record.type)} (expected normal, standard or emergency)`
    )
  return {
    sysId,
    number,
    type,
    state,
    stateLabel: states.label(state),
    stateName: oneLine(
      states.label(state) === undefined && display
        ? display
        : states.name(state)
    ),
    approval,
    shortDescription: valueOf(record, 'short_description'),
    correlationId: valueOf(record, 'correlation_id'),
    closeCode: valueOf(record, 'close_code'),
    startDate: parseGlideDate(field(record, 'start_date').value),
    endDate: parseGlideDate(field(record, 'end_date').value),
    assignmentGroup: reference(record, 'assignment_group'),
    cmdbCi: reference(record, 'cmdb_ci'),
    parent: reference(record, 'parent'),
    onHold: valueOf(record, 'on_hold') === 'true',
    onHoldReason: valueOf(record, 'on_hold_reason'),
    risk: valueOf(record, 'risk'),
    impact: valueOf(record, 'impact'),
    url: changeUrl(baseUrl, sysId)
  }
}

function parseState(value: string | undefined, states: StateChoices): number {
  if (value === undefined || value.trim() === '') return Number.NaN
  const n = Number(value)
  if (Number.isFinite(n)) return n
  // A display value slipped through (sysparm_display_value=true): map the label back.
  return states.valueOfName(value)
}

function reference(raw: RawRecord, name: string): Reference | undefined {
  const {value, display} = field(raw, name)
  return value === undefined || value === ''
    ? undefined
    : {sysId: value, display}
}
