import type { ChangeRecord } from '../servicenow/change-record.js'
import type { ServiceNowClient } from '../servicenow/client.js'
import { field, valueOf } from '../servicenow/fields.js'
import { journalEntries } from '../servicenow/journal.js'
import { query } from '../servicenow/query.js'

/**
 * Who canceled the change and why, as a rejection names its approver: the
 * user who last updated it (sys_updated_by), by name, and their latest work
 * note or comment on it, else the close notes. One line.
 */
export async function cancellationMessage(client: ServiceNowClient, record: ChangeRecord): Promise<string> {
  const raw = await client.table.get('change_request', record.sysId, {
    fields: ['sys_updated_by', 'close_notes', 'work_notes', 'comments'],
    displayValue: 'all',
    excludeReferenceLink: true
  })
  const user = valueOf(raw, 'sys_updated_by')
  const name = user === '' ? '' : await displayName(client, user)
  const journal = (f: string): string => field(raw, f).display ?? ''
  const theirs = [...journalEntries(journal('work_notes')), ...journalEntries(journal('comments'))]
    .filter((e) => e.author === name || e.author === user)
    .sort((a, b) => b.at.localeCompare(a.at))[0]
  const note = (theirs?.text || valueOf(raw, 'close_notes')).replace(/\s+/g, ' ').trim()
  const who = name === '' ? '' : ` by ${name}`
  return `${record.number} was canceled${who}${note === '' ? ' (no note)' : `: "${note}"`}.`
}

/** A user's name from their user_name; the user_name itself when it cannot be read. */
async function displayName(client: ServiceNowClient, userName: string): Promise<string> {
  try {
    const page = await client.table.list('sys_user', { query: query().eq('user_name', userName), fields: ['name'], limit: 1 })
    return valueOf(page.records[0] ?? {}, 'name') || userName
  } catch {
    return userName
  }
}
