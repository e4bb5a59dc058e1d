import {describe, expect, it} from '@jest/globals'
import {computeDora} from '../src/change/dora.js'
import type {RawRecord} from '../src/servicenow/fields.js'

/**
 * computeDora's figures from seeded records, exactly: what counts as a
 * deployment and as a failure, and how lead time and time to restore are
 * measured. The period is two whole weeks, Monday 2 to Monday 16 November 2026.
 */
const FROM = new Date('2026-11-02T00:00:00Z')
const UNTIL = new Date('2026-11-16T00:00:00Z')

let next = 0
/** A change created `leadHours` before it closed at `closedAt`. */
function change(
  closedAt: string,
  leadHours = 24,
  closeCode = 'successful'
): RawRecord {
  const closed = new Date(`${closedAt.replace(' ', 'T')}Z`)
  const created = new Date(closed.getTime() - leadHours * 3_600_000)
    .toISOString()
    .replace('T', ' ')
    .slice(0, 19)
  return {
    sys_id: String(++next).padStart(32, '0'),
    sys_created_on: created,
    closed_at: closedAt,
    close_code: closeCode
  }
}

function incident(
  cause: RawRecord,
  openedAt: string,
  resolvedAt = ''
): RawRecord {
  return {caused_by: cause.sys_id, opened_at: openedAt, resolved_at: resolvedAt}
}

const deployed = change('2026-11-03 10:00:00', 2)
const broke = change('2026-11-04 10:00:00', 4)
const closedFailed = change('2026-11-10 10:00:00', 6, 'unsuccessful')
const ROWS: [string, RawRecord[], RawRecord[], Record<string, unknown>][] = [
  [
    'no changes: no deployments, and no rate or medians to give',
    [],
    [],
    {
      deployments: 0,
      failures: 0,
      change_failure_rate: null,
      lead_time_hours_median: null,
      time_to_restore_hours_median: null
    }
  ],
  [
    'a change closed successful is a deployment that did not fail',
    [deployed],
    [],
    {
      deployments: 1,
      failures: 0,
      change_failure_rate: 0,
      lead_time_hours_median: 2,
      time_to_restore_hours_median: null
    }
  ],
  [
    'a change closed unsuccessful is a failed deployment',
    [closedFailed],
    [],
    {
      deployments: 1,
      failures: 1,
      change_failure_rate: 1,
      lead_time_hours_median: 6,
      time_to_restore_hours_median: null
    }
  ],
  [
    'a change an incident names in caused_by failed, however it closed; restore runs from opening to resolution',
    [broke],
    [incident(broke, '2026-11-04 12:00:00', '2026-11-04 13:30:00')],
    {
      deployments: 1,
      failures: 1,
      change_failure_rate: 1,
      lead_time_hours_median: 4,
      time_to_restore_hours_median: 1.5
    }
  ],
  [
    'an unresolved incident makes a failure but no restore time',
    [broke],
    [incident(broke, '2026-11-04 12:00:00')],
    {deployments: 1, failures: 1, time_to_restore_hours_median: null}
  ],
  [
    'an incident caused by a change outside the report counts nothing',
    [deployed],
    [
      incident(
        change('2026-10-01 10:00:00'),
        '2026-11-04 12:00:00',
        '2026-11-04 13:00:00'
      )
    ],
    {deployments: 1, failures: 0, time_to_restore_hours_median: null}
  ],
  [
    'the rate is rounded to three places',
    [deployed, broke, closedFailed],
    [incident(broke, '2026-11-04 12:00:00', '2026-11-04 14:00:00')],
    {deployments: 3, failures: 2, change_failure_rate: 0.667}
  ],
  [
    'the median of an odd count is the middle lead time',
    [deployed, broke, closedFailed],
    [],
    {lead_time_hours_median: 4}
  ],
  [
    'the median of an even count is the mean of the middle two, to one place',
    [deployed, broke, closedFailed, change('2026-11-11 10:00:00', 7.15)],
    [],
    {lead_time_hours_median: 5}
  ],
  [
    'the mean of the middle two is rounded to one place',
    [change('2026-11-03 10:00:00', 1), change('2026-11-03 11:00:00', 1.25)],
    [],
    {lead_time_hours_median: 1.1}
  ],
  [
    'a change closed at the very start of the period counts',
    [change('2026-11-02 00:00:00')],
    [],
    {deployments: 1}
  ],
  [
    'a change closed before the period does not count',
    [change('2026-11-01 23:59:59')],
    [],
    {deployments: 0}
  ],
  [
    'a change closed at the end of the period does not count: the end is exclusive',
    [change('2026-11-16 00:00:00')],
    [],
    {deployments: 0}
  ],
  [
    'a change not closed does not count',
    [{...deployed, closed_at: ''}],
    [],
    {deployments: 0}
  ],
  [
    'a closing time ServiceNow would not write does not count',
    [{...deployed, closed_at: '3 Nov 2026'}],
    [],
    {deployments: 0}
  ],
  [
    'values read as display-value pairs count the same',
    [
      {
        ...deployed,
        close_code: {value: 'unsuccessful', display_value: 'Unsuccessful'}
      }
    ],
    [],
    {deployments: 1, failures: 1}
  ]
]

describe('computeDora totals', () => {
  it.each(ROWS)('%s', (_, changes, incidents, totals) => {
    expect(
      computeDora(changes, incidents, FROM, UNTIL, {}).totals
    ).toMatchObject(totals)
  })
})

describe('computeDora report', () => {
  it('gives the period, the scope as given, and each week with its own figures', () => {
    const report = computeDora(
      [deployed, broke, closedFailed],
      [incident(broke, '2026-11-04 12:00:00', '2026-11-04 13:00:00')],
      FROM,
      UNTIL,
      {cmdb_ci: 'Payments API'}
    )
    expect(report).toEqual({
      from: '2026-11-02T00:00:00.000Z',
      until: '2026-11-16T00:00:00.000Z',
      scope: {cmdb_ci: 'Payments API'},
      totals: {
        deployments: 3,
        failures: 2,
        change_failure_rate: 0.667,
        lead_time_hours_median: 4,
        time_to_restore_hours_median: 1
      },
      weeks: [
        {
          week: '2026-11-02',
          deployments: 2,
          failures: 1,
          change_failure_rate: 0.5,
          lead_time_hours_median: 3,
          time_to_restore_hours_median: 1
        },
        {
          week: '2026-11-09',
          deployments: 1,
          failures: 1,
          change_failure_rate: 1,
          lead_time_hours_median: 6,
          time_to_restore_hours_median: null
        }
      ]
    })
  })

  it("counts an incident's restore time in the week of the change that caused it, not the incident's", () => {
    const report = computeDora(
      [deployed],
      [incident(deployed, '2026-11-12 08:00:00', '2026-11-12 10:00:00')],
      FROM,
      UNTIL,
      {}
    )
    expect(
      report.weeks.map(w => [
        w.week,
        w.failures,
        w.time_to_restore_hours_median
      ])
    ).toEqual([
      ['2026-11-02', 1, 2],
      ['2026-11-09', 0, null]
    ])
  })
})
