import {createHash} from 'node:crypto'

/** An error the simulator answers with ServiceNow's envelope: {"error":{message,detail},"status":"failure"}. */
export class SnError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly detail: string | null = null,
    readonly headers: Record<string, string> = {}
  ) {
    super(message)
  }

  body(): unknown {
    return {
      error: {message: this.message, detail: this.detail},
      status: 'failure'
    }
  }
}

export const notFound = (): SnError =>
  new SnError(
    404,
    'No Record found',
    "Record doesn't exist or ACL restricts the record retrieval"
  )

/** The 403 a data policy gives over REST when mandatory fields are empty. */
export function dataPolicy(labels: string[]): SnError {
  return new SnError(
    403,
    `Data Policy Exception: \n\tThe following fields are mandatory: ${labels.join(', ')}`,
    null
  )
}

export function aclDenied(
  operation: 'Read' | 'Insert' | 'Update' | 'Delete'
): SnError {
  return new SnError(
    403,
    'Operation Failed',
    `ACL Exception ${operation} Failed due to security constraints`
  )
}

/**
 * A write a business rule aborted, as the change state model's "State Model -
 * Can change state?" rule does for a transition the model does not allow
 * (ServiceNow KB2804110 describes that rule aborting state updates). The text
 * is as instances send it (recorded answers in public integrations' logs and
 * tests): the rule is named with the
 * sys_id of its own sys_script record after a '^', never the aborted record's.
 * The Table API answers message "Operation Failed" with the abort in
 * `detail`; the Change Management API puts the whole text in `message` and
 * leaves `detail` empty (forChangeApi). The 403 status is ServiceNow's usual
 * answer to an aborted REST write (UNVERIFIED for the Change Management API).
 */
export class BusinessRuleAbort extends SnError {
  constructor(
    readonly table: string,
    readonly rule: string
  ) {
    super(
      403,
      'Operation Failed',
      `Operation against file '${table}' was aborted by Business Rule '${rule}^${ruleSysId(rule)}'`
    )
  }

  /** The same abort as sn_chg_rest words it: "Change Request record could not be updated. … Business Rule Stack:<rule>". */
  forChangeApi(verb: 'created' | 'updated'): SnError {
    return new SnError(
      this.status,
      `Change Request record could not be ${verb}. ${this.detail ?? ''}. Business Rule Stack:${this.rule}`,
      ''
    )
  }
}

/** A business rule's own sys_id: stable per rule, unrelated to any record it aborts. */
function ruleSysId(rule: string): string {
  return createHash('md5').update(`sys_script:${rule}`).digest('hex')
}

export function businessRuleAbort(
  table: string,
  rule: string
): BusinessRuleAbort {
  return new BusinessRuleAbort(table, rule)
}
