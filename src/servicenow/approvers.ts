import {field, parseGlideDate, type RawRecord} from './fields.js'
import {checkSysId} from './ids.js'
import {JOURNAL_HEADER} from './journal.js'
import {query} from './query.js'
import type {TableApi} from './table-api.js'

/** One approval of a change, from sysapproval_approver. */
export interface Approver {
  name: string
  /** not requested | requested | approved | rejected | cancelled | not_required | skipped */
  state: string
  comments: string
  /** When the row last changed: for a decided approval, when it was decided. */
  decidedAt: Date | undefined
}

/** Who was asked to approve the change, and what each said. */
export async function listApprovers(
  table: TableApi,
  changeSysId: string
): Promise<Approver[]> {
  checkSysId(changeSysId, 'change_sys_id')
  const page = await table.list('sysapproval_approver', {
    query: query().eq('sysapproval', changeSysId).orderBy('sys_created_on'),
    fields: ['approver', 'state', 'comments', 'sys_updated_on'],
    // 'all': the approver's name (display) and the state's stable value in one answer.
    displayValue: 'all',
    excludeReferenceLink: true
  })
  return page.records.map(toApprover)
}

function toApprover(row: RawRecord): Approver {
  const approver = field(row, 'approver')
  return {
    name: approver.display ?? approver.value ?? '',
    state: field(row, 'state').value ?? '',
    comments: journalText(
      field(row, 'comments').display ?? field(row, 'comments').value ?? ''
    ),
    decidedAt: parseGlideDate(field(row, 'sys_updated_on').value)
  }
}

/**
 * A journal field's display value is its entries, newest first, each headed
 * `2026-11-23 10:00:00 - Jane Doe (Additional comments)` (instances label comments so; older
 * texts and other tables may read "(Comments)"). Keep the texts, drop the headers.
 */
export function journalText(display: string): string {
  return display
    .split('\n')
    .filter(line => !JOURNAL_HEADER.test(line.trim()))
    .join('\n')
    .trim()
}
