import {describe, expect, test} from '@jest/globals'
import {ServiceNowError, type FailureKind} from '../src/servicenow/errors.js'
import {
  ExchangeError,
  type ExchangeFailure
} from '../src/servicenow/exchange.js'
import {
  classifyFailure,
  isTokenRefusal,
  mayPass,
  type FailureClass
} from '../src/servicenow/failure.js'

const TABLE = '/api/now/table/change_request'

function failed(
  kind: FailureKind,
  more: {status?: number; path?: string; cause?: unknown} = {}
): ServiceNowError {
  return new ServiceNowError({
    kind,
    method: 'GET',
    path: more.path ?? TABLE,
    ...more
  })
}

function networkCode(code: string): ServiceNowError {
  return failed('network', {
    cause: Object.assign(new Error(`connect ${code}`), {code})
  })
}

function exchangeFailure(
  kind: FailureKind,
  failure: ExchangeFailure
): ServiceNowError {
  return failed(kind, {
    cause: new ExchangeError(failure, failure, 0, failure !== 'deadline')
  })
}

describe('an answer with an error status', () => {
  test.each<[number, string, FailureClass]>([
    [429, TABLE, 'rate-limited'],
    [429, '/oauth_token.do', 'rate-limited'],
    [500, TABLE, 'transient'],
    [502, TABLE, 'transient'],
    [503, TABLE, 'transient'],
    [504, TABLE, 'transient'],
    [501, TABLE, 'permanent'],
    [505, TABLE, 'permanent'],
    [511, TABLE, 'permanent'],
    [508, TABLE, 'permanent'],
    [522, TABLE, 'transient'],
    [529, TABLE, 'transient'],
    [599, TABLE, 'transient'],
    [400, TABLE, 'permanent'],
    [401, TABLE, 'permanent'],
    [403, TABLE, 'permanent'],
    [404, TABLE, 'permanent'],
    [409, TABLE, 'permanent'],
    [302, TABLE, 'permanent'],
    [400, '/oauth_token.do', 'token-refused'],
    [401, '/oauth_token.do', 'token-refused'],
    [403, '/oauth_token.do', 'permanent'],
    [503, '/oauth_token.do', 'transient']
  ])('%i at %s is %s', (status, path, expected) => {
    expect(classifyFailure(failed('http', {status, path}))).toBe(expected)
  })
})

describe('no answer, or not the answer ServiceNow sends', () => {
  test.each<[string, ServiceNowError, FailureClass]>([
    [
      'a request past its deadline',
      exchangeFailure('timeout', 'deadline'),
      'transient'
    ],
    ['an answer cut mid-body', exchangeFailure('network', 'cut'), 'transient'],
    [
      'an answer past MAX_ANSWER_BYTES',
      exchangeFailure('invalid-response', 'too-large'),
      'permanent'
    ],
    [
      'an HTML page where JSON belongs',
      failed('invalid-response'),
      'transient'
    ],
    [
      'a socket hung up without a code',
      failed('network', {cause: new Error('socket hang up')}),
      'transient'
    ],
    [
      'a network error with neither code nor known message',
      failed('network', {cause: new Error('something else')}),
      'transient'
    ]
  ])('%s is %s', (_what, error, expected) => {
    expect(classifyFailure(error)).toBe(expected)
  })
})

describe('a network error code', () => {
  test.each<[string, FailureClass]>([
    ['ECONNRESET', 'transient'],
    ['ECONNREFUSED', 'transient'],
    ['EPIPE', 'transient'],
    ['ETIMEDOUT', 'transient'],
    ['ECONNABORTED', 'transient'],
    ['EHOSTUNREACH', 'transient'],
    ['ENETUNREACH', 'transient'],
    // The resolver did not answer: the name may well exist.
    ['EAI_AGAIN', 'transient'],
    // NXDOMAIN: the name does not exist, and will not in an hour.
    ['ENOTFOUND', 'permanent'],
    ['CERT_HAS_EXPIRED', 'permanent'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'permanent'],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'permanent'],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'permanent'],
    ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'permanent'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'permanent'],
    ['EPROTO', 'permanent'],
    ['ERR_INVALID_URL', 'permanent']
  ])('%s is %s', (code, expected) => {
    expect(classifyFailure(networkCode(code))).toBe(expected)
  })
})

describe('what is not a failed request', () => {
  test.each<[string, unknown]>([
    ['a bug', new TypeError('x is undefined')],
    ['a thrown string', 'oops'],
    ['nothing', undefined]
  ])('%s is permanent', (_what, error) => {
    expect(classifyFailure(error)).toBe('permanent')
  })
})

describe('the predicates are the classes', () => {
  test.each<[ServiceNowError, boolean, boolean]>([
    [failed('http', {status: 429}), true, false],
    [failed('http', {status: 503}), true, false],
    [failed('http', {status: 401, path: '/oauth_token.do'}), false, true],
    [failed('http', {status: 401}), false, false],
    [networkCode('ENOTFOUND'), false, false],
    [networkCode('ECONNRESET'), true, false]
  ])('%s: may pass %s, token refusal %s', (error, passes, refused) => {
    expect([mayPass(error), isTokenRefusal(error)]).toEqual([passes, refused])
  })
})
