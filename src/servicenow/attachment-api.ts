import type {Connection} from './connection.js'
import {checkSysId, checkTable} from './ids.js'
import {isRecord, shown, single, valueOf, type RawRecord} from './fields.js'
import {ServiceNowError} from './errors.js'
import {query} from './query.js'

export interface Attachment {
  sysId: string
  fileName: string
  sizeBytes: number
  downloadLink: string
}

/**
 * Uploads one file with POST /api/now/attachment/file (raw body; Content-Type
 * is mandatory). Not repeated by the client after a failure that may have
 * landed: the caller looks at the record's attachments first.
 */
export async function uploadAttachment(
  conn: Connection,
  target: {table: string; sysId: string},
  file: {name: string; contentType: string; data: Buffer}
): Promise<Attachment> {
  const response = await conn.request({
    method: 'POST',
    path: '/api/now/attachment/file',
    query: {
      table_name: checkTable(target.table),
      table_sys_id: checkSysId(target.sysId),
      file_name: file.name
    },
    raw: {data: file.data, contentType: file.contentType}
  })
  return toAttachment(
    single((response.body as {result?: unknown} | undefined)?.result)
  )
}

/** The files already attached to a record (GET /api/now/attachment). */
export async function listAttachments(
  conn: Connection,
  target: {table: string; sysId: string}
): Promise<Attachment[]> {
  const response = await conn.request({
    method: 'GET',
    path: '/api/now/attachment',
    query: {
      sysparm_query: query()
        .eq('table_name', checkTable(target.table))
        .eq('table_sys_id', checkSysId(target.sysId))
        .toString()
    }
  })
  const result = (response.body as {result?: unknown} | undefined)?.result
  return (Array.isArray(result) ? result : []).map((raw: unknown) => {
    if (!isRecord(raw))
      throw new ServiceNowError({
        kind: 'invalid-response',
        method: 'GET',
        path: '/api/now/attachment',
        message: `the instance listed ${shown(raw)} as an attachment`
      })
    return toAttachment(raw)
  })
}

function toAttachment(raw: RawRecord): Attachment {
  return {
    sysId: valueOf(raw, 'sys_id'),
    fileName: valueOf(raw, 'file_name'),
    sizeBytes: Number(valueOf(raw, 'size_bytes')),
    downloadLink: valueOf(raw, 'download_link')
  }
}
