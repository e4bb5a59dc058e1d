import * as core from '@actions/core'
import {WaitInput as I} from '../constants.js'
import {readChangeRef, type ChangeRef} from './change-ref.js'
import {readConnectionSettings, type ConnectionSettings} from './connection.js'
import {boolean, integer, oneOf} from './inputs.js'
import {readConflictPolicy, type ConflictPolicy} from './schedule.js'

export interface WaitOptions {
  /** 0 = check once. */
  timeoutMs: number
  pollIntervalMs: number
  proceedWhen: 'approved' | 'implement'
  honorChangeWindow: boolean
  onTimeout: 'fail' | 'cancel'
  cancelOnAbort: boolean
  /** Checked when the change may otherwise proceed. */
  onConflict: ConflictPolicy
}

export interface WaitSettings extends WaitOptions {
  connection: ConnectionSettings
  change: ChangeRef
}

/** Polling faster than this adds load on a shared instance for no real gain. */
export const POLL_FLOOR_SECONDS = 5

export function readWaitSettings(): WaitSettings {
  const connection = readConnectionSettings()
  return {connection, change: readChangeRef(), ...readWaitOptions()}
}

/** The wait inputs the gate shares with wait. */
export function readWaitOptions(): WaitOptions {
  const settings: WaitOptions = {
    timeoutMs: integer(I.TimeoutMinutes, 60, 0, 7 * 24 * 60) * 60_000,
    pollIntervalMs:
      integer(I.PollIntervalSeconds, 30, POLL_FLOOR_SECONDS, 3600) * 1000,
    proceedWhen: oneOf(
      I.ProceedWhen,
      ['approved', 'implement'] as const,
      'approved'
    ),
    honorChangeWindow: boolean(I.HonorChangeWindow, true),
    onTimeout: oneOf(I.OnTimeout, ['fail', 'cancel'] as const, 'fail'),
    cancelOnAbort: boolean(I.CancelOnAbort, true),
    onConflict: readConflictPolicy()
  }
  core.debug(
    `wait: timeout ${settings.timeoutMs / 60_000} min, poll every ${settings.pollIntervalMs / 1000} s, proceed when ${settings.proceedWhen}, ` +
      `change window ${settings.honorChangeWindow ? 'honoured' : 'ignored'}, on timeout ${settings.onTimeout}, cancel on abort ${settings.cancelOnAbort}, on conflict ${settings.onConflict}`
  )
  return settings
}
