import {canCancel} from '../servicenow/change-model.js'
import type {ChangeRecord} from '../servicenow/change-record.js'
import {queryValueProblem} from '../servicenow/query.js'
import {findOpenByCorrelation} from './lookup.js'
import type {ChangeDeps} from './deps.js'
import {cancelChange} from './move.js'

/**
 * One open change per deployment, even when an insert lands after create has
 * finished (create gave up on it, looked, found nothing and inserted again;
 * ServiceNow has no unique constraint to stop that). Every later step of the
 * deployment looks: the change it was given is the one the deployment uses, so
 * it survives, whatever its age; the other open changes this action made for
 * the same correlation id are canceled with a note naming it. Nothing else is
 * touched: not a change this action did not make (a change adopted with
 * change_number may carry another tool's correlation id, shared by other changes
 * of that tool), and nothing when the change given is not itself one of this
 * action's open changes for that id. A correlation id that cannot be put in a
 * query (one set on the instance may carry '^') is not looked up: the step goes
 * on, with a warning. The step always goes on with the change it was given.
 */
export async function settleDuplicates(
  deps: ChangeDeps,
  record: ChangeRecord
): Promise<void> {
  const id = record.correlationId
  if (id === '') return
  const problem = queryValueProblem(id)
  if (problem !== undefined) {
    deps.warn(
      `Not looking for duplicates of ${record.number}: its correlation id ${problem}.`
    )
    return
  }
  const open = await findOpenByCorrelation(deps.client, id)
  if (!open.some(change => change.sysId === record.sysId)) return
  for (const extra of open.filter(change => change.sysId !== record.sysId)) {
    if (!canCancel(extra.stateLabel)) {
      deps.warn(
        `${extra.number} is open for the same deployment as ${record.number} (correlation id ${id}) but is ${extra.stateLabel ?? extra.stateName}; close it by hand.`
      )
      continue
    }
    await cancelChange(
      deps,
      extra,
      `Canceled by the pipeline: a duplicate of ${record.number} for the same deployment (correlation id ${id}), from an insert that landed after the deployment had moved on. ${record.number} is the change request for it.`
    )
    deps.warn(
      `${extra.number} duplicated ${record.number} for this deployment (correlation id ${id}); canceled it, ${record.number} goes on.`
    )
  }
}
