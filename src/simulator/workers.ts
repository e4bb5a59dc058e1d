import {newSysId} from './store.js'

/**
 * Change Management's asynchronous workers (chg_mgt_worker; change-management-api.md, GET
 * /change/worker/{sys_id}): a request answers at once with a worker, and the work is done after.
 * State values: 1 Waiting and 3 Complete are in the document's examples; 2 In-Progress and 4
 * Error are UNVERIFIED (the document lists the four labels and the values 1 to 4).
 *
 * Work is done lazily, when a request finds it due (`settle`), so that a simulator on a compressed
 * clock needs no timers: a worker is Waiting when made, In-Progress after half of `delayMs`, and
 * done once `delayMs` has passed on the instance's clock.
 */
export interface WorkerMessages {
  errorMessages: string[]
  warningMessages: string[]
  infoMessages: string[]
}

export interface WorkerOutcome {
  state: 'complete' | 'error'
  messages?: Partial<WorkerMessages>
  payload?: Record<string, unknown>
  /** What the work left for its own endpoint to show (a conflict run's last_run); not in the worker's answer. */
  result?: Record<string, string>
}

interface Worker {
  sysId: string
  type: string
  request: string
  /** The change it works on: a request touching that change settles it first. */
  change: string
  at: number
  work: (() => WorkerOutcome) | undefined
  outcome: WorkerOutcome | undefined
  canceled: boolean
}

const STATES = {
  waiting: {value: 1, display_value: 'Waiting'},
  'in-progress': {value: 2, display_value: 'In-Progress'},
  complete: {value: 3, display_value: 'Complete'},
  error: {value: 4, display_value: 'Error'}
} as const

export class Workers {
  private readonly all = new Map<string, Worker>()
  delayMs: number

  constructor(
    private readonly now: () => number,
    delayMs = 200
  ) {
    this.delayMs = delayMs
  }

  start(
    type: string,
    change: string,
    request: Record<string, unknown>,
    work: () => WorkerOutcome
  ): string {
    const sysId = newSysId()
    this.all.set(sysId, {
      sysId,
      type,
      request: JSON.stringify(request),
      change,
      at: this.now(),
      work,
      outcome: undefined,
      canceled: false
    })
    this.settle()
    return sysId
  }

  /** Does the work of every worker that is due, in the order they were started. */
  settle(): void {
    const now = this.now()
    for (const w of this.all.values()) {
      if (w.work === undefined || now - w.at < this.delayMs) continue
      const work = w.work
      w.work = undefined
      w.outcome = work()
    }
  }

  /** The running worker of this type on this change, if any. */
  running(type: string, change: string): string | undefined {
    this.settle()
    return [...this.all.values()].find(
      w => w.type === type && w.change === change && w.work !== undefined
    )?.sysId
  }

  /** The newest worker of this type on this change that has finished, and whether a newer one runs. */
  latest(
    type: string,
    change: string
  ): {done: WorkerOutcome | undefined; running: boolean} {
    this.settle()
    const mine = [...this.all.values()].filter(
      w => w.type === type && w.change === change
    )
    return {
      done: mine.filter(w => w.outcome !== undefined).at(-1)?.outcome,
      running: mine.some(w => w.work !== undefined)
    }
  }

  /** Stops a running worker: its work is never done. False when none was running. */
  cancel(sysId: string): boolean {
    const w = this.all.get(sysId)
    if (w === undefined || w.work === undefined) return false
    w.work = undefined
    w.canceled = true
    w.outcome = {
      state: 'error',
      messages: {errorMessages: ['Canceled']},
      result: {canceled: 'true'}
    }
    return true
  }

  /** The worker as GET /change/worker/{sys_id} shows it, or undefined for an unknown one. */
  show(sysId: string, baseUrl: string): Record<string, unknown> | undefined {
    this.settle()
    const w = this.all.get(sysId)
    if (w === undefined) return undefined
    const state =
      w.outcome !== undefined
        ? w.outcome.state
        : this.now() - w.at >= this.delayMs / 2
          ? 'in-progress'
          : 'waiting'
    return {
      worker: {
        sysId: w.sysId,
        link: `${baseUrl}/api/sn_chg_rest/change/worker/${w.sysId}`
      },
      request: w.request,
      state: STATES[state],
      type: w.type,
      messages: {
        errorMessages: [],
        warningMessages: [],
        infoMessages: [],
        ...w.outcome?.messages
      },
      ...(w.outcome?.payload === undefined ? {} : {payload: w.outcome.payload})
    }
  }

  list(baseUrl: string): Record<string, unknown>[] {
    return [...this.all.keys()].map(id => this.show(id, baseUrl)!)
  }
}
