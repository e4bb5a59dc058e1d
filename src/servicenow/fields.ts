/**
 * Reading field values out of either API's answer.
 *
 * Table API: every value a string; a reference is `{link, value}` (or a bare
 * string with sysparm_exclude_reference_link); with sysparm_display_value=all
 * each field is `{display_value, value[, link]}`.
 * Change Management API: every field `{display_value, value}` with real JSON
 * numbers and booleans (`-5.0`), dates adding `display_value_internal`.
 */

export interface FieldValue {
  value: string | undefined
  display: string | undefined
}

export type RawRecord = Record<string, unknown>

export function field(record: RawRecord, name: string): FieldValue {
  const raw = record[name]
  if (raw === undefined || raw === null)
    return {value: undefined, display: undefined}
  if (typeof raw !== 'object') return {value: scalar(raw), display: undefined}
  const obj = raw as {value?: unknown; display_value?: unknown}
  return {value: scalar(obj.value), display: scalar(obj.display_value)}
}

/** The stored value of a field, '' when absent. */
export function valueOf(record: RawRecord, name: string): string {
  return field(record, name).value ?? ''
}

function scalar(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean')
    return String(value)
  return undefined
}

/** ServiceNow date-times (`YYYY-MM-DD HH:MM:SS`, GMT in stored values). */
export function parseGlideDate(value: string | undefined): Date | undefined {
  if (value === undefined || value.trim() === '') return undefined
  const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})$/.exec(
    value.trim()
  )
  if (match === null) return undefined
  const date = new Date(`${match[1]}T${match[2]}Z`)
  return Number.isNaN(date.getTime()) ? undefined : date
}

export function formatGlideDate(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ')
}

/** A `result` that the docs show as an object and some versions send as a one-element array. */
export function single(result: unknown): RawRecord {
  const one = Array.isArray(result) ? result[0] : result
  if (one === null || typeof one !== 'object') return {}
  return one as RawRecord
}

/** A JSON value as an error message may show it: short, on one line, nothing the log could read as a command. */
export function shown(value: unknown): string {
  let text: string
  try {
    // JSON.stringify writes Infinity (a parsed 1e400) as null: say what it was.
    text =
      value === undefined
        ? 'nothing'
        : typeof value === 'number'
          ? String(value)
          : (JSON.stringify(value) ?? String(value))
  } catch {
    text = String(value)
  }
  const short = text.length > 80 ? `${text.slice(0, 77)}...` : text
  return short.replace(/[\p{Cc}\u2028\u2029]/gu, '?').replace(/::/g, ': :')
}

/** A record of an answer: a JSON object, not null, a number or a list. */
export function isRecord(value: unknown): value is RawRecord {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
