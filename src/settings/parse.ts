import {InputError} from '../servicenow/errors.js'
import {formatGlideDate} from '../servicenow/fields.js'
import {queryValueProblem} from '../servicenow/query.js'
import {LINE_BREAK} from '../servicenow/text.js'

/**
 * Inputs that meet a query: refused before any request when the query could not
 * carry them as one plain value (`^`, a line break, a leading `javascript:`).
 */
export function queryValue(name: string, value: string): string {
  const problem = queryValueProblem(value)
  if (problem !== undefined)
    throw new InputError(`Invalid ${name}: it ${problem}.`)
  return value
}

/** A value that is one line by nature (a title): a line break in it is refused, not kept or joined. */
export function oneLine(name: string, value: string): string {
  if (LINE_BREAK.test(value))
    throw new InputError(
      `Invalid ${name}: it has a line break; ServiceNow shows it as one line. Put the rest in description.`
    )
  return value
}

const FIELD_NAME = /^[a-z][a-z0-9_]*$/

/**
 * Fields the action (or ServiceNow) keeps to itself, whichever step: set through
 * `fields` they would contradict what the action claims (an approved change no
 * one approved, a state reached without walking the model). Each says what to use instead.
 */
export const OWNED_FIELDS: Readonly<Record<string, string>> = {
  approval:
    'approvals are decided in ServiceNow, and the wait step waits for them',
  state:
    'states are walked one at a time by the steps (the update step has a state input)',
  number: 'ServiceNow numbers each change',
  sys_id: 'ServiceNow gives each record its sys_id',
  active: 'a change stays active until the close step closes or cancels it',
  on_hold: 'put a change on hold in ServiceNow, where the reason is recorded',
  correlation_id: 'use the correlation_id input of create (or the gate)',
  correlation_display: 'the action sets it',
  close_code: 'use the close_code input of close (or the gate)',
  close_notes: 'use the close_notes input of close (or the gate)',
  type: 'use the type input of create (a change keeps its type)',
  std_change_producer_version: 'use the template input of create',
  // Set by the instance as the change moves, never by the caller (the change
  // model's business rules and the platform stamp them): written by hand they
  // would claim a history that did not happen. Fields a team may fill on purpose
  // (planned start_date/end_date, justification, risk ...) stay allowed.
  chg_model:
    'the action picks the change model that matches the type (Normal, Standard, Emergency)',
  opened_at: 'ServiceNow stamps when the change was opened',
  opened_by: 'ServiceNow stamps who opened the change',
  closed_at: 'ServiceNow stamps it when the close step closes the change',
  closed_by: 'ServiceNow stamps it when the close step closes the change',
  approval_set: 'ServiceNow stamps it when the approval is decided',
  approval_history: 'ServiceNow writes it as approvers decide',
  work_start:
    'ServiceNow stamps the actual start when the change moves to Implement',
  work_end: 'ServiceNow stamps the actual end when the change leaves Implement',
  reopen_count: 'ServiceNow counts reopenings',
  calendar_duration: 'ServiceNow computes it when the change closes',
  business_duration: 'ServiceNow computes it when the change closes'
}

/**
 * The `fields` input: a JSON object, or `name: value` lines. Values become
 * strings (the Table API stores everything as text). Fields in OWNED_FIELDS or
 * `inputs` (fields the step has its own input for: field → input name) are refused.
 */
