import type {Clock} from '../../src/servicenow/clock.js'
import {systemClock} from '../../src/servicenow/clock.js'

/**
 * Time that runs `scale` times faster than the wall clock, starting at `start` (virtual ms), for
 * the simulator and the clients alike: hours of ServiceNow's hourly rate-limit windows and of
 * 30 s polls pass in minutes, and every constant (poll interval, budgets, windows) stays as in
 * production. Requests take their real time, so they look `scale` times slower: at 60 ×, a 2 ms
 * answer is 120 ms.
 */
export interface CompressedClock extends Clock {
  scale: number
  /** The virtual time of a wall-clock moment (Date.now()). */
  at(wallMs: number): number
}

export function compressedClock(scale: number, start: number): CompressedClock {
  const wallStart = Date.now()
  const at = (wallMs: number): number => start + (wallMs - wallStart) * scale
  return {
    scale,
    at,
    now: () => at(Date.now()),
    sleep: ms => systemClock.sleep(ms / scale)
  }
}
