import type {Row, Store} from './store.js'

/**
 * What the README's business rule does on an instance (ServiceNow's RESTMessageV2 API:
 * executeAsync): when a change this action made changes its approval or state, POST a
 * repository_dispatch (docs.github.com/rest: "Create a repository dispatch event",
 * event_type and client_payload) to the repository its correlation id names. Sent after the
 * update, never holding it up; a failed send is logged and dropped, as an outbound message is.
 */
export function notifyGithubOnChange(
  store: Store,
  target: {url: string; token: string},
  log: (line: string) => void = () => {}
): void {
  store.listeners.push((table, row, changed) => {
    if (table !== 'change_request') return
    if (row.correlation_display !== 'servicenow-change') return
    if (!changed.includes('approval') && !changed.includes('state')) return
    const parts = (row.correlation_id ?? '').split('/')
    if (parts.length < 3) return
    const repository = `${parts[0]}/${parts[1]}`
    const payload = dispatchBody(row)
    setImmediate(() => {
      fetch(`${target.url.replace(/\/$/, '')}/repos/${repository}/dispatches`, {
        method: 'POST',
        headers: {
          Accept: 'application/vnd.github+json',
          'Content-Type': 'application/json',
          Authorization: `Bearer ${target.token}`,
          'X-GitHub-Api-Version': '2022-11-28'
        },
        body: JSON.stringify(payload)
      })
        .then(response => {
          log(
            `repository_dispatch to ${repository} for ${row.number ?? ''}: ${response.status}`
          )
          return response.arrayBuffer()
        })
        .catch((error: unknown) =>
          log(`repository_dispatch to ${repository} failed: ${String(error)}`)
        )
    })
  })
}

function dispatchBody(row: Row): Record<string, unknown> {
  return {
    event_type: 'servicenow-change',
    client_payload: {
      number: row.number ?? '',
      sys_id: row.sys_id ?? '',
      state: row.state ?? '',
      approval: row.approval ?? '',
      correlation_id: row.correlation_id ?? ''
    }
  }
}
