import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import type { Simulator } from '../src/simulator/server.js'
import { withSimulator } from './helpers/sim.js'

const root = join(import.meta.dirname, '..')

/** Runs a bundle the way a runner does: INPUT_* variables, annotations on stdout. */
function runBundle(entry: string, inputs: Record<string, string>, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const inputEnv = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v]))
  const child = spawn(process.execPath, [join(root, 'dist', entry, 'index.js')], {
    env: { PATH: process.env.PATH ?? '', ...inputEnv, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })))
}

let sim: Simulator
beforeAll(async () => {
  sim = await withSimulator()
})
afterAll(() => sim.stop())

describe('dist/gate (connection check for now)', () => {
  it('connects with good credentials, masking the password and its base64 before any other line', async () => {
    const r = await runBundle('gate', { instance_url: sim.url, username: 'devops.integration', password: 'devops' }, { RUNNER_DEBUG: '1' })
    expect(r.code).toBe(0)
    const lines = r.stdout.split('\n')
    expect(lines[0]).toBe('::add-mask::devops')
    expect(lines).toContain(`::add-mask::${Buffer.from('devops.integration:devops').toString('base64')}`)
    expect(r.stdout).toContain(`Connected to ${sim.url} (basic sign-in)`)
  })

  it('fails with one clear line and exit 1 on refused credentials', async () => {
    const r = await runBundle('gate', { instance_url: sim.url, username: 'devops.integration', password: 'wrong' })
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/^::error::.*refused the credentials \(401 User Not Authenticated\)/m)
  })

  it('refuses bad input before sending any request', async () => {
    const before = sim.requests().length
    const cases: Record<string, string>[] = [
      { instance_url: sim.url.replace('127.0.0.1', 'example.com'), username: 'u', password: 'p' },
      { instance_url: sim.url, username: 'u' },
      { instance_url: sim.url, token: 't', request_timeout_seconds: '0' },
      { instance_url: sim.url, token: 't', max_attempts: 'many' }
    ]
    for (const inputs of cases) {
      const r = await runBundle('gate', inputs)
      expect(r.code).toBe(1)
      expect(r.stdout.split('\n').filter((l) => l.startsWith('::error::'))).toHaveLength(1)
    }
    expect(sim.requests().length).toBe(before)
  })
})
