import type {Clock} from './clock.js'

/** How the action signs in. Chosen from the connection inputs by resolveAuth (auth.ts). */
export type AuthSettings =
  | {method: 'basic'; username: string; password: string}
  | {
      method: 'oauth_password'
      clientId: string
      clientSecret: string
      username: string
      password: string
    }
  | {method: 'oauth_client_credentials'; clientId: string; clientSecret: string}
  | {method: 'token'; token: string}
  | {method: 'api_key'; apiKey: string}
  | {method: 'oidc'; audience: string}
  | {
      method: 'oidc_jwt_bearer'
      clientId: string
      clientSecret: string
      audience: string
    }

/** Supplies the Authorization header and renews it when the instance says it is no longer good. */
export interface Authenticator {
  readonly method: AuthSettings['method']
  /** The request header the credential goes in; Authorization unless the method says otherwise. */
  readonly header?: string
  authorization(): Promise<string>
  /** After a 401: get a fresh credential if that can help. Returns false when nothing can be renewed. */
  renew(): Promise<boolean>
  /** After a final 401: what the instance was shown and what it checks, when the method can say more than "check the credentials". */
  explainRefusal?(): string | undefined
}

/** Sends a form to /oauth_token.do and returns the parsed JSON answer (errors as ServiceNowError). */
export type TokenRequester = (form: Record<string, string>) => Promise<unknown>

export interface AuthDeps {
  requestToken: TokenRequester
  clock: Clock
  /** Registers a value that must never appear in a log line (core.setSecret in the action). */
  mask: (secret: string) => void
  /** Asks GitHub for an OIDC ID token with this audience (core.getIDToken in the action). */
  idToken?: (audience: string) => Promise<string>
}

/** A credential that never changes while the step runs: nothing to renew after a 401. */
export function fixedCredential(
  method: 'basic' | 'token' | 'api_key',
  value: string,
  header?: string
): Authenticator {
  return {
    method,
    ...(header === undefined ? {} : {header}),
    authorization: async () => value,
    renew: async () => false
  }
}
