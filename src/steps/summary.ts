import * as core from '@actions/core'
import {Output} from '../constants.js'
import type {Timeline} from '../change/timeline.js'
import {
  conflictText,
  findingJson,
  findingStatus,
  findingText,
  type ConflictFinding
} from '../change/conflict-check.js'
import type {ScheduleReport} from '../change/schedule-plan.js'
import type {Approver} from '../servicenow/approvers.js'
import type {Attachment} from '../servicenow/attachment-api.js'
import type {ChangeRecord} from '../servicenow/change-record.js'
import {jsonLine} from '../servicenow/text.js'
import type {RunMetrics} from './step.js'
import {
  deciders,
  escape,
  icon,
  lifecycleStrip,
  names,
  readableCloseCode,
  readableTime,
  readableValue,
  toneOf,
  type Tone
} from './summary-parts.js'

/** The outputs every step that touches a change sets. */
export function setChangeOutputs(record: ChangeRecord): void {
  core.setOutput(Output.ChangeNumber, record.number)
  core.setOutput(Output.ChangeSysId, record.sysId)
  core.setOutput(Output.ChangeUrl, record.url)
  core.setOutput(
    Output.State,
    record.stateLabel ?? record.stateName.toLowerCase()
  )
  core.setOutput(Output.Approval, record.approval)
}

/** conflict_status and conflicts: what the last conflict check found. */
export function setConflictOutputs(finding: ConflictFinding): void {
  core.setOutput(Output.ConflictStatus, findingStatus(finding))
  core.setOutput(Output.Conflicts, jsonLine(findingJson(finding)))
}

/** What create settled about the schedule: the planned window, conflicts, risk and impact. */
export function setScheduleOutputs(
  record: ChangeRecord,
  report: ScheduleReport | undefined
): void {
  core.setOutput(Output.PlannedStart, record.startDate?.toISOString() ?? '')
  core.setOutput(Output.PlannedEnd, record.endDate?.toISOString() ?? '')
  if (report === undefined) return
  if (report.conflicts !== undefined) setConflictOutputs(report.conflicts)
  else core.setOutput(Output.ConflictStatus, 'not_checked')
  if (report.risk !== undefined) {
    core.setOutput(Output.Risk, report.risk.risk)
    core.setOutput(Output.Impact, report.risk.impact)
  }
}

/** Conflicts listed one per line in the job summary; the output has them all. */
const LISTED_IN_SUMMARY = 50

/** The summary's lines for a schedule: each conflict on its own line, then what create did. */
export function scheduleLines(
  record: ChangeRecord,
  report: Partial<ScheduleReport> | undefined
): string[] {
  if (report === undefined) return []
  const lines = [...(report.lines ?? [])]
  if (report.risk !== undefined)
    lines.push(
      `Risk: ${report.risk.risk || 'not set'}; impact: ${report.risk.impact || 'not set'} (as the instance has them after create).`
    )
  const f = report.conflicts
  if (f === undefined) return lines
  if (f.kind !== 'conflicts') return [...lines, findingText(record, f)]
  return [
    ...lines,
    `${f.conflicts.length} conflict${f.conflicts.length === 1 ? '' : 's'} in ${record.number}'s planned window:`,
    ...f.conflicts
      .slice(0, LISTED_IN_SUMMARY)
      .map(c => `• ${conflictText(c)} (${c.label})`),
    ...(f.conflicts.length > LISTED_IN_SUMMARY
      ? [
          `… and ${f.conflicts.length - LISTED_IN_SUMMARY} more: all of them are in the conflicts output.`
        ]
      : [])
  ]
}

export function approversJson(approvers: Approver[]): string {
  return jsonLine(
    approvers.map(a => ({
      name: a.name,
      state: a.state,
      comments: a.comments,
      decided_at: a.decidedAt?.toISOString() ?? null
    }))
  )
}

export interface SummaryInput {
  title: string
  record: ChangeRecord | undefined
  /** How it went, where the record alone does not say (e.g. an outcome post could not read). */
  tone?: Tone
  lines?: string[]
  approvers?: Approver[]
  timeline?: Timeline
  waitedMs?: number
  attachments?: Attachment[]
  metrics?: RunMetrics
  incident?: {number: string; url: string}
}

/**
 * The job summary a person reads: first a status line readable in a second (how it went, who
 * decided, how long), then the change linked, where it stands in its lifecycle, who decided what
 * and when, and what happened.
 */
