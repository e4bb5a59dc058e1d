import * as http from 'node:http'
import * as https from 'node:https'
import type {IncomingHttpHeaders} from 'node:http'

/**
 * One HTTP request and its whole answer, bounded twice: by a deadline that
 * covers everything from connecting to the last byte (a server that trickles
 * one byte a second never trips a socket's idle timeout), and by a size past
 * which the answer is refused (nothing ServiceNow sends this action comes near
 * it). An answer that stops before its end (the connection cut mid-body, with
 * a Content-Length or chunked) is an error of its own, never a promise left
 * waiting forever.
 */

/** Far above any answer this action asks for (a page of 500 change requests with four fields is well under 1 MB). */
export const MAX_ANSWER_BYTES = 16 * 1024 * 1024

export type ExchangeFailure = 'deadline' | 'too-large' | 'cut'

export class ExchangeError extends Error {
  override name = 'ExchangeError'
  constructor(
    readonly failure: ExchangeFailure,
    message: string,
    /** Bytes of the body received before the failure (0 when no headers came). */
    readonly received: number,
    readonly headersSeen: boolean
  ) {
    super(message)
  }
}

export interface ExchangeRequest {
  url: string
  method: string
  headers: Record<string, string>
  body?: Buffer
  agent: http.Agent
  deadlineMs: number
  maxBytes?: number
}

export interface ExchangeAnswer {
  status: number
  headers: IncomingHttpHeaders
  text: string
}

export function exchange(request: ExchangeRequest): Promise<ExchangeAnswer> {
  const url = new URL(request.url)
  const module = url.protocol === 'https:' ? https : http
  const maxBytes = request.maxBytes ?? MAX_ANSWER_BYTES
  return new Promise<ExchangeAnswer>((resolve, reject) => {
    let settled = false
    let received = 0
    let headersSeen = false
    const settle = (
      error: Error | undefined,
      answer?: ExchangeAnswer
    ): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      if (error === undefined) resolve(answer!)
      else {
        req.destroy()
        reject(error)
      }
    }
    // Same request shape as @actions/http-client's, so its agent (a proxy tunnel from HTTPS_PROXY, or keep-alive) fits.
    const req = module.request(
      {
        host: url.hostname,
        port: url.port === '' ? undefined : Number(url.port),
        path: `${url.pathname}${url.search}`,
        method: request.method,
        headers: request.headers,
        agent: request.agent
      },
      res => {
        headersSeen = true
        const declared = Number(res.headers['content-length'])
        if (Number.isFinite(declared) && declared > maxBytes) {
          settle(
            new ExchangeError(
              'too-large',
              `the answer is ${mb(declared)}, more than the ${mb(maxBytes)} this action accepts`,
              0,
              true
            )
          )
          return
        }
        const chunks: Buffer[] = []
        let ended = false
        res.on('data', (chunk: Buffer) => {
          received += chunk.length
          if (received > maxBytes) {
            settle(
              new ExchangeError(
                'too-large',
                `the answer grew past the ${mb(maxBytes)} this action accepts`,
                received,
                true
              )
            )
            return
          }
          chunks.push(chunk)
        })
        res.on('end', () => {
          ended = true
          settle(undefined, {
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8')
          })
        })
        const cut = (): void => {
          if (!ended)
            settle(
              new ExchangeError(
                'cut',
                `the connection was cut mid-answer (after ${received} bytes${Number.isFinite(declared) ? ` of ${declared}` : ''})`,
                received,
                true
              )
            )
        }
        res.on('error', cut)
        res.on('aborted', cut)
        res.on('close', cut)
      }
    )
    const timer = setTimeout(() => {
      const after = `${Math.round(request.deadlineMs / 100) / 10} s`
      settle(
        new ExchangeError(
          'deadline',
          headersSeen
            ? `the answer was still arriving after ${after}, ${received} bytes in`
            : `nothing after ${after}`,
          received,
          headersSeen
        )
      )
    }, request.deadlineMs)
    req.on('error', error => settle(error))
    req.end(request.body)
  })
}

function mb(bytes: number): string {
  return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`
}
