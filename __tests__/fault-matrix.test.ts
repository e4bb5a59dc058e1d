import {afterAll, describe, expect, it} from '@jest/globals'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {errors, type StepRun} from '../scripts/local-runner.js'
import type {FaultRule} from '../src/simulator/faults.js'
import {SEED_OAUTH_CLIENT} from '../src/simulator/seed.js'
import {add, suiteCounts} from './helpers/counts.js'
import {scannedSteps} from './helpers/scan.js'
import {withSimulator} from './helpers/sim.js'

/**
 * Each kind of call × each fault, through the real bundles against a simulator
 * of its own: create → wait → update → close of a standard change, with the
 * fault striking that call twice. What each cell must give is in GIVES below:
 * a cell survives (the four steps pass, the change ends Closed/successful with
 * one work note and one copy of the attachment) unless GIVES names the clean
 * failure it ends in instead. Whatever happens, no cell leaves a second change
 * request, a second copy of the attachment or of the work note, or an open
 * change the failed step did not name.
 */
const counts = suiteCounts('fault-matrix')

type Step = 'create' | 'wait' | 'update' | 'close'
const CALLS: Record<
  string,
  {step: Step; match: Pick<FaultRule, 'method' | 'path' | 'query' | 'when'>}
> = {
  token: {step: 'create', match: {method: 'POST', path: '/oauth_token.do'}},
  lookup: {
    step: 'create',
    match: {
      method: 'GET',
      path: '/api/now/table/change_request',
      query: 'correlation_id='
    }
  },
  create: {
    step: 'create',
    match: {method: 'POST', path: '/api/sn_chg_rest/change/standard/'}
  },
  'create (answer lost after it landed)': {
    step: 'create',
    match: {
      method: 'POST',
      path: '/api/sn_chg_rest/change/standard/',
      when: 'after'
    }
  },
  poll: {
    step: 'wait',
    match: {
      method: 'GET',
      path: '/api/now/table/change_request/',
      query: 'approval,start_date'
    }
  },
  patch: {
    step: 'update',
    match: {method: 'PATCH', path: '/api/sn_chg_rest/change/'}
  },
  'patch (answer lost after it landed)': {
    step: 'update',
    match: {method: 'PATCH', path: '/api/sn_chg_rest/change/', when: 'after'}
  },
  attach: {
    step: 'update',
    match: {method: 'POST', path: '/api/now/attachment/file'}
  },
  'attach (answer lost after it landed)': {
    step: 'update',
    match: {method: 'POST', path: '/api/now/attachment/file', when: 'after'}
  },
  approvers: {
    step: 'wait',
    match: {method: 'GET', path: '/api/now/table/sysapproval_approver'}
  }
}

const FAULTS: Record<
  string,
  Omit<FaultRule, 'method' | 'path' | 'query' | 'when'>
> = {
  '500': {kind: 'status', status: 500},
  '502': {kind: 'status', status: 502, htmlBody: true},
  '503': {kind: 'status', status: 503},
  '504': {kind: 'status', status: 504},
  '429 + Retry-After': {kind: 'status', status: 429, retryAfterSeconds: 1},
  'connection reset': {kind: 'drop'},
  'hang past the timeout': {kind: 'hang'},
  '200 HTML page': {kind: 'html'},
  'truncated JSON': {kind: 'truncate'},
  '401 token expired': {kind: 'expire-token'},
  // Hostile answers (counted as hostile cases) (src/simulator/hostile.ts): what networks, proxies and broken instances send.
  '429 + Retry-After: 0': {kind: 'status', status: 429, retryAfter: '0'},
  '429 + Retry-After in the past': {
    kind: 'status',
    status: 429,
    retryAfter: 'Thu, 01 Jan 1970 00:00:00 GMT'
  },
  'trickled answer (a byte a second)': {kind: 'trickle'},
  'cut mid-body (content-length)': {kind: 'cut', framing: 'content-length'},
  'cut mid-body (chunked)': {kind: 'cut', framing: 'chunked'},
  '64 MB answer': {kind: 'huge'}
}

const HOSTILE_FAULTS = Object.keys(FAULTS).slice(
  Object.keys(FAULTS).indexOf('429 + Retry-After: 0')
)

