import * as core from '@actions/core'
import {SyncInput as I} from '../constants.js'
import {InputError} from '../servicenow/errors.js'
import {readConnectionSettings, type ConnectionSettings} from './connection.js'
import {boolean, integer, list, secret, text} from './inputs.js'

export interface SyncSettings {
  connection: ConnectionSettings
  /** A token of a required reviewer of the environments (a user or a GitHub App), never GITHUB_TOKEN. */
  githubToken: string
  repository: string
  /** Only these environments; empty for every environment a run waits on. */
  environments: string[]
  honorChangeWindow: boolean
  maxRuns: number
  timeLimitMs: number
}

export function readSyncSettings(
  defaultRepository = process.env.GITHUB_REPOSITORY ?? ''
): SyncSettings {
  const connection = readConnectionSettings()
  const githubToken = secret(I.GithubToken)
  if (githubToken === '')
    throw new InputError(
      `${I.GithubToken} is required: a token of a required reviewer of the environments (the workflow's GITHUB_TOKEN may not review deployments).`
    )
  const repository = text(I.Repository) || defaultRepository
  if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repository))
    throw new InputError(
      `Invalid ${I.Repository} '${repository}': expected owner/name.`
    )
  const settings: SyncSettings = {
    connection,
    githubToken,
    repository,
    environments: list(I.Environments),
    honorChangeWindow: boolean(I.HonorChangeWindow, true),
    maxRuns: integer(I.MaxRuns, 100, 1, 1000),
    timeLimitMs: integer(I.TimeLimitSeconds, 240, 10, 3600) * 1000
  }
  core.debug(
    `sync: ${repository}; environments ${settings.environments.join(', ') || '(all)'}; up to ${settings.maxRuns} runs`
  )
  return settings
}
