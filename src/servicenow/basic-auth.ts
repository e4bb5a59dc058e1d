import {
  fixedCredential,
  type AuthDeps,
  type Authenticator,
  type AuthSettings
} from './authenticator.js'

/** HTTP Basic with the integration user's name and password. */
export function basicAuthenticator(
  settings: Extract<AuthSettings, {method: 'basic'}>,
  deps: Pick<AuthDeps, 'mask'>
): Authenticator {
  deps.mask(settings.password)
  // GitHub masks the password, not its base64: that has to be registered itself.
  const encoded = Buffer.from(
    `${settings.username}:${settings.password}`,
    'utf8'
  ).toString('base64')
  deps.mask(encoded)
  return fixedCredential('basic', `Basic ${encoded}`)
}
