import {createPublicKey, verify, type JsonWebKey} from 'node:crypto'

/**
 * What an instance trusts an external OIDC provider with: the OIDC provider
 * entry (System OAuth > Application Registry > "Configure an OIDC provider to
 * verify ID tokens") or a JWT bearer grant entry. Sources, ServiceNow docs:
 * platform-security/authentication/add-OIDC-entity.md (Client ID = the token's
 * aud; User Claim / User Field; clock skew 300 s by default) and
 * configure-an-oauth-jwt-bearer-grant.md (JWKS URL, kid, RS/ES/HS algorithms,
 * JTI verification on by default, access tokens 1800 s).
 */
export interface OidcTrust {
  /** The provider's issuer (iss), from its metadata URL: https://token.actions.githubusercontent.com for GitHub. */
  issuer: string
  /** The entry's Client ID: the token's aud must equal it. */
  clientId: string
  /** The entry's client secret, demanded by the JWT bearer grant when set (a public client has none). */
  clientSecret?: string
  /** The provider's public keys, as its jwks_uri serves them. */
  jwks: {keys: (JsonWebKey & {kid?: string})[]}
  /** The claim whose value names the user; default sub. */
  userClaim?: string
  /** The sys_user field that value is looked up in; default user_name. */
  userField?: string
  clockSkewSeconds?: number
}

/**
 * A JWS in compact serialization (RFC 7515 §7.1, as RFC 7519 §3 uses it): three base64url parts,
 * header.payload.signature, the first two JSON objects. The simulator reads it from the standard,
 * not with the client's decoder: a test double that shares the client's code shares its mistakes.
 */
interface CompactJws {
  header: Record<string, unknown>
  claims: Record<string, unknown>
  /** header.payload as sent: the bytes the signature covers (RFC 7515 §5.2). */
  signingInput: string
  signature: Buffer
}

/**
 * base64url without padding (RFC 7515 §2, RFC 4648 §5). Node's decoder skips characters outside
 * the alphabet; a verifier refuses them, so a client that sends a mangled token hears about it.
 */
const BASE64URL = /^[A-Za-z0-9_-]*$/

function parseCompactJws(token: string): CompactJws | undefined {
  // The signature may be empty: an unsecured JWT (RFC 7519 §6.1, alg none) is well formed, and refused for its algorithm.
  const match = /^([^.]+)\.([^.]+)\.([^.]*)$/.exec(token)
  if (match === null) return undefined
  const [, encodedHeader = '', encodedClaims = '', encodedSignature = ''] =
    match
  // A length that leaves one character over (4n + 1) encodes no octets (RFC 4648 §4): node would drop it unseen.
  if (
    ![encodedHeader, encodedClaims, encodedSignature].every(
      part => BASE64URL.test(part) && part.length % 4 !== 1
    )
  )
    return undefined
  const header = decodedObject(encodedHeader)
  const claims = decodedObject(encodedClaims)
  if (header === undefined || claims === undefined) return undefined
  return {
    header,
    claims,
    signingInput: `${encodedHeader}.${encodedClaims}`,
    signature: Buffer.from(encodedSignature, 'base64url')
  }
}

