import {describe, expect, it} from '@jest/globals'
import {computeDora, type Figures} from '../src/change/dora.js'
import type {Deployment} from '../src/change/dora-read.js'

/**
 * computeDora's figures from deployments, exactly: what counts as a deployment and as a
 * failure, and how lead time (from the oldest commit, else from the change's creation) and time
 * to restore are measured. The period is two whole weeks, Monday 2 to Monday 16 November 2026.
 */
const FROM = new Date('2026-11-02T00:00:00Z')
const UNTIL = new Date('2026-11-16T00:00:00Z')
const H = 3_600_000

let next = 0
/** A deployment closed at `closedAt`, its change created `createdHours` before. */
function deployment(
  closedAt: string,
  over: Partial<Deployment> & {createdHours?: number; commitHours?: number} = {}
): Deployment {
  const closed = new Date(`${closedAt.replace(' ', 'T')}Z`)
  const {createdHours = 24, commitHours, ...rest} = over
  next++
  return {
    sysId: String(next).padStart(32, '0'),
    number: `CHG${String(next).padStart(7, '0')}`,
    created: new Date(closed.getTime() - createdHours * H),
    closed,
    closeCode: 'successful',
    environment: '',
    service: '',
    oldestCommit:
      commitHours === undefined
        ? undefined
        : new Date(closed.getTime() - commitHours * H),
    incidents: [],
    rollbacks: [],
    ...rest
  }
}

const at = (text: string): Date => new Date(`${text.replace(' ', 'T')}Z`)
const incident = (
  opened: string,
  resolved?: string
): Deployment['incidents'][number] => ({
  opened: at(opened),
  resolved: resolved === undefined ? undefined : at(resolved)
})

const deployed = deployment('2026-11-03 10:00:00', {createdHours: 2})
const broke = deployment('2026-11-04 10:00:00', {
  createdHours: 4,
  incidents: [incident('2026-11-04 12:00:00', '2026-11-04 13:30:00')]
})
const closedFailed = deployment('2026-11-10 10:00:00', {
  createdHours: 6,
  closeCode: 'unsuccessful'
})
const rolledBack = deployment('2026-11-11 10:00:00', {
  createdHours: 3,
  rollbacks: ['CHG0000099']
})

const NONE: Figures = {
  deployments: 0,
  deployments_per_day: 0,
  deployments_per_week: 0,
  failures: 0,
  failed_by: {unsuccessful_close: 0, incident: 0, rollback: 0},
  change_failure_rate: null,
  lead_time_hours_median: null,
  lead_time_from: {oldest_commit: 0, change_created: 0},
  time_to_restore_hours_median: null,
  restored_incidents: 0
}

