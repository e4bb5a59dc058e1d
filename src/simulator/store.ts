import {randomBytes} from 'node:crypto'
import {TABLES, type FieldType, type TableSchema} from './schema.js'
import {StateNumbering} from './state-numbering.js'

/** A stored row: every value a string, as ServiceNow stores it. */
export type Row = Record<string, string>

export interface JournalEntry {
  field: string
  value: string
  createdOn: string
  createdBy: string
}

export type DisplayMode = 'false' | 'true' | 'all'

export interface FormatOptions {
  fields: string[] | undefined
  display: DisplayMode
  excludeReferenceLink: boolean
}

export function newSysId(): string {
  return randomBytes(16).toString('hex')
}

export function glideNow(now: number): string {
  return new Date(now).toISOString().slice(0, 19).replace('T', ' ')
}

/**
 * The simulator's database: tables of rows, journal entries kept apart (as
 * sys_journal_field is on an instance), per-table number counters.
 */
/** Tables whose updates write sys_audit rows (the Audit check box of their dictionary entry, c_UnderstandingTheSysAuditTable.md). */
const AUDITED = ['change_request']

export class Store {
  private readonly tables = new Map<string, Map<string, Row>>()
  private readonly journals = new Map<string, JournalEntry[]>()
  private readonly counters = new Map<string, number>()
  /** How change states are numbered on the wire (ServiceNow's numbers unless a test renumbers them). */
  readonly states = new StateNumbering()

  constructor(private readonly clock: () => number) {
    for (const name of Object.keys(TABLES)) this.tables.set(name, new Map())
  }

  schema(table: string): TableSchema | undefined {
    return TABLES[table]
  }

  rows(table: string): Row[] {
    return [...(this.tables.get(table)?.values() ?? [])]
  }

  get(table: string, sysId: string): Row | undefined {
    return this.tables.get(table)?.get(sysId)
  }

  /** Inserts a row, filling system fields and the number; values are already coerced. */
  insert(
    table: string,
    values: Row,
    user: string,
    journal: Record<string, string> = {}
  ): Row {
    const schema = TABLES[table]
    if (schema === undefined) throw new Error(`no table ${table}`)
    const now = glideNow(this.clock())
    const row: Row = {}
    for (const name of Object.keys(schema.fields)) {
      if (schema.fields[name]?.kind !== 'journal') row[name] = ''
    }
    Object.assign(row, values)
    row.sys_id =
      values.sys_id !== undefined && values.sys_id !== ''
        ? values.sys_id
        : newSysId()
    row.sys_created_on = values.sys_created_on || now
    row.sys_updated_on = values.sys_updated_on || now
    row.sys_created_by = values.sys_created_by || user
    row.sys_updated_by = user
    row.sys_mod_count = '0'
    if (schema.numberPrefix !== undefined && (row.number ?? '') === '')
      row.number = this.nextNumber(schema)
    this.tables.get(table)?.set(row.sys_id, row)
    this.addJournal(row.sys_id, journal, user)
    return row
  }

  update(
    table: string,
    row: Row,
    values: Row,
    user: string,
    journal: Record<string, string> = {}
  ): Row {
    if (AUDITED.includes(table)) {
      for (const [fieldname, newvalue] of Object.entries(values)) {
        const oldvalue = row[fieldname] ?? ''
        if (fieldname.startsWith('sys_') || oldvalue === newvalue) continue
        this.insert(
          'sys_audit',
          {
            tablename: table,
            fieldname,
            documentkey: row.sys_id ?? '',
            user,
            oldvalue,
            newvalue
          },
          user
        )
      }
    }
    const changed = Object.keys(values).filter(
      f => (row[f] ?? '') !== values[f]
    )
    Object.assign(row, values)
    if (changed.length > 0)
      for (const listener of this.listeners) listener(table, row, changed)
    row.sys_updated_on = glideNow(this.clock())
    row.sys_updated_by = user
    row.sys_mod_count = String(Number(row.sys_mod_count ?? '0') + 1)
    this.addJournal(row.sys_id ?? '', journal, user)
    return row
  }

  /** Told of every update that changes a field: which table, the row as it is now, the fields that changed. */
  readonly listeners: ((table: string, row: Row, changed: string[]) => void)[] =
    []

  delete(table: string, sysId: string): boolean {
    return this.tables.get(table)?.delete(sysId) ?? false
  }

  journal(sysId: string, field: string): JournalEntry[] {
    return (this.journals.get(sysId) ?? []).filter(e => e.field === field)
  }

