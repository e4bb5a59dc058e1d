import type {ChangeRecord} from '../servicenow/change-record.js'
import {OWN_MARK, type ChangeTask} from '../servicenow/change-task.js'
import type {ChangeDeps} from './deps.js'
import {isLegTask} from './legs.js'
import {TransitionError} from './move.js'
import {describeTask} from './transition-check.js'

/**
 * A task this deployment created: it carries the action's mark AND this change's
 * correlation id (the deployment's), or it is one of its legs' (legs.ts). The mark alone is shared by every pipeline
 * using this action, so another deployment's task is not ours to close.
 */
export function isOwnTask(task: ChangeTask, record: ChangeRecord): boolean {
  return (
    (task.correlationDisplay === OWN_MARK &&
      record.correlationId !== '' &&
      task.correlationId === record.correlationId) ||
    isLegTask(task, record)
  )
}

/**
 * A change cannot close while any of its change tasks is active
 * (t_PlaceAChangeRequestOnHold.md; nextstates names "No active Change Tasks").
 * Before closing: the tasks this action created are finished with the
 * change's close code; anyone else's are theirs to finish, so close stops
 * before any write and lists them.
 */
export async function finishOwnTasks(
  deps: ChangeDeps,
  record: ChangeRecord,
  close: {closeCode: string; closeNotes: string}
): Promise<void> {
  const {client} = deps
  const active = await client.changes.activeTasks(record.sysId)
  const others = active.filter(t => !isOwnTask(t, record))
  if (others.length > 0) {
    const listed = others.map(describeTask).join(', ')
    throw new TransitionError(
      `${record.number} has active change tasks this action did not create: ${listed}. Close or cancel them, then run close again.`
    )
  }
  for (const task of active) {
    await client.changes.updateTask(record.sysId, task.sysId, {
      state: CHANGE_TASK_CLOSED,
      close_code: close.closeCode,
      close_notes: close.closeNotes
    })
    deps.info(`Closed ${task.number}, a change task this action created.`)
  }
}

/** change_task's Closed state value in the base system. */
const CHANGE_TASK_CLOSED = '3'
