import * as core from '@actions/core'
import {readableDay} from './summary-parts.js'
import {info} from './log.js'
import {buildReport, type DoraReport} from '../change/dora.js'
import {Output} from '../constants.js'
import {jsonLine} from '../servicenow/text.js'
import {readReportSettings} from '../settings/dora-settings.js'
import {runStep} from './step.js'

/** The report step: DORA figures by week for a period and a scope, read from ServiceNow. */
export function run(): Promise<void> {
  return runStep(async ctx => {
    const settings = readReportSettings()
    const report = await core.group('Read changes and incidents', () =>
      buildReport(ctx.deps(settings.connection), settings)
    )
    core.setOutput(Output.Report, jsonLine(report))
    const t = report.totals
    info(
      `${t.deployments} deployments, change failure rate ${percent(t.change_failure_rate)}, median lead time ${hours(t.lead_time_hours_median)}, ` +
        `median time to restore ${hours(t.time_to_restore_hours_median)}.`
    )
    await writeReportSummary(report)
  })
}

async function writeReportSummary(report: DoraReport): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return
  const t = report.totals
  // Only whole weeks in the chart: a week cut by the period's start or end would read as a drop.
  const weeks = report.weeks.filter(w => !w.partial)
  const chart = [
    '```mermaid',
    'xychart-beta',
    '  title "Deployments per week"',
    `  x-axis "Week of" [${weeks.map(w => `"${weekLabel(w.week)}"`).join(', ')}]`,
    `  y-axis "Deployments" 0 --> ${Math.max(1, ...weeks.map(w => w.deployments))}`,
    `  bar [${weeks.map(w => w.deployments).join(', ')}]`,
    `  line [${weeks.map(w => w.failures).join(', ')}]`,
    '```',
    '',
    // xychart has no legend of its own.
    'Bars: deployments (changes closed). Line: failed deployments (closed unsuccessful, or caused an incident).'
  ].join('\n')
  await core.summary
    .addHeading(
      `DORA figures from ServiceNow, ${report.from.slice(0, 10)} to ${report.until.slice(0, 10)}`,
      3
    )
    .addTable([
      [
        {data: 'Deployments', header: true},
        {data: 'Change failure rate (%)', header: true},
        {data: 'Median lead time (hours)', header: true},
        {data: 'Median time to restore (hours)', header: true}
      ],
      [
        String(t.deployments),
        percent(t.change_failure_rate),
        hours(t.lead_time_hours_median),
        hours(t.time_to_restore_hours_median)
      ]
    ])
    .addRaw(`\n\n${chart}\n\n`, true)
    .addTable([
      [
        {data: 'Week of', header: true},
        {data: 'Deployments', header: true},
        {data: 'Failures', header: true},
        {data: 'Failure rate (%)', header: true},
        {data: 'Lead time, median (hours)', header: true},
        {data: 'Time to restore, median (hours)', header: true}
      ],
      ...report.weeks.map(w => [
        `${w.week}${w.partial ? ' (part of the week)' : ''}`,
        String(w.deployments),
        String(w.failures),
        percent(w.change_failure_rate),
        hours(w.lead_time_hours_median),
        hours(w.time_to_restore_hours_median)
      ])
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
