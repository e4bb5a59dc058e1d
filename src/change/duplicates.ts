import { canCancel } from '../servicenow/change-model.js'
import type { ChangeRecord } from '../servicenow/change-record.js'
import type { ServiceNowClient } from '../servicenow/client.js'
import { findOpenByCorrelation } from './lookup.js'
import { cancelChange } from './move.js'
import type { Timeline } from './timeline.js'

/**
 * One open change per deployment, even when an insert lands after create has
 * finished (create gave up on it, looked, found nothing and inserted again;
 * ServiceNow has no unique constraint to stop that). Every later step of the
 * deployment looks: when more than one change is open for its correlation id,
 * the oldest survives and the younger ones are canceled with a note naming it.
 * Returns the change the step goes on with: the survivor.
 */
export async function settleDuplicates(
  client: ServiceNowClient,
  record: ChangeRecord,
  deps: { warn: (line: string) => void; timeline?: Timeline }
): Promise<ChangeRecord> {
  if (record.correlationId === '') return record
  const open = await findOpenByCorrelation(client, record.correlationId)
  const survivor = open[0]
  if (open.length < 2 || survivor === undefined) return record
  for (const extra of open.slice(1)) {
    if (!canCancel(extra.stateLabel)) {
      deps.warn(`${extra.number} is open for the same deployment as ${survivor.number} (correlation id ${record.correlationId}) but is ${extra.stateLabel ?? extra.state}; close it by hand.`)
      continue
    }
    await cancelChange(
      client,
      extra,
      `Canceled by the pipeline: a duplicate of ${survivor.number} for the same deployment (correlation id ${record.correlationId}), from an insert that landed after the deployment had moved on. ${survivor.number} is the change request for it.`,
      deps.timeline
    )
    deps.warn(`${extra.number} duplicated ${survivor.number} for this deployment (correlation id ${record.correlationId}); canceled it, ${survivor.number} goes on.`)
  }
  return survivor.sysId === record.sysId ? record : survivor
}
