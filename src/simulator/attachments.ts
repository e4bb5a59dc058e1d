import {checkAccess} from './access.js'
import {SnError} from './errors.js'
import type {Instance} from './instance.js'
import {glideNow, newSysId} from './store.js'
import {json, param, type Reply, type RequestContext} from './reply.js'
import {matches, parseQuery} from './encoded-query.js'

interface StoredAttachment {
  sys_id: string
  table_name: string
  table_sys_id: string
  file_name: string
  content_type: string
  size_bytes: string
  sys_created_on: string
  sys_created_by: string
  data: Buffer
}

/**
 * The Attachment API, kept in memory: POST /api/now/attachment/file (raw
 * body, Content-Type mandatory), list, download.
 */
export class Attachments {
  private readonly files = new Map<string, StoredAttachment>()

  constructor(
    private readonly instance: Instance,
    /** com.glide.attachment.max_size; the platform default is 1024 MB, kept small here so tests can cross it. */
    public maxBytes: number
  ) {}

  forRecord(tableSysId: string): StoredAttachment[] {
    return [...this.files.values()].filter(f => f.table_sys_id === tableSysId)
  }

  route(ctx: RequestContext, rest: string): Reply {
    if (rest === '/file' && ctx.method === 'POST') return this.upload(ctx)
    if (rest === '' && ctx.method === 'GET') {
      const parsed = parseQuery(
        param(ctx, 'sysparm_query') ?? '',
        ctx.user.sys_id ?? ''
      )
      const known = new Set([
        'table_name',
        'table_sys_id',
        'file_name',
        'content_type'
      ])
      const list = [...this.files.values()].filter(f =>
        matches(f as unknown as Record<string, string>, parsed, known)
      )
      return json(200, {result: list.map(f => this.meta(ctx, f))})
    }
    const file = /^\/([0-9a-f]{32})\/file$/.exec(rest)
    if (file !== null && ctx.method === 'GET') {
      const found = this.files.get(file[1] ?? '')
      if (found === undefined)
        throw new SnError(
          404,
          "Record doesn't exist or ACL restricts the record retrieval",
          null
        )
      return {
        status: 200,
        raw: {data: found.data, contentType: found.content_type}
      }
    }
    throw new SnError(
      400,
      'Requested URI does not represent any resource',
      null
    )
  }

  private upload(ctx: RequestContext): Reply {
    for (const name of ['table_name', 'table_sys_id', 'file_name']) {
      if ((param(ctx, name) ?? '') === '')
        throw new SnError(400, `Missing parameter: ${name}`, null)
    }
    const contentType = ctx.req.headers['content-type']
    if (contentType === undefined || contentType === '')
      throw new SnError(400, 'Missing Content-Type header', null)
    const table = param(ctx, 'table_name') ?? ''
    const sysId = param(ctx, 'table_sys_id') ?? ''
    if (
      this.instance.store.schema(table) === undefined ||
      this.instance.store.get(table, sysId) === undefined
    ) {
      throw new SnError(
        404,
        'Record not found',
        `No record ${sysId} in table ${table} to attach to`
      )
    }
    checkAccess(ctx.user, table, 'Update')
    if (ctx.body.length > this.maxBytes) {
      // UNVERIFIED wording; the platform refuses files above com.glide.attachment.max_size.
      throw new SnError(
        400,
        'Failed to create the attachment. File size may have exceeded the maximum file size.',
        'See the com.glide.attachment.max_size system property.'
      )
    }
    const stored: StoredAttachment = {
      sys_id: newSysId(),
      table_name: table,
      table_sys_id: sysId,
      file_name: param(ctx, 'file_name') ?? '',
      content_type: contentType,
      size_bytes: String(ctx.body.length),
      sys_created_on: glideNow(this.instance.now()),
      sys_created_by: ctx.user.user_name ?? '',
      data: ctx.body
    }
    this.files.set(stored.sys_id, stored)
    return json(
      201,
      {result: this.meta(ctx, stored)},
      {Location: `${ctx.baseUrl}/api/now/attachment/${stored.sys_id}`}
    )
  }

  /** An attachment record as c_AttachmentAPI.md's examples show it: every value a string, images' fields empty for other files. */
  private meta(
    ctx: RequestContext,
    f: StoredAttachment
  ): Record<string, string> {
    const {data: _data, ...rest} = f
    return {
      ...rest,
      sys_updated_on: f.sys_created_on,
      sys_updated_by: f.sys_created_by,
      sys_mod_count: '0',
      sys_tags: '',
      compressed: 'false',
      size_compressed: f.size_bytes,
      image_height: '',
      image_width: '',
      average_image_color: '',
      download_link: `${ctx.baseUrl}/api/now/attachment/${f.sys_id}/file`
    }
  }
}
