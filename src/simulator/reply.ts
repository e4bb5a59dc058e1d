import type {IncomingMessage} from 'node:http'
import type {Row} from './store.js'

/** What a route answers; the server writes it (or a fault replaces it). */
export interface Reply {
  status: number
  headers?: Record<string, string>
  /** JSON body; omitted for 204. */
  json?: unknown
  /** Non-JSON body (HTML pages, attachment content). */
  raw?: {data: Buffer | string; contentType: string}
}

export interface RequestContext {
  req: IncomingMessage
  method: string
  url: URL
  body: Buffer
  baseUrl: string
  /** The signed-in user, once authenticated. */
  user: Row
}

export const json = (
  status: number,
  body: unknown,
  headers: Record<string, string> = {}
): Reply => ({status, json: body, headers})

export function param(ctx: RequestContext, name: string): string | undefined {
  return ctx.url.searchParams.get(name) ?? undefined
}

export function flag(ctx: RequestContext, name: string): boolean {
  return param(ctx, name) === 'true'
}

/** A hibernating developer instance answers every URL with this page and a 200. */
export const HIBERNATION_PAGE = `<!DOCTYPE html>
<html><head><title>Instance Hibernating page</title></head>
<body><h1>Your instance is hibernating</h1>
<p>Developer instances hibernate when unused. Sign in to developer.servicenow.com to wake it up.</p></body></html>`
