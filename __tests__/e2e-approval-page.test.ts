/// <reference lib="dom" />
import {afterAll, beforeAll, describe, expect, it} from '@jest/globals'
import {join} from 'node:path'
import type {Locator, Page} from 'playwright-core'
import {errors} from '../scripts/local-runner.js'
import type {Simulator} from '../src/simulator/server.js'
import {add, counted, suiteCounts} from './helpers/counts.js'
import {scannedSteps} from './helpers/scan.js'
import {browserOrSkip, openBrowser, screenshotDir} from './helpers/browser.js'
import {withSimulator} from './helpers/sim.js'

/**
 * The simulator's approval page in a real browser (Debian's Chromium driven by
 * playwright-core): a wait step polls while a person approves or rejects on
 * the page, and the step ends the way the decision says.
 */
const CHROMIUM = browserOrSkip('the approval page browser test')
const SHOTS = screenshotDir()

let sim: Simulator
let browser: Awaited<ReturnType<typeof openBrowser>>
let page: Page
const counts = suiteCounts('e2e-approval-page')
let runStep: ReturnType<typeof scannedSteps>

beforeAll(async () => {
  if (!CHROMIUM) return
  sim = await withSimulator({approval: {mode: 'manual', afterMs: 0}})
  runStep = scannedSteps(sim, counts)
  browser = await openBrowser(CHROMIUM)
  page = browser.page
}, 60_000)
afterAll(async () => {
  if (!CHROMIUM) return
  await browser?.close()
  await sim.stop()
})

const connection = (): Record<string, string> => ({
  instance_url: sim.url,
  username: 'devops.integration',
  password: 'sn-integration-pw'
})

/** A normal change waiting for approval, and a wait step polling it. */
async function changeUnderWait(
  correlation: string
): Promise<{number: string; wait: ReturnType<typeof runStep>}> {
  const create = await runStep('create', {
    ...connection(),
    assignment_group: 'DevOps Team',
    cmdb_ci: 'Payments API',
    correlation_id: correlation
  })
  expect(errors(create)).toEqual([])
  expect(create.outputs.approval).toBe('requested')
  const wait = runStep('wait', {
    ...connection(),
    change_sys_id: create.outputs.change_sys_id!,
    poll_interval_seconds: '5',
    timeout_minutes: '3'
  })
  return {number: create.outputs.change_number!, wait}
}

async function openPage(number: string): Promise<Locator> {
  await page.goto(`${sim.url}/__sim/approvals?change=${number}`)
  const row = page.locator(`tr[data-number="${number}"]`)
  await row.waitFor()
  return row
}

const approvalOf = (row: Locator): Promise<string> =>
  row.locator('td.approval').innerText()

const withBrowser = CHROMIUM ? describe : describe.skip
withBrowser('the approval page', () => {
  it(
    'lists the change with its state, approval and approvers; Approve lets the wait step pass',
    counted(counts, 'wait steps passed by a click', async () => {
      const {number, wait} = await changeUnderWait('page-approve')
      const row = await openPage(number)
      expect(await row.getAttribute('class')).toBe('focus')
      expect(await row.locator('td.state').innerText()).toBe('Assess')
      expect(await approvalOf(row)).toBe('requested')
      expect(await row.locator('li').first().innerText()).toMatch(
        /^Alice Approver: requested/
      )
      await page.screenshot({
        path: join(SHOTS, 'approval-page-pending.png'),
        fullPage: true
      })

      // Each pending approver has an Approve button (the CAB's come after the group's); click until the change is approved.
      for (let clicks = 0; (await approvalOf(row)) !== 'approved'; clicks++) {
        expect(clicks).toBeLessThan(5)
        const form = row.locator('form').first()
        const approver = await form.getAttribute('data-approver')
        await form.getByRole('button', {name: 'Approve'}).click()
        add(counts, 'approvals clicked')
        await row
          .locator(`form[data-approver="${approver}"]`)
          .waitFor({state: 'detached'})
      }
      const run = await wait
      expect(errors(run)).toEqual([])
      expect(run.code).toBe(0)
      expect(run.outputs.decision).toBe('approved')
      // The page follows the state the approval moved the change to.
      await page.waitForFunction(
        ([n, s]) =>
          document.querySelector(`tr[data-number="${n}"] td.state`)
            ?.textContent === s,
        [number, 'Scheduled'] as const
      )
      await page.screenshot({
        path: join(SHOTS, 'approval-page-approved.png'),
        fullPage: true
      })
    }),
    60_000
  )

  it(
    'Reject asks for a comment, and the wait step fails with it',
    counted(counts, 'wait steps failed by a rejection', async () => {
      const {number, wait} = await changeUnderWait('page-reject')
      const row = await openPage(number)
      await row.getByRole('button', {name: 'Reject'}).first().click()
      await page
        .locator('#message', {hasText: 'Comments are required to reject'})
        .waitFor()
      expect(await approvalOf(row)).toBe('requested')

      const comment = 'Change freeze until Monday: quarter-end close'
      await row.getByRole('textbox').first().fill(comment)
      await row.getByRole('button', {name: 'Reject'}).first().click()
      await page.waitForFunction(
        n =>
          document.querySelector(`tr[data-number="${n}"] td.approval`)
            ?.textContent === 'rejected',
        number
      )
      expect(await row.locator('li').first().innerText()).toBe(
        `Alice Approver: rejected — "${comment}"`
      )
      await page.screenshot({
        path: join(SHOTS, 'approval-page-rejected.png'),
        fullPage: true
      })

      const run = await wait
      expect(run.code).not.toBe(0)
      expect(errors(run)).toEqual([
        `::error::${number} was rejected by Alice Approver: "${comment}".`
      ])
      expect(run.outputs.decision).toBe('rejected')
    }),
    60_000
  )

  it('writes what pipelines send as text, never as markup', async () => {
    const create = await runStep('create', {
      ...connection(),
      template: 'Deploy web application',
      short_description: '<img src=x onerror="window.pwned=1"> Deploy',
      correlation_id: 'page-markup'
    })
    expect(errors(create)).toEqual([])
    const row = await openPage(create.outputs.change_number!)
    expect(await row.locator('td').nth(1).innerText()).toBe(
      '<img src=x onerror="window.pwned=1"> Deploy'
    )
    expect(await row.locator('img').count()).toBe(0)
    expect(
      await page.evaluate(() => (window as unknown as {pwned?: number}).pwned)
    ).toBeUndefined()
  }, 30_000)
})
