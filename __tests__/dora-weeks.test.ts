import {describe, expect, it} from '@jest/globals'
import {computeDora} from '../src/change/dora.js'

/** Weeks cut by the period's ends are marked, so a chart or a reader does not take them for a drop. */
describe('DORA weeks', () => {
  const change = (
    closedAt: string,
    code = 'successful'
  ): Record<string, string> => ({
    sys_id: closedAt.replace(/\D/g, '').padEnd(32, 'a'),
    sys_created_on: '2026-10-01 00:00:00',
    closed_at: closedAt,
    close_code: code
  })

  it('marks the weeks the period cuts, and counts each change in its own week', () => {
    // Wednesday 4 Nov to Wednesday 25 Nov 2026: the weeks of 2 Nov and 23 Nov are cut.
    const report = computeDora(
      [
        change('2026-11-05 10:00:00'),
        change('2026-11-10 10:00:00'),
        change('2026-11-11 10:00:00', 'unsuccessful'),
        change('2026-11-24 10:00:00'),
        change('2026-11-26 10:00:00')
      ],
      [],
      new Date('2026-11-04T00:00:00Z'),
      new Date('2026-11-25T00:00:00Z'),
      {}
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
      [],
      new Date('2026-11-02T00:00:00Z'),
      new Date('2026-11-16T00:00:00Z'),
      {}
    )
    expect(report.weeks.map(w => [w.week, w.partial ?? false])).toEqual([
      ['2026-11-02', false],
      ['2026-11-09', false]
    ])
  })
})
