import {GateInput} from '../constants.js'
import type {RunContext} from '../github-context.js'
import {readCloseOptions, type CloseOptions} from './close.js'
import {readCreateSettings, type CreateSettings} from './create.js'
import {secret} from './inputs.js'
import {readWaitOptions, type WaitOptions} from './wait.js'

/** The all-in-one gate: create's inputs, wait's, and close's but the result, which post finds out itself. */
export interface GateSettings {
  create: CreateSettings
  wait: WaitOptions
  close: CloseOptions
}

export function readGateSettings(run: RunContext): GateSettings {
  return {
    create: readCreateSettings(run),
    wait: readWaitOptions(),
    close: readCloseOptions()
  }
}

/** The token post uses to read this job's outcome from the GitHub API. */
export function readGithubToken(): string {
  return secret(GateInput.GithubToken)
}
