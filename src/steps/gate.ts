import * as core from '@actions/core'
import {info} from './log.js'
import {attachFiles, resolveAttachments} from '../change/attachments.js'
import {closeFromResult, leaveForAPerson} from '../change/close-change.js'
import {readChange} from '../change/lookup.js'
import {isTerminal} from '../servicenow/change-model.js'
import {moveChange} from '../change/move.js'
import {settleDuplicates} from '../change/duplicates.js'
import {Output} from '../constants.js'
import {runContext} from '../github-context.js'
import {githubErrorText} from '../github-api.js'
import {currentJobResult, type JobOutcome} from '../github-job.js'
import {readCloseOptions} from '../settings/close.js'
import {readConnectionSettings} from '../settings/connection.js'
import {readGateSettings, readGithubToken} from '../settings/gate.js'
import {readLegSettings} from '../settings/legs.js'
import {endLeg, legNameFor, legSummary, startLeg} from './legs.js'
import {loadGateState, saveGateState} from './gate-state.js'
import {addEvidence, createPhase, reportSkipped, waitPhase} from './phases.js'
import {scheduleLines, setChangeOutputs, writeSummary} from './summary.js'
import {abortOnSignals, runStep} from './step.js'

/**
 * The all-in-one gate, main: create or adopt, wait, move to Implement. What
 * post needs is kept in the gate's state (gate-state.ts), where the split steps use outputs.
 */
export function main(): Promise<void> {
  const signal = abortOnSignals()
  return runStep(async ctx => {
    const run = runContext()
    const settings = readGateSettings(run)
    if (!settings.create.controlled) {
      reportSkipped(settings.create.environment)
      saveGateState({kind: 'skipped'})
      return
    }
    const files = await resolveAttachments(settings.create.attachments)
    const legs = settings.create.legs
    const leg =
      legs === undefined
        ? undefined
        : await legNameFor(legs, settings.create.githubToken, run)
    await addEvidence(settings.create, run)
    const created = await createPhase(ctx, settings.create)
    saveGateState({
      kind: 'change',
      sysId: created.record.sysId,
      implementing: false,
      ...(leg === undefined ? {} : {leg})
    })
    const deps = ctx.deps(settings.create.connection)
    const legLines =
      leg === undefined ? [] : await startLeg(deps, created.record, leg, run)
    const attachments = await attachFiles(deps, created.record, files)
    const waited = await waitPhase(
      ctx,
      deps,
      created.record,
      settings.wait,
      signal
    )
    // What create found, then what the wait's own check found just before going on (if it made one).
    const lines = [
      ...legLines,
      ...scheduleLines(created.record, created.schedule),
      ...(waited.conflicts === undefined
        ? []
        : scheduleLines(waited.record, {conflicts: waited.conflicts}))
    ]
    if (!waited.ok) {
      await writeSummary({
        title: `ServiceNow change ${waited.record.number}: ${waited.outcome.decision}`,
        record: waited.record,
        lines: [waited.message, ...lines],
        approvers: waited.approvers,
        timeline: ctx.timeline,
        metrics: ctx.metrics,
        waitedMs: waited.outcome.waitedMs
      })
      throw new Error(waited.message)
    }
    const implementing = await moveChange(deps, waited.record, 'implement', {
      note: `Deployment started by ${run.runUrl}`
    })
    saveGateState({
      kind: 'change',
      sysId: implementing.sysId,
      implementing: true,
      ...(leg === undefined ? {} : {leg})
    })
    setChangeOutputs(implementing)
    info(`${implementing.number} is in Implement: the deployment may proceed.`)
    await writeSummary({
      title: `ServiceNow change ${implementing.number}: implementing`,
      record: implementing,
      lines,
      approvers: waited.approvers,
      timeline: ctx.timeline,
      metrics: ctx.metrics,
      waitedMs: waited.outcome.waitedMs,
      attachments
    })
  })
}

/**
 * The gate, post: close the change from the job's real outcome. If main never
 * moved the change to Implement, the deployment did not begin: cancel it.
 * If the outcome cannot be told, never claim success: leave it in Implement
 * with a work note, and warn.
 */
export function post(): Promise<void> {
  return runStep(
    async ctx => {
      // Inputs first, even when there is nothing to do: reading them masks the secrets.
      const connection = readConnectionSettings()
      const options = readCloseOptions()
      const token = readGithubToken()
      const saved = loadGateState()
      if (saved.kind === 'skipped') return
      if (saved.kind === 'none') {
        info('The gate made no change request; nothing to close.')
        return
      }
      const run = runContext()
      const deps = ctx.deps(connection)
      // The state first: a change someone closed or canceled while the job ran is theirs; nothing is written to it.
      const record = await readChange(deps.client, saved.sysId)
      if (isTerminal(record.stateLabel)) {
        const already = `${record.number} is already ${record.stateName}${record.closeCode === '' ? '' : ` (${record.closeCode})`} on the instance: this post step leaves it as it is and writes nothing.`
        info(already)
        setChangeOutputs(record)
        await writeSummary({
          title: `ServiceNow change ${record.number}: ${record.stateName}`,
          record,
          lines: [already],
          timeline: ctx.timeline,
          metrics: ctx.metrics
        })
        return
      }
      await settleDuplicates(deps, record)
      const seen: JobOutcome = saved.implementing
        ? await currentJobResult(token, run).catch((error: unknown) => ({
            result: undefined,
            why: `the GitHub API could not be read (${githubErrorText(error)})`
          }))
        : {result: 'cancelled'}
      const result = seen.result
      if (result === undefined) {
        const left = await leaveForAPerson(deps, record, seen.why, run)
        const todo = `Close it by hand or with the close action; give github_token 'actions: read' if it has not.`
        core.warning(
          `${record.number} is left in ${record.stateName}: the job's outcome could not be read (${seen.why}). ${todo}`
        )
        setChangeOutputs(left)
        await writeSummary({
          title: `ServiceNow change ${left.number}: left in ${left.stateLabel ?? left.state}`,
          record: left,
          lines: [`The job's outcome could not be read: ${seen.why}.`, todo],
          timeline: ctx.timeline,
          metrics: ctx.metrics
        })
        return
      }
      const legs = readLegSettings()
      if (legs !== undefined) {
        // Main saved the leg's name once it knew it; only a main that stopped before may leave it unsaid.
        const leg = saved.leg ?? (await legNameFor(legs, token, run))
        const ended = await endLeg(deps, record, {
          leg,
          expected: legs.expected,
          result,
          options,
          run
        })
        setChangeOutputs(ended.record)
        await writeSummary({
          title: `ServiceNow change ${ended.record.number}: leg ${leg} ${result}`,
          record: ended.record,
          lines: legSummary(ended.status, legs.expected),
          timeline: ctx.timeline,
          metrics: ctx.metrics
        })
        return
      }
      const outcome = await core.group(`Close ${record.number}`, () =>
        closeFromResult(deps, record, {result, options, run})
      )
      setChangeOutputs(outcome.record)
      if (outcome.incident !== undefined) {
        core.setOutput(Output.IncidentNumber, outcome.incident.number)
        core.setOutput(Output.IncidentSysId, outcome.incident.sysId)
      }
      await writeSummary({
        title: `ServiceNow change ${outcome.record.number}: ${outcome.record.stateLabel}`,
        record: outcome.record,
        timeline: ctx.timeline,
        metrics: ctx.metrics
      })
    },
    {post: true}
  )
}
