import type {ChangeRecord} from '../servicenow/change-record.js'
import type {ServiceNowClient} from '../servicenow/client.js'
import {InputError} from '../servicenow/errors.js'
import {isTerminal} from '../servicenow/change-model.js'
import type {CreateSettings} from '../settings/create.js'
import {createChecked} from '../servicenow/checked-create.js'
import {closeNames} from './close-names.js'
import type {ChangeDeps} from './deps.js'
import {
  findChangeByNumber,
  findOpenByCorrelation,
  readChange,
  resolveReference
} from './lookup.js'
import {cancelChange, moveChange} from './move.js'
import {forStandardCreate} from './standard-fields.js'

export interface CreateOutcome {
  record: ChangeRecord
  created: boolean
}

/**
 * What is done to the change after it is created or adopted and before approval is requested
 * (schedule-plan.ts). If it throws for a change this run created, the change is canceled.
 */
export type Prepare = (
  record: ChangeRecord,
  created: boolean
) => Promise<ChangeRecord>

/**
 * Creates the change request for this deployment, or adopts the one that
 * already exists, and never makes two:
 * - change_number given: adopt that change.
 * - an open change carries this deployment's correlation id (a re-run, a retry
 *   after a lost answer, a parallel attempt): adopt it.
 * - otherwise create it. If the answer to the create is lost, look again by
 *   correlation id before trying once more. After creating, look again: if
 *   parallel attempts made several, the oldest survives and the others cancel
 *   themselves with a note naming it (ServiceNow has no unique constraint that
 *   could prevent the race).
 * Then `prepare` it, and, unless told not to, request approval so that the approvals start.
 */
export async function createOrAdopt(
  deps: ChangeDeps,
  settings: CreateSettings,
  prepare: Prepare = async record => record
): Promise<CreateOutcome> {
  const {client} = deps
  if (settings.adoptNumber !== undefined) {
    const found = await findChangeByNumber(client, settings.adoptNumber)
    if (found === undefined)
      throw new InputError(
        `change_number ${settings.adoptNumber}: no such change request on ${client.baseUrl}.`
      )
    if (isTerminal(found.stateLabel))
      throw new InputError(
        `change_number ${settings.adoptNumber} is ${found.stateLabel}: a closed or canceled change cannot gate a deployment.`
      )
    deps.info(
      `Adopted ${found.number} (${found.url}): ${found.stateLabel}, approval ${found.approval}.`
    )
    deps.timeline?.add(`adopted ${found.number} (${found.stateLabel})`)
    return {record: await prepare(found, false), created: false}
  }

  const existing = (
    await findOpenByCorrelation(client, settings.correlationId)
  )[0]
  if (existing !== undefined) {
    deps.info(
      `Adopted ${existing.number} (${existing.url}), already open for this deployment (correlation id ${settings.correlationId}).`
    )
    deps.timeline?.add(`adopted ${existing.number} (${existing.stateLabel})`)
    return {record: await prepare(existing, false), created: false}
  }

  const template =
    settings.template === undefined
      ? undefined
      : await findTemplate(client, settings.template)
  const built = await buildBody(settings, client)
  const body =
    template === undefined
      ? built
      : forStandardCreate(built, template.name, deps.warn)
  const made = await createOnce(deps, settings, body, template)
  deps.timeline?.add(`created ${made.number} (${made.type})`)
  deps.info(`Created ${made.number} (${made.url}).`)

  const settled = await settleRace(deps, settings, made)
  if (!settled.created)
    return {record: await prepare(settled.record, false), created: false}
  const prepared = await orCancel(
    deps,
    settled.record,
    'preparing it failed',
    () => prepare(settled.record, true)
  )
  if (!settings.requestApproval) return {record: prepared, created: true}
  return {
    record: await orCancel(deps, prepared, 'could not request approval', () =>
      requestApproval(deps, settings, prepared)
    ),
    created: true
  }
}

/**
 * Runs a step on a change this run created; if it fails, the change is canceled rather than
 * left behind half-done, and the error says so (or that canceling failed too).
 */
async function orCancel(
  deps: ChangeDeps,
  record: ChangeRecord,
  what: string,
  step: () => Promise<ChangeRecord>
): Promise<ChangeRecord> {
  try {
    return await step()
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error)
    let left: string
    try {
      await cancelChange(
        deps,
        await readChange(deps.client, record.sysId),
        `Canceled by the pipeline: ${what} (${why.replace(/\.$/, '')}).`
      )
      left = `it was canceled so that nothing is left half-done`
    } catch (cancelError) {
      left = `canceling it failed too (${cancelError instanceof Error ? cancelError.message : String(cancelError)}): ${record.number} is left in ${record.stateLabel}, cancel it by hand`
    }
    throw new Error(
      `Created ${record.number} (${record.url}) but ${what}: ${why.replace(/\.$/, '')}. ${left[0]?.toUpperCase()}${left.slice(1)}.`,
      {cause: error}
    )
  }
}

