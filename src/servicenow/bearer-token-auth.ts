import {
  fixedCredential,
  type AuthDeps,
  type Authenticator,
  type AuthSettings
} from './authenticator.js'

/** A bearer token the workflow obtained itself: used as given, and never renewed. */
export function bearerTokenAuthenticator(
  settings: Extract<AuthSettings, {method: 'token'}>,
  deps: Pick<AuthDeps, 'mask'>
): Authenticator {
  deps.mask(settings.token)
  return fixedCredential('token', `Bearer ${settings.token}`)
}
