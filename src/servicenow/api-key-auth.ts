import {
  fixedCredential,
  type AuthDeps,
  type Authenticator,
  type AuthSettings
} from './authenticator.js'

/**
 * A REST API key is not a bearer token: the instance reads it from the x-sn-apikey header
 * (markdown/platform-security/authentication/configure-api-key.md, "Auth Parameter: x-sn-apikey: Auth Header").
 */
const API_KEY_HEADER = 'x-sn-apikey'

export function apiKeyAuthenticator(
  settings: Extract<AuthSettings, {method: 'api_key'}>,
  deps: Pick<AuthDeps, 'mask'>
): Authenticator {
  deps.mask(settings.apiKey)
  return fixedCredential('api_key', settings.apiKey, API_KEY_HEADER)
}
