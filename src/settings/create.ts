import * as core from '@actions/core'
import {readLegSettings, type LegSettings} from './legs.js'
import {CreateInput as I} from '../constants.js'
import type {RunContext} from '../github-context.js'
import {CHANGE_TYPES, type ChangeType} from '../servicenow/change-model.js'
import {OWN_MARK} from '../servicenow/change-task.js'
import {InputError} from '../servicenow/errors.js'
import {parseChangeNumber} from './change-ref.js'
import {readConnectionSettings, type ConnectionSettings} from './connection.js'
import {readAttachmentSpec, type AttachmentSpec} from './attachments.js'
import {readScheduleSettings, type ScheduleSettings} from './schedule.js'
import {boolean, list, oneOf, prose, secret, text} from './inputs.js'
import {
  IMPACT_LEVELS,
  isControlled,
  oneLine,
  queryValue,
  parseDate,
  parseFields,
  parseLevel,
  RISK_LEVELS
} from './parse.js'
import {createHash} from 'node:crypto'

/** What create does, read from its inputs and the run's context. */
export interface CreateSettings {
  connection: ConnectionSettings
  /** Adopt this change instead of creating one. */
  adoptNumber: string | undefined
  type: ChangeType
  template: string | undefined
  environment: string
  /** False when the environment is not change-controlled: nothing is created. */
  controlled: boolean
  requestApproval: boolean
  correlationId: string
  /** Fields written as given (plain values). */
  fields: Record<string, string>
  /** Reference fields given by display name or sys_id, resolved before creating. */
  references: {assignmentGroup: string; cmdbCi: string; parentChange: string}
  attachments: AttachmentSpec
  /** Affected CIs, the first available slot, and what a conflict does. */
  schedule: ScheduleSettings
  /** The description is ours (no description input): the commits going out may be added to it. */
  describeFromContext: boolean
  githubToken: string
  /** The deployment's legs (a matrix sharing this change), when it has them. */
  legs?: LegSettings | undefined
}

/** ServiceNow's dictionary length for correlation_id. */
export const CORRELATION_ID_MAX = 100

