/**
 * The tables the simulator serves, with the field types that decide how each
 * value is written and shown. Only what the action and its tests touch is
 * modelled; unknown fields in a write body are dropped, as ServiceNow does.
 */

export type FieldType =
  | {kind: 'string'; maxLength?: number}
  | {kind: 'integer'}
  | {kind: 'boolean'}
  | {kind: 'date'}
  | {kind: 'journal'}
  | {kind: 'choice'; choices: Record<string, string>}
  | {kind: 'reference'; table: string}

export interface TableSchema {
  name: string
  /** Field whose value stands for the record in a reference's display_value. */
  displayField: string
  numberPrefix?: string
  numberStart?: number
  fields: Record<string, FieldType>
}

const str = (maxLength?: number): FieldType => ({
  kind: 'string',
  ...(maxLength === undefined ? {} : {maxLength})
})
const ref = (table: string): FieldType => ({kind: 'reference', table})
const choice = (choices: Record<string, string>): FieldType => ({
  kind: 'choice',
  choices
})
const date: FieldType = {kind: 'date'}
const journal: FieldType = {kind: 'journal'}
const bool: FieldType = {kind: 'boolean'}

const SYSTEM_FIELDS: Record<string, FieldType> = {
  sys_id: str(32),
  sys_created_on: date,
  sys_updated_on: date,
  sys_created_by: str(40),
  sys_updated_by: str(40),
  sys_mod_count: {kind: 'integer'}
}

export const CHANGE_STATES: Record<string, string> = {
  '-5': 'New',
  '-4': 'Assess',
  '-3': 'Authorize',
  '-2': 'Scheduled',
  '-1': 'Implement',
  '0': 'Review',
  '3': 'Closed',
  '4': 'Canceled'
}

export const APPROVAL_STATES: Record<string, string> = {
  'not requested': 'Not Yet Requested',
  requested: 'Requested',
  approved: 'Approved',
  rejected: 'Rejected',
  cancelled: 'Cancelled',
  not_required: 'No Longer Required',
  skipped: 'Skipped'
}

/** change_task states as the base system ships them. */
export const CHANGE_TASK_STATES: Record<string, string> = {
  '-5': 'Pending',
  '1': 'Open',
  '2': 'In Progress',
  '3': 'Closed',
  '4': 'Canceled'
}

const IMPACT = {'1': '1 - High', '2': '2 - Medium', '3': '3 - Low'}

