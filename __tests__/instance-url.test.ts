import {describe, expect, it} from '@jest/globals'
import {parseInstanceUrl} from '../src/servicenow/instance-url.js'

describe('parseInstanceUrl', () => {
  it.each([
    ['acme', 'https://acme.service-now.com'],
    ['ACME-dev', 'https://acme-dev.service-now.com'],
    ['https://acme.service-now.com', 'https://acme.service-now.com'],
    ['https://acme.service-now.com/', 'https://acme.service-now.com'],
    ['acme.service-now.com', 'https://acme.service-now.com'],
    ['acme.service-now.com/', 'https://acme.service-now.com'],
    ['sn.example.com:8443', 'https://sn.example.com:8443'],
    ['  https://change.example.com:8443/ ', 'https://change.example.com:8443'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['http://localhost:9000/', 'http://localhost:9000'],
    ['http://[::1]:9000', 'http://[::1]:9000']
  ])('accepts %s', (input, expected) => {
    expect(parseInstanceUrl(input)).toBe(expected)
  })

  it.each([
    ['', /empty/],
    ['http://acme.service-now.com', /plain http/],
    ['ftp://acme.service-now.com', /scheme must be https/],
    ['https://user:pw@acme.service-now.com', /carries credentials/],
    ['https://acme.service-now.com/?x=1', /query or fragment/],
    ['https://acme.service-now.com/#frag', /query or fragment/],
    ['https://acme.service-now.com/now/nav/ui', /points at a page/],
    ['acme.service-now', /Invalid instance_url/],
    ['-bad-', /Invalid instance_url/]
  ])('refuses %j', (input, message) => {
    expect(() => parseInstanceUrl(input)).toThrow(message)
  })

  it('never echoes credentials it refuses', () => {
    expect(() =>
      parseInstanceUrl('https://user:s3cret@acme.service-now.com')
    ).toThrow(
      expect.objectContaining({message: expect.not.stringContaining('s3cret')})
    )
    expect(() => parseInstanceUrl('htps//user:s3cret@x')).toThrow(
      expect.objectContaining({message: expect.not.stringContaining('s3cret')})
    )
  })
})
