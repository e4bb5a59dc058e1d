import {canTransition, S, type ChangeFacts} from './change-lifecycle.js'
import {businessRuleAbort, dataPolicy, SnError} from './errors.js'
import {TABLES, type FieldType} from './schema.js'
import {glideNow, Store, type Row} from './store.js'
import {Workers} from './workers.js'

export interface ApprovalPolicy {
  /** manual: only the admin endpoints decide; auto: decided afterMs after being requested. */
  mode: 'manual' | 'auto'
  afterMs: number
  /** auto mode: reject (instead of approve) when the short description matches this. */
  rejectPattern?: string
}

export interface InstanceConfig {
  approval: ApprovalPolicy
  /** What the state model does with a transition it refuses: answer 403, or silently keep the old state. */
  transitionRefusal: 'error' | 'ignore'
  /**
   * A business rule that silently puts every state write back, as ServiceNow
   * KB2804110 describes ("the workflow shows the state updated, but the change
   * request's state did not change"): the write answers 200, the state stays.
   */
  ignoreStateWrites: boolean
  /** False: the release lacks PATCH /sn_chg_rest/change/{sys_id}/risk while the rest of the API is there. */
  riskApi: boolean
}

export interface WriteOptions {
  inputDisplayValue: boolean
}

/** The result of a write: the row and the body fields the instance dropped. */
export interface WriteResult {
  row: Row
  ignored: string[]
}

/**
 * The instance's business logic behind every API: coercing written values the
 * way the platform does, defaults, the change state model, data policies and
 * the approval engine. HTTP concerns live in the route modules.
 */
export class Instance {
  readonly store: Store
  private readonly timers = new Set<NodeJS.Timeout>()
  /** Approvals put aside while their change is on hold, asked again when it comes off hold. */
  private readonly held = new Map<string, Row[]>()

  /** The Change Management API's asynchronous workers (conflict checking, scheduling, CI association). */
  readonly workers: Workers

  constructor(
    readonly config: InstanceConfig,
    readonly now: () => number = Date.now
  ) {
    this.store = new Store(now)
    this.workers = new Workers(now)
  }

  get riskApi(): boolean {
    return this.config.riskApi
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
  }

  insert(
    table: string,
    body: Record<string, unknown>,
    user: Row,
    options: WriteOptions
  ): WriteResult {
    const {values, journal, ignored} = this.coerce(table, body, options)
    if (table === 'change_request') {
      values.type ||= 'normal'
      values.state ||= S.new
      // A standard change is pre-approved; the others wait until approval is requested.
      values.approval ||=
        values.type === 'standard' ? 'approved' : 'not requested'
      // Created straight into Closed or Canceled (an import, another tool), it is inactive, as the
      // platform's business rule makes any change that reaches those states.
      values.active ||=
        values.state === S.closed || values.state === S.canceled
          ? 'false'
          : 'true'
      values.on_hold ||= 'false'
      values.opened_at ||= glideNow(this.now())
      values.requested_by ||= user.sys_id ?? ''
      // On a change-model instance each type has its model (chg_model references it).
      values.chg_model ||=
        this.store.findByDisplay(
          'chg_model',
          values.type.charAt(0).toUpperCase() + values.type.slice(1)
        )?.sys_id ?? ''
      // The dictionary defaults a new change takes (the change-management-api.md example record shows
      // risk Moderate, impact 3 - Low, priority 4 - Low): sn_chg_rest then shows them as numbers.
      values.risk ||= '3'
      values.impact ||= '3'
      values.priority ||= '4'
      // An insert may set any state: the state model's rule guards updates only. Pipelines create
      // changes directly in Scheduled this way (recorded in public integrations' create requests).
    } else if (table === 'incident') {
      values.state ||= '1'
      values.active ||= 'true'
      values.impact ||= '3'
      values.urgency ||= '3'
      values.opened_at ||= glideNow(this.now())
    } else if (table === 'sysapproval_approver') {
      values.state ||= 'requested'
    } else if (table === 'change_task') {
      values.state ||= '1'
      values.active ||= isActiveTaskState(values.state) ? 'true' : 'false'
      values.on_hold ||= 'false'
      // A change task's parent is its change request; either field names it.
      values.change_request ||= values.parent ?? ''
      values.parent ||= values.change_request
    }
    return {
      row: this.store.insert(table, values, userName(user), journal),
      ignored
    }
  }

