import type {Connection} from './connection.js'
import type {ServiceNowError} from './errors.js'
import {TOKEN_PATH} from './failure.js'

/**
 * Failures that say the connection itself is wrong, whichever call met them,
 * in words a ServiceNow admin can act on; undefined for any other failure.
 * There is no separate connection check before a step's work: the step's first
 * request is the check, and runStep (steps/step.ts) explains its failure here.
 */
export function explainConnectionFailure(
  error: ServiceNowError,
  conn: Connection
): string | undefined {
  const said = error.message
  const at = conn.baseUrl
  if (error.path.startsWith(TOKEN_PATH))
    return `${at} refused the OAuth sign-in. ${said}`
  switch (error.kind) {
    case 'network':
    case 'timeout':
      return `Cannot reach ServiceNow at ${at}. ${said}. Check instance_url, and any proxy (HTTPS_PROXY/NO_PROXY) between the runner and the instance.`
    case 'invalid-response':
      return `${at} did not answer like a ServiceNow instance. ${said}`
  }
  // The Table API's latest version (the one this client calls) answers a list with no match 200
  // and an empty result; only version 1 answered 404 (markdown/api-reference/rest-apis/
  // c_TableAPI.md, GET /now/table/{tableName}). A 404 to a list is a server with no Table API.
  if (error.status === 404 && TABLE_LIST.test(error.path)) {
    return `${at} has no Table API at /api/now/table (404). Check that instance_url is the instance's address, not a portal or proxy page.`
  }
  if (error.status === 401) {
    const explained = conn.explainAuthRefusal()
    if (explained !== undefined)
      return `${at} refused the sign-in (401 ${error.serviceNowMessage ?? ''}). ${explained}`
    return (
      `${at} refused the credentials (401 ${error.serviceNowMessage ?? ''}). ` +
      (REFUSAL_ADVICE[conn.authMethod] ??
        'Check that the token or OAuth client is valid and not expired or revoked.')
    )
  }
  if (error.status === 403 && /ACL Exception/i.test(error.detail ?? '')) {
    return (
      `${at} signed the user in but refused the request (${said}). ` +
      WRITE_ROLES_ADVICE
    )
  }
  return undefined
}

/**
 * The Change Management API's introduction
 * (markdown/api-reference/rest-apis/change-management-api.md) lists the roles:
 * POST and PATCH need change_manager, itil or admin; sn_change_read covers GET
 * only; DELETE needs change_manager or admin. sn_change_write is not enough.
 */
export const WRITE_ROLES_ADVICE =
  'Give the integration user the itil or change_manager role: creating and updating change requests needs itil, change_manager or admin ' +
  '(sn_change_read and sn_change_write allow reading only). It also needs read access to sysapproval_approver.'

/** A list of a table's records, not one record (/api/now/table/<table>, then a query or nothing). */
const TABLE_LIST = /^\/api\/now\/table\/[a-z0-9_]+(\?|$)/

/** What to check after a 401, for the methods whose setup has more to it than a valid token. */
const REFUSAL_ADVICE: Partial<Record<Connection['authMethod'], string>> = {
  basic:
    'Check username and password, that the user is active and not locked out, and that basic auth is allowed for REST.',
  // The key is only read where a REST API Access Policy with its API key authentication profile
  // covers the API (markdown/platform-security/authentication/configure-api-key.md).
  api_key:
    'Check that the REST API key is active, not expired and belongs to an active user, and that a REST API Access Policy with an ' +
    'API key authentication profile (x-sn-apikey in the header) covers the Table API, the Change Management API and the Attachment API.'
}
