import type { StateLabel } from './change-model.js'
import { field, parseGlideDate, valueOf, type RawRecord } from './fields.js'
import { DEFAULT_STATE_CHOICES, oneLine, type StateChoices } from './state-choices.js'

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
  'on_hold_reason'
] as const

export function changeUrl(baseUrl: string, sysId: string): string {
  return `${baseUrl}/change_request.do?sys_id=${sysId}`
}

/** `states`: the instance's state choices (ChangeApi.states()); ServiceNow's default numbering when omitted. */
export function toChangeRecord(raw: RawRecord, baseUrl: string, states: StateChoices = DEFAULT_STATE_CHOICES): ChangeRecord {
  const sysId = valueOf(raw, 'sys_id')
  const shown = field(raw, 'state')
  const state = parseState(shown.value, states)
  return {
    sysId,
    number: valueOf(raw, 'number'),
    type: valueOf(raw, 'type'),
    state,
    stateLabel: states.label(state),
    stateName: oneLine(Number.isNaN(state) ? (shown.display ?? shown.value ?? '') : states.label(state) === undefined && shown.display ? shown.display : states.name(state)),
    approval: valueOf(raw, 'approval'),
    shortDescription: valueOf(raw, 'short_description'),
    correlationId: valueOf(raw, 'correlation_id'),
    closeCode: valueOf(raw, 'close_code'),
    startDate: parseGlideDate(field(raw, 'start_date').value),
    endDate: parseGlideDate(field(raw, 'end_date').value),
    assignmentGroup: reference(raw, 'assignment_group'),
    cmdbCi: reference(raw, 'cmdb_ci'),
    parent: reference(raw, 'parent'),
    onHold: valueOf(raw, 'on_hold') === 'true',
    onHoldReason: valueOf(raw, 'on_hold_reason'),
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
  const { value, display } = field(raw, name)
  return value === undefined || value === '' ? undefined : { sysId: value, display }
}
