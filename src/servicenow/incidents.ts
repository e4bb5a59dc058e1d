import { valueOf } from './fields.js'
import { checkSysId } from './ids.js'
import type { TableApi } from './table-api.js'

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
  fields: { causedBy: string } & Record<string, unknown>
): Promise<IncidentRecord> {
  const { causedBy, ...rest } = fields
  const raw = await table.create('incident', { ...rest, caused_by: checkSysId(causedBy, 'caused_by') }, { fields: ['sys_id', 'number'] })
  const sysId = valueOf(raw, 'sys_id')
  return { sysId, number: valueOf(raw, 'number'), url: `${baseUrl}/incident.do?sys_id=${sysId}` }
}
