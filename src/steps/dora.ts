import * as core from '@actions/core'
import {escape, readableDay} from './summary-parts.js'
import {info} from './log.js'
import type {Band, Trend} from '../change/dora-bands.js'
import {
  buildReport,
  type Bands,
  type DoraReport,
  type DoraWeek,
  type FrequencyRow
} from '../change/dora.js'
import {Output} from '../constants.js'
import {jsonLine} from '../servicenow/text.js'
import {readReportSettings} from '../settings/dora-settings.js'
import {runStep} from './step.js'

/** The report step: DORA's four keys for a period and a scope, with their bands and the trend, read from ServiceNow. */
export function run(): Promise<void> {
  return runStep(async ctx => {
    const settings = readReportSettings()
    const report = await core.group(
      'Read changes, incidents and rollbacks',
      () => buildReport(ctx.deps(settings.connection), settings)
    )
    core.setOutput(Output.Report, jsonLine(report))
    for (const key of KEYS)
      info(
        `${key.name}: ${key.now(report)}${key.unit}${bandWords(report.bands[key.band])}, ${trendWords(report.trend[key.band])}.`
      )
    for (const line of notes(report)) info(line)
    await writeReportSummary(report)
  })
}

interface Key {
  name: string
  unit: string
  band: keyof Bands
  now: (r: Pick<DoraReport, 'totals'>) => string
}

const KEYS: Key[] = [
  {
    name: 'Deployment frequency',
    unit: ' per week',
    band: 'deployment_frequency',
    now: r => num(r.totals.deployments_per_week)
  },
  {
    name: 'Lead time for changes, median',
    unit: ' hours',
    band: 'lead_time',
    now: r => num(r.totals.lead_time_hours_median)
  },
  {
    name: 'Change failure rate',
    unit: ' %',
    band: 'change_failure_rate',
    now: r => percent(r.totals.change_failure_rate)
  },
  {
    name: 'Time to restore, median',
    unit: ' hours',
    band: 'time_to_restore',
    now: r => num(r.totals.time_to_restore_hours_median)
  }
]

/** What a reader must know to trust the figures: where lead times were measured from, what failed how, what was left out. */
function notes(r: DoraReport): string[] {
  const t = r.totals
  const lines = [
    `${t.deployments} deployments from ${day(r.from)} to ${day(r.until)}; ${t.failures} failed (closed unsuccessful: ${t.failed_by.unsuccessful_close}, caused an incident: ${t.failed_by.incident}, rolled back: ${t.failed_by.rollback}; one deployment may fail in more than one way).`
  ]
  if (t.lead_time_from.change_created > 0)
    lines.push(
      `Lead time is measured from the oldest commit for ${t.lead_time_from.oldest_commit} deployments and from the change's creation for ${t.lead_time_from.change_created} whose change records no commit time (no deployment line: created without the environment input or before this version; or created without a github_token to read the commits).`
    )
  if (r.unattributed !== undefined && r.unattributed > 0)
    lines.push(
      `${r.unattributed} changes closed in the period carry no deployment line, so their environment is not known: they are left out.`
    )
  lines.push(
    `Bands by ${r.thresholds}. Trend against ${day(r.previous.from)} to ${day(r.previous.until)}.`
  )
  return lines
}

async function writeReportSummary(report: DoraReport): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return
  const p = report.previous
  await core.summary
    .addHeading(
      `DORA's four keys from ServiceNow, ${day(report.from)} to ${day(report.until)}`,
      3
    )
    .addTable([
      [
        {data: 'Key', header: true},
        {data: 'This period', header: true},
        {data: 'Band', header: true},
        {
          data: `Previous period (${day(p.from)} to ${day(p.until)})`,
          header: true
        },
        {data: 'Band', header: true},
        {data: 'Trend', header: true}
      ],
      ...KEYS.map(k => [
        `${k.name} (${k.unit.trim()})`,
        k.now(report),
        bandCell(report.bands[k.band]),
        k.now(p),
        bandCell(p.bands[k.band]),
        trendCell(report.trend[k.band])
      ])
    ])
    .addRaw(
      `\n\n${notes(report)
        .map(l => escape(l))
        .join('<br>\n')}\n\n`,
      true
    )
    .addRaw(`\n${charts(report)}\n\n`, true)
    .addHeading('Deployment frequency by environment', 4)
    .addTable(frequencyTable('Environment', report.by_environment))
    .addHeading('Deployment frequency by service (configuration item)', 4)
    .addTable(frequencyTable('Service', report.by_service))
    .addHeading('By week', 4)
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
        num(w.lead_time_hours_median),
        num(w.time_to_restore_hours_median)
      ])
    ])
    .addRaw(
      "\n\nDeployments day by day are in the step's report output (days).\n",
      true
    )
    .write()
}

