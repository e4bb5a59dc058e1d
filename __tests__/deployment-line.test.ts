import {describe, expect, it} from '@jest/globals'
import {
  deploymentLine,
  parseDeploymentLine
} from '../src/change/deployment-line.js'

/** The line create writes for the report (change/deployment-line.ts): written, read back, and not forged. */
describe('the deployment line', () => {
  const facts = {
    environment: 'production',
    commits: 12,
    oldestCommit: new Date('2026-11-20T10:00:00Z'),
    newestCommit: new Date('2026-11-21T09:30:00Z')
  }

  it('reads back what it wrote, from the last such line of a description', () => {
    const text = `Deployment of octo-org/payments\n\nservicenow-change deployment: environment=staging\n\n${deploymentLine(facts)}`
    expect(deploymentLine(facts)).toBe(
      'servicenow-change deployment: environment=production; commits=12; oldest_commit=2026-11-20T10:00:00Z; newest_commit=2026-11-21T09:30:00Z'
    )
    expect(parseDeploymentLine(text)).toEqual(facts)
  })

  it('an environment with ; = and a line break cannot forge a field', () => {
    const hostile = {
      ...facts,
      environment: 'prod; oldest_commit=1999-01-01T00:00:00Z\nx'
    }
    const line = deploymentLine(hostile)
    expect(line.split('\n')).toHaveLength(1)
    expect(parseDeploymentLine(line)).toEqual(hostile)
  })

  it('fields that do not parse are left out; no line is undefined', () => {
    expect(
      parseDeploymentLine(
        'servicenow-change deployment: environment=%E0%A4%A; commits=-3; oldest_commit=yesterday'
      )
    ).toEqual({
      environment: '',
      commits: undefined,
      oldestCommit: undefined,
      newestCommit: undefined
    })
    expect(
      parseDeploymentLine('Deployment of octo-org/payments')
    ).toBeUndefined()
  })
})

describe('dates in the line', () => {
  it('refuses a date that would roll over into another (30 February, 24:00), and keeps milliseconds', () => {
    const read = (d: string): Date | undefined =>
      parseDeploymentLine(
        `servicenow-change deployment: environment=x; oldest_commit=${d}`
      )?.oldestCommit
    expect(read('2026-02-30T10:00:00Z')).toBeUndefined()
    expect(read('2026-11-20T24:00:00Z')).toBeUndefined()
    expect(read('2026-11-20T10:00:00.250Z')).toEqual(
      new Date('2026-11-20T10:00:00.250Z')
    )
  })
})
