/// <reference lib="dom" />
import {afterAll, beforeAll, describe, expect, it} from '@jest/globals'
import {join} from 'node:path'
import type {Page} from 'playwright-core'
import {errors, type StepRun} from '../scripts/local-runner.js'
import type {Simulator} from '../src/simulator/server.js'
import {browserOrSkip, openBrowser, screenshotDir} from './helpers/browser.js'
import {suiteCounts} from './helpers/counts.js'
import {scannedSteps} from './helpers/scan.js'
import {withSimulator} from './helpers/sim.js'

/**
 * The job summaries of a whole deployment, rendered in Chromium as a person sees them on the run's
 * page: the first line says how it went, the lifecycle strip where the change stands, and the close
 * code and incident are links. Screenshots land in .tmp/screenshots/summary-*.png.
 */
const CHROMIUM = browserOrSkip('the job summary browser test')
const SHOTS = screenshotDir()
// Close to how github.com sets a summary: system font, bordered tables.
const STYLE = `body{font:14px -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;max-width:880px;margin:16px;color:#1f2328}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #d1d9e0;padding:4px 10px;text-align:left}a{color:#0969da}`

let sim: Simulator
let browser: Awaited<ReturnType<typeof openBrowser>>
let page: Page
const counts = suiteCounts('e2e-summary-page')
const runs: Record<string, StepRun> = {}

beforeAll(async () => {
  if (!CHROMIUM) return
  sim = await withSimulator({approval: {mode: 'auto', afterMs: 200}})
  const runStep = scannedSteps(sim, counts)
  const connection = {
    instance_url: sim.url,
    username: 'devops.integration',
    password: 'sn-integration-pw'
  }
  runs.create = await runStep('create', {
    ...connection,
    environment: 'production',
    assignment_group: 'DevOps Team',
    correlation_id: 'summary-page'
  })
  const ref = {
    ...connection,
    change_sys_id: runs.create.outputs.change_sys_id ?? ''
  }
  runs.wait = await runStep('wait', {
    ...ref,
    poll_interval_seconds: '5',
    timeout_minutes: '1'
  })
  runs.update = await runStep('update', {
    ...ref,
    state: 'implement',
    work_notes: 'Rolling out'
  })
  runs.close = await runStep('close', {
    ...ref,
    result: 'failure',
    open_incident_on_failure: 'true'
  })
  browser = await openBrowser(CHROMIUM)
  page = browser.page
  await page.setViewportSize({width: 920, height: 600})
}, 120_000)
afterAll(async () => {
  if (!CHROMIUM) return
  await browser?.close()
  await sim.stop()
})

async function show(step: string): Promise<{status: string; strip: string}> {
  const run = runs[step]!
  expect([step, run.code, errors(run)]).toEqual([step, 0, []])
  await page.setContent(
    `<!doctype html><meta charset="utf-8"><style>${STYLE}</style>${run.summary}`
  )
  await page.screenshot({
    path: join(SHOTS, `summary-${step}.png`),
    fullPage: true
  })
  return {
    status: await page.locator('h3').first().innerText(),
    strip: await page.locator('p').nth(1).innerText()
  }
}

const withBrowser = CHROMIUM ? describe : describe.skip
withBrowser('job summaries in a browser', () => {
  it('create: waiting, the change linked, in Assess', async () => {
    const {status, strip} = await show('create')
    expect(status).toBe('⏳ ServiceNow change created')
    expect(strip).toBe(
      'New ✓ → ● Assess → Authorize → Scheduled → Implement → Review → Closed'
    )
    expect(await page.locator('a').first().getAttribute('href')).toBe(
      runs.create!.outputs.change_url
    )
  })

  it('wait: approved, by whom, after how long', async () => {
    const {status, strip} = await show('wait')
    expect(status).toMatch(
      /^✅ ServiceNow change CHG\d{7} approved by Alice Approver and Bob CAB after \d+ s$/
    )
    expect(strip).toBe(
      'New ✓ → Assess ✓ → Authorize ✓ → ● Scheduled → Implement → Review → Closed'
    )
    expect(await page.locator('table').nth(1).innerText()).toMatch(
      /Carol CAB\tnot required/
    )
  })

  it('update: in Implement', async () => {
    const {status, strip} = await show('update')
    expect(status).toMatch(/^✅ ServiceNow change CHG\d{7} updated$/)
    expect(strip).toBe(
      'New ✓ → Assess ✓ → Authorize ✓ → Scheduled ✓ → ● Implement → Review → Closed'
    )
  })

  it('close after a failure: unsuccessful, with the close code and the incident as links', async () => {
    const {status, strip} = await show('close')
    expect(status).toMatch(
      /^❌ ServiceNow change CHG\d{7} closed: unsuccessful$/
    )
    expect(strip).toBe(
      'New ✓ → Assess ✓ → Authorize ✓ → Scheduled ✓ → Implement ✓ → Review ✓ → ● Closed'
    )
    const closeCode = page.locator('tr', {hasText: 'Close code'}).locator('a')
    expect([
      await closeCode.innerText(),
      await closeCode.getAttribute('href')
    ]).toEqual(['unsuccessful', runs.close!.outputs.change_url])
    const incident = page.locator('tr', {hasText: 'Incident'}).locator('a')
    expect(await incident.innerText()).toBe(runs.close!.outputs.incident_number)
    expect(await incident.getAttribute('href')).toBe(
      `${sim.url}/incident.do?sys_id=${runs.close!.outputs.incident_sys_id}`
    )
  })
})
