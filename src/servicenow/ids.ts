import {InputError} from './errors.js'

const SYS_ID = /^[0-9a-f]{32}$/
const TABLE = /^[a-z][a-z0-9_]*$/

/** A sys_id goes into URL paths: anything but 32 hex digits is refused rather than sent. */
export function checkSysId(value: string, what = 'sys_id'): string {
  if (!SYS_ID.test(value)) {
    throw new InputError(
      `Invalid ${what} '${value}': a ServiceNow sys_id is 32 lower-case hexadecimal characters.`
    )
  }
  return value
}

/** A record number: the table's prefix and digits (CHG0030001, INC0010001); nothing that could break a line or an output. */
export function isRecordNumber(value: string): boolean {
  return /^[A-Za-z][A-Za-z0-9_-]{0,39}$/.test(value)
}

export function isSysId(value: string): boolean {
  return SYS_ID.test(value)
}

export function checkTable(value: string): string {
  if (!TABLE.test(value)) throw new InputError(`Invalid table name '${value}'.`)
  return value
}
