import {field, valueOf, type RawRecord} from './fields.js'

/**
 * One change task (change_task), read through either API. `correlationDisplay`
 * says who made it: this action marks its own tasks (see OWN_TASK_MARK).
 */
export interface ChangeTask {
  sysId: string
  number: string
  shortDescription: string
  description: string
  /** The state's label ("Open", "In Progress"), or its value when no label came. */
  state: string
  assignmentGroup: string | undefined
  correlationId: string
  correlationDisplay: string
  /** Open, pending or in progress; false once closed or canceled. */
  active: boolean
  closeCode: string
  /** `YYYY-MM-DD HH:MM:SS`, GMT: the last write to it. */
  updatedOn: string
  /** When it became inactive (task's Closed field, closed_at); '' while active. A later work note does not move it. */
  closedAt: string
}

/**
 * How this action marks what it creates: change requests and change tasks it
 * makes carry this correlation_display, and a task's correlation_id is its
 * deployment's (the change's correlation_id). A task without both was made by
 * someone else (or for another deployment), and close leaves it to them.
 */
export const OWN_MARK = 'servicenow-change'

/** The fields a ChangeTask is built from. */
export const CHANGE_TASK_FIELDS = [
  'sys_id',
  'number',
  'short_description',
  'description',
  'state',
  'assignment_group',
  'correlation_id',
  'correlation_display',
  'active',
  'close_code',
  'sys_updated_on',
  'closed_at'
] as const

export function toChangeTask(raw: RawRecord): ChangeTask {
  const state = field(raw, 'state')
  const group = field(raw, 'assignment_group')
  return {
    sysId: valueOf(raw, 'sys_id'),
    number: valueOf(raw, 'number'),
    shortDescription: valueOf(raw, 'short_description'),
    description: valueOf(raw, 'description'),
    state: state.display ?? state.value ?? '',
    assignmentGroup: group.display || group.value || undefined,
    correlationId: valueOf(raw, 'correlation_id'),
    correlationDisplay: valueOf(raw, 'correlation_display'),
    // Absent from an answer that did not list it: then only active tasks were asked for.
    active: valueOf(raw, 'active') !== 'false',
    closeCode: valueOf(raw, 'close_code'),
    updatedOn: valueOf(raw, 'sys_updated_on'),
    closedAt: valueOf(raw, 'closed_at')
  }
}