const ROWS: [string, Deployment[], Partial<Figures>][] = [
  ['no deployments: no rate, no medians', [], NONE],
  [
    'a change closed successful is a deployment that did not fail; without a deployment line its lead time runs from its creation, counted as such',
    [deployed],
    {
      deployments: 1,
      failures: 0,
      change_failure_rate: 0,
      lead_time_hours_median: 2,
      lead_time_from: {oldest_commit: 0, change_created: 1}
    }
  ],
  [
    'with a deployment line, lead time runs from the oldest commit to the close',
    [deployment('2026-11-03 10:00:00', {createdHours: 2, commitHours: 50})],
    {
      lead_time_hours_median: 50,
      lead_time_from: {oldest_commit: 1, change_created: 0}
    }
  ],
  [
    'an oldest commit after the close (an author clock ahead) is not used: the creation is',
    [deployment('2026-11-03 10:00:00', {createdHours: 2, commitHours: -1})],
    {
      lead_time_hours_median: 2,
      lead_time_from: {oldest_commit: 0, change_created: 1}
    }
  ],
  [
    'a change closed unsuccessful failed, and never ran in production: no lead time',
    [closedFailed],
    {
      deployments: 1,
      failures: 1,
      failed_by: {unsuccessful_close: 1, incident: 0, rollback: 0},
      change_failure_rate: 1,
      lead_time_hours_median: null,
      lead_time_from: {oldest_commit: 0, change_created: 0}
    }
  ],
  [
    'a change that caused an incident failed, however it closed; restore runs from opening to resolution',
    [broke],
    {
      failures: 1,
      failed_by: {unsuccessful_close: 0, incident: 1, rollback: 0},
      lead_time_hours_median: 4,
      time_to_restore_hours_median: 1.5,
      restored_incidents: 1
    }
  ],
  [
    'a change rolled back (a change names it as parent) failed',
    [rolledBack],
    {
      failures: 1,
      failed_by: {unsuccessful_close: 0, incident: 0, rollback: 1},
      change_failure_rate: 1,
      lead_time_hours_median: 3
    }
  ],
  [
    'a deployment failing in three ways is one failure, counted under each way',
    [
      deployment('2026-11-05 10:00:00', {
        closeCode: 'unsuccessful',
        rollbacks: ['CHG0000098'],
        incidents: [incident('2026-11-05 11:00:00', '2026-11-05 12:00:00')]
      })
    ],
    {
      deployments: 1,
      failures: 1,
      failed_by: {unsuccessful_close: 1, incident: 1, rollback: 1},
      change_failure_rate: 1
    }
  ],
  [
    'an unresolved incident makes a failure but no restore time',
    [
      deployment('2026-11-04 10:00:00', {
        incidents: [incident('2026-11-04 12:00:00')]
      })
    ],
    {failures: 1, time_to_restore_hours_median: null, restored_incidents: 0}
  ],
  [
    'frequency per day and per week over the fourteen days; the rate to three places',
    [deployed, broke, closedFailed],
    {
      deployments: 3,
      deployments_per_day: 0.214,
      deployments_per_week: 1.5,
      failures: 2,
      change_failure_rate: 0.667
    }
  ],
  [
    'the median of an odd count is the middle lead time',
    [deployed, broke, rolledBack],
    {lead_time_hours_median: 3}
  ],
  [
    'the median of an even count is the mean of the middle two, to one place',
    [
      deployed,
      broke,
      rolledBack,
      deployment('2026-11-12 10:00:00', {createdHours: 7.15})
    ],
    {lead_time_hours_median: 3.5}
  ],
  [
    'the mean of the middle two is rounded to one place',
    [
      deployment('2026-11-03 10:00:00', {createdHours: 1}),
      deployment('2026-11-03 11:00:00', {createdHours: 1.25})
    ],
    {lead_time_hours_median: 1.1}
  ],
  [
    'a change closed at the very start of the period counts',
    [deployment('2026-11-02 00:00:00')],
    {deployments: 1}
  ],
  [
    'a change closed before the period does not count',
    [deployment('2026-11-01 23:59:59')],
    {deployments: 0}
  ],
  [
    'a change closed at the end of the period does not count: the end is exclusive',
    [deployment('2026-11-16 00:00:00')],
    {deployments: 0}
  ]
]

describe('computeDora totals', () => {
  it.each(ROWS)('%s', (_, deployments, totals) => {
    expect(computeDora(deployments, FROM, UNTIL).totals).toMatchObject(totals)
  })
})

