/**
 * A journal field's display value (work_notes, comments): its entries, newest
 * first, each headed `2026-11-23 10:00:00 - Jane Doe (Work notes)` (comments
 * read "(Additional comments)" on instances) and followed by its text.
 */
export const JOURNAL_HEADER =
  /^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) - (.+) \((?:Comments|Work notes|Additional comments)\)$/

export interface JournalEntry {
  /** `YYYY-MM-DD HH:MM:SS` as the header shows it. */
  at: string
  /** Who wrote it, as the header names them (a display name on instances). */
  author: string
  text: string
}

export function journalEntries(display: string): JournalEntry[] {
  const entries: JournalEntry[] = []
  let current: {at: string; author: string; lines: string[]} | undefined
  const flush = (): void => {
    if (current !== undefined)
      entries.push({
        at: current.at,
        author: current.author,
        text: current.lines.join('\n').trim()
      })
  }
  for (const line of display.split('\n')) {
    const header = JOURNAL_HEADER.exec(line.trim())
    if (header !== null) {
      flush()
      current = {at: header[1] ?? '', author: header[2] ?? '', lines: []}
    } else current?.lines.push(line)
  }
  flush()
  return entries
}
