import {describe, expect, it} from '@jest/globals'
import {resolveAuth, type CredentialInputs} from '../src/servicenow/auth.js'

const none: CredentialInputs = {
  auth: 'auto',
  username: '',
  password: '',
  clientId: '',
  clientSecret: '',
  token: '',
  apiKey: '',
  oidcAudience: ''
}

describe('resolveAuth', () => {
  it.each([
    [{token: 't'}, 'token'],
    [{apiKey: 'k'}, 'api_key'],
    [
      {clientId: 'c', clientSecret: 's', username: 'u', password: 'p'},
      'oauth_password'
    ],
    [{clientId: 'c', clientSecret: 's'}, 'oauth_client_credentials'],
    [{username: 'u', password: 'p'}, 'basic'],
    [{oidcAudience: 'a'}, 'oidc'],
    [{oidcAudience: 'a', clientId: 'c'}, 'oidc_jwt_bearer'],
    [{oidcAudience: 'a', clientId: 'c', clientSecret: 's'}, 'oidc_jwt_bearer']
  ])('auto picks the method from what is given: %j → %s', (given, method) => {
    expect(resolveAuth({...none, ...given}).method).toBe(method)
  })

  it('the JWT bearer grant asks GitHub for a token with the client id as audience unless told otherwise', () => {
    expect(
      resolveAuth({...none, auth: 'oidc_jwt_bearer', clientId: 'c'})
    ).toEqual({
      method: 'oidc_jwt_bearer',
      clientId: 'c',
      clientSecret: '',
      audience: 'c'
    })
    expect(
      resolveAuth({
        ...none,
        auth: 'oidc_jwt_bearer',
        clientId: 'c',
        oidcAudience: 'a'
      })
    ).toMatchObject({audience: 'a'})
  })

  it('an explicit choice is honoured when its inputs are there', () => {
    expect(
      resolveAuth({...none, auth: 'basic', username: 'u', password: 'p'})
    ).toEqual({method: 'basic', username: 'u', password: 'p'})
    expect(resolveAuth({...none, auth: 'api_key', apiKey: 'k'})).toEqual({
      method: 'api_key',
      apiKey: 'k'
    })
  })

  it.each([
    [{}, /No ServiceNow credentials given/],
    [{username: 'u'}, /username is set but password is not/],
    [{clientSecret: 's'}, /client_secret is set but client_id is not/],
    [
      {token: 't', username: 'u', password: 'p'},
      /Conflicting credentials: auth 'token' does not use username, password/
    ],
    [
      {
        auth: 'basic',
        username: 'u',
        password: 'p',
        clientId: 'c',
        clientSecret: 's'
      },
      /does not use client_id, client_secret/
    ],
    [
      {auth: 'oauth_password', clientId: 'c', clientSecret: 's'},
      /needs username and password/
    ],
    [{auth: 'kerberos', token: 't'}, /Invalid auth 'kerberos'/],
    [{auth: 'api_key'}, /auth 'api_key' needs api_key/],
    [
      {apiKey: 'k', token: 't'},
      /Conflicting credentials: auth 'token' does not use api_key/
    ],
    [
      {apiKey: 'k', username: 'u', password: 'p'},
      /Conflicting credentials: auth 'api_key' does not use username, password/
    ],
    [{auth: 'oidc'}, /auth 'oidc' needs oidc_audience/],
    [
      {auth: 'oidc_jwt_bearer', oidcAudience: 'a'},
      /auth 'oidc_jwt_bearer' needs client_id/
    ],
    [
      {oidcAudience: 'a', username: 'u', password: 'p'},
      /auth 'oidc' does not use username, password/
    ],
    [
      {auth: 'oidc', oidcAudience: 'a', clientId: 'c', clientSecret: 's'},
      /auth 'oidc' does not use client_id, client_secret/
    ]
  ])('refuses %j', (given, message) => {
    expect(() => resolveAuth({...none, ...given})).toThrow(message)
  })
})
