import type {ChangeRecord} from '../servicenow/change-record.js'
import {andList} from './words.js'

/**
 * The fields a standard change takes from its template. The Change Management
 * API ignores them on create and lists them in __meta.ignoredFields
 * (change-management-api.md, POST /change/standard/{id}); a later write that
 * changes them is aborted by the "Restrict fields from Standard Change"
 * business rule. So they are never sent to a standard change.
 */
export const TEMPLATE_FIELDS = [
  'description',
  'implementation_plan',
  'backout_plan',
  'test_plan'
] as const

function split(fields: Record<string, string>): {
  kept: Record<string, string>
  dropped: string[]
} {
  const dropped = Object.keys(fields).filter(f =>
    (TEMPLATE_FIELDS as readonly string[]).includes(f)
  )
  return {
    kept: Object.fromEntries(
      Object.entries(fields).filter(([f]) => !dropped.includes(f))
    ),
    dropped
  }
}

/** The create body of a standard change, without what the template decides. */
export function forStandardCreate(
  fields: Record<string, string>,
  template: string,
  warn: (line: string) => void
): Record<string, string> {
  const {kept, dropped} = split(fields)
  if (dropped.length > 0)
    warn(
      `A standard change takes ${andList(dropped)} from its template '${template}': the values given were not sent.`
    )
  return kept
}

/** Fields for a write to this change: for a standard change, without what its template decides. */
export function forWrite(
  record: ChangeRecord,
  fields: Record<string, string>,
  warn: (line: string) => void
): Record<string, string> {
  if (record.type !== 'standard') return fields
  const {kept, dropped} = split(fields)
  if (dropped.length > 0) {
    const one = dropped.length === 1
    warn(
      `${record.number} is a standard change: ${andList(dropped)} ${one ? 'comes' : 'come'} from its template and ${one ? 'was' : 'were'} not sent.`
    )
  }
  return kept
}
