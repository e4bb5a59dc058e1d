import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { errors } from '../src/local-runner.js'
import type { Simulator } from '../src/simulator/server.js'
import { counted, suiteCounts } from './helpers/counts.js'
import { scannedSteps } from './helpers/scan.js'
import { withSimulator } from './helpers/sim.js'

/**
 * The simulator over TLS with a certificate from a CA made here, reached
 * through a local CONNECT proxy (HTTPS_PROXY), around it (NO_PROXY), and
 * refused when the CA is not trusted. The host acme.service-now.test exists
 * only for these tests: the proxy maps it to the simulator, and for the
 * NO_PROXY case a preload makes the child process resolve it to 127.0.0.1.
 */
const HOST = 'acme.service-now.test'
const counts = suiteCounts('proxy-tls')
let dir: string
let sim: Simulator
let proxy: Server
let proxyUrl: string
const tunnels: string[] = []
const sockets: { destroy(): void }[] = []
let runStep: ReturnType<typeof scannedSteps>

function makeCertificates(): { ca: string; key: string; cert: string } {
  const run = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' })
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=servicenow-change test CA')
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/CN=${HOST}`)
  writeFileSync(join(dir, 'san.ext'), `subjectAltName=DNS:${HOST},DNS:localhost,IP:127.0.0.1\n`)
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext')
  return { ca: join(dir, 'ca.pem'), key: readFileSync(join(dir, 'server.key'), 'utf8'), cert: readFileSync(join(dir, 'server.pem'), 'utf8') }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tls-'))
  const { key, cert } = makeCertificates()
  sim = await withSimulator({ tls: { key, cert } })
  runStep = scannedSteps(sim, counts)
  const simPort = Number(new URL(sim.url).port)
  proxy = createServer((_req, res) => res.writeHead(405).end())
  proxy.on('connect', (req, client, head) => {
    tunnels.push(req.url ?? '')
    sockets.push(client)
    const upstream = connect(simPort, '127.0.0.1', () => {
      sockets.push(upstream)
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    upstream.on('error', () => client.destroy())
    client.on('error', () => upstream.destroy())
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
  writeFileSync(
    join(dir, 'resolve-test-host.mjs'),
    `import dns from 'node:dns'\nconst lookup = dns.lookup\ndns.lookup = (host, options, callback) => host === '${HOST}' ? lookup('127.0.0.1', options, callback) : lookup(host, options, callback)\n`
  )
})
afterAll(async () => {
  for (const socket of sockets) socket.destroy()
  await sim.stop()
  await new Promise<void>((resolve) => proxy.close(() => resolve()))
})

const inputs = (): Record<string, string> => ({
  instance_url: `https://${HOST}:${new URL(sim.url).port}`,
  username: 'devops.integration',
  password: 'sn-integration-pw',
  template: 'Deploy web application'
})

describe('TLS and proxies', () => {
  it('goes through the CONNECT proxy in HTTPS_PROXY, trusting the CA in NODE_EXTRA_CA_CERTS', counted(counts, 'requests tunnelled through the proxy', async () => {
    tunnels.length = 0
    const run = await runStep('create', { ...inputs(), correlation_id: 'via-proxy' }, { env: { HTTPS_PROXY: proxyUrl, NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem') } })
    expect(errors(run)).toEqual([])
    expect(run.outputs.created).toBe('true')
    expect(run.outputs.change_url).toMatch(new RegExp(`^https://${HOST}:\\d+/change_request.do`))
    expect(tunnels.length).toBeGreaterThan(0)
    expect(new Set(tunnels)).toEqual(new Set([`${HOST}:${new URL(sim.url).port}`]))
    return tunnels.length
  }))

  it('bypasses the proxy for a host in NO_PROXY', counted(counts, 'requests through the proxy with NO_PROXY set', async () => {
    tunnels.length = 0
    const run = await runStep('create', { ...inputs(), correlation_id: 'no-proxy' }, {
      env: { HTTPS_PROXY: proxyUrl, NO_PROXY: `.service-now.test`, NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem'), NODE_OPTIONS: `--import=${join(dir, 'resolve-test-host.mjs')}` }
    })
    expect(errors(run)).toEqual([])
    expect(run.outputs.created).toBe('true')
    expect(tunnels).toEqual([])
    return tunnels.length
  }))

  it('refuses a certificate it cannot trust, saying so in one line', counted(counts, 'untrusted certificates refused', async () => {
    const before = sim.requests().length
    const run = await runStep('create', { ...inputs(), correlation_id: 'untrusted' }, { env: { HTTPS_PROXY: proxyUrl } })
    expect(run.code).toBe(1)
    expect(errors(run)).toEqual([expect.stringMatching(/the TLS certificate was not accepted \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\)\. A proxy that inspects TLS needs its CA in NODE_EXTRA_CA_CERTS/)])
    expect(sim.requests().length).toBe(before)
  }))
})
