import {describe, expect, test} from '@jest/globals'
import {verifyJwt, type OidcTrust} from '../src/simulator/jwt-verifier.js'
import {
  GITHUB_ISSUER,
  githubClaims,
  signingKey,
  signJwt,
  unsignedJwt
} from './helpers/oidc.js'

/**
 * The simulator reads a token's compact form (RFC 7515 §7.1) itself, not with the client's
 * decoder, and as strictly as a verifier should: what it refuses is named before any key is tried.
 */
const key = signingKey('key-1')
const trust: OidcTrust = {
  issuer: GITHUB_ISSUER,
  clientId: 'client-1',
  jwks: {keys: [key.jwk]}
}
const good = signJwt(githubClaims('client-1'), key)
const [header = '', claims = '', signature = ''] = good.split('.')
const NOT_A_JWT =
  'not a JSON Web Token (three base64url parts, header and claims JSON)'

describe('the simulator reads a compact JWS', () => {
  test('a token signed by a trusted key passes', () => {
    expect(verifyJwt(good, trust, Date.now())).toMatchObject({
      ok: true,
      user: expect.any(String)
    })
  })

  test.each([
    ['two parts', `${header}.${claims}`],
    ['four parts', `${good}.${signature}`],
    ['an empty header', `.${claims}.${signature}`],
    [
      'a character outside base64url in the claims',
      `${header}.${claims.slice(0, 4)}+${claims.slice(4)}.${signature}`
    ],
    ['padding', `${header}.${claims}==.${signature}`],
    [
      'claims that are a JSON array',
      `${header}.${Buffer.from('[1]').toString('base64url')}.${signature}`
    ],
    [
      'claims that are not JSON',
      `${header}.${Buffer.from('{nope').toString('base64url')}.${signature}`
    ]
  ])('refuses %s as not a JWT', (_what, token) => {
    expect(verifyJwt(token, trust, Date.now())).toEqual({
      ok: false,
      reason: NOT_A_JWT
    })
  })

  test('an unsecured token (empty signature) is well formed, and refused for its algorithm', () => {
    expect(
      verifyJwt(unsignedJwt(githubClaims('client-1')), trust, Date.now())
    ).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^algorithm 'none' is not accepted/)
    })
  })
})
