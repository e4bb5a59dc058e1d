import type {WaitLoopOptions} from '../../src/change/wait-loop.js'
import type {ChangeRecord} from '../../src/servicenow/change-record.js'
import type {Clock} from '../../src/servicenow/clock.js'

/** The action's defaults (an hour, a poll every 30 s, jitter at its middle), each log line kept as `info: …`/`warn: …`. */
export function hourLongWait(
  clock: Clock,
  poll: () => Promise<ChangeRecord>,
  lines: string[] = []
): WaitLoopOptions {
  return {
    timeoutMs: 60 * 60_000,
    pollIntervalMs: 30_000,
    proceedWhen: 'approved',
    honorChangeWindow: true,
    clock,
    random: () => 0.5,
    poll,
    info: l => lines.push(`info: ${l}`),
    warn: l => lines.push(`warn: ${l}`)
  }
}

/** The Table API's answer to one poll of change `sysId`: a normal change in Assess awaiting approval, with `fields` over it. */
export function polledChange(
  sysId: string,
  fields: Record<string, string> = {}
): {result: Record<string, string>} {
  return {
    result: {
      sys_id: sysId,
      number: 'CHG0030001',
      type: 'normal',
      state: '-4',
      approval: 'requested',
      start_date: '',
      end_date: '',
      on_hold: 'false',
      ...fields
    }
  }
}
