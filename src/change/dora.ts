import type {ReportSettings} from '../settings/dora-settings.js'
import {
  type Band,
  failureRateBand,
  frequencyBand,
  leadTimeBand,
  restoreBand,
  THRESHOLDS_SOURCE,
  trend,
  type Trend
} from './dora-bands.js'
import {type Deployment, readDeployments} from './dora-read.js'
import type {ChangeDeps} from './deps.js'

/**
 * The four keys over a stretch of time (issue 18, as DORA defines them):
 * - deployments are the changes closed in it, counted per day and per week;
 * - a deployment failed when it closed unsuccessful, caused an incident (an incident's
 *   caused_by names it) or was rolled back (a change that is not canceled names it as parent);
 * - lead time runs from the oldest commit that went out (the change's deployment line) to the
 *   change's close, for the deployments that did not close unsuccessful; a change without the
 *   line is measured from its creation instead, and the two are counted apart;
 * - time to restore runs from an incident's opening to its resolution, for incidents caused by
 *   the deployments, counted where the deployment is.
 */
export interface Figures {
  deployments: number
  deployments_per_day: number | null
  deployments_per_week: number | null
  failures: number
  /** How many deployments failed each way; one deployment may fail in more than one. */
  failed_by: {unsuccessful_close: number; incident: number; rollback: number}
  change_failure_rate: number | null
  lead_time_hours_median: number | null
  /** How many lead times were measured from the oldest commit, and how many from the change's creation. */
  lead_time_from: {oldest_commit: number; change_created: number}
  time_to_restore_hours_median: number | null
  /** Incidents resolved, whose times to restore make the median. */
  restored_incidents: number
}

export interface Bands {
  deployment_frequency: Band | null
  lead_time: Band | null
  change_failure_rate: Band | null
  time_to_restore: Band | null
}

export interface DoraWeek {
  /** Monday 00:00 UTC. */
  week: string
  /** The week begins before the period or ends after it: its figures cover only part of it. */
  partial?: boolean
  deployments: number
  failures: number
  change_failure_rate: number | null
  lead_time_hours_median: number | null
  time_to_restore_hours_median: number | null
  by_environment: Record<string, number>
}

export interface DoraDay {
  day: string
  partial?: boolean
  deployments: number
  by_environment: Record<string, number>
}

/** Deployment frequency of one environment or one service. */
export interface FrequencyRow {
  name: string
  deployments: number
  per_day: number | null
  per_week: number | null
  band: Band | null
}

export interface PeriodReport {
  from: string
  until: string
  totals: Figures
  bands: Bands
  by_environment: FrequencyRow[]
  by_service: FrequencyRow[]
  weeks: DoraWeek[]
  days: DoraDay[]
}

export interface DoraReport extends PeriodReport {
  scope: Record<string, string>
  thresholds: string
  /** The period of equal length just before this one. */
  previous: Omit<PeriodReport, 'days'>
  trend: Record<keyof Bands, Trend | null>
  /** With an environment asked for: closed changes left out because they carry no deployment line. */
  unattributed?: number
}

/** Changes whose deployment line names no environment are listed under this name. */
export const NO_ENVIRONMENT = '(not recorded)'
export const NO_SERVICE = '(no configuration item)'

/**
 * Reads the period and the one of equal length before it in one pass (changes closed in
 * [from − length, until)), and compares the two.
 */
