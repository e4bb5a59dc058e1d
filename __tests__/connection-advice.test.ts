import {afterAll, beforeAll, describe, expect, it} from '@jest/globals'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {ServiceNowClient} from '../src/servicenow/client.js'
import {explainConnectionFailure} from '../src/servicenow/connection-advice.js'
import {ServiceNowError} from '../src/servicenow/errors.js'
import type {Simulator} from '../src/simulator/server.js'
import {SEED_OAUTH_CLIENT} from '../src/simulator/seed.js'
import {admin, clientFor, withSimulator} from './helpers/sim.js'
import {FakeClock} from './helpers/clock.js'

let sim: Simulator
beforeAll(async () => {
  sim = await withSimulator()
})
afterAll(() => sim.stop())

/** What a step says when its first request (here: a list of one change request) fails. */
async function firstFailureExplained(
  client: ServiceNowClient
): Promise<string | undefined> {
  try {
    await client.table.list('change_request', {fields: ['sys_id'], limit: 1})
  } catch (error) {
    expect(error).toBeInstanceOf(ServiceNowError)
    return explainConnectionFailure(error as ServiceNowError, client.connection)
  } finally {
    client.dispose()
  }
  throw new Error('the first request passed')
}

describe('explainConnectionFailure, on the first request that fails', () => {
  it('a refusal that is not about the connection (a missing record) is left to its own message', async () => {
    const {client} = clientFor(sim)
    try {
      await client.table.get(
        'change_request',
        '0123456789abcdef0123456789abcdef'
      )
      throw new Error('the read passed')
    } catch (error) {
      expect(error).toBeInstanceOf(ServiceNowError)
      expect(
        explainConnectionFailure(error as ServiceNowError, client.connection)
      ).toBeUndefined()
    } finally {
      client.dispose()
    }
  })

  it('bad credentials: says so and what to check', async () => {
    const {client} = clientFor(sim, {
      method: 'basic',
      username: 'devops.integration',
      password: 'wrong'
    })
    expect(await firstFailureExplained(client)).toMatch(
      /refused the credentials \(401 User Not Authenticated\)\. Check username and password/
    )
  })

  it('a refused OAuth client: names the application registry', async () => {
    const {client} = clientFor(sim, {
      method: 'oauth_password',
      clientId: SEED_OAUTH_CLIENT.clientId,
      clientSecret: 'wrong',
      username: 'devops.integration',
      password: 'sn-integration-pw'
    })
    expect(await firstFailureExplained(client)).toMatch(
      /refused the OAuth sign-in.*access_denied.*Application Registry/
    )
  })

  it('a missing role: names the roles to grant', async () => {
    const {client} = clientFor(sim, {
      method: 'basic',
      username: 'no.roles',
      password: 'no.roles'
    })
    expect(await firstFailureExplained(client)).toMatch(
      /signed the user in but refused the request \(ServiceNow GET \/api\/now\/table\/change_request failed 403: Operation Failed: ACL Exception Read Failed.*\)\. Give the integration user the itil or change_manager role/
    )
  })

  it('a hibernating instance: says to wake it', async () => {
    await admin(sim, 'PATCH', '/config', {hibernating: true})
    try {
      const {client} = clientFor(sim)
      expect(await firstFailureExplained(client)).toMatch(
        /did not answer like a ServiceNow instance.*HTML page instead of JSON.*hibernating developer instance/
      )
    } finally {
      await admin(sim, 'PATCH', '/config', {hibernating: false})
    }
  })

  it('a wrong URL (nothing listening): says it cannot reach the instance', async () => {
    const closed = createServer()
    await new Promise<void>(r => closed.listen(0, '127.0.0.1', r))
    const port = (closed.address() as AddressInfo).port
    await new Promise<void>(r => closed.close(() => r()))
    const client = new ServiceNowClient({
      baseUrl: `http://127.0.0.1:${port}`,
      auth: {method: 'token', token: 't'},
      clock: new FakeClock(),
      retry: {maxAttempts: 2}
    })
    expect(await firstFailureExplained(client)).toMatch(
      new RegExp(
        `Cannot reach ServiceNow at http://127.0.0.1:${port}\\..*ECONNREFUSED.*Check instance_url`
      )
    )
  })

  it('a web server that is not ServiceNow: says the Table API is not there', async () => {
    const other: Server = createServer((_req, res) => {
      res.writeHead(404, {'Content-Type': 'text/html'})
      res.end('<html><head><title>Not Found</title></head></html>')
    })
    await new Promise<void>(r => other.listen(0, '127.0.0.1', r))
    try {
      const url = `http://127.0.0.1:${(other.address() as AddressInfo).port}`
      const client = new ServiceNowClient({
        baseUrl: url,
        auth: {method: 'token', token: 't'},
        clock: new FakeClock()
      })
      expect(await firstFailureExplained(client)).toMatch(
        /has no Table API at \/api\/now\/table \(404\)\. Check that instance_url/
      )
    } finally {
      await new Promise<void>(r => other.close(() => r()))
    }
  })
})
