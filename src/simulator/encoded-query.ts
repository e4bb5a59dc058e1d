import type {Row} from './store.js'

/**
 * Evaluates ServiceNow encoded queries against stored rows.
 *
 * Supported: = != LIKE NOT LIKE STARTSWITH ENDSWITH IN NOT IN ISEMPTY ISNOTEMPTY
 * > >= < <=, `^` (and), `^OR` (or with the previous term), `^NQ` (a new query
 * OR'd with the rest), ORDERBY<f> and ORDERBYDESC<f>. Matching is case-sensitive.
 *
 * Faithful to a default instance, a condition on a field the table does not
 * have is dropped rather than failing (glide.invalid_query.returns_no_rows is
 * false out of the box), so a misspelt field widens the result: clients must
 * not count on an error.
 */

interface Term {
  field: string
  op: string
  value: string
}

interface Order {
  field: string
  desc: boolean
}

export interface ParsedQuery {
  /** OR of groups; each group an AND of OR-clauses; each clause an OR of terms. */
  groups: Term[][][]
  orders: Order[]
}

const OPERATORS = [
  'ISNOTEMPTY',
  'ISEMPTY',
  'NOT LIKE',
  'NOT IN',
  'STARTSWITH',
  'ENDSWITH',
  'LIKE',
  'IN',
  '!=',
  '>=',
  '<=',
  '=',
  '>',
  '<'
]

export function parseQuery(text: string, userId: string): ParsedQuery {
  const groups: Term[][][] = []
  const orders: Order[] = []
  for (const groupText of text.split('^NQ')) {
    const clauses: Term[][] = []
    for (const part of groupText.split('^')) {
      if (part === '' || part === 'EQ') continue
      if (part.startsWith('ORDERBYDESC'))
        orders.push({field: part.slice(11), desc: true})
      else if (part.startsWith('ORDERBY'))
        orders.push({field: part.slice(7), desc: false})
      else if (part.startsWith('OR') && clauses.length > 0) {
        const term = parseTerm(part.slice(2), userId)
        if (term !== undefined) clauses[clauses.length - 1]?.push(term)
      } else {
        const term = parseTerm(part, userId)
        if (term !== undefined) clauses.push([term])
      }
    }
    groups.push(clauses)
  }
  return {groups, orders}
}

function parseTerm(text: string, userId: string): Term | undefined {
  const match = /^([a-z0-9_.]+)(.*)$/s.exec(text)
  if (match === null) return undefined
  const [, field = '', rest = ''] = match
  const op = OPERATORS.find(o => rest.startsWith(o))
  if (op === undefined) return undefined
  let value = rest.slice(op.length)
  // The one piece of server-side script a query value may carry that clients rely on.
  if (value === 'javascript:gs.getUserID()') value = userId
  return {field, op, value}
}

export function matches(
  row: Row,
  query: ParsedQuery,
  knownFields: ReadonlySet<string>
): boolean {
  return query.groups.some(clauses =>
    clauses.every(terms => {
      const known = terms.filter(t => knownFields.has(t.field))
      return known.length === 0 || known.some(t => test(row[t.field] ?? '', t))
    })
  )
}

function test(actual: string, {op, value}: Term): boolean {
  switch (op) {
    case '=':
      return actual === value
    case '!=':
      return actual !== value
    case 'LIKE':
      return actual.includes(value)
    case 'NOT LIKE':
      return !actual.includes(value)
    case 'STARTSWITH':
      return actual.startsWith(value)
    case 'ENDSWITH':
      return actual.endsWith(value)
    case 'IN':
      return value.split(',').includes(actual)
    case 'NOT IN':
      return !value.split(',').includes(actual)
    case 'ISEMPTY':
      return actual === ''
    case 'ISNOTEMPTY':
      return actual !== ''
    default:
      return compare(actual, value, op)
  }
}

function compare(actual: string, value: string, op: string): boolean {
  if (actual === '') return false
  const numeric = /^-?\d+(\.\d+)?$/
  const c =
    numeric.test(actual) && numeric.test(value)
      ? Number(actual) - Number(value)
      : actual < value
        ? -1
        : actual > value
          ? 1
          : 0
  return op === '>' ? c > 0 : op === '>=' ? c >= 0 : op === '<' ? c < 0 : c <= 0
}

export function sortRows(rows: Row[], orders: Order[]): Row[] {
  if (orders.length === 0) return rows
  return rows.slice().sort((a, b) => {
    for (const {field, desc} of orders) {
      const x = a[field] ?? ''
      const y = b[field] ?? ''
      const numeric = /^-?\d+(\.\d+)?$/
      const c =
        numeric.test(x) && numeric.test(y)
          ? Number(x) - Number(y)
          : x.localeCompare(y)
      if (c !== 0) return desc ? -c : c
    }
    return 0
  })
}
