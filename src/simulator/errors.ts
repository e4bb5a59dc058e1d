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
    return { error: { message: this.message, detail: this.detail }, status: 'failure' }
  }
}

export const notFound = (): SnError => new SnError(404, 'No Record found', "Record doesn't exist or ACL restricts the record retrieval")

/** The 403 a data policy gives over REST when mandatory fields are empty. */
export function dataPolicy(labels: string[]): SnError {
  return new SnError(403, `Data Policy Exception: \n\tThe following fields are mandatory: ${labels.join(', ')}`, null)
}

export function aclDenied(operation: 'Read' | 'Insert' | 'Update' | 'Delete'): SnError {
  return new SnError(403, 'Operation Failed', `ACL Exception ${operation} Failed due to security constraints`)
}

/**
 * How an instance answers when a business rule aborts the write, as the change
 * state model's "State Model - Can change state?" rule does for a transition
 * the model does not allow (ServiceNow KB2804110 describes that rule aborting
 * state updates). The exact detail text is UNVERIFIED; the 403 + "Operation
 * Failed" envelope is ServiceNow's usual answer to an aborted REST write.
 */
export function businessRuleAbort(table: string, rule: string, sysId: string): SnError {
  return new SnError(403, 'Operation Failed', `Operation against file '${table}' was aborted by Business Rule '${rule}^${sysId}'. Business Rule Stack:${rule}`)
}
