import {apiKeyAuthenticator} from './api-key-auth.js'
import type {AuthDeps, Authenticator, AuthSettings} from './authenticator.js'
import {basicAuthenticator} from './basic-auth.js'
import {bearerTokenAuthenticator} from './bearer-token-auth.js'
import {InputError} from './errors.js'
import {OAuthAuthenticator} from './oauth-auth.js'
import {OidcAuthenticator} from './oidc-auth.js'

/**
 * Which way the action signs in, from the connection inputs: resolveAuth picks the method and
 * createAuthenticator builds it. Each method's sign-in is in its own module (basic-auth,
 * bearer-token-auth, api-key-auth, oauth-auth, oidc-auth).
 */
export type {AuthSettings} from './authenticator.js'

export const AUTH_CHOICES = [
  'auto',
  'basic',
  'oauth_password',
  'oauth_client_credentials',
  'token',
  'api_key',
  'oidc',
  'oidc_jwt_bearer'
] as const
export type AuthChoice = (typeof AUTH_CHOICES)[number]

export interface CredentialInputs {
  auth: string
  username: string
  password: string
  clientId: string
  clientSecret: string
  token: string
  apiKey: string
  oidcAudience: string
}

type CredentialName = keyof Omit<CredentialInputs, 'auth'>
const INPUT_NAMES: Record<CredentialName, string> = {
  username: 'username',
  password: 'password',
  clientId: 'client_id',
  clientSecret: 'client_secret',
  token: 'token',
  apiKey: 'api_key',
  oidcAudience: 'oidc_audience'
}
/** The inputs each method needs. */
const USES: Record<Exclude<AuthChoice, 'auto'>, CredentialName[]> = {
  basic: ['username', 'password'],
  oauth_password: ['clientId', 'clientSecret', 'username', 'password'],
  oauth_client_credentials: ['clientId', 'clientSecret'],
  token: ['token'],
  api_key: ['apiKey'],
  oidc: ['oidcAudience'],
  oidc_jwt_bearer: ['clientId']
}
/** Inputs a method can use but does without: a public client has no secret; the audience defaults to the client id. */
const MAY_USE: Partial<Record<Exclude<AuthChoice, 'auto'>, CredentialName[]>> =
  {
    oidc_jwt_bearer: ['clientSecret', 'oidcAudience']
  }

/**
 * Picks the sign-in method. With `auto`: a token means bearer; an api_key alone means a REST API key; client id+secret
 * with username+password means the OAuth password grant; client id+secret alone
 * means client credentials; username+password means basic; oidc_audience
 * means GitHub's OIDC token (exchanged by the JWT bearer grant when client_id
 * is set too). Half a pair, or inputs the chosen method would ignore, are
 * errors: a credential silently ignored is a credential someone believes is in use.
 */
export function resolveAuth(inputs: CredentialInputs): AuthSettings {
  const choice = inputs.auth.trim() === '' ? 'auto' : inputs.auth.trim()
  if (!(AUTH_CHOICES as readonly string[]).includes(choice)) {
    throw new InputError(
      `Invalid auth '${choice}'. Expected one of: ${AUTH_CHOICES.join(', ')}.`
    )
  }
  const given = (Object.keys(INPUT_NAMES) as CredentialName[]).filter(
    k => inputs[k] !== ''
  )
  const has = (k: CredentialName): boolean => given.includes(k)
  pairCheck(has, 'username', 'password')
  // A public OAuth client in the JWT bearer grant has an id and no secret.
  const jwtBearer =
    choice === 'oidc_jwt_bearer' ||
    (choice === 'auto' &&
      !has('token') &&
      has('oidcAudience') &&
      has('clientId'))
  if (!jwtBearer) pairCheck(has, 'clientId', 'clientSecret')

  let method: Exclude<AuthChoice, 'auto'>
  if (choice !== 'auto') {
    method = choice as Exclude<AuthChoice, 'auto'>
    const missing = USES[method].filter(k => !has(k))
    if (missing.length > 0) {
      throw new InputError(
        `auth '${method}' needs ${missing.map(k => INPUT_NAMES[k]).join(' and ')}.`
      )
    }
  } else if (has('token')) {
    method = 'token'
  } else if (has('apiKey')) {
    method = 'api_key'
  } else if (jwtBearer) {
    method = 'oidc_jwt_bearer'
  } else if (has('oidcAudience')) {
    method = 'oidc'
  } else if (has('clientId') && has('username')) {
    method = 'oauth_password'
  } else if (has('clientId')) {
    method = 'oauth_client_credentials'
  } else if (has('username')) {
    method = 'basic'
  } else {
    throw new InputError(
      'No ServiceNow credentials given. Set one of: token; api_key (REST API key); client_id + client_secret + username + password (OAuth password grant); ' +
        'client_id + client_secret (OAuth client credentials); username + password (basic); ' +
        'oidc_audience (GitHub OIDC, with permissions: id-token: write).'
    )
  }
  const unused = given.filter(
    k => !USES[method].includes(k) && !(MAY_USE[method] ?? []).includes(k)
  )
  if (unused.length > 0) {
    throw new InputError(
      `Conflicting credentials: auth '${method}' does not use ${unused.map(k => INPUT_NAMES[k]).join(', ')}. ` +
        'Remove the inputs you do not mean to use, or set auth explicitly.'
    )
  }
  switch (method) {
    case 'basic':
      return {method, username: inputs.username, password: inputs.password}
    case 'oauth_password':
      return {
        method,
        clientId: inputs.clientId,
        clientSecret: inputs.clientSecret,
        username: inputs.username,
        password: inputs.password
      }
    case 'oauth_client_credentials':
      return {
        method,
        clientId: inputs.clientId,
        clientSecret: inputs.clientSecret
      }
    case 'token':
      return {method, token: inputs.token}
    case 'api_key':
      return {method, apiKey: inputs.apiKey}
    case 'oidc':
      return {method, audience: inputs.oidcAudience}
    case 'oidc_jwt_bearer':
      // The JWT entry checks that aud is its Client ID: that is the audience unless told otherwise.
      return {
        method,
        clientId: inputs.clientId,
        clientSecret: inputs.clientSecret,
        audience: inputs.oidcAudience || inputs.clientId
      }
  }
}

function pairCheck(
  has: (k: CredentialName) => boolean,
  a: CredentialName,
  b: CredentialName
): void {
  if (has(a) !== has(b)) {
    const [set, unset] = has(a) ? [a, b] : [b, a]
    throw new InputError(
      `${INPUT_NAMES[set]} is set but ${INPUT_NAMES[unset]} is not: they go together.`
    )
  }
}

/** The authenticator for the method resolveAuth chose; each registers its own secrets with deps.mask. */
export function createAuthenticator(
  settings: AuthSettings,
  deps: AuthDeps
): Authenticator {
  switch (settings.method) {
    case 'basic':
      return basicAuthenticator(settings, deps)
    case 'token':
      return bearerTokenAuthenticator(settings, deps)
    case 'api_key':
      return apiKeyAuthenticator(settings, deps)
    case 'oauth_password':
    case 'oauth_client_credentials':
      return new OAuthAuthenticator(settings, deps)
    case 'oidc':
    case 'oidc_jwt_bearer':
      return new OidcAuthenticator(settings, deps)
  }
}
