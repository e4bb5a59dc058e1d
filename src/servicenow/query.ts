import { InputError } from './errors.js'

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
    this.parts.push(`${checkField(field)}${operator}${checkValue(field, value)}`)
    return this
  }

  private list(field: string, operator: string, values: readonly string[]): this {
    if (values.length === 0) throw new InputError(`An ${operator} condition on ${field} needs at least one value.`)
    for (const value of values) {
      if (value.includes(',')) {
        throw new InputError(`The value '${value}' for ${field} contains ',', which would split it in two in a ServiceNow query.`)
      }
    }
    this.parts.push(`${checkField(field)}${operator}${values.map((v) => checkValue(field, v)).join(',')}`)
    return this
  }
}

export function query(): EncodedQuery {
  return new EncodedQuery()
}

const FIELD = /^[A-Za-z_][A-Za-z0-9_.]*$/

function checkField(field: string): string {
  if (!FIELD.test(field)) throw new InputError(`'${field}' is not a ServiceNow field name.`)
  return field
}

function checkValue(field: string, value: string): string {
  if (value.includes('^')) {
    throw new InputError(
      `The value '${value}' for ${field} contains '^', which ServiceNow reads as the start of another query condition and cannot escape. Remove the '^'.`
    )
  }
  if (/[\r\n]/.test(value)) throw new InputError(`The value for ${field} contains a line break, which cannot be used in a ServiceNow query.`)
  return value
}
