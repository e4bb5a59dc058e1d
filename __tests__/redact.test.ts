import {describe, expect, it} from '@jest/globals'
import {
  redact,
  redactStdout,
  registerSecret,
  safeUrl
} from '../src/servicenow/redact.js'

describe('redact', () => {
  registerSecret('p@ss w0rd"x')
  registerSecret('tok3n-value-1234')

  it.each([
    ['the secret as is', 'said p@ss w0rd"x back', 'said *** back'],
    [
      'URL-encoded, as in a form body',
      'password=p%40ss+w0rd%22x&x=1',
      'password=***&x=1'
    ],
    ['encodeURIComponent form', 'q=p%40ss%20w0rd%22x', 'q=***'],
    ['JSON-escaped', '{"echo":"p@ss w0rd\\"x"}', '{"echo":"***"}'],
    ['a registered token inside a word', 'xtok3n-value-1234y', 'x***y'],
    [
      'client_secret= of any value',
      'grant_type=password&client_secret=unknown-secret&a=b',
      'grant_type=password&client_secret=***&a=b'
    ],
    [
      'an Authorization header echoed as text',
      'Authorization: Basic ZGV2b3BzOnB3ZA==; next',
      'Authorization: Basic ***; next'
    ],
    ['a bearer token', 'sent Bearer abcdefghijklmnop.qrs', 'sent Bearer ***'],
    [
      'a JSON access_token',
      '{"access_token":"abc.def","x":1}',
      '{"access_token":"***","x":1}'
    ],
    ['an API key header', 'x-sn-apikey: 0123456789abcdef', 'x-sn-apikey: ***']
  ])('hides %s', (_, text, shown) => {
    expect(redact(text)).toBe(shown)
  })

  it('leaves ordinary text alone', () => {
    const text =
      'CHG0030001 is in Implement: basic auth refused (401). Bearer tokens expire.'
    expect(redact(text)).toBe(text)
  })

  it('guards stdout, but not the ::add-mask:: lines the runner needs', () => {
    const written: string[] = []
    const original = process.stdout.write
    process.stdout.write = ((chunk: string) => {
      written.push(chunk)
      return true
    }) as typeof process.stdout.write
    const restore = redactStdout()
    try {
      process.stdout.write(
        '::add-mask::tok3n-value-1234\n::error::refused tok3n-value-1234\n'
      )
    } finally {
      restore()
      process.stdout.write = original
    }
    expect(written).toEqual([
      '::add-mask::tok3n-value-1234\n::error::refused ***\n'
    ])
  })
})

describe('safeUrl', () => {
  it.each([
    [
      'https://user:pw@login.example.com/sso?token=abc#frag',
      'https://login.example.com/sso'
    ],
    ['https://acme.service-now.com/', 'https://acme.service-now.com'],
    ['https://exa mple.com/?token=abc', 'https://exa'],
    ['htps//user:s3cret@x/y?z', 'x/y'],
    ['acme user:pw@host', 'acme']
  ])('%s is named as %s', (url, shown) => {
    expect(safeUrl(url)).toBe(shown)
  })
})
