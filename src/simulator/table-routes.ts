import {checkAccess} from './access.js'
import {matches, parseQuery, sortRows} from './encoded-query.js'
import {notFound, SnError} from './errors.js'
import type {Instance} from './instance.js'
import {flag, json, param, type Reply, type RequestContext} from './reply.js'
import type {DisplayMode, FormatOptions, Row} from './store.js'

/** Reads sysparm_display_value / sysparm_fields / sysparm_exclude_reference_link. */
export function formatOptions(ctx: RequestContext): FormatOptions {
  const display = param(ctx, 'sysparm_display_value')
  const fields = param(ctx, 'sysparm_fields')
  return {
    display: (display === 'true' || display === 'all'
      ? display
      : 'false') as DisplayMode,
    fields:
      fields === undefined || fields === ''
        ? undefined
        : fields.split(',').map(f => f.trim()),
    excludeReferenceLink: flag(ctx, 'sysparm_exclude_reference_link')
  }
}

export function readJsonBody(ctx: RequestContext): Record<string, unknown> {
  const text = ctx.body.toString('utf8').trim()
  if (text === '') return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new SnError(
      400,
      'Exception while reading request',
      'The payload is not valid JSON.'
    )
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new SnError(
      400,
      'Exception while reading request',
      'The payload must be a JSON object.'
    )
  }
  return parsed as Record<string, unknown>
}

export function requireTable(instance: Instance, table: string): void {
  if (instance.store.schema(table) === undefined)
    throw new SnError(400, `Invalid table ${table}`, null)
}

/** Matching rows, ordered; shared by the Table API and sn_chg_rest list endpoints. */
export function queryRows(
  instance: Instance,
  table: string,
  queryText: string | undefined,
  user: Row
): Row[] {
  const schema = instance.store.schema(table)
  const known = new Set(Object.keys(schema?.fields ?? {}))
  const parsed = parseQuery(queryText ?? '', user.sys_id ?? '')
  return sortRows(
    // A query names change states by the numbers the instance shows, which a test may have renumbered.
    instance.store
      .rows(table)
      .filter(r =>
        matches(
          table === 'change_request'
            ? {...r, state: instance.store.states.wire(r.state ?? '')}
            : r,
          parsed,
          known
        )
      ),
    parsed.orders.filter(o => known.has(o.field))
  )
}

/** limit/offset from the request, and the page's Link and X-Total-Count headers. */
export function paginate<T>(
  ctx: RequestContext,
  all: T[],
  defaultLimit = 10000
): {page: T[]; headers: Record<string, string>} {
  const limit = Number(param(ctx, 'sysparm_limit') ?? defaultLimit)
  const offset = Number(param(ctx, 'sysparm_offset') ?? 0)
  if (!Number.isInteger(offset) || offset < 0)
    throw new SnError(400, 'Negative offset is not supported', null)
  const size = Number.isInteger(limit) && limit > 0 ? limit : defaultLimit
  const page = all.slice(offset, offset + size)
  const link = (o: number, rel: string): string => {
    const u = new URL(ctx.url.toString())
    u.searchParams.set('sysparm_offset', String(o))
    u.searchParams.set('sysparm_limit', String(size))
    return `<${ctx.baseUrl}${u.pathname}${u.search}>;rel="${rel}"`
  }
  const last = Math.max(0, Math.floor((all.length - 1) / size) * size)
  const links = [link(0, 'first')]
  if (offset > 0) links.push(link(Math.max(0, offset - size), 'prev'))
  if (offset + size < all.length) links.push(link(offset + size, 'next'))
  links.push(link(last, 'last'))
  return {
    page,
    headers: {'X-Total-Count': String(all.length), Link: links.join(',')}
  }
}

/** /api/now/table/{table}[/{sys_id}] */
export function tableRoute(
  instance: Instance,
  ctx: RequestContext,
  table: string,
  sysId: string | undefined
): Reply {
  requireTable(instance, table)
  const format = formatOptions(ctx)
  const writeOptions = {
    inputDisplayValue: flag(ctx, 'sysparm_input_display_value')
  }
  const show = (row: Row): unknown =>
    instance.store.format(table, row, ctx.baseUrl, format)
  const find = (): Row => {
    const row =
      sysId === undefined ? undefined : instance.store.get(table, sysId)
    if (row === undefined) throw notFound()
    return row
  }

  switch (ctx.method) {
    case 'GET': {
      checkAccess(ctx.user, table, 'Read')
      if (sysId !== undefined) return json(200, {result: show(find())})
      const {page, headers} = paginate(
        ctx,
        queryRows(instance, table, param(ctx, 'sysparm_query'), ctx.user)
      )
      return json(200, {result: page.map(show)}, headers)
    }
    case 'POST': {
      if (sysId !== undefined)
        throw new SnError(
          405,
          'Method not Supported',
          'POST method not supported for API'
        )
      checkAccess(ctx.user, table, 'Insert')
      const {row} = instance.insert(
        table,
        readJsonBody(ctx),
        ctx.user,
        writeOptions
      )
      return json(
        201,
        {result: show(row)},
        {Location: `${ctx.baseUrl}/api/now/table/${table}/${row.sys_id}`}
      )
    }
    case 'PUT':
    case 'PATCH': {
      if (sysId === undefined)
        throw new SnError(
          405,
          'Method not Supported',
          `${ctx.method} method not supported for API`
        )
      checkAccess(ctx.user, table, 'Update')
      const {row} = instance.update(
        table,
        find(),
        readJsonBody(ctx),
        ctx.user,
        writeOptions
      )
      return json(200, {result: show(row)})
    }
    case 'DELETE': {
      if (sysId === undefined)
        throw new SnError(
          405,
          'Method not Supported',
          'DELETE method not supported for API'
        )
      checkAccess(ctx.user, table, 'Delete')
      instance.store.delete(table, find().sys_id ?? '')
      return {status: 204}
    }
    default:
      throw new SnError(
        405,
        'Method not Supported',
        `${ctx.method} method not supported for API`
      )
  }
}
