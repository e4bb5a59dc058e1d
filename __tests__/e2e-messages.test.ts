import {afterAll, beforeAll, describe, expect, it} from '@jest/globals'
import {errors} from '../scripts/local-runner.js'
import type {Simulator} from '../src/simulator/server.js'
import {suiteCounts} from './helpers/counts.js'
import {scannedSteps} from './helpers/scan.js'
import {withSimulator} from './helpers/sim.js'

/** Through the bundles: a refused create says which input to set, a mistyped template what was meant. */
let sim: Simulator
let runStep: ReturnType<typeof scannedSteps>
const counts = suiteCounts('e2e-messages')
beforeAll(async () => {
  sim = await withSimulator()
  runStep = scannedSteps(sim, counts)
})
afterAll(() => sim.stop())
const connection = (): Record<string, string> => ({
  instance_url: sim.url,
  username: 'devops.integration',
  password: 'sn-integration-pw'
})

describe('messages that say what to change', () => {
  it("names the assignment_group input when the instance's data policy wants an assignment group", async () => {
    const create = await runStep('create', {
      ...connection(),
      environment: 'production',
      correlation_id: 'messages-no-group'
    })
    expect(create.code).toBe(1)
    const lines = errors(create)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(
      /mandatory: Assignment group\..*The instance's data policy requires Assignment group: set the `assignment_group` input\.$/
    )
  }, 60_000)

  it('offers the template a mistyped name probably meant', async () => {
    const posts = (): number =>
      sim.requests({method: 'POST'}).filter(r => r.path.includes('change'))
        .length
    const before = posts()
    const create = await runStep('create', {
      ...connection(),
      environment: 'production',
      template: 'Deploy web aplication',
      correlation_id: 'messages-typo'
    })
    expect([create.code, errors(create)]).toEqual([
      1,
      [
        "::error::template: no active standard change template is named 'Deploy web aplication'. Did you mean 'Deploy web application'?"
      ]
    ])
    expect(posts()).toBe(before)
  }, 60_000)

  it('takes an instance address without a scheme as https', async () => {
    const create = await runStep('create', {
      ...connection(),
      instance_url: sim.url.replace('http://', ''),
      environment: 'production',
      assignment_group: 'DevOps Team',
      correlation_id: 'messages-scheme'
    })
    // The simulator speaks plain http: reaching it over https fails, which shows the scheme chosen.
    expect(create.code).toBe(1)
    expect(errors(create).join('\n')).toMatch(/https:\/\/127\.0\.0\.1:\d+/)
  }, 60_000)
})
