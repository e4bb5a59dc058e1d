import {glideNow, type Store} from './store.js'

/**
 * Months of past deployments for the report: closed changes (some unsuccessful, some rolled
 * back by a child change) and the incidents some of them caused, with realistic lead and restore
 * times. Most carry the deployment line create writes with its environment input (production or
 * staging; in the work notes for a standard change, whose description is its template's); some
 * carry none, as changes made before that line existed, so the report's fallback shows.
 * Deterministic for a given seed, so tests can count on it.
 */
export function seedHistory(
  store: Store,
  options: {weeks: number; seed?: number; now: number}
): void {
  const random = mulberry32(options.seed ?? 42)
  const group =
    store.findByDisplay('sys_user_group', 'DevOps Team')?.sys_id ?? ''
  const cis = store.rows('cmdb_ci').map(c => c.sys_id ?? '')
  const hour = 3_600_000
  let n = 0
  const closedChange = (
    values: Record<string, string>,
    created: number,
    closed: number,
    journal: Record<string, string> = {}
  ): ReturnType<Store['insert']> =>
    store.insert(
      'change_request',
      {
        state: '3',
        approval: 'approved',
        active: 'false',
        close_notes: 'Seeded history',
        assignment_group: group,
        opened_at: glideNow(created),
        closed_at: glideNow(closed),
        sys_created_on: glideNow(created),
        ...values
      },
      'history',
      journal
    )
  for (let week = options.weeks; week >= 1; week--) {
    const count = 3 + Math.floor(random() * 6)
    for (let i = 0; i < count; i++) {
      const closed =
        options.now - week * 7 * 24 * hour + random() * 7 * 24 * hour
      const created = closed - (2 + random() * 70) * hour
      const failed = random() < 0.15
      const standard = random() < 0.1
      const environment = random() < 0.75 ? 'production' : 'staging'
      const newest = created - random() * 2 * hour
      const oldest = newest - random() * 120 * hour
      const line =
        random() < 0.85
          ? `servicenow-change deployment: environment=${environment}; commits=${1 + Math.floor(random() * 20)}; ` +
            `oldest_commit=${isoSecond(oldest)}; newest_commit=${isoSecond(newest)}`
          : undefined
      n++
      const description = `Commits going out: see the workflow run.${line !== undefined && !standard ? `\n\n${line}` : ''}`
      const change = closedChange(
        {
          short_description: `Deploy octo-org/payments release ${n}`,
          type: standard ? 'standard' : 'normal',
          description: standard
            ? 'Deploy a web application from its pipeline (template)'
            : description,
          close_code: failed ? 'unsuccessful' : 'successful',
          cmdb_ci: cis[n % Math.max(1, cis.length)] ?? '',
          correlation_id: `octo-org/payments/${1000 + n}/deploy`
        },
        created,
        closed,
        standard && line !== undefined ? {work_notes: line} : {}
      )
      if (failed && random() < 0.5) {
        // The rollback: a change of its own, whose parent is the one that failed.
        const start = closed + random() * hour
        closedChange(
          {
            short_description: `Roll back ${change.number ?? ''}`,
            type: 'emergency',
            close_code: 'successful',
            parent: change.sys_id ?? '',
            cmdb_ci: change.cmdb_ci ?? '',
            correlation_id: `octo-org/payments/${1000 + n}/rollback`
          },
          start,
          start + 0.5 * hour
        )
      }
      if (failed || random() < 0.05) {
        const opened = closed + random() * 2 * hour
        store.insert(
          'incident',
          {
            short_description: `Failed deployment: ${change.short_description}`,
            caused_by: change.sys_id ?? '',
            state: '6',
            active: 'false',
            opened_at: glideNow(opened),
            resolved_at: glideNow(opened + (0.5 + random() * 24) * hour),
            sys_created_on: glideNow(opened)
          },
          'history'
        )
      }
    }
  }
}

/** 2026-11-20T08:00:00Z: the line's dates, to the second, as create writes them. */
function isoSecond(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000)
    .toISOString()
    .replace('.000Z', 'Z')
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
