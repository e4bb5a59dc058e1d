import { describe, expect, it } from '@jest/globals'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { errors, type StepRun } from '../scripts/local-runner.js'
import type { FaultRule } from '../src/simulator/faults.js'
import { SEED_OAUTH_CLIENT } from '../src/simulator/seed.js'
import { add, suiteCounts } from './helpers/counts.js'
import { scannedSteps } from './helpers/scan.js'
import { withSimulator } from './helpers/sim.js'

/**
 * Each kind of call × each fault, through the real bundles against a simulator
 * of its own: create → wait → update → close of a standard change, with the
 * fault striking that call twice. Every cell must either succeed (retrying
 * where that is safe) or fail with a message naming the fault, and leave
 * exactly one change request for the deployment, none open without the step
 * saying which.
 */
const counts = suiteCounts('fault-matrix')

type Step = 'create' | 'wait' | 'update' | 'close'
const CALLS: Record<string, { step: Step; match: Pick<FaultRule, 'method' | 'path' | 'query' | 'when'> }> = {
  token: { step: 'create', match: { method: 'POST', path: '/oauth_token.do' } },
  lookup: { step: 'create', match: { method: 'GET', path: '/api/now/table/change_request', query: 'correlation_id=' } },
  create: { step: 'create', match: { method: 'POST', path: '/api/sn_chg_rest/change/standard/' } },
  'create (answer lost after it landed)': { step: 'create', match: { method: 'POST', path: '/api/sn_chg_rest/change/standard/', when: 'after' } },
  poll: { step: 'wait', match: { method: 'GET', path: '/api/now/table/change_request/', query: 'approval,start_date' } },
  patch: { step: 'update', match: { method: 'PATCH', path: '/api/sn_chg_rest/change/' } },
  'patch (answer lost after it landed)': { step: 'update', match: { method: 'PATCH', path: '/api/sn_chg_rest/change/', when: 'after' } },
  attach: { step: 'update', match: { method: 'POST', path: '/api/now/attachment/file' } },
  'attach (answer lost after it landed)': { step: 'update', match: { method: 'POST', path: '/api/now/attachment/file', when: 'after' } },
  approvers: { step: 'wait', match: { method: 'GET', path: '/api/now/table/sysapproval_approver' } }
}

const FAULTS: Record<string, { rule: Omit<FaultRule, 'method' | 'path' | 'query' | 'when'>; named: RegExp }> = {
  '500': { rule: { kind: 'status', status: 500 }, named: /\b500\b/ },
  '502': { rule: { kind: 'status', status: 502, htmlBody: true }, named: /\b502\b/ },
  '503': { rule: { kind: 'status', status: 503 }, named: /\b503\b/ },
  '504': { rule: { kind: 'status', status: 504 }, named: /\b504\b/ },
  '429 + Retry-After': { rule: { kind: 'status', status: 429, retryAfterSeconds: 1 }, named: /\b429\b/ },
  'connection reset': { rule: { kind: 'drop' }, named: /connection failed/ },
  'hang past the timeout': { rule: { kind: 'hang' }, named: /no answer within request_timeout_seconds/ },
  '200 HTML page': { rule: { kind: 'html' }, named: /HTML page/ },
  'truncated JSON': { rule: { kind: 'truncate' }, named: /not valid JSON/ },
  '401 token expired': { rule: { kind: 'expire-token' }, named: /\b401\b|OAuth/ },
  // Hostile answers (counted as hostile cases) (src/simulator/hostile.ts): what networks, proxies and broken instances send.
  '429 + Retry-After: 0': { rule: { kind: 'status', status: 429, retryAfter: '0' }, named: /\b429\b/ },
  '429 + Retry-After in the past': { rule: { kind: 'status', status: 429, retryAfter: 'Thu, 01 Jan 1970 00:00:00 GMT' }, named: /\b429\b/ },
  'trickled answer (a byte a second)': { rule: { kind: 'trickle' }, named: /no answer within request_timeout_seconds/ },
  'cut mid-body (content-length)': { rule: { kind: 'cut', framing: 'content-length' }, named: /cut mid-answer/ },
  'cut mid-body (chunked)': { rule: { kind: 'cut', framing: 'chunked' }, named: /cut mid-answer/ },
  '64 MB answer': { rule: { kind: 'huge' }, named: /MB.*refused/ }
}

const HOSTILE_FAULTS = Object.keys(FAULTS).slice(Object.keys(FAULTS).indexOf('429 + Retry-After: 0'))

interface Cell {
  call: string
  fault: string
  outcome: 'survived' | 'failed cleanly' | 'BAD'
  detail: string
}
const cells: Cell[] = []

