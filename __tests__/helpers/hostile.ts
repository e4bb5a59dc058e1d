import {createServer, type Server} from 'node:http'
import type {AddressInfo, Socket} from 'node:net'
import type {StepRun} from '../../scripts/local-runner.js'
import type {FaultRule} from '../../src/simulator/faults.js'
import type {Simulator} from '../../src/simulator/server.js'
import {add} from './counts.js'

/**
 * The hostile server kit for the end-to-end suites. The simulator itself
 * misbehaves on demand (src/simulator/faults.ts and hostile.ts: trickled
 * answers, answers cut mid-body with a Content-Length or chunked, huge answers,
 * any Retry-After, endless paging, echoed credentials); here is what lives
 * beside it: a server that never answers (a silent GitHub API), the ready-made
 * fault rules, and the bookkeeping of "hostile cases run and held".
 */

export interface SilentServer {
  url: string
  /** Requests that arrived (and were never answered). */
  requests: string[]
  stop(): Promise<void>
}

/** Accepts every connection and request, and never answers one. */
export async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>()
  const silent: SilentServer = {url: '', requests: [], stop: async () => {}}
  const server: Server = createServer(req => {
    silent.requests.push(`${req.method} ${req.url}`)
  })
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  silent.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  silent.stop = async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise<void>(resolve => server.close(() => resolve()))
  }
  return silent
}

/** The Retry-After values proxies and broken instances send, none of which may mean "come back at once". */
export const ODD_RETRY_AFTER: Record<string, string> = {
  zero: '0',
  negative: '-1',
  garbage: 'soon',
  'a date in the past': 'Thu, 01 Jan 1970 00:00:00 GMT'
}

/** Hostile rules by name, for any request (add method/path/query/when/times). */
export const HOSTILE = {
  trickle: {kind: 'trickle'},
  cutContentLength: {kind: 'cut', framing: 'content-length'},
  cutChunked: {kind: 'cut', framing: 'chunked'},
  huge: {kind: 'huge', bytes: 64 * 1024 * 1024},
  hugeChunked: {kind: 'huge', bytes: 64 * 1024 * 1024, framing: 'chunked'},
  echo: {kind: 'echo'},
  endlessPaging: {kind: 'endless-paging', when: 'after'},
  retryAfter: (value: string): FaultRule => ({
    kind: 'status',
    status: 429,
    retryAfter: value
  })
} satisfies Record<string, FaultRule | ((value: string) => FaultRule)>

/** Requests the simulator saw for a method and a path (and a query text). */
export function seen(
  sim: Simulator,
  method: string,
  path: string,
  query = ''
): number {
  return sim
    .requests({method, path})
    .filter(e => decodeURIComponent(e.path).includes(query)).length
}

/** The one clean failure a step must give: exit 1 with exactly one ::error:: line matching `named`, nothing on stderr but Node's own. */
export function failedCleanly(run: StepRun, named: RegExp): string {
  const lines = run.stdout.split('\n').filter(l => l.startsWith('::error::'))
  if (run.code !== 1 || lines.length !== 1 || !named.test(lines[0]!)) {
    throw new Error(
      `expected exit 1 with one ::error:: naming ${named}; got exit ${run.code}, errors ${JSON.stringify(lines)}, stderr ${run.stderr.slice(0, 500)}`
    )
  }
  if (
    /TimeoutNaNWarning|TimeoutOverflowWarning|unsettled top-level await/.test(
      run.stderr
    )
  )
    throw new Error(`stderr: ${run.stderr.slice(0, 500)}`)
  return lines[0]!
}

/** Exit 0, no ::error::, no warnings from Node. */
export function survived(run: StepRun): void {
  const lines = run.stdout.split('\n').filter(l => l.startsWith('::error::'))
  if (
    run.code !== 0 ||
    lines.length !== 0 ||
    /Warning|unsettled/.test(run.stderr)
  ) {
    throw new Error(
      `expected exit 0; got exit ${run.code}, errors ${JSON.stringify(lines)}, stderr ${run.stderr.slice(0, 500)}`
    )
  }
}

/** Runs one hostile case and counts it: run, and held when every assertion in it passed. */
export async function hostileCase(
  counts: Record<string, number>,
  body: () => Promise<void>
): Promise<void> {
  add(counts, 'hostile cases run')
  await body()
  add(counts, 'hostile cases held')
}