export const TABLES: Record<string, TableSchema> = {
  change_request: {
    name: 'change_request',
    displayField: 'number',
    numberPrefix: 'CHG',
    numberStart: 30001,
    fields: {
      ...SYSTEM_FIELDS,
      number: str(40),
      state: choice(CHANGE_STATES),
      approval: choice({
        'not requested': 'Not Yet Requested',
        requested: 'Requested',
        approved: 'Approved',
        rejected: 'Rejected'
      }),
      type: choice({
        normal: 'Normal',
        standard: 'Standard',
        emergency: 'Emergency'
      }),
      short_description: str(160),
      description: str(4000),
      assignment_group: ref('sys_user_group'),
      assigned_to: ref('sys_user'),
      requested_by: ref('sys_user'),
      cmdb_ci: ref('cmdb_ci'),
      start_date: date,
      end_date: date,
      work_start: date,
      work_end: date,
      implementation_plan: str(4000),
      backout_plan: str(4000),
      test_plan: str(4000),
      justification: str(4000),
      risk: choice({
        '1': 'Very High',
        '2': 'High',
        '3': 'Moderate',
        '4': 'Low'
      }),
      impact: choice(IMPACT),
      priority: choice({
        '1': '1 - Critical',
        '2': '2 - High',
        '3': '3 - Moderate',
        '4': '4 - Low'
      }),
      close_code: choice({
        successful: 'Successful',
        successful_issues: 'Successful with issues',
        unsuccessful: 'Unsuccessful'
      }),
      close_notes: str(4000),
      work_notes: journal,
      comments: journal,
      // ServiceNow's dictionary gives both 100 characters; longer values are cut, not refused.
      correlation_id: str(100),
      correlation_display: str(100),
      parent: ref('change_request'),
      // change-management-api.md (change_request fields): the Standard Change Template Version table.
      std_change_producer_version: ref('std_change_producer_version'),
      chg_model: ref('chg_model'),
      on_hold: bool,
      // t_PlaceAChangeRequestOnHold.md: the reason a person gives with On Hold.
      on_hold_reason: str(4000),
      category: str(40),
      phase: str(40),
      conflict_status: choice({
        'Not Run': 'Not Run',
        'No Conflict': 'No Conflict',
        Conflict: 'Conflict'
      }),
      // monitor-maintenance-schedule.md: set by the instance when the planned window falls outside a
      // CI's maintenance schedule; a write to it is disregarded (simulator: conflicts.ts sets it).
      outside_maintenance_schedule: bool,
      conflict_last_run: date,
      active: bool,
      opened_at: date,
      closed_at: date
    }
  },
  incident: {
    name: 'incident',
    displayField: 'number',
    numberPrefix: 'INC',
    numberStart: 10001,
    fields: {
      ...SYSTEM_FIELDS,
      number: str(40),
      short_description: str(160),
      description: str(4000),
      state: choice({
        '1': 'New',
        '2': 'In Progress',
        '3': 'On Hold',
        '6': 'Resolved',
        '7': 'Closed',
        '8': 'Canceled'
      }),
      impact: choice(IMPACT),
      urgency: choice(IMPACT),
      priority: choice({
        '1': '1 - Critical',
        '2': '2 - High',
        '3': '3 - Moderate',
        '4': '4 - Low',
        '5': '5 - Planning'
      }),
      caused_by: ref('change_request'),
      cmdb_ci: ref('cmdb_ci'),
      assignment_group: ref('sys_user_group'),
      caller_id: ref('sys_user'),
      correlation_id: str(100),
      opened_at: date,
      resolved_at: date,
      closed_at: date,
      work_notes: journal,
      comments: journal,
      active: bool
    }
  },
  sysapproval_approver: {
    name: 'sysapproval_approver',
    displayField: 'sys_id',
    fields: {
      ...SYSTEM_FIELDS,
      approver: ref('sys_user'),
      sysapproval: ref('change_request'),
      group: ref('sys_user_group'),
      state: choice(APPROVAL_STATES),
      comments: journal,
      due_date: date,
      source_table: str(80)
    }
  },
  sys_user: {
    name: 'sys_user',
    displayField: 'name',
    fields: {
      ...SYSTEM_FIELDS,
      user_name: str(40),
      name: str(80),
      email: str(100),
      active: bool,
      roles: str(400)
    }
  },
  sys_user_group: {
    name: 'sys_user_group',
    displayField: 'name',
    fields: {
      ...SYSTEM_FIELDS,
      name: str(80),
      description: str(1000),
      manager: ref('sys_user'),
      active: bool
    }
  },
  sys_user_grmember: {
    name: 'sys_user_grmember',
    displayField: 'sys_id',
    fields: {
      ...SYSTEM_FIELDS,
      group: ref('sys_user_group'),
      user: ref('sys_user')
    }
  },
  cmdb_ci: {
    name: 'cmdb_ci',
    displayField: 'name',
    fields: {
      ...SYSTEM_FIELDS,
      name: str(255),
      sys_class_name: str(80),
      operational_status: str(40),
      // The CI's maintenance schedule (configure-conflict-properties.md, change.conflict.ci_maint_sched).
      maintenance_schedule: ref('cmn_schedule')
    }
  },
  /**
   * Blackout and maintenance schedules (c_ConflictDetection.md, "Create blackout and maintenance
   * schedules"). `cis` is the simulator's stand-in for a blackout's "applies to" condition: the CIs it
   * covers, comma-separated sys_ids; empty covers every CI.
   */
  cmn_schedule: {
    name: 'cmn_schedule',
    displayField: 'name',
    fields: {
      ...SYSTEM_FIELDS,
      name: str(100),
      type: choice({blackout: 'Blackout', maintenance: 'Maintenance'}),
      cis: str(4000)
    }
  },
  /** A schedule's spans, in GMT; repeat_type daily or weekly repeats the span. */
  cmn_schedule_span: {
    name: 'cmn_schedule_span',
    displayField: 'name',
    fields: {
      ...SYSTEM_FIELDS,
      name: str(100),
      schedule: ref('cmn_schedule'),
      start_date_time: date,
      end_date_time: date,
      repeat_type: choice({'': '', daily: 'Daily', weekly: 'Weekly'})
    }
  },
  /**
   * What conflict checking found (t_RunManualConflictDetection.md: Conflicting change, Affected CI,
   * Schedule, Type, Last Checked; change-management-api.md's GET /change/{sys_id}/conflict example
   * shows `change` and `type`). Only not_in_maintenance_window's value is in a document: the other
   * values are UNVERIFIED, written from their labels.
   */
  conflict: {
    name: 'conflict',
    displayField: 'sys_id',
    fields: {
      ...SYSTEM_FIELDS,
      change: ref('change_request'),
      conflicting_change: ref('change_request'),
      configuration_item: ref('cmdb_ci'),
      schedule: ref('cmn_schedule'),
      type: choice({
        ci_already_scheduled: 'CI Already Scheduled',
        parent_ci_already_scheduled: 'Parent CI Already Scheduled',
        child_ci_already_scheduled: 'Child CI Already Scheduled',
        not_in_maintenance_window: 'Not In Maintenance Window',
        parent_not_in_maintenance_window: 'Parent Not In Maintenance Window',
        child_not_in_maintenance_window: 'Child Not In Maintenance Window',
        blackout: 'Blackout'
      }),
      last_checked: date
    }
  },
  /** Affected CIs of a task (POST /change/{sys_id}/ci, association_type affected). */
  task_ci: {
    name: 'task_ci',
    displayField: 'sys_id',
    fields: {
      ...SYSTEM_FIELDS,
      task: ref('change_request'),
      ci_item: ref('cmdb_ci')
    }
  },
  // The field history of audited tables (platform-security/c_UnderstandingTheSysAuditTable.md:
  // table name, field name, document key (the record's sys_id), user, old value, new value; one
  // row per changed field per update). Here change_request is audited (store.ts update).
  sys_audit: {
    name: 'sys_audit',
    displayField: 'fieldname',
    fields: {
      ...SYSTEM_FIELDS,
      tablename: str(80),
      fieldname: str(80),
      documentkey: str(32),
      user: str(255),
      oldvalue: str(4000),
      newvalue: str(4000),
      reason: str(255)
    }
  },
  // The choice lists of choice fields; the client reads change_request.state's to map states by label.
  sys_choice: {
    name: 'sys_choice',
    displayField: 'label',
    fields: {
      ...SYSTEM_FIELDS,
      name: str(80),
      element: str(80),
      value: str(40),
      label: str(100),
      sequence: {kind: 'integer'},
      inactive: bool,
      language: str(40)
    }
  },
  // change-management-api.md, GET /change/standard/template: `template` is a reference
  // ({value, display_value}) to the record holding the field values, not the values themselves.
  std_change_record_producer: {
    name: 'std_change_record_producer',
    displayField: 'name',
    fields: {
      ...SYSTEM_FIELDS,
      name: str(100),
      short_description: str(160),
      active: bool,
      template: ref('sys_template'),
      category: str(40)
    }
  },
  /** The template's field values, `field=value^…`, as sys_template stores them. */
  sys_template: {
    name: 'sys_template',
    displayField: 'name',
    fields: {
      ...SYSTEM_FIELDS,
      name: str(100),
      table: str(80),
      template: str(4000),
      active: bool
    }
  },
  /** Standard Change Template Version: what change_request.std_change_producer_version points at ("<name> - <version>"). */
  std_change_producer_version: {
    name: 'std_change_producer_version',
    displayField: 'name',
    fields: {
      ...SYSTEM_FIELDS,
      name: str(160),
      std_change_producer: ref('std_change_record_producer'),
      version: {kind: 'integer'}
    }
  },
  /** Change models (Normal, Standard, Emergency) on instances that have them; change_request.chg_model references one. */
  chg_model: {
    name: 'chg_model',
    displayField: 'name',
    fields: {...SYSTEM_FIELDS, name: str(100), active: bool}
  },
  /**
   * change_task: a change cannot close while any of its tasks is active
   * (t_PlaceAChangeRequestOnHold.md); CM serves them at /change/{sys_id}/task.
   */
  change_task: {
    name: 'change_task',
    displayField: 'number',
    numberPrefix: 'CTASK',
    numberStart: 10001,
    fields: {
      ...SYSTEM_FIELDS,
      number: str(40),
      change_request: ref('change_request'),
      parent: ref('change_request'),
      short_description: str(160),
      description: str(4000),
      state: choice(CHANGE_TASK_STATES),
      assignment_group: ref('sys_user_group'),
      assigned_to: ref('sys_user'),
      correlation_id: str(100),
      correlation_display: str(100),
      close_code: choice({
        successful: 'Successful',
        successful_issues: 'Successful with issues',
        unsuccessful: 'Unsuccessful'
      }),
      close_notes: str(4000),
      // The task table's Closed field: set when the task becomes inactive (closed or canceled).
      closed_at: str(40),
      on_hold: bool,
      on_hold_reason: str(4000),
      work_notes: journal,
      active: bool
    }
  }
}
