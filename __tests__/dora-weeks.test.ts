import {describe, expect, it} from '@jest/globals'
import {computeDora} from '../src/change/dora.js'
import type {Deployment} from '../src/change/dora-read.js'

/** Weeks and days cut by the period's ends are marked, so a chart or a reader does not take them for a drop. */
describe('DORA weeks and days', () => {
  const deployment = (
    closedAt: string,
    closeCode = 'successful'
  ): Deployment => ({
    sysId: closedAt.replace(/\D/g, '').padEnd(32, 'a'),
    number: 'CHG0000001',
    created: new Date('2026-10-01T00:00:00Z'),
    closed: new Date(`${closedAt.replace(' ', 'T')}Z`),
    closeCode,
    environment: 'production',
    service: '',
    oldestCommit: undefined,
    incidents: [],
    rollbacks: []
  })

  it('marks the weeks the period cuts, and counts each change in its own week', () => {
    // Wednesday 4 Nov to Wednesday 25 Nov 2026: the weeks of 2 Nov and 23 Nov are cut.
    const report = computeDora(
      [
        deployment('2026-11-05 10:00:00'),
        deployment('2026-11-10 10:00:00'),
        deployment('2026-11-11 10:00:00', 'unsuccessful'),
        deployment('2026-11-24 10:00:00'),
        deployment('2026-11-26 10:00:00')
      ],
      new Date('2026-11-04T00:00:00Z'),
      new Date('2026-11-25T00:00:00Z')
    )
    expect(
      report.weeks.map(w => [
        w.week,
        w.partial ?? false,
        w.deployments,
        w.failures
      ])
    ).toEqual([
      ['2026-11-02', true, 1, 0],
      ['2026-11-09', false, 2, 1],
      ['2026-11-16', false, 0, 0],
      ['2026-11-23', true, 1, 0]
    ])
    expect(report.totals).toMatchObject({
      deployments: 4,
      failures: 1,
      change_failure_rate: 0.25
    })
  })

  it('leaves a period of whole weeks unmarked', () => {
    const report = computeDora(
      [],
      new Date('2026-11-02T00:00:00Z'),
      new Date('2026-11-16T00:00:00Z')
    )
    expect(report.weeks.map(w => [w.week, w.partial ?? false])).toEqual([
      ['2026-11-02', false],
      ['2026-11-09', false]
    ])
    expect(report.days.filter(d => d.partial)).toEqual([])
  })

  it('marks the first and last day when the period starts and ends within them', () => {
    const report = computeDora(
      [deployment('2026-11-02 13:00:00'), deployment('2026-11-04 11:00:00')],
      new Date('2026-11-02T12:00:00Z'),
      new Date('2026-11-04T12:00:00Z')
    )
    expect(
      report.days.map(d => [d.day, d.partial ?? false, d.deployments])
    ).toEqual([
      ['2026-11-02', true, 1],
      ['2026-11-03', false, 0],
      ['2026-11-04', true, 1]
    ])
  })
})

describe('names from the records', () => {
  it('counts an environment named like an object property as any other', () => {
    const report = computeDora(
      ['__proto__', 'constructor', '__proto__'].map((environment, i) => ({
        sysId: String(i).padStart(32, '0'),
        number: `CHG000000${i}`,
        created: new Date('2026-11-03T00:00:00Z'),
        closed: new Date('2026-11-03T10:00:00Z'),
        closeCode: 'successful',
        environment,
        service: '',
        oldestCommit: undefined,
        incidents: [],
        rollbacks: []
      })),
      new Date('2026-11-02T00:00:00Z'),
      new Date('2026-11-09T00:00:00Z')
    )
    expect(report.by_environment.map(r => [r.name, r.deployments])).toEqual([
      ['__proto__', 2],
      ['constructor', 1]
    ])
    expect(JSON.parse(JSON.stringify(report.weeks[0]!.by_environment))).toEqual(
      JSON.parse('{"__proto__": 2, "constructor": 1}')
    )
  })
})
