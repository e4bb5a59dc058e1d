import {describe, expect, test} from '@jest/globals'
import {generateKeyPairSync, sign, type KeyObject} from 'node:crypto'
import {verifyJwt, type OidcTrust} from '../src/simulator/jwt-verifier.js'
import {
  GITHUB_ISSUER,
  githubClaims,
  signingKey,
  signJwt
} from './helpers/oidc.js'

/**
 * base64url (RFC 4648 §5, unpadded as RFC 7515 §2 uses it) encodes every 3 octets as 4
 * characters and a last 1 or 2 octets as 2 or 3: a part whose length leaves one character over
 * (length % 4 === 1) encodes no octet sequence at all. Node's decoder drops that character
 * without a word; a verifier refuses the token as malformed, before any key or signature.
 */
const key = signingKey('key-1')
const trust: OidcTrust = {
  issuer: GITHUB_ISSUER,
  clientId: 'client-1',
  jwks: {keys: [key.jwk]}
}
const [header = '', claims = '', signature = ''] = signJwt(
  githubClaims('client-1'),
  key
).split('.')
const NOT_A_JWT =
  'not a JSON Web Token (three base64url parts, header and claims JSON)'

/** The part with characters added until its length leaves one over. */
const oneOver = (part: string): string =>
  part + 'A'.repeat((5 - (part.length % 4)) % 4 || 4)

describe('the simulator refuses a part no octets encode to', () => {
  test.each([
    ['the header', () => `${oneOver(header)}.${claims}.${signature}`],
    ['the claims', () => `${header}.${oneOver(claims)}.${signature}`],
    ['the signature', () => `${header}.${claims}.${oneOver(signature)}`]
  ])('%s one character over as not a JWT', (_what, token) => {
    const mangled = token()
    expect(mangled.split('.').filter(p => p.length % 4 === 1)).toHaveLength(1)
    expect(verifyJwt(mangled, trust, Date.now())).toEqual({
      ok: false,
      reason: NOT_A_JWT
    })
  })
})

describe('the simulator reads the header and claims as RFC 7515 §5.2 does', () => {
  const signed = (head: Record<string, unknown>, body: Buffer): string => {
    const input = `${Buffer.from(JSON.stringify(head)).toString('base64url')}.${body.toString('base64url')}`
    return `${input}.${sign('sha256', Buffer.from(input), key.privateKey).toString('base64url')}`
  }
  const head = {typ: 'JWT', alg: 'RS256', kid: 'key-1'}
  const body = (claims: Record<string, unknown>): Buffer =>
    Buffer.from(JSON.stringify(claims))

  test('a token signed by a trusted key, built here the same way, passes', () => {
    expect(
      verifyJwt(signed(head, body(githubClaims('client-1'))), trust, Date.now())
    ).toMatchObject({ok: true})
  })

  test('claims that are not UTF-8 are not a JWT, not a claim with U+FFFD in it', () => {
    const json = JSON.stringify(githubClaims('client-1', {environment: 'X'}))
    const bytes = Buffer.from(json.replace('"X"', '"\u0001"'))
    bytes[bytes.indexOf(0x01)] = 0xff
    expect(verifyJwt(signed(head, bytes), trust, Date.now())).toEqual({
      ok: false,
      reason: NOT_A_JWT
    })
  })

  test('a critical header extension it does not understand is refused, whatever the signature', () => {
    const token = signed(
      {...head, crit: ['exp-v2'], 'exp-v2': 1},
      body(githubClaims('client-1'))
    )
    expect(verifyJwt(token, trust, Date.now())).toEqual({
      ok: false,
      reason: 'critical header extensions ["exp-v2"] are not understood'
    })
  })
})

describe('the simulator checks a signature with the algorithm the header names, not whichever the key does', () => {
  const signedAs = (
    alg: string,
    privateKey: KeyObject,
    kid: string,
    options: {dsaEncoding?: 'ieee-p1363'} = {}
  ): string => {
    const input = `${Buffer.from(JSON.stringify({typ: 'JWT', alg, kid})).toString('base64url')}.${Buffer.from(JSON.stringify(githubClaims('client-1'))).toString('base64url')}`
    return `${input}.${sign('sha256', Buffer.from(input), {key: privateKey, ...options}).toString('base64url')}`
  }
  const p384 = generateKeyPairSync('ec', {namedCurve: 'P-384'})
  const p256 = generateKeyPairSync('ec', {namedCurve: 'P-256'})
  const ecTrust: OidcTrust = {
    ...trust,
    jwks: {
      keys: [
        key.jwk,
        {...p384.publicKey.export({format: 'jwk'}), kid: 'p384'},
        {...p256.publicKey.export({format: 'jwk'}), kid: 'p256'}
      ]
    }
  }

  test('ES256 on a P-256 key passes', () => {
    expect(
      verifyJwt(
        signedAs('ES256', p256.privateKey, 'p256', {dsaEncoding: 'ieee-p1363'}),
        ecTrust,
        Date.now()
      )
    ).toMatchObject({ok: true})
  })

  test.each([
    [
      'a header saying ES256 over an RSA signature by an RSA key',
      () => signedAs('ES256', key.privateKey, 'key-1'),
      "key 'key-1' (RSA RS256) does not check ES256"
    ],
    [
      'a header saying ES256 over a P-384 signature',
      () =>
        signedAs('ES256', p384.privateKey, 'p384', {dsaEncoding: 'ieee-p1363'}),
      "key 'p384' (EC P-384) does not check ES256"
    ],
    [
      'a header saying RS256 over a P-256 signature',
      () =>
        signedAs('RS256', p256.privateKey, 'p256', {dsaEncoding: 'ieee-p1363'}),
      "key 'p256' (EC P-256) does not check RS256"
    ]
  ])('refuses %s', (_what, token, reason) => {
    expect(verifyJwt(token(), ecTrust, Date.now())).toEqual({ok: false, reason})
  })
})