export function readCreateSettings(run: RunContext): CreateSettings {
  const connection = readConnectionSettings()
  const template = queryValue(I.Template, text(I.Template))
  const typeInput = oneOf(I.Type, CHANGE_TYPES, '')
  if (template !== '' && typeInput !== '' && typeInput !== 'standard') {
    throw new InputError(
      `A template makes a standard change: type '${typeInput}' cannot go with template '${template}'.`
    )
  }
  const type: ChangeType =
    template !== '' ? 'standard' : typeInput === '' ? 'normal' : typeInput
  if (type === 'standard' && template === '')
    throw new InputError(
      'A standard change needs template: the name of a standard change template.'
    )

  const adopt = text(I.ChangeNumber)
  const environment = queryValue(I.Environment, text(I.Environment))
  const controlledPatterns = list(I.ControlledEnvironments)
  const controlled =
    environment === '' ? true : isControlled(environment, controlledPatterns)

  const correlationInput = text(I.CorrelationId)
  if (correlationInput.length > CORRELATION_ID_MAX) {
    throw new InputError(
      `Invalid correlation_id: ${correlationInput.length} characters; ServiceNow keeps ${CORRELATION_ID_MAX}.`
    )
  }
  const correlationId = queryValue(
    I.CorrelationId,
    correlationInput === ''
      ? defaultCorrelationId(run, environment)
      : correlationInput
  )

  const description = prose(I.Description)
  const shortDescription =
    oneLine(I.ShortDescription, text(I.ShortDescription)) ||
    `Deploy ${run.repository}@${run.sha.slice(0, 7)}${environment === '' ? '' : ` to ${environment}`}`
  const fields: Record<string, string> = {
    ...parseFields(I.Fields, prose(I.Fields), FIELD_INPUTS),
    ...nonEmpty({
      short_description: shortDescription,
      // A standard change takes its description from the template: the run's context goes into a work note instead.
      description:
        description ||
        (type === 'standard' ? '' : defaultDescription(run, environment)),
      work_notes:
        type === 'standard' && description === ''
          ? defaultDescription(run, environment)
          : '',
      risk: parseLevel(I.Risk, text(I.Risk), RISK_LEVELS),
      impact: parseLevel(I.Impact, text(I.Impact), IMPACT_LEVELS),
      start_date: parseDate(I.StartDate, text(I.StartDate)),
      end_date: parseDate(I.EndDate, text(I.EndDate)),
      implementation_plan: prose(I.ImplementationPlan),
      backout_plan: prose(I.BackoutPlan),
      test_plan: prose(I.TestPlan),
      justification: prose(I.Justification),
      correlation_id: correlationId,
      correlation_display: OWN_MARK
    })
  }
  if (
    fields.start_date &&
    fields.end_date &&
    fields.start_date >= fields.end_date
  ) {
    throw new InputError(
      `start_date (${fields.start_date} GMT) must be before end_date (${fields.end_date} GMT).`
    )
  }
  const settings: CreateSettings = {
    connection,
    adoptNumber:
      adopt === '' ? undefined : parseChangeNumber(I.ChangeNumber, adopt),
    type,
    template: template === '' ? undefined : template,
    environment,
    controlled,
    requestApproval: boolean(I.RequestApproval, true),
    correlationId,
    fields,
    references: {
      assignmentGroup: queryValue(I.AssignmentGroup, text(I.AssignmentGroup)),
      cmdbCi: queryValue(I.CmdbCi, text(I.CmdbCi)),
      parentChange: queryValue(I.ParentChange, text(I.ParentChange))
    },
    attachments: readAttachmentSpec(),
    schedule: readScheduleSettings(fields),
    describeFromContext: description === '',
    githubToken: secret(I.GithubToken),
    legs: readLegSettings()
  }
  core.debug(
    `create: type ${type}${settings.template ? ` from template '${settings.template}'` : ''}; environment '${environment}' ` +
      `${controlled ? 'is' : 'is not'} change-controlled; correlation_id '${correlationId}'; request_approval ${settings.requestApproval}` +
      `${settings.adoptNumber ? `; adopting ${settings.adoptNumber}` : ''}`
  )
  return settings
}

/** Fields create has an input for: the input would silently win over `fields`. */
const FIELD_INPUTS: Record<string, string> = {
  short_description: I.ShortDescription,
  description: I.Description,
  risk: I.Risk,
  impact: I.Impact,
  start_date: I.StartDate,
  end_date: I.EndDate,
  implementation_plan: I.ImplementationPlan,
  backout_plan: I.BackoutPlan,
  test_plan: I.TestPlan,
  justification: I.Justification,
  assignment_group: I.AssignmentGroup,
  cmdb_ci: I.CmdbCi,
  parent: I.ParentChange
}

function nonEmpty(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== ''))
}

/**
 * repository/run id/job[/environment]: the same on every attempt of this run's
 * job, so a re-run adopts the change the first attempt made; different per
 * matrix environment. Hashed down when it would not fit in 100 characters.
 */
export function defaultCorrelationId(
  run: RunContext,
  environment: string
): string {
  const full = [run.repository, String(run.runId), run.job, environment]
    .filter(p => p !== '')
    .join('/')
  if (full.length <= CORRELATION_ID_MAX) return full
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 16)
  return `${full.slice(0, CORRELATION_ID_MAX - hash.length - 1)}#${hash}`
}

function defaultDescription(run: RunContext, environment: string): string {
  return [
    `Deployment of ${run.repository} at ${run.sha}${environment === '' ? '' : ` to ${environment}`}, requested by the GitHub Actions workflow below.`,
    '',
    `Repository: ${run.serverUrl}/${run.repository}`,
    `Ref: ${run.ref}`,
    `Commit: ${run.commitUrl}`,
    `Triggered by: ${run.actor}`,
    `Workflow: ${run.workflow} (run #${run.runNumber}, attempt ${run.runAttempt}, job ${run.job})`,
    `Run: ${run.runUrl}`
  ].join('\n')
}
