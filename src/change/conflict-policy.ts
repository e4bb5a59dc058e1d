import type {ChangeRecord} from '../servicenow/change-record.js'
import type {ConflictPolicy} from '../settings/schedule.js'
import {
  CHECK_LIMIT_MS,
  checkConflicts,
  findingText,
  type ConflictFinding,
  type Window
} from './conflict-check.js'
import type {ChangeDeps} from './deps.js'
import type {Verdict} from './wait-loop.js'

/** A finding that on_conflict: fail stops for: anything but "checked, and clear". */
function blocks(f: ConflictFinding): boolean {
  return f.kind !== 'clear'
}

/**
 * Conflict checking right after create (or adopt), by on_conflict: ignore does
 * not check; warn and wait say what was found (wait then holds the wait step
 * until it clears); fail throws with the line naming each conflict, or why no
 * clear answer could be had: a gate asked to fail on conflicts must not pass on
 * a check that did not run.
 */
export async function checkAtCreate(
  deps: ChangeDeps,
  record: ChangeRecord,
  policy: ConflictPolicy
): Promise<ConflictFinding | undefined> {
  if (policy === 'ignore') return undefined
  const now = deps.client.connection.clock.now()
  const finding = await checkConflicts(deps, record, now + CHECK_LIMIT_MS)
  const line = findingText(record, finding)
  deps.timeline?.add(line.replace(/\.$/, ''))
  if (policy === 'fail' && blocks(finding))
    throw new Error(`${line} (on_conflict: fail)`)
  say(deps, finding, line)
  return finding
}

/**
 * Conflicts found, or a check that gave no answer, are warnings. A change with no window or an
 * instance without the API is one line in the log: most changes have no window, and a warning
 * on every run would teach people to skip warnings.
 */
function say(deps: ChangeDeps, finding: ConflictFinding, line: string): void {
  if (finding.kind === 'conflicts' || finding.kind === 'unknown')
    deps.warn(line)
  else deps.info(line)
}

/** Less time than this left in the wait, and the last finding stands. */
const TIME_FOR_A_CHECK_MS = 15_000

/** The last check's finding, kept for the step's outputs and summary. */
export interface ConflictGate {
  check: (record: ChangeRecord) => Promise<Verdict>
  last: () => ConflictFinding | undefined
}

/**
 * The check the wait makes once the change may otherwise proceed (approved, in its window):
 * warn proceeds and warns; wait holds the wait until a check comes back clear, checking again
 * no more often than every `recheckMs` (each check is several requests); fail stops the wait.
 * A change without a window, or an instance without the API, is said once and, but for fail,
 * does not hold the deployment.
 */
export function conflictGate(
  deps: ChangeDeps,
  policy: Exclude<ConflictPolicy, 'ignore'>,
  deadline: number,
  recheckMs: number
): ConflictGate {
  const clock = deps.client.connection.clock
  const windows = new Map<string, Window | undefined>()
  let last: ConflictFinding | undefined
  let lastAt = -Infinity
  let said = ''
  return {
    last: () => last,
    check: async record => {
      // A check again needs time to finish: one begun at the wait's last moment would only say
      // "unknown" over what the last check found.
      const due =
        clock.now() - lastAt >= recheckMs &&
        deadline - clock.now() >= TIME_FOR_A_CHECK_MS
      if (last === undefined || due) {
        lastAt = clock.now()
        last = await checkConflicts(
          deps,
          record,
          Math.min(deadline, lastAt + CHECK_LIMIT_MS),
          windows
        )
      }
      const line = findingText(record, last)
      if (line !== said) deps.timeline?.add(line.replace(/\.$/, ''))
      const first = line !== said
      said = line
      if (policy === 'fail' && blocks(last))
        return {
          kind: 'stop',
          decision: 'conflict',
          reason: `${line.replace(/\.$/, '')} (on_conflict: fail)`
        }
      if (
        policy === 'wait' &&
        (last.kind === 'conflicts' || last.kind === 'unknown')
      )
        return {kind: 'wait', why: `${line} Waiting for it to clear.`}
      if (first) say(deps, last, line)
      return {kind: 'proceed'}
    }
  }
}
