import {afterAll, beforeAll, describe, expect, it} from '@jest/globals'
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:http'
import {connect, type AddressInfo} from 'node:net'
import {
  createServer as createTlsServer,
  type Server as TlsServer
} from 'node:tls'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pollChange} from '../src/change/lookup.js'
import {waitForDecision} from '../src/change/wait-loop.js'
import {errors} from '../scripts/local-runner.js'
import {ServiceNowClient} from '../src/servicenow/client.js'
import type {Simulator} from '../src/simulator/server.js'
import {FakeClock} from './helpers/clock.js'
import {add, counted, suiteCounts} from './helpers/counts.js'
import {scannedSteps} from './helpers/scan.js'
import {hourLongWait} from './helpers/wait.js'
import {withSimulator} from './helpers/sim.js'

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
/** Where the proxy sends a CONNECT: the simulator, or the inspector once a test swaps it in. */
let upstreamPort: number
let inspector: TlsServer
const tunnels: string[] = []
const sockets: {destroy(): void}[] = []
let runStep: ReturnType<typeof scannedSteps>

function makeCertificates(): {ca: string; key: string; cert: string} {
  const run = (...args: string[]): void =>
    void execFileSync('openssl', args, {cwd: dir, stdio: 'ignore'})
  run(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=servicenow-change test CA'
  )
  run(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
    '-subj',
    `/CN=${HOST}`
  )
  writeFileSync(
    join(dir, 'san.ext'),
    `subjectAltName=DNS:${HOST},DNS:localhost,IP:127.0.0.1\n`
  )
  run(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '2',
    '-extfile',
    'san.ext'
  )
  // What a TLS-inspecting proxy whose CA nobody trusts shows for the same host.
  run(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'inspector.key',
    '-out',
    'inspector.pem',
    '-days',
    '2',
    '-subj',
    `/CN=${HOST}`,
    '-addext',
    `subjectAltName=DNS:${HOST}`
  )
  return {
    ca: join(dir, 'ca.pem'),
    key: readFileSync(join(dir, 'server.key'), 'utf8'),
    cert: readFileSync(join(dir, 'server.pem'), 'utf8')
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tls-'))
  const {key, cert} = makeCertificates()
  sim = await withSimulator({tls: {key, cert}})
  runStep = scannedSteps(sim, counts)
  upstreamPort = Number(new URL(sim.url).port)
  inspector = createTlsServer(
    {
      key: readFileSync(join(dir, 'inspector.key')),
      cert: readFileSync(join(dir, 'inspector.pem'))
    },
    socket => socket.destroy()
  )
  inspector.on('tlsClientError', () => {})
  await new Promise<void>(resolve => inspector.listen(0, '127.0.0.1', resolve))
  proxy = createServer((_req, res) => res.writeHead(405).end())
  proxy.on('connect', (req, client, head) => {
    tunnels.push(req.url ?? '')
    sockets.push(client)
    const upstream = connect(upstreamPort, '127.0.0.1', () => {
      sockets.push(upstream)
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    upstream.on('error', () => client.destroy())
    client.on('error', () => upstream.destroy())
  })
  await new Promise<void>(resolve => proxy.listen(0, '127.0.0.1', resolve))
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
  writeFileSync(
    join(dir, 'resolve-test-host.mjs'),
    `import dns from 'node:dns'\nconst lookup = dns.lookup\ndns.lookup = (host, options, callback) => host === '${HOST}' ? lookup('127.0.0.1', options, callback) : lookup(host, options, callback)\n`
  )
})
afterAll(async () => {
  for (const socket of sockets) socket.destroy()
  await sim.stop()
  await new Promise<void>(resolve => proxy.close(() => resolve()))
  await new Promise<void>(resolve => inspector.close(() => resolve()))
})

const inputs = (): Record<string, string> => ({
  instance_url: `https://${HOST}:${new URL(sim.url).port}`,
  username: 'devops.integration',
  password: 'sn-integration-pw',
  template: 'Deploy web application'
})

describe('TLS and proxies', () => {
  it(
    'goes through the CONNECT proxy in HTTPS_PROXY, trusting the CA in NODE_EXTRA_CA_CERTS',
    counted(counts, 'requests tunnelled through the proxy', async () => {
      tunnels.length = 0
      const run = await runStep(
        'create',
        {...inputs(), correlation_id: 'via-proxy'},
        {env: {HTTPS_PROXY: proxyUrl, NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem')}}
      )
      expect(errors(run)).toEqual([])
      expect(run.outputs.created).toBe('true')
      expect(run.outputs.change_url).toMatch(
        new RegExp(`^https://${HOST}:\\d+/change_request.do`)
      )
      expect(tunnels.length).toBeGreaterThan(0)
      expect(new Set(tunnels)).toEqual(
        new Set([`${HOST}:${new URL(sim.url).port}`])
      )
      return tunnels.length
    })
  )

  it(
    'bypasses the proxy for a host in NO_PROXY',
    counted(
      counts,
      'requests through the proxy with NO_PROXY set',
      async () => {
        tunnels.length = 0
        const run = await runStep(
          'create',
          {...inputs(), correlation_id: 'no-proxy'},
          {
            env: {
              HTTPS_PROXY: proxyUrl,
              NO_PROXY: `.service-now.test`,
              NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem'),
              NODE_OPTIONS: `--import=${join(dir, 'resolve-test-host.mjs')}`
            }
          }
        )
        expect(errors(run)).toEqual([])
        expect(run.outputs.created).toBe('true')
        expect(tunnels).toEqual([])
        return tunnels.length
      }
    )
  )

  it(
    'refuses a certificate it cannot trust, saying so in one line',
    counted(counts, 'untrusted certificates refused', async () => {
      const before = sim.requests().length
      const run = await runStep(
        'create',
        {...inputs(), correlation_id: 'untrusted'},
        {env: {HTTPS_PROXY: proxyUrl}}
      )
      expect(run.code).toBe(1)
      expect(errors(run)).toEqual([
        expect.stringMatching(
          /the TLS certificate was not accepted \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\)\. A proxy that inspects TLS needs its CA in NODE_EXTRA_CA_CERTS/
        )
      ])
      expect(sim.requests().length).toBe(before)
    })
  )

  it('ends an hour-long wait at the first poll on a certificate it cannot trust, instead of riding it out', async () => {
    // This process does not trust the test CA: every handshake fails, as behind a TLS-inspecting
    // proxy whose CA is not in NODE_EXTRA_CA_CERTS. Time is a fake clock, so riding it out would
    // cost no real hour: it would show as many polls and sleeps.
    const clock = new FakeClock()
    const client = new ServiceNowClient({
      baseUrl: sim.url,
      auth: {
        method: 'basic',
        username: 'devops.integration',
        password: 'sn-integration-pw'
      },
      clock
    })
    const attempts: number[] = []
    client.connection.onRequest(event => attempts.push(event.attempt))
    const before = sim.requests().length
    let polls = 0
    const waiting = waitForDecision(
      hourLongWait(
        clock,
        () => (polls++, pollChange(client, '0123456789abcdef0123456789abcdef'))
      )
    )
    try {
      await expect(waiting).rejects.toThrow(
        /the TLS certificate was not accepted \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\)/
      )
    } finally {
      client.connection.dispose()
    }
    expect({
      polls,
      attempts,
      sleeps: clock.sleeps,
      requestsReached: sim.requests().length - before
    }).toEqual({polls: 1, attempts: [1], sleeps: [], requestsReached: 0})
    add(counts, 'waits ended at once on an untrusted certificate')
  })

  it('the wait step ends when a certificate it cannot trust appears mid-wait, instead of polling it until the timeout', async () => {
    const trusted = {
      HTTPS_PROXY: proxyUrl,
      NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem')
    }
    // A normal change, not the template's standard one: it waits for an approval nobody gives.
    const {template: _standard, ...connection} = inputs()
    const create = await runStep(
      'create',
      {
        ...connection,
        assignment_group: 'DevOps Team',
        cmdb_ci: 'Payments API',
        correlation_id: 'inspected-mid-wait'
      },
      {env: trusted}
    )
    expect(errors(create)).toEqual([])
    expect(create.outputs.approval).toBe('requested')
    const sysId = create.outputs.change_sys_id!
    const simPort = upstreamPort
    tunnels.length = 0
    let polling: () => void = () => {}
    const pollingStarted = new Promise<void>(resolve => (polling = resolve))
    const waiting = runStep(
      'wait',
      {
        ...connection,
        change_sys_id: sysId,
        poll_interval_seconds: '5',
        timeout_minutes: '1'
      },
      {
        env: trusted,
        // The first "waiting for approval" line: the loop is polling the instance through the proxy.
        onSpawn: child =>
          child.stdout?.on('data', (d: Buffer) =>
            String(d).includes('waiting for approval') ? polling() : undefined
          )
      }
    )
    await pollingStarted
    // From now on the proxy inspects TLS with a certificate nobody trusts; open tunnels are cut so the next poll connects anew.
    upstreamPort = (inspector.address() as AddressInfo).port
    for (const socket of sockets.splice(0)) socket.destroy()
    const pollsBefore = sim.requests({
      path: `/api/now/table/change_request/${sysId}`
    }).length
    try {
      const wait = await waiting
      expect(wait.code).toBe(1)
      expect(errors(wait)).toEqual([
        expect.stringMatching(
          /the TLS certificate was not accepted \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)\)\. A proxy that inspects TLS needs its CA in NODE_EXTRA_CA_CERTS/
        )
      ])
      // Not one failed poll ridden out: no retry warning, no poll reached the instance after the swap.
      expect(
        wait.stdout
          .split('\n')
          .filter(l => l.includes('Checking the change failed'))
      ).toEqual([])
      expect(
        sim.requests({path: `/api/now/table/change_request/${sysId}`}).length
      ).toBe(pollsBefore)
      expect(tunnels.length).toBeGreaterThan(0)
    } finally {
      upstreamPort = simPort
    }
    add(counts, 'waits ended by a certificate that appeared mid-wait')
  }, 90_000)
})
