import { describe, expect, test } from '@jest/globals'
import { verifyJwt, type OidcTrust } from '../src/simulator/jwt-verifier.js'
import { GITHUB_ISSUER, githubClaims, signingKey, signJwt } from './helpers/oidc.js'

/**
 * base64url (RFC 4648 §5, unpadded as RFC 7515 §2 uses it) encodes every 3 octets as 4
 * characters and a last 1 or 2 octets as 2 or 3: a part whose length leaves one character over
 * (length % 4 === 1) encodes no octet sequence at all. Node's decoder drops that character
 * without a word; a verifier refuses the token as malformed, before any key or signature.
 */
const key = signingKey('key-1')
const trust: OidcTrust = { issuer: GITHUB_ISSUER, clientId: 'client-1', jwks: { keys: [key.jwk] } }
const [header = '', claims = '', signature = ''] = signJwt(githubClaims('client-1'), key).split('.')
const NOT_A_JWT = 'not a JSON Web Token (three base64url parts, header and claims JSON)'

/** The part with characters added until its length leaves one over. */
const oneOver = (part: string): string => part + 'A'.repeat((5 - (part.length % 4)) % 4 || 4)

describe('the simulator refuses a part no octets encode to', () => {
  test.each([
    ['the header', () => `${oneOver(header)}.${claims}.${signature}`],
    ['the claims', () => `${header}.${oneOver(claims)}.${signature}`],
    ['the signature', () => `${header}.${claims}.${oneOver(signature)}`]
  ])('%s one character over as not a JWT', (_what, token) => {
    const mangled = token()
    expect(mangled.split('.').filter((p) => p.length % 4 === 1)).toHaveLength(1)
    expect(verifyJwt(mangled, trust, Date.now())).toEqual({ ok: false, reason: NOT_A_JWT })
  })
})