/** A JOSE header and a JWT claims set are each a JSON object (RFC 7515 §4, RFC 7519 §7.2 step 10). */
function decodedObject(part: string): Record<string, unknown> | undefined {
  let value: unknown
  try {
    // Fatal: bytes that are not UTF-8 make the part invalid (RFC 7515 §5.2), not U+FFFD in a claim.
    value = JSON.parse(
      new TextDecoder('utf-8', {fatal: true}).decode(
        Buffer.from(part, 'base64url')
      )
    )
  } catch {
    return undefined
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return undefined
  return value as Record<string, unknown>
}

function stringClaim(
  claims: Record<string, unknown>,
  name: string
): string | undefined {
  const value = claims[name]
  return typeof value === 'string' ? value : undefined
}

/** A NumericDate (RFC 7519 §2: seconds since the epoch) in milliseconds. */
function timeClaim(
  claims: Record<string, unknown>,
  name: string
): number | undefined {
  const value = claims[name]
  return typeof value === 'number' && Number.isFinite(value)
    ? value * 1000
    : undefined
}

export type Verdict =
  | {ok: true; claims: Record<string, unknown>; user: string}
  | {ok: false; reason: string}

/**
 * JWS algorithms an RSA or EC public key can check; none and HS* can never be verified with a public JWKS.
 * Each names the key it is checked with (RFC 7518 §3.3, §3.4: ES256 is ECDSA on P-256, and so on):
 * node's verify follows the key, not the header, so the two are matched first.
 */
const ALGORITHMS: Record<
  string,
  {hash: string; kty: 'RSA' | 'EC'; crv?: string}
> = {
  RS256: {hash: 'sha256', kty: 'RSA'},
  RS384: {hash: 'sha384', kty: 'RSA'},
  RS512: {hash: 'sha512', kty: 'RSA'},
  ES256: {hash: 'sha256', kty: 'EC', crv: 'P-256'},
  ES384: {hash: 'sha384', kty: 'EC', crv: 'P-384'},
  ES512: {hash: 'sha512', kty: 'EC', crv: 'P-521'}
}

/**
 * Checks a token the way the instance does, in this order: well-formed, an
 * algorithm a public key can check, a key id the JWKS has, the signature, the
 * issuer, the audience, the time window (with the clock skew), then the user
 * claim. The first failure is the reason; the caller answers with ServiceNow's
 * generic 401 and keeps the reason for its log, as an instance keeps it in
 * its system log rather than telling the caller.
 */
export function verifyJwt(
  token: string,
  trust: OidcTrust,
  now: number
): Verdict {
  const jwt = parseCompactJws(token)
  if (jwt === undefined)
    return {
      ok: false,
      reason:
        'not a JSON Web Token (three base64url parts, header and claims JSON)'
    }
  // RFC 7515 §4.1.11: extensions listed in crit must be understood, and this reader understands none.
  if (jwt.header.crit !== undefined)
    return {
      ok: false,
      reason: `critical header extensions ${JSON.stringify(jwt.header.crit)} are not understood`
    }
  const alg = typeof jwt.header.alg === 'string' ? jwt.header.alg : ''
  const algorithm = ALGORITHMS[alg]
  if (algorithm === undefined)
    return {
      ok: false,
      reason: `algorithm '${alg}' is not accepted (expected one of ${Object.keys(ALGORITHMS).join(', ')})`
    }
  const kid = typeof jwt.header.kid === 'string' ? jwt.header.kid : undefined
  const key = trust.jwks.keys.find(k => k.kid === kid)
  if (key === undefined)
    return {
      ok: false,
      reason: `unknown key id '${kid ?? '(none)'}': the provider's JWKS has ${trust.jwks.keys.map(k => `'${k.kid}'`).join(', ') || 'no keys'}`
    }
  if (
    key.kty !== algorithm.kty ||
    (algorithm.crv !== undefined && key.crv !== algorithm.crv) ||
    (key.alg !== undefined && key.alg !== alg)
  ) {
    return {
      ok: false,
      reason: `key '${kid}' (${[key.kty, key.crv, key.alg].filter(Boolean).join(' ')}) does not check ${alg}`
    }
  }
  let signed: boolean
  try {
    signed = verify(
      algorithm.hash,
      Buffer.from(jwt.signingInput),
      {
        key: createPublicKey({key, format: 'jwk'}),
        dsaEncoding: algorithm.kty === 'EC' ? 'ieee-p1363' : 'der'
      },
      jwt.signature
    )
  } catch {
    signed = false
  }
  if (!signed)
    return {
      ok: false,
      reason: `bad signature: the token is not signed by key '${kid}'`
    }

  const claims = jwt.claims
  const iss = stringClaim(claims, 'iss')
  if (iss !== trust.issuer)
    return {
      ok: false,
      reason: `wrong issuer '${iss ?? '(none)'}': expected '${trust.issuer}'`
    }
  const aud = claims.aud
  const audiences = Array.isArray(aud) ? aud : [aud]
  if (!audiences.includes(trust.clientId))
    return {
      ok: false,
      reason: `wrong audience ${JSON.stringify(aud ?? null)}: expected the Client ID '${trust.clientId}'`
    }
  const skew = (trust.clockSkewSeconds ?? 300) * 1000
  const exp = timeClaim(claims, 'exp')
  if (exp === undefined) return {ok: false, reason: 'no exp claim'}
  if (now > exp + skew)
    return {
      ok: false,
      reason: `expired at ${new Date(exp).toISOString()} (clock skew ${skew / 1000} s)`
    }
  const nbf = timeClaim(claims, 'nbf')
  if (nbf !== undefined && now < nbf - skew)
    return {
      ok: false,
      reason: `not valid before ${new Date(nbf).toISOString()}`
    }
  const userClaim = trust.userClaim ?? 'sub'
  const user = stringClaim(claims, userClaim)
  if (user === undefined || user === '')
    return {ok: false, reason: `no '${userClaim}' claim to name the user`}
  return {ok: true, claims, user}
}
