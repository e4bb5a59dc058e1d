/**
 * Every input, output and state name the action uses, in one place: the
 * action.yml files are checked against these by a test.
 */

export enum ConnectionInput {
  InstanceUrl = 'instance_url',
  Username = 'username',
  Password = 'password',
  ClientId = 'client_id',
  ClientSecret = 'client_secret',
  Token = 'token',
  ApiKey = 'api_key',
  OidcAudience = 'oidc_audience',
  Auth = 'auth',
  RequestTimeoutSeconds = 'request_timeout_seconds',
  MaxAttempts = 'max_attempts',
  RateLimitWaitMinutes = 'rate_limit_wait_minutes'
}

/** Inputs that name an existing change (wait, update, close). */
export enum ChangeRefInput {
  ChangeSysId = 'change_sys_id',
  ChangeNumber = 'change_number',
  Skipped = 'skipped'
}

export enum CreateInput {
  Type = 'type',
  Template = 'template',
  ChangeNumber = 'change_number',
  ShortDescription = 'short_description',
  Description = 'description',
  AssignmentGroup = 'assignment_group',
  CmdbCi = 'cmdb_ci',
  Risk = 'risk',
  Impact = 'impact',
  StartDate = 'start_date',
  EndDate = 'end_date',
  ImplementationPlan = 'implementation_plan',
  BackoutPlan = 'backout_plan',
  TestPlan = 'test_plan',
  Justification = 'justification',
  Fields = 'fields',
  Environment = 'environment',
  ControlledEnvironments = 'controlled_environments',
  RequestApproval = 'request_approval',
  ParentChange = 'parent_change',
  CorrelationId = 'correlation_id',
  /** `first_available`: ServiceNow picks the planned start and end (the first free slot). */
  Schedule = 'schedule',
  /** How long the slot schedule: first_available asks for. */
  DurationMinutes = 'duration_minutes',
  /** More configuration items the change affects, associated through the Change Management API. */
  AffectedCis = 'affected_cis',
  /** Reads the commits going out for the description (the gate reads the job's outcome with it too). */
  GithubToken = 'github_token'
}

/** Files to attach to the change (create, update, close and the gate). */
export enum AttachmentInput {
  Attachments = 'attachments',
  AttachmentMaxMb = 'attachment_max_mb'
}

/** What to do about schedule conflicts (create, wait and the gate). */
export enum ConflictInput {
  OnConflict = 'on_conflict'
}

export enum WaitInput {
  TimeoutMinutes = 'timeout_minutes',
  PollIntervalSeconds = 'poll_interval_seconds',
  ProceedWhen = 'proceed_when',
  HonorChangeWindow = 'honor_change_window',
  OnTimeout = 'on_timeout',
  CancelOnAbort = 'cancel_on_abort'
}

export enum UpdateInput {
  State = 'state',
  WorkNotes = 'work_notes',
  Fields = 'fields'
}

export enum CloseInput {
  Result = 'result',
  CloseCode = 'close_code',
  CloseNotes = 'close_notes',
  OpenIncidentOnFailure = 'open_incident_on_failure'
}

export enum ReportInput {
  PeriodDays = 'period_days',
  Until = 'until',
  CmdbCi = 'cmdb_ci',
  AssignmentGroup = 'assignment_group',
  CorrelationPrefix = 'correlation_prefix',
  Environment = 'environment'
}

export enum GateInput {
  GithubToken = 'github_token'
}

/** The sync step: GitHub deployments waiting on an environment, reviewed from ServiceNow. */
export enum SyncInput {
  GithubToken = 'github_token',
  Repository = 'repository',
  Environments = 'environments',
  HonorChangeWindow = 'honor_change_window',
  MaxRuns = 'max_runs',
  TimeLimitSeconds = 'time_limit_seconds'
}

/** One change for a matrix (create, close and the gate). */
export enum LegInput {
  ExpectedLegs = 'expected_legs',
  Leg = 'leg',
  /** Close only: settle the change from its legs' tasks, a leg that never reported counting as failed. */
  SettleLegs = 'settle_legs',
  /** Close only (create and the gate have their own): reads the job's name for a leg without one. */
  GithubToken = 'github_token'
}

export enum Output {
  ChangeNumber = 'change_number',
  ChangeSysId = 'change_sys_id',
  ChangeUrl = 'change_url',
  State = 'state',
  Approval = 'approval',
  Created = 'created',
  Skipped = 'skipped',
  Decision = 'decision',
  Approvers = 'approvers',
  WaitedSeconds = 'waited_seconds',
  IncidentNumber = 'incident_number',
  IncidentSysId = 'incident_sys_id',
  Metrics = 'metrics',
  /** JSON list of the conflicts found; [] when none. */
  Conflicts = 'conflicts',
  /** none | found | unknown | not_checked */
  ConflictStatus = 'conflict_status',
  PlannedStart = 'planned_start',
  PlannedEnd = 'planned_end',
  Risk = 'risk',
  Impact = 'impact',
  Report = 'report',
  Reviewed = 'reviewed'
}

/** What the all-in-one gate's main step leaves for its post step (read and written only by steps/gate-state.ts). */
export enum State {
  ChangeSysId = 'change_sys_id',
  Skipped = 'skipped',
  /** Set once main has moved the change to Implement: the deployment may have begun. */
  Implementing = 'implementing',
  /** The leg's name main settled on, so that post reports the same leg. */
  Leg = 'leg'
}

/** The job outcome post reads is for the job running on this runner. */
export const RUNNER_NAME_ENV = 'RUNNER_NAME'

/**
 * Set for the rest of the job by create (or the gate) when the environment is not change-controlled.
 *
 * "Skipped" travels three ways because the runner offers no one channel that reaches every reader:
 * - this variable: from create to the wait, update and close steps later in the same job, with no input to wire;
 * - Output.Skipped, read back as ChangeRefInput.Skipped: for users, and for steps in other jobs, which a
 *   job's environment does not reach;
 * - State.Skipped: from the gate's main to its own post, which reads only what its main saved
 *   (a variable set by another step of the job would not say what this gate did).
 * Inside a step it is one value: ChangeRef's kind 'skipped' (settings/change-ref.ts) or GateState's.
 */
export const SKIPPED_ENV = 'SERVICENOW_CHANGE_SKIPPED'
