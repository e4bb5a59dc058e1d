import {glideNow, type Store} from './store.js'

/**
 * Months of past deployments for the report: closed changes (some unsuccessful)
 * and the incidents some of them caused, with realistic lead and restore
 * times. Deterministic for a given seed, so tests can count on it.
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
  for (let week = options.weeks; week >= 1; week--) {
    const count = 3 + Math.floor(random() * 6)
    for (let i = 0; i < count; i++) {
      const closed =
        options.now - week * 7 * 24 * hour + random() * 7 * 24 * hour
      const created = closed - (2 + random() * 70) * hour
      const failed = random() < 0.15
      n++
      const change = store.insert(
        'change_request',
        {
          short_description: `Deploy octo-org/payments release ${n}`,
          type: 'normal',
          state: '3',
          approval: 'approved',
          active: 'false',
          close_code: failed ? 'unsuccessful' : 'successful',
          close_notes: 'Seeded history',
          assignment_group: group,
          cmdb_ci: cis[n % Math.max(1, cis.length)] ?? '',
          correlation_id: `octo-org/payments/${1000 + n}/deploy`,
          opened_at: glideNow(created),
          closed_at: glideNow(closed),
          sys_created_on: glideNow(created)
        },
        'history'
      )
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
