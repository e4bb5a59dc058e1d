import {
  isChangeType,
  STATE_PATHS,
  type StateLabel
} from '../servicenow/change-model.js'
import type {Approver} from '../servicenow/approvers.js'
import type {ChangeRecord} from '../servicenow/change-record.js'

/**
 * The pieces of a job summary that a person reads at a glance: a status icon, the change's place
 * in its lifecycle, readable times and values. Pure functions over the record, so that every step
 * shows them the same way.
 */

export type Tone = 'ok' | 'warn' | 'bad' | 'canceled' | 'waiting'

const ICONS: Record<Tone, string> = {
  ok: '✅',
  warn: '⚠️',
  bad: '❌',
  canceled: '🚫',
  waiting: '⏳'
}

export function icon(tone: Tone): string {
  return ICONS[tone]
}

/** How a change stands for the deployment, from the record alone. */
export function toneOf(record: ChangeRecord): Tone {
  if (record.stateLabel === 'closed') {
    if (record.closeCode === 'successful') return 'ok'
    return record.closeCode === 'successful_issues' ? 'warn' : 'bad'
  }
  if (record.stateLabel === 'canceled') return 'canceled'
  if (record.approval === 'rejected') return 'bad'
  if (
    record.approval === 'approved' &&
    ['scheduled', 'implement', 'review'].includes(record.stateLabel ?? '')
  )
    return 'ok'
  return 'waiting'
}

/** Who decided: the approvers whose decision counted, by name. */
export function deciders(approvers: Approver[]): string[] {
  return approvers
    .filter(a => a.state === 'approved' || a.state === 'rejected')
    .map(a => a.name)
}

/** "A", "A and B", "A, B and C". */
export function names(list: string[]): string {
  if (list.length <= 1) return list.join('')
  return `${list.slice(0, -1).join(', ')} and ${list[list.length - 1]}`
}

/**
 * The change's path for its type with where it is: states passed are ticked, the current one is
 * marked, Canceled replaces the rest. A state the type does not walk (or an instance's own) is
 * shown after the path rather than guessed into it.
 */
export function lifecycleStrip(record: ChangeRecord): string {
  const path = STATE_PATHS[isChangeType(record.type) ? record.type : 'normal']
  const current = record.stateLabel
  const label = (s: StateLabel): string =>
    s.charAt(0).toUpperCase() + s.slice(1)
  if (current === 'canceled')
    return `${path.map(label).join(' → ')} · ● Canceled`
  const at = current === undefined ? -1 : path.indexOf(current)
  const strip = path
    .map((s, i) =>
      i < at ? `${label(s)} ✓` : i === at ? `● ${label(s)}` : label(s)
    )
    .join(' → ')
  return at === -1
    ? `${strip} · ● ${current === undefined ? record.stateName : `state ${current}`}`
    : strip
}

/** A time as a person reads it in a summary: 23 Nov 2026, 16:40:12 UTC. */
export function readableTime(at: Date): string {
  const time = at.toISOString().slice(11, 19)
  return `${readableDay(at)} ${at.getUTCFullYear()}, ${time} UTC`
}

// Fixed names: the runtime's locale data may say 'Sept' or not, and a summary should not vary with it.
const MONTHS = [
  'Jan',
  'Feb',
  'Mar',
  'Apr',
  'May',
  'Jun',
  'Jul',
  'Aug',
  'Sep',
  'Oct',
  'Nov',
  'Dec'
]

/** A day as 3 Nov (UTC). */
export function readableDay(at: Date): string {
  return `${at.getUTCDate()} ${MONTHS[at.getUTCMonth()]}`
}

/** A ServiceNow choice value as words: not_required → not required. */
export function readableValue(value: string): string {
  return value.replace(/_/g, ' ')
}

const CLOSE_CODES: Record<string, string> = {
  successful: 'successful',
  successful_issues: 'successful with issues',
  unsuccessful: 'unsuccessful'
}

export function readableCloseCode(code: string): string {
  return CLOSE_CODES[code] ?? readableValue(code)
}

/**
 * Text from ServiceNow or the workflow, made safe to place in the summary's HTML. Runs of
 * white space, line breaks included, become one space: a blank line ends GitHub's HTML block,
 * and what follows it would be read as Markdown (a heading, a link, a table of its own).
 */
export function escape(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
}