export async function buildReport(
  {client}: ChangeDeps,
  settings: ReportSettings
): Promise<DoraReport> {
  const {from, until} = settings
  const before = new Date(from.getTime() - (until.getTime() - from.getTime()))
  let deployments = await readDeployments(client, settings, before, until)
  const scope: Record<string, string> = {}
  if (settings.cmdbCi !== '') scope.cmdb_ci = settings.cmdbCi
  if (settings.assignmentGroup !== '')
    scope.assignment_group = settings.assignmentGroup
  if (settings.correlationPrefix !== '')
    scope.correlation_prefix = settings.correlationPrefix
  let unattributed: number | undefined
  if (settings.environment !== '') {
    scope.environment = settings.environment
    const inPeriod = deployments.filter(d => d.closed >= from)
    unattributed = inPeriod.filter(d => d.environment === '').length
    deployments = deployments.filter(
      d => d.environment === settings.environment
    )
  }
  const now = computeDora(deployments, from, until)
  const {days: _days, ...previous} = computeDora(deployments, before, from)
  const t = now.totals
  const p = previous.totals
  return {
    scope,
    thresholds: THRESHOLDS_SOURCE,
    ...now,
    ...(unattributed === undefined ? {} : {unattributed}),
    previous,
    trend: {
      deployment_frequency: trend(
        t.deployments_per_day,
        p.deployments_per_day,
        true
      ),
      lead_time: trend(
        t.lead_time_hours_median,
        p.lead_time_hours_median,
        false
      ),
      change_failure_rate: trend(
        t.change_failure_rate,
        p.change_failure_rate,
        false
      ),
      time_to_restore: trend(
        t.time_to_restore_hours_median,
        p.time_to_restore_hours_median,
        false
      )
    }
  }
}

/** The four keys for the deployments closed in [from, until), overall, by week, by day and by environment and service. */
export function computeDora(
  all: Deployment[],
  from: Date,
  until: Date
): PeriodReport {
  const deployments = all.filter(d => d.closed >= from && d.closed < until)
  const days = (until.getTime() - from.getTime()) / DAY_MS
  const measured = measure(deployments, days)
  const totals = figures(measured)
  // Bands from the figures as measured, not as rounded for reading: 23.96 h is under a day.
  return {
    from: from.toISOString(),
    until: until.toISOString(),
    totals,
    bands: {
      deployment_frequency: frequencyBand(measured.perDay),
      lead_time: leadTimeBand(measured.leadHours),
      change_failure_rate: failureRateBand(measured.failureRate),
      time_to_restore: restoreBand(measured.restoreHours)
    },
    by_environment: frequencies(
      deployments,
      d => d.environment || NO_ENVIRONMENT,
      days
    ),
    by_service: frequencies(deployments, d => d.service || NO_SERVICE, days),
    weeks: spans(deployments, from, until, weekStart, WEEK_MS).map(s => {
      const f = figures(measure(s.group, 7))
      return {
        week: s.start.toISOString().slice(0, 10),
        ...(s.partial ? {partial: true} : {}),
        deployments: f.deployments,
        failures: f.failures,
        change_failure_rate: f.change_failure_rate,
        lead_time_hours_median: f.lead_time_hours_median,
        time_to_restore_hours_median: f.time_to_restore_hours_median,
        by_environment: countBy(s.group, d => d.environment || NO_ENVIRONMENT)
      }
    }),
    days: spans(deployments, from, until, dayStart, DAY_MS).map(s => ({
      day: s.start.toISOString().slice(0, 10),
      ...(s.partial ? {partial: true} : {}),
      deployments: s.group.length,
      by_environment: countBy(s.group, d => d.environment || NO_ENVIRONMENT)
    }))
  }
}

/** The figures as measured, before any rounding: bands are read from these. */
interface Measured {
  group: Deployment[]
  days: number
  failedBy: Record<keyof Figures['failed_by'], Deployment[]>
  failures: number
  perDay: number | null
  failureRate: number | null
  leadHours: number | null
  fromCommit: number
  fromCreated: number
  restoreHours: number | null
  restores: number
}

function measure(group: Deployment[], days: number): Measured {
  const failedBy = {
    unsuccessful_close: group.filter(d => d.closeCode === 'unsuccessful'),
    incident: group.filter(d => d.incidents.length > 0),
    rollback: group.filter(d => d.rollbacks.length > 0)
  }
  const failures = new Set(Object.values(failedBy).flat()).size
  // DORA's lead time ends with the change running in production: a deployment closed unsuccessful never did.
  const leads = group
    .filter(d => d.closeCode !== 'unsuccessful')
    .map(d => ({
      fromCommit: commitTime(d) !== undefined,
      start: commitTime(d) ?? d.created,
      end: d.closed
    }))
    // A change created after it closed (imported history, a clock put right) has no lead time to tell.
    .filter(l => l.start <= l.end)
  const restores = group
    .flatMap(d => d.incidents)
    .flatMap(i =>
      i.opened === undefined ||
      i.resolved === undefined ||
      i.resolved < i.opened
        ? []
        : [hours(i.opened, i.resolved)]
    )
  return {
    group,
    days,
    failedBy,
    failures,
    perDay: days > 0 ? group.length / days : null,
    failureRate: group.length === 0 ? null : failures / group.length,
    leadHours: median(leads.map(l => hours(l.start, l.end))),
    fromCommit: leads.filter(l => l.fromCommit).length,
    fromCreated: leads.filter(l => !l.fromCommit).length,
    restoreHours: median(restores),
    restores: restores.length
  }
}

