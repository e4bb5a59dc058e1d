import type {IncomingMessage, ServerResponse} from 'node:http'
import type {Reply} from './reply.js'

/**
 * Answers no instance should give and networks and proxies do: the simulator's
 * hostile fault kinds (see faults.ts). Each takes the answer the instance
 * would have given, when there is one, and spoils it on the wire.
 */

function bodyOf(reply: Reply | undefined): string {
  return JSON.stringify(
    reply?.json ?? {
      result: {sys_id: 'a'.repeat(32), number: 'CHG0000000', state: '-5'}
    }
  )
}

/** The headers, then one byte a second: a socket idle timeout never fires, only a deadline on the whole answer does. */
export function trickle(
  res: ServerResponse,
  reply: Reply | undefined,
  intervalMs = 1000
): void {
  const body = Buffer.from(bodyOf(reply))
  res.writeHead(reply?.status ?? 200, {
    'Content-Type': 'application/json',
    'Content-Length': String(body.length)
  })
  let sent = 0
  const timer = setInterval(() => {
    if (res.destroyed || sent >= body.length) {
      clearInterval(timer)
      if (!res.destroyed) res.end()
      return
    }
    res.write(body.subarray(sent, ++sent))
  }, intervalMs)
  res.on('close', () => clearInterval(timer))
}

/** Half the answer, framed by Content-Length or chunked, then the connection closes. */
export function cut(
  res: ServerResponse,
  reply: Reply | undefined,
  framing: 'content-length' | 'chunked'
): void {
  const body = Buffer.from(bodyOf(reply))
  const headers: Record<string, string> = {'Content-Type': 'application/json'}
  if (framing === 'content-length')
    headers['Content-Length'] = String(body.length)
  res.writeHead(reply?.status ?? 200, headers)
  res.write(body.subarray(0, Math.max(1, Math.floor(body.length / 2))), () =>
    res.socket?.destroy()
  )
}

/** A JSON answer of `bytes` (64 MB by default), written as fast as the client reads it. */
export function huge(
  res: ServerResponse,
  bytes = 64 * 1024 * 1024,
  framing: 'content-length' | 'chunked' = 'content-length'
): void {
  const head = '{"result":['
  const row = `{"sys_id":"${'a'.repeat(32)}","filler":"${'x'.repeat(1000)}"},`
  const rows = Math.max(0, Math.floor((bytes - head.length - 3) / row.length))
  const tail = `{"sys_id":"${'b'.repeat(32)}"}]}`
  const headers: Record<string, string> = {'Content-Type': 'application/json'}
  if (framing === 'content-length')
    headers['Content-Length'] = String(
      head.length + rows * row.length + tail.length
    )
  res.writeHead(200, headers)
  res.write(head)
  const chunk = row.repeat(64)
  let left = rows
  const pump = (): void => {
    while (left > 0 && !res.destroyed) {
      const n = Math.min(64, left)
      left -= n
      if (!res.write(n === 64 ? chunk : row.repeat(n))) {
        res.once('drain', pump)
        return
      }
    }
    if (!res.destroyed) res.end(tail)
  }
  pump()
}

/**
 * A 400 whose message repeats what the request carried: its Authorization and
 * API key headers and its body (a token request's client_secret and password).
 * Some proxies and misconfigured endpoints do exactly this.
 */
export function echo(
  res: ServerResponse,
  req: IncomingMessage,
  body: Buffer
): void {
  const said = [
    `Authorization: ${req.headers.authorization ?? '(none)'}`,
    `x-sn-apikey: ${String(req.headers['x-sn-apikey'] ?? '(none)')}`,
    `body: ${body.toString('utf8').slice(0, 2000)}`
  ].join('; ')
  const text = JSON.stringify({
    error: {
      message: `Invalid request: ${said}`,
      detail: `The request was ${req.method} ${req.url}: ${said}`
    },
    status: 'failure'
  })
  res.writeHead(400, {'Content-Type': 'application/json'})
  res.end(text)
}

/** The real list, never empty, with a Link rel="next" one page further: every page has another. */
export function endlessPage(
  res: ServerResponse,
  reply: Reply | undefined,
  url: URL,
  baseUrl: string
): void {
  const result = (reply?.json as {result?: unknown} | undefined)?.result
  const rows =
    Array.isArray(result) && result.length > 0
      ? result
      : [{sys_id: 'c'.repeat(32)}]
  const offset = Number(url.searchParams.get('sysparm_offset') ?? '0')
  const limit = Number(url.searchParams.get('sysparm_limit') ?? '1000')
  const next = new URL(url.pathname + url.search, baseUrl)
  next.searchParams.set('sysparm_offset', String(offset + limit))
  res.writeHead(200, {
    'Content-Type': 'application/json',
    Link: `<${next.href}>;rel="next"`
  })
  res.end(JSON.stringify({result: rows}))
}
