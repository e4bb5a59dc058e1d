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

describe('the GitHub API simulator, reads the evidence and the post step use', () => {
  it('lists deployments by environment, their statuses newest first, a compare paged, and a run attempt’s jobs', async () => {
    const repo = gh.world.repo(REPO)
    repo.deployments.push(
      {
        id: 1,
        sha: 'a'.repeat(40),
        environment: 'production',
        statuses: ['in_progress', 'success']
      },
      {
        id: 2,
        sha: 'b'.repeat(40),
        environment: 'staging',
        statuses: ['failure']
      }
    )
    for (let i = 0; i < 5; i++)
      repo.commits.push({
        sha: String(i).repeat(40),
        message: `commit ${i}`,
        author: 'mona',
        date: `2026-11-2${i}T00:00:00Z`
      })
    gh.world.repo(REPO).runs.get(2)!.jobs.push({
      id: 7,
      name: 'deploy (eu)',
      status: 'in_progress',
      conclusion: null,
      runner_name: 'GitHub Actions 7',
      steps: []
    })
    expect(
      (await call(`/repos/${REPO}/deployments?environment=production`)).json
    ).toEqual([{id: 1, sha: 'a'.repeat(40), environment: 'production'}])
    expect(
      (await call(`/repos/${REPO}/deployments/1/statuses?per_page=1`)).json
    ).toEqual([{state: 'success'}])
    expect((await call(`/repos/${REPO}/deployments/9/statuses`)).status).toBe(
      404
    )
    const all = await call(
      `/repos/${REPO}/compare/${'0'.repeat(40)}...${'4'.repeat(40)}`
    )
    expect([all.json.total_commits, all.json.commits.length]).toEqual([4, 4])
    const last = await call(
      `/repos/${REPO}/compare/${'0'.repeat(40)}...${'4'.repeat(40)}?per_page=1&page=4`
    )
    expect(
      last.json.commits.map(
        (c: {commit: {message: string}}) => c.commit.message
      )
    ).toEqual(['commit 4'])
    expect(
      (
        await call(
          `/repos/${REPO}/compare/${'9'.repeat(40)}...${'4'.repeat(40)}`
        )
      ).status
    ).toBe(404)
    expect(
      (await call(`/repos/${REPO}/actions/runs/2/attempts/1/jobs`)).json
    ).toEqual({
      total_count: 1,
      jobs: [
        expect.objectContaining({
          name: 'deploy (eu)',
          runner_name: 'GitHub Actions 7'
        })
      ]
    })
    expect((await call(`/repos/${REPO}/actions/runs/2`)).json).toMatchObject({
      id: 2,
      status: 'waiting'
    })
    expect((await call(`/repos/${REPO}/actions/runs/424242`)).status).toBe(404)
    expect((await call(`/repos/nobody/none/actions/runs`)).status).toBe(404)
    expect((await call('/user')).status).toBe(404)
    const badJson = await fetch(`${gh.url}/repos/${REPO}/dispatches`, {
      method: 'POST',
      headers: {authorization: 'token bot'},
      body: '{not json'
    })
    expect(badJson.status).toBe(400)
  })

  it('rejects a deployment for a reviewer, failing the run, and refuses a non-reviewer with 422', async () => {
    gh.world.addToken('stranger', {login: 'stranger'})
    const envId = gh.world.repo(REPO).environments.get('production')!.id
    const review = {environment_ids: [envId], state: 'rejected', comment: 'no'}
    const stranger = await call(
      `/repos/${REPO}/actions/runs/3/pending_deployments`,
      {token: 'stranger', method: 'POST', body: review}
    )
    expect(stranger.status).toBe(422)
    const rejected = await call(
      `/repos/${REPO}/actions/runs/3/pending_deployments`,
      {method: 'POST', body: review}
    )
    expect(rejected.status).toBe(200)
    expect((await call(`/repos/${REPO}/actions/runs/3`)).json).toMatchObject({
      status: 'completed',
      conclusion: 'failure'
    })
  })
})