/** A clean failure: the step that stops, with exit code 1 and one error line saying this, and what it leaves behind. */
interface CleanFailure {
  step: Step
  says: RegExp
  leaves: 'no change' | `${string}, named by the step`
}

/**
 * The contract, cell by cell: every call survives every fault, except the
 * cells below, which fail cleanly. A 64 MB answer is refused and not asked for
 * again (it would come back as large); most calls get past it all the same (a
 * create, for one, looks whether it landed), these do not.
 */
const GIVES: Record<string, Record<string, CleanFailure>> = {
  token: {
    '64 MB answer': {
      step: 'create',
      says: /the answer is 64 MB, more than the 16 MB this action accepts: refused/,
      leaves: 'no change'
    }
  },
  lookup: {
    '64 MB answer': {
      step: 'create',
      says: /the answer is 64 MB, more than the 16 MB this action accepts: refused/,
      leaves: 'no change'
    }
  },
  // The wait rides out what passes (servicenow/failure.ts); an answer too large is not among it.
  poll: {
    '64 MB answer': {
      step: 'wait',
      says: /the answer is 64 MB, more than the 16 MB this action accepts: refused/,
      leaves: 'Scheduled, named by the step'
    }
  },
  'patch (answer lost after it landed)': {
    '64 MB answer': {
      step: 'update',
      says: /the answer is 64 MB, more than the 16 MB this action accepts: refused/,
      leaves: 'Implement, named by the step'
    }
  }
}

interface Cell {
  call: string
  fault: string
  gives:
    | 'survived'
    | {step: string; code: number | null; says: string; leaves: string}
  /** What no cell may do, whatever it gives: empty when the cell held. */
  broke: string[]
}
const cells: Cell[] = []

async function runCell(call: string, fault: string): Promise<Cell> {
  const sim = await withSimulator()
  try {
    const runStep = scannedSteps(sim, counts)
    const {step, match} = CALLS[call]!
    const rule = FAULTS[fault]!
    const correlation = `matrix/${call}/${fault}`.slice(0, 100)
    const evidence = join(mkdtempSync(join(tmpdir(), 'cell-')), 'evidence.txt')
    writeFileSync(evidence, `cell ${call} × ${fault}`)
    const connection = {
      instance_url: sim.url,
      client_id: SEED_OAUTH_CLIENT.clientId,
      client_secret: SEED_OAUTH_CLIENT.clientSecret,
      username: 'devops.integration',
      password: 'sn-integration-pw',
      request_timeout_seconds: '1'
    }
    const inputs: Record<Step, (id: string) => Record<string, string>> = {
      create: () => ({
        template: 'Deploy web application',
        correlation_id: correlation
      }),
      wait: id => ({
        change_sys_id: id,
        poll_interval_seconds: '5',
        timeout_minutes: '1'
      }),
      update: id => ({
        change_sys_id: id,
        state: 'implement',
        work_notes: 'deploying',
        attachments: evidence
      }),
      close: id => ({change_sys_id: id, result: 'success'})
    }
    let id = ''
    let failed: StepRun | undefined
    let failedStep = ''
    for (const s of ['create', 'wait', 'update', 'close'] as Step[]) {
      // A token expires once; the other faults strike twice, so one retry is not enough to get through.
      if (s === step)
        sim.faults.add({
          ...rule,
          ...match,
          times: rule.kind === 'expire-token' ? 1 : 2
        })
      const run = await runStep(s, {...connection, ...inputs[s](id)})
      id ||= run.outputs.change_sys_id ?? ''
      if (run.code !== 0) {
        failed = run
        failedStep = s
        break
      }
    }
    const changes = sim.instance.store
      .rows('change_request')
      .filter(r => r.correlation_id === correlation)
    const change = changes[0]
    const copies =
      change === undefined
        ? 0
        : sim.attachments.forRecord(change.sys_id ?? '').length
    // A work note appends to the journal: a retried write must not append it twice.
    const notes =
      change === undefined
        ? 0
        : sim.instance.store
            .journal(change.sys_id ?? '', 'work_notes')
            .filter(j => j.value.startsWith('deploying')).length
    const broke: string[] = []
    if (changes.length > 1) broke.push(`${changes.length} change requests`)
    if (copies > 1) broke.push(`${copies} copies of the attachment`)
    if (notes > 1) broke.push(`${notes} copies of the work note`)
    if (failed === undefined) {
      if (change?.state !== '3' || change.close_code !== 'successful')
        broke.push(
          `ended ${change?.state}/${change?.close_code}, not Closed/successful`
        )
      if (copies !== 1)
        broke.push(`${copies} copies of the attachment, not one`)
      if (notes !== 1) broke.push(`${notes} work notes written, not one`)
      return {call, fault, gives: 'survived', broke}
    }
    const says = errors(failed).join(' ').replace('::error::', '')
    let leaves = 'no change'
    if (change !== undefined) {
      const named =
        failed.stdout.includes(change.number ?? '') ||
        failed.outputs.change_number === change.number
      leaves = `${sim.instance.store.states.label(change.state ?? '')}${change.active === 'true' ? (named ? ', named by the step' : ', NOT named by the step') : ''}`
    }
    return {
      call,
      fault,
      gives: {step: failedStep, code: failed.code, says, leaves},
      broke
    }
  } finally {
    await sim.stop()
  }
}