export function parseFields(
  name: string,
  raw: string,
  inputs: Readonly<Record<string, string>> = {}
): Record<string, string> {
  const text = raw.trim()
  if (text === '') return {}
  const out: Record<string, string> = {}
  /** where: ' on line N' for the line form, '' for a JSON key (a key has no line of its own). */
  const put = (field: string, value: unknown, where: string): void => {
    if (!FIELD_NAME.test(field))
      throw new InputError(
        `Invalid ${name}: '${field}'${where} is not a ServiceNow field name (lower-case letters, digits and _).`
      )
    const instead =
      inputs[field] !== undefined
        ? `use the ${inputs[field]} input`
        : (OWNED_FIELDS[field] ??
          (field.startsWith('sys_')
            ? 'ServiceNow sets system fields'
            : undefined))
    if (instead !== undefined)
      throw new InputError(
        `Invalid ${name}: '${field}' cannot be set through ${name}: ${instead}.`
      )
    if (value !== null && typeof value === 'object')
      throw new InputError(
        `Invalid ${name}: the value of '${field}' must be text, a number or true/false.`
      )
    out[field] = value === null ? '' : String(value)
  }
  if (text.startsWith('{') || text.startsWith('[')) {
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (error) {
      throw new InputError(
        `Invalid ${name}: it starts like JSON but does not parse (${(error as Error).message}).`
      )
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new InputError(`Invalid ${name}: expected a JSON object.`)
    for (const [field, value] of Object.entries(parsed)) put(field, value, '')
    return out
  }
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '' || line.trim().startsWith('#')) return
    const colon = line.indexOf(':')
    if (colon <= 0)
      throw new InputError(
        `Invalid ${name}: line ${i + 1} '${line.trim()}' is not 'name: value' (or give a JSON object).`
      )
    put(
      line.slice(0, colon).trim(),
      line.slice(colon + 1).trim(),
      ` on line ${i + 1}`
    )
  })
  return out
}

/**
 * A date-time for start_date/end_date: ISO 8601 with a zone (2026-11-23T10:00:00Z,
 * …+01:00), or ServiceNow's `YYYY-MM-DD HH:MM:SS` read as GMT. Returns GMT in
 * ServiceNow's format, which is what the Table API expects without display values.
 */
export function parseDate(name: string, raw: string): string {
  const text = raw.trim()
  if (text === '') return ''
  let date: Date
  if (/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(text))
    date = new Date(`${text.replace(' ', 'T')}Z`)
  else if (
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(
      text
    )
  )
    date = new Date(text)
  else
    throw new InputError(
      `Invalid ${name} '${text}': use ISO 8601 with a zone (2026-11-23T10:00:00Z) or 'YYYY-MM-DD HH:MM:SS' in GMT.`
    )
  // Date rolls 2026-02-30 over to March 2: compare the fields back to catch that.
  const [, y, mo, d] = /^(\d{4})-(\d{2})-(\d{2})/.exec(text) ?? []
  const local = text.includes('T')
    ? new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)))
    : date
  if (
    Number.isNaN(date.getTime()) ||
    local.getUTCMonth() !== Number(mo) - 1 ||
    local.getUTCDate() !== Number(d)
  ) {
    throw new InputError(`Invalid ${name} '${text}': not a real date.`)
  }
  return formatGlideDate(date)
}

/** risk / impact: a number or its English label, to the stored value. */
export function parseLevel(
  name: string,
  raw: string,
  labels: Record<string, string>
): string {
  const text = raw.trim().toLowerCase()
  if (text === '') return ''
  if (Object.values(labels).includes(text)) return text
  const value = labels[text]
  if (value === undefined) {
    throw new InputError(
      `Invalid ${name} '${raw.trim()}'. Expected one of: ${Object.keys(labels).join(', ')} (or ${Object.values(labels).join(', ')}).`
    )
  }
  return value
}

export const RISK_LEVELS = {
  'very high': '1',
  high: '2',
  moderate: '3',
  low: '4'
}
export const IMPACT_LEVELS = {high: '1', medium: '2', low: '3'}

/** Is this environment change-controlled? Patterns are case-insensitive, `*` matches anything; none means all. */
export function isControlled(environment: string, patterns: string[]): boolean {
  if (patterns.length === 0) return true
  const env = environment.toLowerCase()
  return patterns.some(p =>
    new RegExp(
      `^${p
        .toLowerCase()
        .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')}$`
    ).test(env)
  )
}
