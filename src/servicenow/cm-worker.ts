import type {Clock} from './clock.js'
import type {Connection} from './connection.js'
import {ServiceNowError} from './errors.js'
import {field, isRecord, shown, single} from './fields.js'
import {checkSysId, isSysId} from './ids.js'

/**
 * The Change Management API's asynchronous workers (chg_mgt_worker). Conflict
 * checking, CI association and scheduling answer at once with a worker and do
 * the work after; `GET /sn_chg_rest/change/worker/{sys_id}` says how it went
 * (change-management-api.md, "GET /sn_chg_rest/change/worker/{sys_id}").
 *
 * State values: the document lists Complete, Error, In-Progress, Waiting and
 * the values 1-4; its examples show 1 Waiting and 3 Complete. 2 In-Progress and
 * 4 Error are UNVERIFIED (the order the document lists them), so the label is
 * read first and the number only when the label is missing.
 */
export type WorkerState = 'waiting' | 'in-progress' | 'complete' | 'error'

export interface WorkerStatus {
  sysId: string
  state: WorkerState
  errors: string[]
  warnings: string[]
  infos: string[]
  /** The request that started it, as the instance recorded it (a JSON string naming the change). */
  request: string
}

const BY_LABEL: Record<string, WorkerState> = {
  waiting: 'waiting',
  'in-progress': 'in-progress',
  'in progress': 'in-progress',
  complete: 'complete',
  error: 'error'
}
const BY_VALUE: Record<string, WorkerState> = {
  '1': 'waiting',
  '2': 'in-progress',
  '3': 'complete',
  '4': 'error'
}

/**
 * A worker out of an answer: the POST/PATCH that started it or the worker GET.
 * Only its sys_id is used to come back: `worker.link` is not followed, because
 * the document's own example gives it without a scheme
 * ("instance.service-now.com/api/…", POST /change/{sys_id}/ci), and a link to
 * another host must never receive the credentials.
 */
export function parseWorker(body: unknown, path: string): WorkerStatus {
  const result = single((body as {result?: unknown} | undefined)?.result)
  const worker = result.worker
  const sysId =
    isRecord(worker) && typeof worker.sysId === 'string' ? worker.sysId : ''
  const state = workerState(result.state)
  if (!isSysId(sysId) || state === undefined)
    throw new ServiceNowError({
      kind: 'invalid-response',
      method: 'GET',
      path,
      message: `the instance answered ${shown(body)} where a Change Management worker was expected`
    })
  const messages = isRecord(result.messages) ? result.messages : {}
  return {
    sysId,
    state,
    errors: strings(messages.errorMessages),
    warnings: strings(messages.warningMessages),
    infos: strings(messages.infoMessages),
    request: typeof result.request === 'string' ? result.request : ''
  }
}

function workerState(raw: unknown): WorkerState | undefined {
  if (!isRecord(raw)) return undefined
  const {value, display} = field({state: raw}, 'state')
  return BY_LABEL[(display ?? '').trim().toLowerCase()] ?? BY_VALUE[value ?? '']
}

function strings(list: unknown): string[] {
  return Array.isArray(list)
    ? list.filter((m): m is string => typeof m === 'string')
    : []
}

export async function readWorker(
  conn: Connection,
  sysId: string
): Promise<WorkerStatus> {
  checkSysId(sysId, 'worker sys_id')
  const path = `/api/sn_chg_rest/change/worker/${sysId}`
  const response = await conn.request({method: 'GET', path})
  return parseWorker(response.body, path)
}

/** The first look comes after 1 s, then 2, 4, 8, and every 10 s after that. */
const FIRST_LOOK_MS = 1000
const LONGEST_LOOK_MS = 10_000

/**
 * Reads again, after 1, 2, 4, 8 and then every 10 s, until `done` holds for what was read, or
 * `deadline` passes: then undefined, and the caller says the outcome is unknown, never that it
 * went well. Each read's retries end at the deadline too.
 */
export async function lookUntil<T>(
  conn: Connection,
  deadline: number,
  read: () => Promise<T>,
  done: (seen: T) => boolean
): Promise<T | undefined> {
  const clock: Clock = conn.clock
  let gap = FIRST_LOOK_MS
  for (;;) {
    const left = deadline - clock.now()
    if (left <= 0) return undefined
    await clock.sleep(Math.min(gap, left))
    gap = Math.min(gap * 2, LONGEST_LOOK_MS)
    const seen = await conn.within(deadline, read)
    if (done(seen)) return seen
  }
}

const finished = (w: WorkerStatus): boolean =>
  w.state === 'complete' || w.state === 'error'

/** The worker once it is Complete or Error; the last status seen (still going) at `deadline`. */
export async function workerDone(
  conn: Connection,
  started: WorkerStatus,
  deadline: number
): Promise<WorkerStatus> {
  if (finished(started)) return started
  let last = started
  const done = await lookUntil(
    conn,
    deadline,
    async () => (last = await readWorker(conn, started.sysId)),
    finished
  )
  return done ?? last
}