  update(
    table: string,
    row: Row,
    body: Record<string, unknown>,
    user: Row,
    options: WriteOptions
  ): WriteResult {
    const {values, journal, ignored} = this.coerce(table, body, options)
    const decision = values.state
    if (
      table === 'sysapproval_approver' &&
      row.state === 'requested' &&
      (decision === 'approved' || decision === 'rejected')
    ) {
      // Writing the decision onto the approval record runs the approval engine, as on an instance.
      this.decide(row, decision, journal.comments)
      return {row, ignored}
    }
    let after: () => void = () => {}
    if (table === 'change_request') {
      if (row.type === 'standard') restrictStandardFields(row, values)
      if (values.state !== undefined && values.state !== row.state)
        after = this.changeState(row, values)
      const hold = values.on_hold
      if (
        hold !== undefined &&
        hold !== '' &&
        hold !== (row.on_hold || 'false') &&
        values.state !== S.canceled
      ) {
        const then = after
        after = () => {
          then()
          this.holdChanged(row)
        }
      }
    }
    if (table === 'change_task' && values.state !== undefined) {
      values.active = isActiveTaskState(values.state) ? 'true' : 'false'
      if (values.active === 'false' && row.active !== 'false')
        values.closed_at ||= glideNow(this.now())
    }
    if (
      table === 'incident' &&
      values.state !== undefined &&
      values.state !== row.state
    ) {
      if (values.state === '6') values.resolved_at ||= glideNow(this.now())
      if (values.state === '7') values.closed_at ||= glideNow(this.now())
    }
    this.store.update(table, row, values, userName(user), journal)
    after()
    return {row, ignored}
  }

  /**
   * Validates a state write on a change and returns what to do once it is
   * stored (e.g. generate approvals). May remove values.state when the model
   * is configured to ignore refused transitions silently.
   */
  private changeState(row: Row, values: Row): () => void {
    const to = values.state ?? ''
    if (this.config.ignoreStateWrites) {
      delete values.state
      return () => {}
    }
    // The hold that counts is the one this write leaves: taking a change off hold and moving it go together.
    const held = values.on_hold ?? row.on_hold ?? 'false'
    if (!canTransition({...row, on_hold: held}, to, this.facts(row))) {
      if (this.config.transitionRefusal === 'ignore') {
        delete values.state
        return () => {}
      }
      throw businessRuleAbort(
        'change_request',
        'State Model - Can change state?'
      )
    }
    const merged = {...row, ...values}
    if (to === S.closed) {
      const missing = [
        ['close_code', 'Close code'],
        ['close_notes', 'Close notes']
      ].filter(([f]) => (merged[f ?? ''] ?? '').trim() === '')
      if (missing.length > 0)
        throw dataPolicy(missing.map(([, label]) => label ?? ''))
    }
    if (to === S.assess && (merged.assignment_group ?? '') === '')
      throw dataPolicy(['Assignment group'])
    if (to === S.closed || to === S.canceled) {
      values.active = 'false'
      values.closed_at ||= glideNow(this.now())
    }
    if (to === S.new) values.approval = 'not requested'
    if (to === S.canceled) {
      // t_PlaceAChangeRequestOnHold.md: a canceled change is not on hold, and its active tasks are canceled with it.
      values.on_hold = 'false'
      this.held.delete(row.sys_id ?? '')
      return () => {
        this.retireApprovals(row, 'cancelled')
        const system = userName(this.systemUser())
        for (const task of this.activeTasks(row))
          this.store.update(
            'change_task',
            task,
            {state: '4', active: 'false'},
            system
          )
      }
    }
    if (to === S.new) return () => this.retireApprovals(row, 'cancelled')
    if (to === S.assess || (to === S.authorize && row.type === 'emergency'))
      return () => this.requestApprovals(row)
    return () => {}
  }

  /** What a transition's conditions look at besides the change itself. */
  facts(change: Row): ChangeFacts {
    return {activeTasks: this.activeTasks(change).length}
  }

  activeTasks(change: Row): Row[] {
    return this.store
      .rows('change_task')
      .filter(t => t.change_request === change.sys_id && t.active === 'true')
  }

