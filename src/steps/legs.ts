import * as core from '@actions/core'
import type {ChangeDeps} from '../change/deps.js'
import {
  reportLeg,
  settleLegs,
  type LegOutcome,
  type LegReport
} from '../change/leg-close.js'
import {ensureLegTask, legLines, type LegsStatus} from '../change/legs.js'
import type {CloseOutcome} from '../change/close-change.js'
import type {RunContext} from '../github-context.js'
import {githubErrorText} from '../github-api.js'
import {currentJobName} from '../github-job.js'
import type {ChangeRecord} from '../servicenow/change-record.js'
import {InputError} from '../servicenow/errors.js'
import type {CloseOptions, JobResult} from '../settings/close.js'
import {LEG_NAME_MAX, type LegSettings} from '../settings/legs.js'
import {createHash} from 'node:crypto'
import {LegInput} from '../constants.js'

/**
 * This leg's name: the leg input, else the job's name as the run shows it ("deploy (eu-west)"),
 * read from the jobs API; the job's id (GITHUB_JOB) is the same for every leg of a matrix.
 */
export async function legNameFor(
  legs: LegSettings,
  token: string,
  run: RunContext
): Promise<string> {
  if (legs.leg !== '') return legs.leg
  const found = await currentJobName(token, run).catch((error: unknown) => ({
    name: undefined,
    why: `the GitHub API could not be read (${githubErrorText(error)})`
  }))
  if (found.name === undefined)
    throw new InputError(
      `${LegInput.Leg}: give each leg a name (e.g. \${{ matrix.region }}); the job's name could not be read: ${found.why}.`
    )
  return legNameOfLength(found.name)
}

/** A job's name over 80 characters keeps its start and a hash of the whole: two long names stay two legs. */
export function legNameOfLength(name: string): string {
  if (name.length <= LEG_NAME_MAX) return name
  const tail = `#${createHash('sha256').update(name).digest('hex').slice(0, 8)}`
  return `${name.slice(0, LEG_NAME_MAX - tail.length)}${tail}`
}

/** Create (and the gate's main): the change found or made, this leg's task made or found. */
export async function startLeg(
  deps: ChangeDeps,
  record: ChangeRecord,
  leg: string,
  run: RunContext
): Promise<string[]> {
  const task = await core.group(`Leg ${leg}`, () =>
    ensureLegTask(deps, record, leg, run)
  )
  return [
    `Leg ${leg}: change task ${task.number}, closed from this leg's result.`
  ]
}

/** Close (and the gate's post) for one leg: its task closed, and the change when every leg has reported. */
export function endLeg(
  deps: ChangeDeps,
  record: ChangeRecord,
  report: LegReport
): Promise<LegOutcome> {
  return core.group(`Leg ${report.leg}`, () => reportLeg(deps, record, report))
}

/** Close with settle_legs: the change closed from its legs' tasks. */
export async function settleFromLegs(
  deps: ChangeDeps,
  record: ChangeRecord,
  expected: number,
  settle: {result: JobResult; options: CloseOptions; run: RunContext}
): Promise<{outcome: CloseOutcome; status: LegsStatus}> {
  return core.group(`Settle ${record.number} from its legs`, () =>
    settleLegs(deps, record, expected, settle)
  )
}

/** The legs for the job summary, one line each. */
export function legSummary(status: LegsStatus, expected: number): string[] {
  return [
    `Legs: ${status.reported.length} of ${expected} reported.`,
    ...legLines(status, expected).slice(0, 100)
  ]
}