/**
 * The trend as charts over both periods, whole weeks only (a week cut by an end of the
 * period would read as a drop): deployments and failures per week, and the median lead time
 * of the weeks that have one (a week without deployments has no lead time, not a lead time of 0).
 */
function charts(report: DoraReport): string {
  const weeks = [...report.previous.weeks, ...report.weeks].filter(
    (w, i, all) => !w.partial && all.findIndex(x => x.week === w.week) === i
  )
  const since = `this period from ${day(report.from)}`
  const lead = weeks.filter(
    (w): w is DoraWeek & {lead_time_hours_median: number} =>
      w.lead_time_hours_median !== null
  )
  const xychart = (
    title: string,
    axisWeeks: DoraWeek[],
    yAxis: string,
    top: number,
    series: string[]
  ): string =>
    [
      '```mermaid',
      'xychart-beta',
      `  title "${title}"`,
      `  x-axis "Week of" [${axisWeeks.map(w => `"${weekLabel(w.week)}"`).join(', ')}]`,
      `  y-axis "${yAxis}" 0 --> ${Math.max(1, Math.ceil(top))}`,
      ...series,
      '```'
    ].join('\n')
  // xychart needs one item at least on its axis: a period shorter than two weeks may have no whole week.
  if (weeks.length === 0)
    return 'No whole week in either period to chart: the weeks are in the table below.'
  return [
    xychart(
      `Deployments per week (previous period, then ${since})`,
      weeks,
      'Deployments',
      Math.max(...weeks.map(w => w.deployments)),
      [
        `  bar [${weeks.map(w => w.deployments).join(', ')}]`,
        `  line [${weeks.map(w => w.failures).join(', ')}]`
      ]
    ),
    '',
    // xychart has no legend of its own.
    'Bars: deployments (changes closed). Line: failed deployments (closed unsuccessful, caused an incident, or rolled back).',
    '',
    lead.length === 0
      ? 'No lead time to chart: no deployment in a whole week closed other than unsuccessful.'
      : xychart(
          `Median lead time per week, hours (previous period, then ${since})`,
          lead,
          'Hours',
          Math.max(...lead.map(w => w.lead_time_hours_median)),
          [`  line [${lead.map(w => w.lead_time_hours_median).join(', ')}]`]
        )
  ].join('\n')
}

function frequencyTable(
  what: string,
  rows: FrequencyRow[]
): Parameters<typeof core.summary.addTable>[0] {
  return [
    [
      {data: what, header: true},
      {data: 'Deployments', header: true},
      {data: 'Per day', header: true},
      {data: 'Per week', header: true},
      {data: 'Band', header: true}
    ],
    ...rows.map(r => [
      escape(r.name).trim(),
      String(r.deployments),
      num(r.per_day),
      num(r.per_week),
      bandCell(r.band)
    ])
  ]
}

const BAND_ICONS: Record<Band, string> = {
  elite: '🟢',
  high: '🔵',
  medium: '🟡',
  low: '🔴'
}

function bandCell(band: Band | null): string {
  return band === null ? '–' : `${BAND_ICONS[band]} ${band}`
}

function bandWords(band: Band | null): string {
  return band === null ? ' (no band: nothing to measure)' : ` (${band})`
}

function trendCell(t: Trend | null): string {
  return t === null
    ? '–'
    : {better: '↗ better', worse: '↘ worse', same: '→ same'}[t]
}

function trendWords(t: Trend | null): string {
  return t === null
    ? 'no trend (one of the periods has nothing to measure)'
    : `${t} than the previous period`.replace('same than', 'the same as')
}

// One unit per column or row: the header names it, the cells are bare numbers.
function percent(rate: number | null): string {
  return rate === null ? '–' : String(Math.round(rate * 1000) / 10)
}

function num(n: number | null): string {
  return n === null ? '–' : String(Math.round(n * 100) / 100)
}

function day(iso: string): string {
  return iso.slice(0, 10)
}

/** 2026-11-02 → 2 Nov: short enough for an axis. */
function weekLabel(week: string): string {
  return readableDay(new Date(`${week}T00:00:00Z`))
}
