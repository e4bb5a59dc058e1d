import * as core from '@actions/core'
import { Output } from '../constants.js'
import type { Timeline } from '../change/timeline.js'
import type { Approver } from '../servicenow/approvers.js'
import type { Attachment } from '../servicenow/attachment-api.js'
import type { ChangeRecord } from '../servicenow/change-record.js'
import type { RunMetrics } from './step.js'

/** The outputs every step that touches a change sets. */
export function setChangeOutputs(record: ChangeRecord): void {
  core.setOutput(Output.ChangeNumber, record.number)
  core.setOutput(Output.ChangeSysId, record.sysId)
  core.setOutput(Output.ChangeUrl, record.url)
  core.setOutput(Output.State, record.stateLabel ?? record.stateName.toLowerCase())
  core.setOutput(Output.Approval, record.approval)
}

export function approversJson(approvers: Approver[]): string {
  return JSON.stringify(approvers.map((a) => ({ name: a.name, state: a.state, comments: a.comments, decided_at: a.decidedAt?.toISOString() ?? null })))
}

export interface SummaryInput {
  title: string
  record: ChangeRecord | undefined
  lines?: string[]
  approvers?: Approver[]
  timeline?: Timeline
  waitedMs?: number
  attachments?: Attachment[]
  metrics?: RunMetrics
}

/** The job summary a person reads: the change linked, where it stands, who decided, what happened when. */
export async function writeSummary(input: SummaryInput): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return
  const s = core.summary.addHeading(input.title, 3)
  const r = input.record
  if (r !== undefined) {
    s.addRaw(`<p><a href="${escape(r.url)}">${escape(r.number)}</a>: ${escape(r.shortDescription)}</p>`, true)
    const rows: [string, string][] = [
      ['Type', r.type],
      ['State', r.stateLabel ?? r.stateName],
      ['Approval', r.approval]
    ]
    if (r.assignmentGroup?.display) rows.push(['Assignment group', r.assignmentGroup.display])
    if (r.startDate || r.endDate) rows.push(['Change window (UTC)', `${r.startDate?.toISOString() ?? '…'} – ${r.endDate?.toISOString() ?? '…'}`])
    if (input.waitedMs !== undefined) rows.push(['Waited', duration(input.waitedMs)])
    const m = input.metrics
    if (m !== undefined) rows.push(['ServiceNow requests', `${m.api_calls} (${m.retries} retries, ${m.errors} failed tries)`])
    s.addTable(rows.map(([k, v]) => [{ data: k, header: true }, escape(v)]))
  }
  for (const line of input.lines ?? []) s.addRaw(`<p>${escape(line)}</p>`, true)
  if (input.approvers !== undefined && input.approvers.length > 0) {
    s.addHeading('Approvals', 4).addTable([
      [
        { data: 'Approver', header: true },
        { data: 'Decision', header: true },
        { data: 'When (UTC)', header: true },
        { data: 'Comments', header: true }
      ],
      ...input.approvers.map((a) => [escape(a.name), escape(a.state), a.decidedAt?.toISOString() ?? '', escape(a.comments)])
    ])
  }
  if (input.attachments !== undefined && input.attachments.length > 0) {
    s.addHeading('Attachments', 4).addList(input.attachments.map((a) => `<a href="${escape(a.downloadLink)}">${escape(a.fileName)}</a> (${a.sizeBytes} bytes)`))
  }
  if (input.timeline !== undefined && input.timeline.entries.length > 0) {
    s.addHeading('Timeline', 4).addTable([
      [
        { data: 'Time (UTC)', header: true },
        { data: 'What', header: true }
      ],
      ...input.timeline.entries.map((e) => [e.at.toISOString(), escape(e.what)])
    ])
  }
  await s.write()
}

export function duration(ms: number): string {
  const seconds = Math.round(ms / 1000)
  if (seconds < 60) return `${seconds} s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}
