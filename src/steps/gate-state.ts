import * as core from '@actions/core'
import {State} from '../constants.js'

/**
 * What the gate's main step leaves for its post step, through the runner's state (main → post of
 * the same action only; the split steps pass the same facts as outputs and inputs instead).
 */
export type GateState =
  /** The environment is not change-controlled: main made no change, post does nothing. */
  | {kind: 'skipped'}
  /** Main stopped before it made or adopted a change (it failed first): post has nothing to close. */
  | {kind: 'none'}
  /**
   * The change main made or adopted. implementing: main moved it to Implement, so the
   * deployment may have begun; without it post cancels rather than closes.
   */
  | {kind: 'change'; sysId: string; implementing: boolean; leg?: string}

/**
 * Saves one fact as soon as it is known, each under its own key: main may fail at any point
 * after it, and post must still find what was saved before.
 */
export function saveGateState(state: Exclude<GateState, {kind: 'none'}>): void {
  if (state.kind === 'skipped') {
    core.saveState(State.Skipped, 'true')
    return
  }
  core.saveState(State.ChangeSysId, state.sysId)
  if (state.implementing) core.saveState(State.Implementing, 'true')
  if (state.leg !== undefined) core.saveState(State.Leg, state.leg)
}

export function loadGateState(): GateState {
  if (core.getState(State.Skipped) === 'true') return {kind: 'skipped'}
  const sysId = core.getState(State.ChangeSysId)
  if (sysId === '') return {kind: 'none'}
  const leg = core.getState(State.Leg)
  return {
    kind: 'change',
    sysId,
    implementing: core.getState(State.Implementing) === 'true',
    ...(leg === '' ? {} : {leg})
  }
}
