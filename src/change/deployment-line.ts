/**
 * The machine-readable line create writes into the change beside the human-readable list of
 * commits (issue 18: DORA's lead time runs from commit to production): which environment, how
 * many commits went out, and when the oldest and newest of them were made. The report reads it
 * back from the description (or, for a standard change, whose description is its template's,
 * from the work notes).
 *
 *   servicenow-change deployment: environment=production; commits=12;
 *   oldest_commit=2026-11-20T10:00:00Z; newest_commit=2026-11-21T09:30:00Z
 *
 * (on one line). Values are percent-encoded, so an environment named with `;` or a line break
 * cannot forge a field.
 */
export interface DeploymentFacts {
  environment: string
  /** Commits going out; undefined when they could not be told (no token, no earlier deployment). */
  commits: number | undefined
  oldestCommit: Date | undefined
  newestCommit: Date | undefined
}

const PREFIX = 'servicenow-change deployment:'

export function deploymentLine(facts: DeploymentFacts): string {
  const fields: [string, string | undefined][] = [
    ['environment', facts.environment],
    [
      'commits',
      facts.commits === undefined ? undefined : String(facts.commits)
    ],
    ['oldest_commit', iso(facts.oldestCommit)],
    ['newest_commit', iso(facts.newestCommit)]
  ]
  return `${PREFIX} ${fields
    .filter((f): f is [string, string] => f[1] !== undefined)
    .map(([k, v]) => `${k}=${escaped(v)}`)
    .join('; ')}`
}

/** The last such line in a text, or undefined; fields that do not parse are left out. */
export function parseDeploymentLine(text: string): DeploymentFacts | undefined {
  const line = text
    .split(/\r?\n/)
    .reverse()
    .find(l => l.trim().startsWith(PREFIX))
  if (line === undefined) return undefined
  const values = new Map<string, string>()
  for (const part of line.trim().slice(PREFIX.length).split(';')) {
    const eq = part.indexOf('=')
    if (eq <= 0) continue
    try {
      values.set(
        part.slice(0, eq).trim(),
        decodeURIComponent(part.slice(eq + 1).trim())
      )
    } catch {
      // A value that is not percent-encoding is not ours: left out.
    }
  }
  const commits = Number(values.get('commits'))
  return {
    environment: values.get('environment') ?? '',
    commits: Number.isInteger(commits) && commits >= 0 ? commits : undefined,
    oldestCommit: date(values.get('oldest_commit')),
    newestCommit: date(values.get('newest_commit'))
  }
}

/** Only what could break the line or forge a field is percent-encoded: dates stay readable. */
function escaped(value: string): string {
  return value.replace(/[%;=\p{Cc}\u2028\u2029]/gu, c => encodeURIComponent(c))
}

function iso(d: Date | undefined): string | undefined {
  return d === undefined ? undefined : d.toISOString().replace('.000Z', 'Z')
}

/** Only a real instant: 2026-02-30 or 24:00 would roll over into another day, and are refused. */
function date(text: string | undefined): Date | undefined {
  const m =
    text === undefined
      ? null
      : /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,3})?Z$/.exec(text)
  if (m === null) return undefined
  const d = new Date(text!)
  return Number.isNaN(d.getTime()) || d.toISOString().slice(0, 19) !== m[1]
    ? undefined
    : d
}
