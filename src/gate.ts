import * as core from '@actions/core'
import { ServiceNowClient } from './servicenow/client.js'
import { connectionOptions, readConnectionSettings } from './settings/connection.js'

/**
 * The all-in-one gate. For now it checks the connection: it signs in and
 * reads one change request, so a workflow can prove its ServiceNow setup.
 * Create-or-adopt and wait come with the entrypoints (issue 3).
 */
export async function run(): Promise<void> {
  let client: ServiceNowClient | undefined
  try {
    const settings = readConnectionSettings()
    client = new ServiceNowClient(connectionOptions(settings))
    const connected = client
    await core.group('Check the ServiceNow connection', async () => {
      await connected.checkConnection()
      core.info(`Connected to ${settings.baseUrl} (${settings.auth.method} sign-in); change requests are readable.`)
    })
  } catch (error) {
    core.setFailed(error instanceof Error ? error.message : String(error))
  } finally {
    client?.dispose()
  }
}
