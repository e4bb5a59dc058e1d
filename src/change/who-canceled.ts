import type {ChangeRecord} from '../servicenow/change-record.js'
import type {ServiceNowClient} from '../servicenow/client.js'
import {field, valueOf} from '../servicenow/fields.js'
import {journalEntries} from '../servicenow/journal.js'
import {query} from '../servicenow/query.js'

/**
 * Who canceled the change and why, as a rejection names its approver, in one line.
 *
 * Who: the user who moved it to Canceled, from the record's history (sys_audit:
 * one row per changed field per update, with the user and the new value,
 * platform-security/c_UnderstandingTheSysAuditTable.md). The last updater
 * (sys_updated_by) is only a fallback, said as such, for when the history cannot
 * be read: anyone who commented afterwards would be named instead.
 * Why: that person's newest work note or comment written at the cancel (before
 * the next update of the record by anyone: what they wrote later is about
 * something else), else the close notes.
 */
export async function cancellationMessage(
  client: ServiceNowClient,
  record: ChangeRecord
): Promise<string> {
  const raw = await client.table.get('change_request', record.sysId, {
    fields: ['sys_updated_by', 'close_notes', 'work_notes', 'comments'],
    displayValue: 'all',
    excludeReferenceLink: true
  })
  const cancel = await canceledBy(client, record)
  const user = cancel?.user ?? valueOf(raw, 'sys_updated_by')
  const name = user === '' ? '' : await displayName(client, user)
  const journal = (f: string): string => field(raw, f).display ?? ''
  const theirs = [
    ...journalEntries(journal('work_notes')),
    ...journalEntries(journal('comments'))
  ]
    .filter(e => e.author === name || e.author === user)
    .filter(e => cancel?.until === undefined || e.at < cancel.until)
    .sort((a, b) => b.at.localeCompare(a.at))[0]
  const note = (theirs?.text || valueOf(raw, 'close_notes'))
    .replace(/\s+/g, ' ')
    .trim()
  const who =
    name === ''
      ? ''
      : cancel === undefined
        ? ` (last updated by ${name})`
        : ` by ${name}`
  return `${record.number} was canceled${who}${note === '' ? ' (no note)' : `: "${note}"`}.`
}

/**
 * The user whose update set the state to the record's (canceled) state, and when the
 * record was next updated after it (as a display value, as the journal headers show times). Undefined when the history cannot be read (no access, or no row).
 */
async function canceledBy(
  client: ServiceNowClient,
  record: ChangeRecord
): Promise<{user: string; until: string | undefined} | undefined> {
  try {
    const history = (): ReturnType<typeof query> =>
      query().eq('documentkey', record.sysId).eq('tablename', 'change_request')
    const set = await client.table.list('sys_audit', {
      query: history()
        .eq('fieldname', 'state')
        .eq('newvalue', String(record.state))
        .orderByDesc('sys_created_on'),
      fields: ['user', 'sys_created_on'],
      displayValue: 'all',
      limit: 1
    })
    const row = set.records[0]
    const user = row === undefined ? '' : valueOf(row, 'user')
    if (row === undefined || user === '') return undefined
    // Times are queried as stored (GMT) and compared with the journal as shown (its headers are display values).
    const at = valueOf(row, 'sys_created_on')
    const later = await client.table.list('sys_audit', {
      query: history().atLeast('sys_created_on', at).orderBy('sys_created_on'),
      fields: ['sys_created_on'],
      displayValue: 'all',
      limit: 50
    })
    const next = later.records.find(r => valueOf(r, 'sys_created_on') > at)
    const until =
      next === undefined
        ? undefined
        : (field(next, 'sys_created_on').display ?? undefined)
    return {user, until}
  } catch {
    return undefined
  }
}

/** A user's name from their user_name; the user_name itself when it cannot be read. */
async function displayName(
  client: ServiceNowClient,
  userName: string
): Promise<string> {
  try {
    const page = await client.table.list('sys_user', {
      query: query().eq('user_name', userName),
      fields: ['name'],
      limit: 1
    })
    return valueOf(page.records[0] ?? {}, 'name') || userName
  } catch {
    return userName
  }
}