  /**
   * t_PlaceAChangeRequestOnHold.md: putting a change on hold marks its pending
   * approvals "No Longer Required" and puts its active tasks on hold with the
   * same reason; taking it off hold asks those approvals again.
   */
  private holdChanged(change: Row): void {
    const system = userName(this.systemUser())
    const id = change.sys_id ?? ''
    const onHold = change.on_hold === 'true'
    for (const task of this.activeTasks(change)) {
      this.store.update(
        'change_task',
        task,
        {
          on_hold: onHold ? 'true' : 'false',
          on_hold_reason: onHold ? (change.on_hold_reason ?? '') : ''
        },
        system
      )
    }
    if (onHold) {
      const pending = this.pendingApprovals(change)
      if (pending.length > 0) this.held.set(id, pending)
      this.retireApprovals(change, 'not_required')
      return
    }
    const reinstated = this.held.get(id) ?? []
    this.held.delete(id)
    for (const a of reinstated)
      this.store.update('sysapproval_approver', a, {state: 'requested'}, system)
    if (reinstated.length > 0) this.schedulePolicy(change)
  }

  /** Approval records for the stage the change just entered: Assess → its group; Authorize → the CAB. */
  requestApprovals(change: Row): void {
    const assess = change.state === S.assess
    const group = assess
      ? change.assignment_group
      : this.store.findByDisplay('sys_user_group', 'Change Advisory Board')
          ?.sys_id
    const members = this.store
      .rows('sys_user_grmember')
      .filter(m => m.group === group)
      .map(m => m.user ?? '')
    const manager =
      group === undefined
        ? undefined
        : this.store.get('sys_user_group', group)?.manager
    const approvers =
      members.length > 0
        ? members
        : manager
          ? [manager]
          : [
              this.store.findByDisplay('sys_user', 'System Administrator')
                ?.sys_id ?? ''
            ]
    const system = this.systemUser()
    for (const approver of approvers) {
      this.store.insert(
        'sysapproval_approver',
        {
          approver,
          sysapproval: change.sys_id ?? '',
          group: group ?? '',
          state: 'requested',
          source_table: 'change_request'
        },
        userName(system)
      )
    }
    this.store.update(
      'change_request',
      change,
      {approval: 'requested'},
      userName(system)
    )
    this.schedulePolicy(change)
  }

