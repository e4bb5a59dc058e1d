import {ServiceNowClient} from '../../src/servicenow/client.js'
import type {AuthSettings} from '../../src/servicenow/auth.js'
import type {ConnectionSettings} from '../../src/settings/connection.js'
import {SEED_USERS} from '../../src/simulator/seed.js'
import {
  startSimulator,
  type Simulator,
  type SimulatorOptions
} from '../../src/simulator/server.js'
import {FakeClock} from './clock.js'

export const integrationUser: AuthSettings = {
  method: 'basic',
  username: SEED_USERS.integration.user_name,
  password: SEED_USERS.integration.password
}

/** Connection settings for the simulator as the integration user, as a step would read them. */
export function simConnection(sim: Simulator): ConnectionSettings {
  return {
    baseUrl: sim.url,
    auth: integrationUser,
    timeoutMs: 5000,
    maxAttempts: 3,
    rateLimitWaitMs: 60_000
  }
}

export async function withSimulator(
  options: SimulatorOptions = {}
): Promise<Simulator> {
  return startSimulator({port: 0, ...options})
}

/** A client on the simulator whose backoff sleeps are instant (time is a FakeClock). */
export function clientFor(
  sim: Simulator,
  auth: AuthSettings = integrationUser,
  extra: {masked?: string[]; timeoutMs?: number} = {}
): {
  client: ServiceNowClient
  clock: FakeClock
} {
  const clock = new FakeClock(Date.now())
  const client = new ServiceNowClient({
    baseUrl: sim.url,
    auth,
    clock,
    random: () => 0.5,
    timeoutMs: extra.timeoutMs ?? 5000,
    mask: s => extra.masked?.push(s)
  })
  return {client, clock}
}

/** Plain HTTP to the simulator, for asserting its wire format without our client in between. */
export async function raw(
  sim: Simulator,
  method: string,
  path: string,
  options: {
    body?: unknown
    auth?: string
    headers?: Record<string, string>
  } = {}
): Promise<{status: number; headers: Headers; json: any; text: string}> {
  const headers: Record<string, string> = {
    Accept: 'application/json',
    Authorization:
      options.auth ??
      `Basic ${Buffer.from('devops.integration:sn-integration-pw').toString('base64')}`,
    ...options.headers
  }
  let body: string | undefined
  if (options.body !== undefined) {
    body =
      typeof options.body === 'string'
        ? options.body
        : JSON.stringify(options.body)
    headers['Content-Type'] ??= 'application/json'
  }
  const response = await fetch(`${sim.url}${path}`, {method, headers, body})
  const text = await response.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return {status: response.status, headers: response.headers, json, text}
}

export async function admin(
  sim: Simulator,
  method: string,
  path: string,
  body?: unknown
): Promise<any> {
  const response = await fetch(`${sim.url}/__sim${path}`, {
    method,
    headers: {'Content-Type': 'application/json'},
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  return response.json()
}