async function buildBody(
  settings: CreateSettings,
  client: ServiceNowClient
): Promise<Record<string, string>> {
  const body: Record<string, string> = {...settings.fields}
  const {assignmentGroup, cmdbCi, parentChange} = settings.references
  if (assignmentGroup !== '')
    body.assignment_group = await resolveReference(
      client,
      'assignment_group',
      assignmentGroup,
      {table: 'sys_user_group', nameField: 'name', what: 'group'}
    )
  if (cmdbCi !== '')
    body.cmdb_ci = await resolveReference(client, 'cmdb_ci', cmdbCi, {
      table: 'cmdb_ci',
      nameField: 'name',
      what: 'configuration item'
    })
  if (parentChange !== '') {
    body.parent = await resolveReference(
      client,
      'parent_change',
      parentChange,
      {table: 'change_request', nameField: 'number', what: 'change request'}
    )
  }
  return body
}

async function findTemplate(
  client: ServiceNowClient,
  name: string
): Promise<
  Awaited<ReturnType<ServiceNowClient['changes']['findTemplates']>>[number]
> {
  const templates = await client.changes.findTemplates(name)
  if (templates.length === 0) {
    // A typo is the usual cause: offer the names that are close. Not finding any is no reason to fail differently.
    const near = closeNames(
      name,
      await client.changes.templateNames().catch(() => [])
    )
    const hint =
      near.length === 0
        ? ''
        : ` Did you mean ${near.map(n => `'${n}'`).join(' or ')}?`
    throw new InputError(
      `template: no active standard change template is named '${name}'.${hint}`
    )
  }
  if (templates.length > 1)
    throw new InputError(
      `template: ${templates.length} active standard change templates are named '${name}'; rename one so the name is unique.`
    )
  return templates[0]!
}

/** One change request, even when an answer is lost: every retry looks by correlation id first. */
function createOnce(
  deps: ChangeDeps,
  settings: CreateSettings,
  body: Record<string, string>,
  template: Awaited<ReturnType<typeof findTemplate>> | undefined
): Promise<ChangeRecord> {
  const {client} = deps
  return createChecked(client, {
    create: () =>
      template !== undefined
        ? client.changes.createStandard(template, body)
        : settings.type === 'emergency'
          ? client.changes.createEmergency(body)
          : client.changes.createNormal(body),
    landed: async () =>
      (await findOpenByCorrelation(client, settings.correlationId))[0],
    onRetry: error =>
      deps.warn(
        `Creating the change failed (${error.message}); checking whether it was created before trying again.`
      ),
    random: deps.random
  })
}

/** Parallel attempts may each have created one: keep the oldest, cancel ours if it is not. */
async function settleRace(
  deps: ChangeDeps,
  settings: CreateSettings,
  ours: ChangeRecord
): Promise<CreateOutcome> {
  const open = await findOpenByCorrelation(deps.client, settings.correlationId)
  const survivor = open[0]
  if (survivor === undefined || survivor.sysId === ours.sysId)
    return {record: ours, created: true}
  deps.warn(
    `Another attempt created ${survivor.number} for this deployment at the same time; canceling ${ours.number} and adopting ${survivor.number}.`
  )
  // Off this change's timeline: the duplicate is another change, and the line below says both.
  await cancelChange(
    {...deps, timeline: undefined},
    ours,
    `Duplicate created by a parallel attempt of the same deployment (correlation id ${settings.correlationId}). ${survivor.number} is the change request for it.`
  )
  deps.timeline?.add(
    `canceled duplicate ${ours.number}, adopted ${survivor.number}`
  )
  return {record: survivor, created: false}
}

/**
 * A normal change created over REST sits in New until approval is requested:
 * normal → Assess, emergency → Authorize, standard (pre-approved) → Scheduled.
 */
async function requestApproval(
  deps: ChangeDeps,
  settings: CreateSettings,
  record: ChangeRecord
): Promise<ChangeRecord> {
  const target =
    settings.type === 'normal'
      ? 'assess'
      : settings.type === 'emergency'
        ? 'authorize'
        : 'scheduled'
  const moved = await moveChange(deps, record, target, {
    sentBackIsAnswer: true
  })
  deps.info(
    `${moved.number} moved to ${moved.stateLabel}; approval ${moved.approval}.`
  )
  return moved
}
