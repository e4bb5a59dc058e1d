import {InputError} from './errors.js'
import {LINE_BREAK} from './text.js'

/**
 * Builds ServiceNow encoded queries (`field=value^field2INa,b^ORDERBYDESCsys_created_on`).
 *
 * ServiceNow has no escape for `^` inside a value: `short_description=a^NQactive=true`
 * is two queries, not one value. So a value carrying `^` (or a line break, which
 * the instance treats the same way in some versions) is refused here, before
 * any request, and so is `,` inside an IN list, where it would split one value into two.
 * This is the only place an encoded query is written.
 */
export class EncodedQuery {
  private readonly parts: string[] = []

  eq(field: string, value: string): this {
    return this.add(field, '=', value)
  }

  notEq(field: string, value: string): this {
    return this.add(field, '!=', value)
  }

  startsWith(field: string, value: string): this {
    return this.add(field, 'STARTSWITH', value)
  }

  /** field >= value (dates as `YYYY-MM-DD HH:MM:SS` GMT compare in order). */
  atLeast(field: string, value: string): this {
    return this.add(field, '>=', value)
  }

  before(field: string, value: string): this {
    return this.add(field, '<', value)
  }

  like(field: string, value: string): this {
    return this.add(field, 'LIKE', value)
  }

  in(field: string, values: readonly string[]): this {
    return this.list(field, 'IN', values)
  }

  notIn(field: string, values: readonly string[]): this {
    return this.list(field, 'NOT IN', values)
  }

  /** field = the signed-in user: the one script this action itself puts in a query, never a value from outside. */
  isCurrentUser(field: string): this {
    this.parts.push(`${checkField(field)}=javascript:gs.getUserID()`)
    return this
  }

  isEmpty(field: string): this {
    this.parts.push(`${checkField(field)}ISEMPTY`)
    return this
  }

  orderBy(field: string): this {
    this.parts.push(`ORDERBY${checkField(field)}`)
    return this
  }

  orderByDesc(field: string): this {
    this.parts.push(`ORDERBYDESC${checkField(field)}`)
    return this
  }

  toString(): string {
    return this.parts.join('^')
  }

  private add(field: string, operator: string, value: string): this {
    this.parts.push(
      `${checkField(field)}${operator}${checkValue(field, value)}`
    )
    return this
  }

  private list(
    field: string,
    operator: string,
    values: readonly string[]
  ): this {
    if (values.length === 0)
      throw new InputError(
        `An ${operator} condition on ${field} needs at least one value.`
      )
    for (const value of values) {
      if (value.includes(',')) {
        throw new InputError(
          `The value '${value}' for ${field} contains ',', which would split it in two in a ServiceNow query.`
        )
      }
    }
    this.parts.push(
      `${checkField(field)}${operator}${values.map(v => checkValue(field, v)).join(',')}`
    )
    return this
  }
}

export function query(): EncodedQuery {
  return new EncodedQuery()
}

const FIELD = /^[A-Za-z_][A-Za-z0-9_.]*$/

/** C0 (tab included), DEL, C1, zero-width and bidi controls, BOM. */
const INVISIBLE =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/
/** What may stand before `javascript:` and still be stripped: spaces, every char up to U+0020, invisibles. */
const LEADING_BLANK = new RegExp(
  `^(?:\\s|[\\u0000-\\u0020]|${INVISIBLE.source})+`
)

function checkField(field: string): string {
  if (!FIELD.test(field))
    throw new InputError(`'${field}' is not a ServiceNow field name.`)
  return field
}

function checkValue(field: string, value: string): string {
  const problem = queryValueProblem(value)
  if (problem !== undefined)
    throw new InputError(`The value for ${field} ${problem}.`)
  return value
}

/**
 * Why a value cannot go into an encoded query, or undefined when it can. Shared
 * with the settings readers, which refuse such inputs before any request.
 * - `^` starts another condition and has no escape.
 * - A line break ends the query in some versions (U+2028/U+2029 are line breaks too).
 * - A value beginning with `javascript:` (any case) is run as a script on the
 *   instance (the docs' own example is
 *   `caller_id=javascript:gs.getUserID()`). The instance (Java `trim()`) strips
 *   every char up to U+0020 before it looks, so all of those (and invisibles)
 *   are skipped here before the prefix check: `\u0001javascript:` is a script too.
 * - Any control or invisible character (C0, DEL, C1, zero-width, bidi marks)
 *   anywhere: no honest value carries one, and refusing them all is simpler and
 *   stronger than guessing what else the instance strips.
 */
export function queryValueProblem(value: string): string | undefined {
  if (value.includes('^'))
    return "contains '^', which ServiceNow reads as the start of another query condition and cannot escape. Remove the '^'"
  if (LINE_BREAK.test(value))
    return 'contains a line break, which cannot be used in a ServiceNow query'
  if (/^javascript:/i.test(value.replace(LEADING_BLANK, '')))
    return "begins with 'javascript:', which ServiceNow would run as a script on the instance"
  const hidden = INVISIBLE.exec(value)
  if (hidden !== null)
    return `contains the control or invisible character U+${hidden[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}, which cannot be used in a ServiceNow query`
  return undefined
}