  /** The display value of the record a reference points at ('' when it points nowhere). */
  displayOf(table: string, sysId: string): string {
    const schema = TABLES[table]
    const row = this.get(table, sysId)
    return schema === undefined || row === undefined
      ? ''
      : (row[schema.displayField] ?? '')
  }

  /** Finds a record by its display value, for sysparm_input_display_value and by-name lookups. */
  findByDisplay(table: string, display: string): Row | undefined {
    const schema = TABLES[table]
    if (schema === undefined) return undefined
    return this.rows(table).find(r => r[schema.displayField] === display)
  }

  /** A row as the Table API shows it, per sysparm_fields / display_value / exclude_reference_link. */
  format(
    table: string,
    row: Row,
    baseUrl: string,
    options: FormatOptions
  ): Record<string, unknown> {
    const schema = TABLES[table]
    if (schema === undefined) return {}
    const names = options.fields ?? Object.keys(schema.fields)
    const out: Record<string, unknown> = {}
    for (const name of names) {
      const type = schema.fields[name]
      if (type === undefined) continue // unknown names in sysparm_fields are ignored
      out[name] =
        table === 'change_request' && name === 'state'
          ? this.formatState(row.state ?? '', options)
          : this.formatField(row, name, type, baseUrl, options)
    }
    return out
  }

  private formatState(stored: string, options: FormatOptions): unknown {
    const value = this.states.wire(stored)
    const display = this.states.label(stored)
    return options.display === 'false'
      ? value
      : options.display === 'true'
        ? display
        : {display_value: display, value}
  }

  /** Writes change_request.state's choice list into sys_choice, as the instance's numbering now stands. */
  writeStateChoices(): void {
    for (const row of this.rows('sys_choice').filter(
      r => r.name === 'change_request' && r.element === 'state'
    ))
      this.delete('sys_choice', row.sys_id ?? '')
    for (const choice of this.states.choices()) {
      this.insert(
        'sys_choice',
        {
          name: 'change_request',
          element: 'state',
          language: 'en',
          inactive: 'false',
          ...choice
        },
        'system'
      )
    }
  }

  private formatField(
    row: Row,
    name: string,
    type: FieldType,
    baseUrl: string,
    options: FormatOptions
  ): unknown {
    if (type.kind === 'journal') {
      const text = this.journalDisplay(row.sys_id ?? '', name)
      // A journal's stored value is empty: its entries live in sys_journal_field.
      if (options.display === 'false') return ''
      return options.display === 'true'
        ? text
        : {display_value: text, value: ''}
    }
    const value = row[name] ?? ''
    const display = this.displayValue(type, value)
    if (type.kind === 'reference') {
      const link = `${baseUrl}/api/now/table/${type.table}/${value}`
      if (value === '')
        return options.display === 'all' ? {display_value: '', value: ''} : ''
      if (options.display === 'false')
        return options.excludeReferenceLink ? value : {link, value}
      if (options.display === 'true')
        return options.excludeReferenceLink
          ? display
          : {display_value: display, link}
      return options.excludeReferenceLink
        ? {display_value: display, value}
        : {display_value: display, link, value}
    }
    if (options.display === 'false') return value
    if (options.display === 'true') return display
    return {display_value: display, value}
  }

  displayValue(type: FieldType, value: string): string {
    switch (type.kind) {
      case 'choice':
        return type.choices[value] ?? value
      case 'reference':
        return value === '' ? '' : this.displayOf(type.table, value)
      default:
        return value
    }
  }

  private journalDisplay(sysId: string, field: string): string {
    // Instances head comments "(Additional comments)", the field's label (recorded journal texts,
    // e.g. the Cortex XSOAR ServiceNow integration's test data).
    const label = field === 'work_notes' ? 'Work notes' : 'Additional comments'
    return (this.journals.get(sysId) ?? [])
      .filter(e => e.field === field)
      .slice()
      .reverse()
      .map(e => `${e.createdOn} - ${e.createdBy} (${label})\n${e.value}\n`)
      .join('\n')
  }

  private addJournal(
    sysId: string,
    entries: Record<string, string>,
    user: string
  ): void {
    for (const [field, value] of Object.entries(entries)) {
      if (value.trim() === '') continue
      const list = this.journals.get(sysId) ?? []
      list.push({
        field,
        value,
        createdOn: glideNow(this.clock()),
        createdBy: user
      })
      this.journals.set(sysId, list)
    }
  }

  private nextNumber(schema: TableSchema): string {
    const n = this.counters.get(schema.name) ?? schema.numberStart ?? 1
    this.counters.set(schema.name, n + 1)
    return `${schema.numberPrefix}${String(n).padStart(7, '0')}`
  }
}
