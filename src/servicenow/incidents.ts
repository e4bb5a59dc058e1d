import {ServiceNowError} from './errors.js'
import {shown, valueOf, type RawRecord} from './fields.js'
import {checkSysId, isRecordNumber, isSysId} from './ids.js'
import type {TableApi} from './table-api.js'

export interface IncidentRecord {
  sysId: string
  number: string
  url: string
}

/**
 * Opens an incident. `caused_by` points at the change that caused it: ServiceNow's
 * change-failure and time-to-restore figures are computed from that reference.
 */
export async function createIncident(
  table: TableApi,
  baseUrl: string,
  fields: {causedBy: string} & Record<string, unknown>
): Promise<IncidentRecord> {
  const {causedBy, ...rest} = fields
  const raw = await table.create(
    'incident',
    {...rest, caused_by: checkSysId(causedBy, 'caused_by')},
    {fields: ['sys_id', 'number']}
  )
  return toIncident(raw, baseUrl, 'POST')
}

/** An incident from an answer, or a ServiceNowError naming what the instance sent: its number and sys_id become outputs. */
export function toIncident(
  raw: RawRecord,
  baseUrl: string,
  method: string
): IncidentRecord {
  const sysId = valueOf(raw, 'sys_id')
  const number = valueOf(raw, 'number')
  if (!isSysId(sysId) || !isRecordNumber(number)) {
    throw new ServiceNowError({
      kind: 'invalid-response',
      method,
      path: '/api/now/table/incident',
      message: `the instance sent an incident with sys_id ${shown(raw.sys_id)} and number ${shown(raw.number)}`
    })
  }
  return {sysId, number, url: `${baseUrl}/incident.do?sys_id=${sysId}`}
}
