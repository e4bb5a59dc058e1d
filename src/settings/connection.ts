import * as core from '@actions/core'
import {ConnectionInput as I} from '../constants.js'
import {resolveAuth} from '../servicenow/auth.js'
import {InputError} from '../servicenow/errors.js'
import type {ConnectionOptions} from '../servicenow/connection.js'
import {parseInstanceUrl} from '../servicenow/instance-url.js'
import {integer, secret, text} from './inputs.js'

/** How to reach and sign in to ServiceNow: the inputs every entrypoint shares. */
export interface ConnectionSettings {
  baseUrl: string
  auth: ConnectionOptions['auth']
  timeoutMs: number
  maxAttempts: number
  /** All the time the step may spend waiting out rate limits (rate_limit_wait_minutes). */
  rateLimitWaitMs: number
}

export function readConnectionSettings(): ConnectionSettings {
  // Secrets first, so they are masked before any other input's error or debug line.
  const password = secret(I.Password)
  const clientSecret = secret(I.ClientSecret)
  const token = secret(I.Token)
  const apiKey = secret(I.ApiKey)
  const baseUrl = parseInstanceUrl(text(I.InstanceUrl))
  const auth = resolveAuth({
    auth: text(I.Auth),
    username: text(I.Username),
    password,
    clientId: text(I.ClientId),
    clientSecret,
    token,
    apiKey,
    oidcAudience: text(I.OidcAudience)
  })
  if (
    (auth.method === 'oidc' || auth.method === 'oidc_jwt_bearer') &&
    !process.env.ACTIONS_ID_TOKEN_REQUEST_URL
  ) {
    // The runner sets this only for jobs allowed to ask for an ID token.
    throw new InputError(
      `auth ${auth.method} signs in with GitHub's OIDC token, and this job may not ask for one: add "permissions: id-token: write" to the job or workflow. ` +
        'Pull requests from forks never get one.'
    )
  }
  const settings = {
    baseUrl,
    auth,
    timeoutMs: integer(I.RequestTimeoutSeconds, 30, 1, 300) * 1000,
    maxAttempts: integer(I.MaxAttempts, 5, 1, 10),
    rateLimitWaitMs: integer(I.RateLimitWaitMinutes, 10, 0, 360) * 60_000
  }
  core.debug(
    `instance_url: ${baseUrl}; auth: ${auth.method}; request timeout: ${settings.timeoutMs} ms; max attempts: ${settings.maxAttempts}; ` +
      `rate limit wait: ${settings.rateLimitWaitMs / 60_000} min`
  )
  return settings
}

/** Client options from the settings, wired to the runner's masking and debug log. */
export function connectionOptions(
  settings: ConnectionSettings
): ConnectionOptions {
  return {
    baseUrl: settings.baseUrl,
    auth: settings.auth,
    timeoutMs: settings.timeoutMs,
    retry: {
      maxAttempts: settings.maxAttempts,
      maxRateLimitWaitMs: settings.rateLimitWaitMs
    },
    mask: value => core.setSecret(value),
    log: line => core.debug(line),
    userAgent: 'servicenow-change',
    // core masks the token it returns; the authenticator masks it again, so a test double can't forget to.
    idToken: audience => core.getIDToken(audience)
  }
}
