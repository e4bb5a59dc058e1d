import {githubApi} from './github-api.js'
import type {RunContext} from './github-context.js'

export interface Evidence {
  /** Lines for the change's description: the commits going out, with their pull requests. */
  text: string
  commits: number
  /** When the oldest and newest commits going out were made (their author dates); undefined when none are listed. */
  oldest: Date | undefined
  newest: Date | undefined
}

const MAX_COMMITS = 25
const MAX_CHARS = 2500

/**
 * What this deployment carries: the commits since the last successful
 * deployment of the repository to the same environment (GitHub deployments,
 * then a compare), with the pull requests they came from. Bounded in length,
 * with a link to the rest. Undefined when it cannot be told (no token, no
 * environment, no earlier successful deployment).
 */
export async function deploymentEvidence(
  token: string,
  run: RunContext,
  environment: string
): Promise<Evidence | undefined> {
  const [owner, repo] = run.repository.split('/')
  if (!token || !owner || !repo || !environment || !run.sha) return undefined
  const octokit = await githubApi(token)
  const deployments = await octokit.rest.repos.listDeployments({
    owner,
    repo,
    environment,
    per_page: 30
  })
  let base: string | undefined
  for (const deployment of deployments.data) {
    if (deployment.sha === run.sha) continue
    const statuses = await octokit.rest.repos.listDeploymentStatuses({
      owner,
      repo,
      deployment_id: deployment.id,
      per_page: 1
    })
    if (statuses.data[0]?.state === 'success') {
      base = deployment.sha
      break
    }
  }
  if (base === undefined)
    return {
      text: `No earlier successful deployment to ${environment} was found: this is the first one GitHub knows of.`,
      commits: 0,
      oldest: undefined,
      newest: undefined
    }
  const compare = await octokit.rest.repos.compareCommitsWithBasehead({
    owner,
    repo,
    basehead: `${base}...${run.sha}`
  })
  const commits = compare.data.commits
  const lines: string[] = []
  let length = 0
  for (const commit of [...commits].reverse().slice(0, MAX_COMMITS)) {
    const subject = commit.commit.message.split('\n')[0] ?? ''
    const author =
      commit.author?.login ?? commit.commit.author?.name ?? 'unknown'
    const pr = pullRequest(subject)
    const line = `- ${commit.sha.slice(0, 7)} ${subject.replace(/\s*\(#\d+\)\s*$/, '')} (${author}${pr === undefined ? '' : `, PR #${pr}`})`
    if (length + line.length > MAX_CHARS) break
    lines.push(line)
    length += line.length + 1
  }
  const total = compare.data.total_commits
  // An unpaginated compare lists at most 250 commits (GitHub's "Compare two commits"
  // reference; pagination since the 2021-03-22 changelog), in chronological order: past that,
  // the first and the last commit are read as pages of one, so that the oldest and newest dates
  // cover everything going out.
  const ends =
    commits.length >= total
      ? []
      : await Promise.all(
          [1, total].map(
            async page =>
              (
                await octokit.rest.repos.compareCommitsWithBasehead({
                  owner,
                  repo,
                  basehead: `${base}...${run.sha}`,
                  per_page: 1,
                  page
                })
              ).data.commits
          )
        )
  // The author date: when the change was made. The committer date moves with every rebase or
  // squash merge, and DORA's lead time starts when the change was committed.
  const made = [...commits, ...ends.flat()]
    .map(c => Date.parse(c.commit.author?.date ?? ''))
    .filter(t => Number.isFinite(t))
  const more =
    total > lines.length
      ? `\n… and ${total - lines.length} more: ${compare.data.html_url}`
      : `\nCompare: ${compare.data.html_url}`
  return {
    text: `Commits since the last successful deployment to ${environment} (${base.slice(0, 7)}), newest first: ${total}\n${lines.join('\n')}${more}`,
    commits: total,
    oldest: made.length === 0 ? undefined : new Date(Math.min(...made)),
    newest: made.length === 0 ? undefined : new Date(Math.max(...made))
  }
}

/** "Fix retries (#123)" and "Merge pull request #123 from …" name their pull request. */
function pullRequest(subject: string): string | undefined {
  return (/\(#(\d+)\)\s*$/.exec(subject) ??
    /^Merge pull request #(\d+)/.exec(subject))?.[1]
}
