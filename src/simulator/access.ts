import {aclDenied} from './errors.js'
import {hasRole} from './instance.js'
import type {Row} from './store.js'

type Operation = 'Read' | 'Insert' | 'Update' | 'Delete'

/**
 * The roles that may touch a change request, per operation, as the Change
 * Management API's introduction lists them
 * (markdown/api-reference/rest-apis/change-management-api.md: "GET:
 * change_manager, itil, sn_change_read, or admin; PATCH/POST: change_manager,
 * itil, or admin; DELETE: change_manager or admin"). sn_change_write is not
 * among them: a user holding only it (and sn_change_read) may read, not write.
 * The Table API's change_request ACLs are modelled the same way. admin passes
 * every check (hasRole).
 */
export const CHANGE_ROLES: Record<Operation, readonly string[]> = {
  Read: ['change_manager', 'itil', 'sn_change_read'],
  Insert: ['change_manager', 'itil'],
  Update: ['change_manager', 'itil'],
  Delete: ['change_manager']
}

/**
 * A coarse stand-in for the instance's ACLs: change and incident records need
 * an ITIL or change role; reference data is readable by anyone signed in and
 * writable by admins; approvals are for approvers.
 */
export function checkAccess(user: Row, table: string, op: Operation): void {
  const allowed = ((): boolean => {
    switch (table) {
      // Change tasks follow the rules of their change.
      case 'change_task':
      case 'change_request':
        return hasRole(user, ...CHANGE_ROLES[op])
      case 'incident':
        return op === 'Delete' ? hasRole(user) : hasRole(user, 'itil')
      // A record's history is shown (the form's activity and history) to whoever may read the
      // record: modelled as the change roles' read; written only by the platform.
      case 'sys_audit':
        return op === 'Read' ? hasRole(user, ...CHANGE_ROLES.Read) : false
      case 'sysapproval_approver':
        return op === 'Read'
          ? hasRole(user, 'itil', 'approver_user', 'sn_change_read')
          : hasRole(user, 'approver_user')
      default:
        return op === 'Read' ? true : hasRole(user)
    }
  })()
  if (!allowed) throw aclDenied(op)
}
