import * as core from '@actions/core'
import { readableDay } from './summary-parts.js'
import { info } from './log.js'
import { computeDora, type DoraReport } from '../change/dora.js'
import { resolveReference } from '../change/lookup.js'
import { Output } from '../constants.js'
import type { ServiceNowClient } from '../servicenow/client.js'
import { formatGlideDate, type RawRecord } from '../servicenow/fields.js'
import { query } from '../servicenow/query.js'
import { jsonLine } from '../servicenow/text.js'
import { readReportSettings, type ReportSettings } from '../settings/dora-settings.js'
import { runStep } from './step.js'

/** The report step: DORA figures by week for a period and a scope, read from ServiceNow. */
export function run(): Promise<void> {
  return runStep(async (ctx) => {
    const settings = readReportSettings()
    const client = ctx.client(settings.connection)
    const report = await core.group('Read changes and incidents', () => buildReport(client, settings))
    core.setOutput(Output.Report, jsonLine(report))
    const t = report.totals
    info(
      `${t.deployments} deployments, change failure rate ${percent(t.change_failure_rate)}, median lead time ${hours(t.lead_time_hours_median)}, ` +
        `median time to restore ${hours(t.time_to_restore_hours_median)}.`
    )
    await writeReportSummary(report)
  })
}

/** Reads every change closed in the period within the scope (page by page), and the incidents they caused. */
export async function buildReport(client: ServiceNowClient, settings: ReportSettings): Promise<DoraReport> {
  // Closed is 3 unless the instance renumbered it: its choice list says.
  const closed = String((await client.changes.states()).value('closed'))
  const q = query().eq('state', closed).atLeast('closed_at', formatGlideDate(settings.from)).before('closed_at', formatGlideDate(settings.until))
  const scope: Record<string, string> = {}
  if (settings.cmdbCi !== '') {
    q.eq('cmdb_ci', await resolveReference(client, 'cmdb_ci', settings.cmdbCi, { table: 'cmdb_ci', nameField: 'name', what: 'configuration item' }))
    scope.cmdb_ci = settings.cmdbCi
  }
  if (settings.assignmentGroup !== '') {
    q.eq('assignment_group', await resolveReference(client, 'assignment_group', settings.assignmentGroup, { table: 'sys_user_group', nameField: 'name', what: 'group' }))
    scope.assignment_group = settings.assignmentGroup
  }
  if (settings.correlationPrefix !== '') {
    q.startsWith('correlation_id', settings.correlationPrefix)
    scope.correlation_prefix = settings.correlationPrefix
  }
  const changes: RawRecord[] = []
  for await (const row of client.table.all('change_request', { query: q.orderBy('closed_at'), fields: ['sys_id', 'sys_created_on', 'closed_at', 'close_code'], pageSize: 500 })) {
    changes.push(row)
  }
  const incidents: RawRecord[] = []
  const ids = changes.map((c) => String(c.sys_id))
  // IN lists stay short enough for a URL.
  for (let i = 0; i < ids.length; i += 100) {
    const causedBy = query().in('caused_by', ids.slice(i, i + 100))
    for await (const row of client.table.all('incident', { query: causedBy, fields: ['caused_by', 'opened_at', 'resolved_at'], excludeReferenceLink: true, pageSize: 500 })) {
      incidents.push(row)
    }
  }
  return computeDora(changes, incidents, settings.from, settings.until, scope)
}

async function writeReportSummary(report: DoraReport): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return
  const t = report.totals
  // Only whole weeks in the chart: a week cut by the period's start or end would read as a drop.
  const weeks = report.weeks.filter((w) => !w.partial)
  const chart = [
    '```mermaid',
    'xychart-beta',
    '  title "Deployments per week"',
    `  x-axis "Week of" [${weeks.map((w) => `"${weekLabel(w.week)}"`).join(', ')}]`,
    `  y-axis "Deployments" 0 --> ${Math.max(1, ...weeks.map((w) => w.deployments))}`,
    `  bar [${weeks.map((w) => w.deployments).join(', ')}]`,
    `  line [${weeks.map((w) => w.failures).join(', ')}]`,
    '```',
    '',
    // xychart has no legend of its own.
    'Bars: deployments (changes closed). Line: failed deployments (closed unsuccessful, or caused an incident).'
  ].join('\n')
  await core.summary
    .addHeading(`DORA figures from ServiceNow, ${report.from.slice(0, 10)} to ${report.until.slice(0, 10)}`, 3)
    .addTable([
      [
        { data: 'Deployments', header: true },
        { data: 'Change failure rate (%)', header: true },
        { data: 'Median lead time (hours)', header: true },
        { data: 'Median time to restore (hours)', header: true }
      ],
      [String(t.deployments), percent(t.change_failure_rate), hours(t.lead_time_hours_median), hours(t.time_to_restore_hours_median)]
    ])
    .addRaw(`\n\n${chart}\n\n`, true)
    .addTable([
      [
        { data: 'Week of', header: true },
        { data: 'Deployments', header: true },
        { data: 'Failures', header: true },
        { data: 'Failure rate (%)', header: true },
        { data: 'Lead time, median (hours)', header: true },
        { data: 'Time to restore, median (hours)', header: true }
      ],
      ...report.weeks.map((w) => [`${w.week}${w.partial ? ' (part of the week)' : ''}`, String(w.deployments), String(w.failures), percent(w.change_failure_rate), hours(w.lead_time_hours_median), hours(w.time_to_restore_hours_median)])
    ])
    .write()
}

// One unit per column: the header names it, the cells are bare numbers.
function percent(rate: number | null): string {
  return rate === null ? '–' : String(Math.round(rate * 1000) / 10)
}

function hours(h: number | null): string {
  return h === null ? '–' : String(Math.round(h * 10) / 10)
}

/** 2026-11-02 → 2 Nov: short enough for an axis. */
function weekLabel(week: string): string {
  return readableDay(new Date(`${week}T00:00:00Z`))
}