/** The figures as the report gives them: rates to three places, hours to one. */
function figures(m: Measured): Figures {
  const roundOr = (v: number | null, digits: number): number | null =>
    v === null ? null : round(v, digits)
  return {
    deployments: m.group.length,
    deployments_per_day: roundOr(m.perDay, 3),
    deployments_per_week: roundOr(m.perDay === null ? null : m.perDay * 7, 2),
    failures: m.failures,
    failed_by: {
      unsuccessful_close: m.failedBy.unsuccessful_close.length,
      incident: m.failedBy.incident.length,
      rollback: m.failedBy.rollback.length
    },
    change_failure_rate: roundOr(m.failureRate, 3),
    lead_time_hours_median: roundOr(m.leadHours, 1),
    lead_time_from: {
      oldest_commit: m.fromCommit,
      change_created: m.fromCreated
    },
    time_to_restore_hours_median: roundOr(m.restoreHours, 1),
    restored_incidents: m.restores
  }
}

/**
 * The oldest commit's time, unless it is after the close: author dates come from the authors'
 * clocks and survive rebases, and a lead time below zero would only drag the median down.
 */
function commitTime(d: Deployment): Date | undefined {
  return d.oldestCommit !== undefined && d.oldestCommit <= d.closed
    ? d.oldestCommit
    : undefined
}

function frequencies(
  group: Deployment[],
  name: (d: Deployment) => string,
  days: number
): FrequencyRow[] {
  return Object.entries(countBy(group, name))
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([key, n]) => ({
      name: key,
      deployments: n,
      per_day: days > 0 ? round(n / days, 3) : null,
      per_week: days > 0 ? round((n * 7) / days, 2) : null,
      band: frequencyBand(days > 0 ? n / days : null)
    }))
}

function countBy(
  group: Deployment[],
  key: (d: Deployment) => string
): Record<string, number> {
  // A Map, not an object: an environment may be named __proto__.
  const counts = new Map<string, number>()
  for (const d of group) counts.set(key(d), (counts.get(key(d)) ?? 0) + 1)
  return Object.fromEntries(counts)
}

/** The calendar spans (UTC days or Monday weeks) the period touches, each with its deployments; those the period cuts are partial. */
function spans(
  group: Deployment[],
  from: Date,
  until: Date,
  startOf: (d: Date) => Date,
  length: number
): {start: Date; partial: boolean; group: Deployment[]}[] {
  const found: {start: Date; partial: boolean; group: Deployment[]}[] = []
  const index = new Map<number, Deployment[]>()
  for (let s = startOf(from); s < until; s = new Date(s.getTime() + length)) {
    const members: Deployment[] = []
    index.set(s.getTime(), members)
    found.push({
      start: s,
      partial: s < from || s.getTime() + length > until.getTime(),
      group: members
    })
  }
  for (const d of group) index.get(startOf(d.closed).getTime())?.push(d)
  return found
}

const DAY_MS = 86_400_000
const WEEK_MS = 7 * DAY_MS

function dayStart(date: Date): Date {
  return new Date(
    Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate())
  )
}

export function weekStart(date: Date): Date {
  const day = dayStart(date)
  return new Date(day.getTime() - ((day.getUTCDay() + 6) % 7) * DAY_MS)
}

function hours(start: Date, end: Date): number {
  return (end.getTime() - start.getTime()) / 3_600_000
}

function median(values: number[]): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1
    ? sorted[mid]!
    : (sorted[mid - 1]! + sorted[mid]!) / 2
}

function round(value: number, digits: number): number {
  return Math.round(value * 10 ** digits) / 10 ** digits
}