async function runCell(call: string, fault: string): Promise<Cell> {
  const sim = await withSimulator()
  try {
    const runStep = scannedSteps(sim, counts)
    const { step, match } = CALLS[call]!
    const { rule, named } = FAULTS[fault]!
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
      create: () => ({ template: 'Deploy web application', correlation_id: correlation }),
      wait: (id) => ({ change_sys_id: id, poll_interval_seconds: '5', timeout_minutes: '1' }),
      update: (id) => ({ change_sys_id: id, state: 'implement', work_notes: 'deploying', attachments: evidence }),
      close: (id) => ({ change_sys_id: id, result: 'success' })
    }
    let id = ''
    let failed: StepRun | undefined
    let failedStep = ''
    for (const s of ['create', 'wait', 'update', 'close'] as Step[]) {
      // A token expires once; the other faults strike twice, so one retry is not enough to get through.
      if (s === step) sim.faults.add({ ...rule, ...match, times: rule.kind === 'expire-token' ? 1 : 2 })
      const run = await runStep(s, { ...connection, ...inputs[s](id) })
      id ||= run.outputs.change_sys_id ?? ''
      if (run.code !== 0) {
        failed = run
        failedStep = s
        break
      }
    }
    const changes = sim.instance.store.rows('change_request').filter((r) => r.correlation_id === correlation)
    const open = changes.filter((r) => r.active === 'true')
    if (changes.length > 1) return { call, fault, outcome: 'BAD', detail: `${changes.length} change requests` }
    const copies = changes[0] === undefined ? 0 : sim.attachments.forRecord(changes[0].sys_id ?? '').length
    if (copies > 1) return { call, fault, outcome: 'BAD', detail: `${copies} copies of the attachment` }
    // A work note appends to the journal: a retried write must not append it twice.
    const notes = changes[0] === undefined ? 0 : sim.instance.store.journal(changes[0].sys_id ?? '', 'work_notes').filter((j) => j.value.startsWith('deploying')).length
    if (notes > 1) return { call, fault, outcome: 'BAD', detail: `${notes} copies of the work note` }
    if (failed === undefined && step === 'update' && notes !== 1) return { call, fault, outcome: 'BAD', detail: `${notes} work notes written, not one` }
    if (failed === undefined) {
      const closed = changes[0]?.state === '3' && changes[0]?.close_code === 'successful' && copies === 1
      return { call, fault, outcome: closed ? 'survived' : 'BAD', detail: closed ? '' : `ended ${changes[0]?.state}` }
    }
    const line = errors(failed).join(' ')
    if (!named.test(line)) return { call, fault, outcome: 'BAD', detail: `${failedStep} failed without naming the fault: ${line}` }
    const number = open[0]?.number
    if (number !== undefined && !failed.stdout.includes(number) && failed.outputs.change_number !== number && failedStep !== 'create') {
      return { call, fault, outcome: 'BAD', detail: `${number} left open without saying so` }
    }
    return { call, fault, outcome: 'failed cleanly', detail: `${failedStep}: ${line.replace('::error::', '')}` }
  } finally {
    await sim.stop()
  }
}

/** At most `limit` cells at once: each has its own simulator, most of a cell is waiting. */
async function all<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = []
  let next = 0
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < tasks.length) {
        const i = next++
        results[i] = await tasks[i]!()
      }
    })
  )
  return results
}

describe('fault matrix', () => {
  it.each(Object.keys(CALLS))('%s × every fault', async (call) => {
    const results = await all(
      Object.keys(FAULTS).map((fault) => () => runCell(call, fault)),
      5
    )
    cells.push(...results)
    for (const r of results) {
      add(counts, `cells ${r.outcome}`)
      if (HOSTILE_FAULTS.includes(r.fault)) {
        add(counts, 'hostile cases run')
        if (r.outcome !== 'BAD') add(counts, 'hostile cases held')
      }
    }
    add(counts, 'duplicate change requests', results.filter((r) => /change requests$/.test(r.detail)).length)
    add(counts, 'duplicate attachments', results.filter((r) => /copies of the attachment$/.test(r.detail)).length)
    add(counts, 'duplicate work notes', results.filter((r) => /copies of the work note$/.test(r.detail)).length)
    expect(results.filter((r) => r.outcome === 'BAD')).toEqual([])
  }, 180_000)

  it('every cell ran', () => {
    expect(cells).toHaveLength(Object.keys(CALLS).length * Object.keys(FAULTS).length)
    const failedCleanly = cells.filter((c) => c.outcome === 'failed cleanly')
    // What could not be survived, and why, for the record.
    for (const c of failedCleanly) add(counts, `failed cleanly: ${c.call} × ${c.fault}`)
  })
})
