import type { Connection } from './connection.js'
import { checkSysId, checkTable } from './ids.js'
import { single, valueOf } from './fields.js'

export interface Attachment {
  sysId: string
  fileName: string
  sizeBytes: number
  downloadLink: string
}

/**
 * Uploads one file with POST /api/now/attachment/file (raw body; Content-Type
 * is mandatory). Not retried after a failure that may have landed: a second
 * copy of the same file on the record is worse than a clear error.
 */
export async function uploadAttachment(
  conn: Connection,
  target: { table: string; sysId: string },
  file: { name: string; contentType: string; data: Buffer }
): Promise<Attachment> {
  const response = await conn.request({
    method: 'POST',
    path: '/api/now/attachment/file',
    query: { table_name: checkTable(target.table), table_sys_id: checkSysId(target.sysId), file_name: file.name },
    raw: { data: file.data, contentType: file.contentType }
  })
  const result = single((response.body as { result?: unknown } | undefined)?.result)
  return {
    sysId: valueOf(result, 'sys_id'),
    fileName: valueOf(result, 'file_name'),
    sizeBytes: Number(valueOf(result, 'size_bytes')),
    downloadLink: valueOf(result, 'download_link')
  }
}
