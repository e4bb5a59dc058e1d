import { aclDenied } from './errors.js'
import { hasRole } from './instance.js'
import type { Row } from './store.js'

type Operation = 'Read' | 'Insert' | 'Update' | 'Delete'

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
        return op === 'Read' ? hasRole(user, 'itil', 'sn_change_read', 'sn_change_write') : hasRole(user, 'itil', 'sn_change_write')
      case 'incident':
        return op === 'Delete' ? hasRole(user) : hasRole(user, 'itil')
      case 'sysapproval_approver':
        return op === 'Read' ? hasRole(user, 'itil', 'approver_user', 'sn_change_read') : hasRole(user, 'approver_user')
      default:
        return op === 'Read' ? true : hasRole(user)
    }
  })()
  if (!allowed) throw aclDenied(op)
}