export async function writeSummary(input: SummaryInput): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return
  await core.summary.addRaw(summaryHtml(input), true).write()
}

export function summaryHtml(input: SummaryInput): string {
  const r = input.record
  const parts: string[] = []
  const decided = deciders(input.approvers ?? [])
  let status = `${icon(input.tone ?? (r ? toneOf(r) : 'warn'))} ${input.title}`
  if (
    decided.length > 0 &&
    r !== undefined &&
    ['approved', 'rejected'].includes(r.approval)
  ) {
    status += `${input.title.endsWith(r.approval) ? '' : `: ${r.approval}`} by ${names(decided)}`
  }
  if (input.waitedMs !== undefined)
    status += ` after ${duration(input.waitedMs)}`
  parts.push(`<h3>${escape(status)}</h3>`)
  if (r !== undefined) {
    parts.push(
      `<p><a href="${escape(r.url)}">${escape(r.number)}</a>: ${escape(r.shortDescription)}</p>`
    )
    // The current state in bold: the one place in the strip the eye should land.
    parts.push(
      `<p>${escape(lifecycleStrip(r)).replace(/● ([^→·]+?)(?= →| ·|$)/, '<b>● $1</b>')}</p>`
    )
    const rows: [string, string][] = [
      ['Type', escape(r.type)],
      ['State', escape(r.stateLabel ?? r.stateName)],
      ['Approval', escape(r.approval)]
    ]
    if (r.closeCode)
      rows.push([
        'Close code',
        `<a href="${escape(r.url)}">${escape(readableCloseCode(r.closeCode))}</a>`
      ])
    if (input.incident)
      rows.push([
        'Incident',
        `<a href="${escape(input.incident.url)}">${escape(input.incident.number)}</a>`
      ])
    if (r.assignmentGroup?.display)
      rows.push(['Assignment group', escape(r.assignmentGroup.display)])
    if (r.startDate || r.endDate) {
      rows.push([
        'Change window',
        escape(
          `${r.startDate ? readableTime(r.startDate) : '…'} – ${r.endDate ? readableTime(r.endDate) : '…'}`
        )
      ])
    }
    if (input.waitedMs !== undefined)
      rows.push(['Waited', escape(duration(input.waitedMs))])
    const m = input.metrics
    if (m !== undefined)
      rows.push([
        'ServiceNow requests',
        escape(
          `${m.api_calls} (${m.retries} retries, ${m.errors} failed tries)`
        )
      ])
    parts.push(
      table(
        undefined,
        rows.map(([k, v]) => [`<th>${k}</th>`, `<td>${v}</td>`])
      )
    )
  }
  for (const line of input.lines ?? []) parts.push(`<p>${escape(line)}</p>`)
  if (input.approvers !== undefined && input.approvers.length > 0) {
    parts.push('<h4>Approvals</h4>')
    parts.push(
      table(
        ['Approver', 'Decision', 'When', 'Comments'],
        input.approvers.map(a =>
          [
            a.name,
            readableValue(a.state),
            a.decidedAt ? readableTime(a.decidedAt) : '',
            a.comments
          ].map(v => `<td>${escape(v)}</td>`)
        )
      )
    )
  }
  if (input.attachments !== undefined && input.attachments.length > 0) {
    parts.push('<h4>Attachments</h4>')
    parts.push(
      `<ul>${input.attachments.map(a => `<li><a href="${escape(a.downloadLink)}">${escape(a.fileName)}</a> (${a.sizeBytes} bytes)</li>`).join('')}</ul>`
    )
  }
  if (input.timeline !== undefined && input.timeline.entries.length > 0) {
    parts.push('<h4>Timeline</h4>')
    parts.push(
      table(
        ['When', 'What'],
        input.timeline.entries.map(e => [
          `<td>${escape(readableTime(e.at))}</td>`,
          `<td>${escape(e.what)}</td>`
        ])
      )
    )
  }
  return parts.join('\n')
}

function table(head: string[] | undefined, rows: string[][]): string {
  const header = head
    ? `<tr>${head.map(h => `<th>${escape(h)}</th>`).join('')}</tr>`
    : ''
  return `<table>${header}${rows.map(cells => `<tr>${cells.join('')}</tr>`).join('')}</table>`
}

export function duration(ms: number): string {
  const seconds = Math.round(ms / 1000)
  if (seconds < 60) return `${seconds} s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`
}