describe('bands and what is left out', () => {
  it('bands the figures as measured, not as rounded: 23.96 h is under a day, 10 in 199 over 5 %, 0.96 h under an hour', () => {
    const lead = computeDora(
      [deployment('2026-11-03 10:00:00', {createdHours: 23.96})],
      FROM,
      UNTIL
    )
    expect([lead.totals.lead_time_hours_median, lead.bands.lead_time]).toEqual([
      24,
      'elite'
    ])
    const many = Array.from({length: 199}, (_, i) =>
      deployment(
        `2026-11-${String(3 + (i % 10)).padStart(2, '0')} 10:00:00`,
        i < 10 ? {closeCode: 'unsuccessful'} : {}
      )
    )
    const rate = computeDora(many, FROM, UNTIL)
    expect([
      rate.totals.change_failure_rate,
      rate.bands.change_failure_rate
    ]).toEqual([0.05, 'high'])
    const restore = computeDora(
      [
        deployment('2026-11-03 10:00:00', {
          incidents: [
            {
              opened: at('2026-11-03 11:00:00'),
              resolved: new Date(at('2026-11-03 11:00:00').getTime() + 0.96 * H)
            }
          ]
        })
      ],
      FROM,
      UNTIL
    )
    expect([
      restore.totals.time_to_restore_hours_median,
      restore.bands.time_to_restore
    ]).toEqual([1, 'elite'])
  })

  it('leaves out a lead time that would run backwards (a change created after it closed) and a restore that would', () => {
    const report = computeDora(
      [
        deployment('2026-11-05 10:00:00', {createdHours: -168}),
        deployment('2026-11-05 11:00:00', {createdHours: 200}),
        deployment('2026-11-05 12:00:00', {
          incidents: [incident('2026-11-05 18:00:00', '2026-11-05 13:00:00')]
        })
      ],
      FROM,
      UNTIL
    )
    expect(report.totals).toMatchObject({
      lead_time_hours_median: 112,
      lead_time_from: {oldest_commit: 0, change_created: 2},
      time_to_restore_hours_median: null,
      restored_incidents: 0,
      failures: 1
    })
  })
})

describe('computeDora report', () => {
  it('gives the period, the bands, each environment and service, each week and each day with its own figures', () => {
    const report = computeDora(
      [
        {...deployed, environment: 'production', service: 'Payments API'},
        {...broke, environment: 'production', service: 'Payments API'},
        {...closedFailed, environment: 'staging', service: 'Orders DB'},
        rolledBack
      ],
      FROM,
      UNTIL
    )
    expect(report).toMatchObject({
      from: '2026-11-02T00:00:00.000Z',
      until: '2026-11-16T00:00:00.000Z',
      totals: {
        deployments: 4,
        deployments_per_day: 0.286,
        deployments_per_week: 2,
        failures: 3,
        change_failure_rate: 0.75,
        // 2, 4 and 3 hours: the unsuccessful close has none.
        lead_time_hours_median: 3,
        time_to_restore_hours_median: 1.5
      },
      bands: {
        deployment_frequency: 'high',
        lead_time: 'elite',
        change_failure_rate: 'low',
        time_to_restore: 'high'
      },
      by_environment: [
        {
          name: 'production',
          deployments: 2,
          per_day: 0.143,
          per_week: 1,
          band: 'high'
        },
        {
          name: '(not recorded)',
          deployments: 1,
          per_day: 0.071,
          per_week: 0.5,
          band: 'medium'
        },
        {
          name: 'staging',
          deployments: 1,
          per_day: 0.071,
          per_week: 0.5,
          band: 'medium'
        }
      ],
      by_service: [
        {name: 'Payments API', deployments: 2},
        {name: '(no configuration item)', deployments: 1},
        {name: 'Orders DB', deployments: 1}
      ],
      weeks: [
        {
          week: '2026-11-02',
          deployments: 2,
          failures: 1,
          change_failure_rate: 0.5,
          lead_time_hours_median: 3,
          time_to_restore_hours_median: 1.5,
          by_environment: {production: 2}
        },
        {
          week: '2026-11-09',
          deployments: 2,
          failures: 2,
          change_failure_rate: 1,
          lead_time_hours_median: 3,
          time_to_restore_hours_median: null,
          by_environment: {staging: 1, '(not recorded)': 1}
        }
      ]
    })
    expect(report.days).toHaveLength(14)
    expect(report.days.filter(d => d.deployments > 0)).toEqual([
      {day: '2026-11-03', deployments: 1, by_environment: {production: 1}},
      {day: '2026-11-04', deployments: 1, by_environment: {production: 1}},
      {day: '2026-11-10', deployments: 1, by_environment: {staging: 1}},
      {day: '2026-11-11', deployments: 1, by_environment: {'(not recorded)': 1}}
    ])
  })

  it("counts an incident's restore time in the week of the change that caused it, not the incident's", () => {
    const report = computeDora(
      [
        {
          ...deployed,
          incidents: [incident('2026-11-12 08:00:00', '2026-11-12 10:00:00')]
        }
      ],
      FROM,
      UNTIL
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