/** What the table says the cell gives, in the shape runCell reports it. */
function expected(call: string, fault: string): Pick<Cell, 'gives' | 'broke'> {
  const failure = GIVES[call]?.[fault]
  return {
    gives:
      failure === undefined
        ? 'survived'
        : {
            ...failure,
            code: 1,
            says: expect.stringMatching(failure.says) as unknown as string
          },
    broke: []
  }
}

/** At most `limit` cells at once: each has its own simulator, most of a cell is waiting. */
async function all<T>(
  tasks: (() => Promise<T>)[],
  limit: number
): Promise<T[]> {
  const results: T[] = []
  let next = 0
  await Promise.all(
    Array.from({length: limit}, async () => {
      while (next < tasks.length) {
        const i = next++
        results[i] = await tasks[i]!()
      }
    })
  )
  return results
}

describe('fault matrix', () => {
  afterAll(() => {
    for (const c of cells) {
      const outcome =
        c.broke.length > 0
          ? 'BAD'
          : c.gives === 'survived'
            ? 'survived'
            : 'failed cleanly'
      add(counts, `cells ${outcome}`)
      if (HOSTILE_FAULTS.includes(c.fault)) {
        add(counts, 'hostile cases run')
        if (outcome !== 'BAD') add(counts, 'hostile cases held')
      }
    }
    add(
      counts,
      'duplicate change requests',
      cells.filter(c => c.broke.some(b => /change requests$/.test(b))).length
    )
    add(
      counts,
      'duplicate attachments',
      cells.filter(c => c.broke.some(b => /copies of the attachment$/.test(b)))
        .length
    )
    add(
      counts,
      'duplicate work notes',
      cells.filter(c => c.broke.some(b => /copies of the work note$/.test(b)))
        .length
    )
    // What could not be survived, for the record.
    for (const c of cells)
      if (c.gives !== 'survived')
        add(counts, `failed cleanly: ${c.call} × ${c.fault}`)
  })

  it.each(Object.keys(CALLS))(
    '%s × every fault gives what GIVES says',
    async call => {
      const results = await all(
        Object.keys(FAULTS).map(fault => () => runCell(call, fault)),
        5
      )
      cells.push(...results)
      const row = (
        f: (fault: string) => Pick<Cell, 'gives' | 'broke'>
      ): Record<string, Pick<Cell, 'gives' | 'broke'>> =>
        Object.fromEntries(Object.keys(FAULTS).map(fault => [fault, f(fault)]))
      const got = new Map(
        results.map(r => [r.fault, {gives: r.gives, broke: r.broke}])
      )
      expect(row(fault => got.get(fault)!)).toEqual(
        row(fault => expected(call, fault))
      )
    },
    180_000
  )

  it('GIVES names only calls and faults of the matrix', () => {
    const named = Object.entries(GIVES).flatMap(([call, faults]) =>
      Object.keys(faults).map(fault => [call, fault])
    )
    expect(
      named.filter(
        ([call, fault]) =>
          CALLS[call!] === undefined || FAULTS[fault!] === undefined
      )
    ).toEqual([])
  })
})