  private schedulePolicy(change: Row): void {
    const policy = this.config.approval
    if (policy.mode !== 'auto') return
    const stateAtRequest = change.state
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      if (change.state !== stateAtRequest || change.approval !== 'requested')
        return
      const pending = this.pendingApprovals(change)[0]
      if (pending === undefined) return
      const reject =
        policy.rejectPattern !== undefined &&
        new RegExp(policy.rejectPattern).test(change.short_description ?? '')
      this.decide(
        pending,
        reject ? 'rejected' : 'approved',
        reject
          ? `Rejected by policy: the short description matches /${policy.rejectPattern}/.`
          : 'Approved by policy.'
      )
    }, policy.afterMs)
    timer.unref()
    this.timers.add(timer)
  }

  pendingApprovals(change: Row): Row[] {
    return this.store
      .rows('sysapproval_approver')
      .filter(a => a.sysapproval === change.sys_id && a.state === 'requested')
  }

  /**
   * One approver decides. One approval per group suffices (ServiceNow's default
   * for group approvals); the others become "No Longer Required". Approval at
   * Assess moves the change to Authorize and asks the CAB; at Authorize it
   * moves the change to Scheduled. A rejection sends the change back to New.
   */
  decide(
    approval: Row,
    decision: 'approved' | 'rejected',
    comments: string | undefined
  ): void {
    const change = this.store.get('change_request', approval.sysapproval ?? '')
    const approverUser =
      this.store.get('sys_user', approval.approver ?? '') ?? this.systemUser()
    this.store.update(
      'sysapproval_approver',
      approval,
      {state: decision},
      userName(approverUser),
      comments ? {comments} : {}
    )
    if (change === undefined) return
    this.retireApprovals(change, 'not_required')
    const system = userName(this.systemUser())
    if (decision === 'rejected') {
      this.store.update(
        'change_request',
        change,
        {approval: 'rejected', state: S.new},
        system
      )
    } else if (change.state === S.assess && change.type === 'normal') {
      this.store.update('change_request', change, {state: S.authorize}, system)
      this.requestApprovals(change)
    } else {
      this.store.update(
        'change_request',
        change,
        {approval: 'approved', state: S.scheduled},
        system
      )
    }
  }

  private retireApprovals(
    change: Row,
    state: 'not_required' | 'cancelled'
  ): void {
    const system = userName(this.systemUser())
    for (const a of this.pendingApprovals(change))
      this.store.update('sysapproval_approver', a, {state}, system)
  }

  private systemUser(): Row {
    return (
      this.store.findByDisplay('sys_user', 'System Administrator') ?? {
        user_name: 'system',
        sys_id: ''
      }
    )
  }

  /**
   * Turns a JSON body into stored strings: numbers and booleans to text, display
   * names to sys_ids with sysparm_input_display_value, over-long strings cut
   * (the platform truncates at the dictionary length rather than refusing).
   * Fields the table does not have are dropped and reported.
   */
  coerce(
    table: string,
    body: Record<string, unknown>,
    options: WriteOptions
  ): {values: Row; journal: Record<string, string>; ignored: string[]} {
    const schema = TABLES[table]
    const values: Row = {}
    const journal: Record<string, string> = {}
    const ignored: string[] = []
    for (const [name, raw] of Object.entries(body)) {
      const type = schema?.fields[name]
      if (
        type === undefined ||
        name === 'sys_id' ||
        name.startsWith('sys_') ||
        raw === undefined
      ) {
        ignored.push(name)
        continue
      }
      const text =
        raw === null
          ? ''
          : typeof raw === 'object'
            ? JSON.stringify(raw)
            : String(raw)
      if (type.kind === 'journal') journal[name] = text
      else if (table === 'change_request' && name === 'state')
        values[name] = this.coerceState(text, options)
      else values[name] = this.coerceValue(type, text, options)
    }
    return {values, journal, ignored}
  }

  /** A state as written over the APIs (this instance's number, or its label with input display values) to the stored state. */
  private coerceState(text: string, options: WriteOptions): string {
    const byLabel = options.inputDisplayValue
      ? this.store.states.byLabel(text)
      : undefined
    return byLabel ?? this.store.states.stored(text.trim())
  }

  private coerceValue(
    type: FieldType,
    text: string,
    options: WriteOptions
  ): string {
    switch (type.kind) {
      case 'string':
        return type.maxLength !== undefined
          ? text.slice(0, type.maxLength)
          : text
      case 'boolean':
        return text === 'true' || text === '1'
          ? 'true'
          : text === ''
            ? ''
            : 'false'
      case 'choice': {
        if (!options.inputDisplayValue || text in type.choices) return text
        const byLabel = Object.entries(type.choices).find(
          ([, label]) => label === text
        )
        return byLabel?.[0] ?? text
      }
      case 'reference': {
        if (
          !options.inputDisplayValue ||
          text === '' ||
          this.store.get(type.table, text) !== undefined
        )
          return text
        // An unmatched display name leaves the reference empty, as the platform does.
        return this.store.findByDisplay(type.table, text)?.sys_id ?? ''
      }
      default:
        return text
    }
  }
}

/** change_task: Pending, Open and In Progress are active; Closed and Canceled are not. */
function isActiveTaskState(state: string): boolean {
  return state !== '3' && state !== '4'
}

/**
 * The fields a standard change takes from its template
 * (change-management-api.md, POST /change/standard/{id}: ignored if passed).
 */
export const STANDARD_TEMPLATE_FIELDS = [
  'description',
  'implementation_plan',
  'backout_plan',
  'test_plan'
] as const

/**
 * The base system's "Restrict fields from Standard Change" business rule aborts
 * a write that changes them (as a recorded sn_chg_rest PATCH answer shows it: the
 * rule's name, a hex id and the business rule stack in the message).
 */
function restrictStandardFields(row: Row, values: Row): void {
  if (
    STANDARD_TEMPLATE_FIELDS.some(
      f => values[f] !== undefined && values[f] !== (row[f] ?? '')
    )
  ) {
    throw businessRuleAbort(
      'change_request',
      'Restrict fields from Standard Change'
    )
  }
}

export function userName(user: Row): string {
  return user.user_name ?? 'system'
}

export function hasRole(user: Row, ...roles: string[]): boolean {
  const held = (user.roles ?? '').split(',').map(r => r.trim())
  return held.includes('admin') || roles.some(r => held.includes(r))
}

export {SnError}
