import {afterAll, beforeAll, describe, expect, it} from '@jest/globals'
import {
  startGithubSimulator,
  type GithubSimulator
} from '../src/github-simulator/server.js'

/**
 * The GitHub API simulator answers as docs.github.com/rest documents: checked over HTTP here, so
 * that the sync step's tests rest on GitHub's behaviour, not on the step's own idea of it.
 */
let gh: GithubSimulator
const REPO = 'octo-org/payments'
beforeAll(async () => {
  gh = await startGithubSimulator()
  gh.world.addToken('bot', {login: 'deploy-bot'})
  gh.world.addToken('reader', {login: 'github-actions[bot]', readOnly: true})
  gh.world.addToken('spent', {login: 'spent-user'})
  gh.world.addEnvironment(REPO, 'production', ['deploy-bot'])
  for (let id = 1; id <= 150; id++)
    gh.world.addWaitingRun(REPO, id, ['production'])
  gh.world.addWaitingRun(REPO, 999, [], {
    status: 'completed',
    conclusion: 'success'
  })
})
afterAll(() => gh.stop())

const call = async (
  path: string,
  {
    token = 'bot',
    method = 'GET',
    body
  }: {token?: string; method?: string; body?: unknown} = {}
): Promise<{status: number; json: any; headers: Headers}> => {
  const response = await fetch(`${gh.url}${path}`, {
    method,
    headers: {
      authorization: `token ${token}`,
      'content-type': 'application/json'
    },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  const text = await response.text()
  return {
    status: response.status,
    json: text === '' ? undefined : JSON.parse(text),
    headers: response.headers
  }
}

describe('the GitHub API simulator', () => {
  it('lists runs by status, 100 a page at most, with a Link header to the next and last page', async () => {
    const first = await call(
      `/repos/${REPO}/actions/runs?status=waiting&per_page=100`
    )
    expect(first.json.total_count).toBe(150)
    expect(first.json.workflow_runs).toHaveLength(100)
    expect(first.headers.get('link')).toBe(
      `<${gh.url}/repos/${REPO}/actions/runs?status=waiting&per_page=100&page=2>; rel="next", <${gh.url}/repos/${REPO}/actions/runs?status=waiting&per_page=100&page=2>; rel="last"`
    )
    const second = await call(
      `/repos/${REPO}/actions/runs?status=waiting&per_page=100&page=2`
    )
    expect(second.json.workflow_runs).toHaveLength(50)
    const ids = [...first.json.workflow_runs, ...second.json.workflow_runs].map(
      (r: {id: number}) => r.id
    )
    expect(new Set(ids).size).toBe(150)
    expect(ids).not.toContain(999)
  })

  it('says who may review a pending deployment, takes one review, and refuses a second with 422', async () => {
    const pending = await call(
      `/repos/${REPO}/actions/runs/1/pending_deployments`
    )
    expect(pending.json).toEqual([
      expect.objectContaining({
        environment: expect.objectContaining({name: 'production'}),
        current_user_can_approve: true
      })
    ])
    const envId = pending.json[0].environment.id
    const review = {environment_ids: [envId], state: 'approved', comment: 'ok'}
    const asReader = await call(
      `/repos/${REPO}/actions/runs/1/pending_deployments`,
      {token: 'reader', method: 'POST', body: review}
    )
    expect(asReader.status).toBe(403)
    const once = await call(
      `/repos/${REPO}/actions/runs/1/pending_deployments`,
      {method: 'POST', body: review}
    )
    expect(once.status).toBe(200)
    const twice = await call(
      `/repos/${REPO}/actions/runs/1/pending_deployments`,
      {method: 'POST', body: review}
    )
    expect([twice.status, twice.json.message]).toEqual([
      422,
      'No pending deployment requests to approve or reject'
    ])
    expect(
      (await call(`/repos/${REPO}/actions/runs/1/approvals`)).json
    ).toEqual([
      expect.objectContaining({
        state: 'approved',
        comment: 'ok',
        user: {login: 'deploy-bot'}
      })
    ])
    const missing = await call(
      `/repos/${REPO}/actions/runs/2/pending_deployments`,
      {method: 'POST', body: {environment_ids: [envId], state: 'approved'}}
    )
    expect(missing.status).toBe(422)
  })

  it('answers an unknown token 401, and a spent rate limit 403 with x-ratelimit-remaining 0', async () => {
    expect(
      (await call(`/repos/${REPO}/actions/runs`, {token: 'nobody'})).status
    ).toBe(401)
    gh.world.rates.set('spent-user', {
      limit: 60,
      remaining: 0,
      reset: Math.floor(Date.now() / 1000) + 600
    })
    const spent = await call(`/repos/${REPO}/actions/runs`, {token: 'spent'})
    expect(spent.status).toBe(403)
    expect(spent.json.message).toMatch(/^API rate limit exceeded/)
    expect(spent.headers.get('x-ratelimit-remaining')).toBe('0')
  })

  it('takes a repository dispatch with 204 and tells of it', async () => {
    const told: unknown[] = []
    gh.world.onDispatch = d => told.push(d)
    const sent = await call(`/repos/${REPO}/dispatches`, {
      method: 'POST',
      body: {
        event_type: 'servicenow-change',
        client_payload: {number: 'CHG0030001'}
      }
    })
    expect(sent.status).toBe(204)
    expect(told).toEqual([
      expect.objectContaining({
        repository: REPO,
        event_type: 'servicenow-change'
      })
    ])
    const bad = await call(`/repos/${REPO}/dispatches`, {
      method: 'POST',
      body: {}
    })
    expect(bad.status).toBe(422)
  })
})
