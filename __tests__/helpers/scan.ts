import {expect} from '@jest/globals'
import {
  runStep,
  type RunOptions,
  type StepRun
} from '../../scripts/local-runner.js'
import type {Simulator} from '../../src/simulator/server.js'
import {add} from './counts.js'

/**
 * Runs a bundle and then looks for every secret it was given, and every value
 * derived from one (the base64 of user:password, each OAuth token the
 * simulator issued), in everything the step wrote: stdout, stderr, outputs,
 * saved state, job summary, exported variables. The runner consumes
 * `::add-mask::` lines instead of showing them: those are where a secret must
 * appear, before any line that could carry it. Whether a token was masked is
 * asked only of tokens the step received, i.e. sent back to the simulator: a
 * token whose answer the step never got (it timed out first, as happens on a
 * busy machine) cannot be masked by it, and is still looked for in the output.
 */
export function scannedSteps(
  sim: Simulator,
  counts: Record<string, number>,
  /** Tokens handed out by something other than the simulator (GitHub's OIDC ID tokens). */
  otherIssued: () => string[] = () => []
): (
  entry: string,
  inputs: Record<string, string>,
  options?: RunOptions
) => Promise<StepRun> {
  return async (entry, inputs, options) => {
    const everIssued = (): string[] => [
      ...sim.oauth.issuedTokens(),
      ...otherIssued()
    ]
    const before = new Set(everIssued())
    const run = await runStep(entry, inputs, options)
    const presented = new Set([
      ...sim.oauth.presentedTokens(),
      ...otherIssued()
    ])
    const issued = everIssued().filter(t => !before.has(t) && presented.has(t))
    const env = options?.env ?? {}
    const given = [
      inputs.password,
      inputs.client_secret,
      inputs.token,
      inputs.api_key,
      env.ACTIONS_ID_TOKEN_REQUEST_TOKEN
    ]
      .concat([
        env.SERVICENOW_PASSWORD,
        env.SERVICENOW_CLIENT_SECRET,
        env.SERVICENOW_TOKEN,
        env.SERVICENOW_API_KEY
      ])
      .filter((s): s is string => s !== undefined && s !== '')
    // Basic auth sends base64(user:password); with OAuth the pair goes only into the token request's form.
    // Connection inputs may come from the environment (SERVICENOW_*); a given input wins.
    const username = inputs.username || env.SERVICENOW_USERNAME
    const password = inputs.password || env.SERVICENOW_PASSWORD
    const basic =
      username && password
        ? [Buffer.from(`${username}:${password}`).toString('base64')]
        : []
    const derived = inputs.client_id || env.SERVICENOW_CLIENT_ID ? [] : basic
    const secrets = [...given, ...basic, ...everIssued()]
    const lines = run.stdout.split('\n')
    const shown = [
      lines.filter(l => !l.startsWith('::add-mask::')).join('\n'),
      run.stderr,
      JSON.stringify(run.outputs),
      JSON.stringify(run.state),
      run.summary,
      JSON.stringify(run.exported)
    ].join('\n')
    const hits = secrets.filter(secret => shown.includes(secret))
    add(counts, 'step runs scanned')
    add(counts, 'secret values looked for', secrets.length)
    add(counts, 'secret hits', hits.length)
    expect(
      hits.map(h => `${h.slice(0, 3)}… found in the step's output`)
    ).toEqual([])
    // Credentials are masked before any other line; derived values and tokens before the first request.
    const firstOther = lines.findIndex(
      l => l !== '' && !l.startsWith('::add-mask::')
    )
    const firstRequest = lines.findIndex(l =>
      /^::debug::(GET|POST|PATCH|PUT|DELETE) /.test(l)
    )
    const maskedBy = (secret: string, limit: number): boolean => {
      const at = lines.indexOf(`::add-mask::${secret}`)
      return at !== -1 && (limit === -1 || at < limit)
    }
    // A step that sent no request (bad input, a skip) never derived anything to mask.
    const used = firstRequest === -1 ? [] : derived
    // The runner masks the ID token request token itself; the action must only never show it.
    const checked = given.filter(
      s => s !== options?.env?.ACTIONS_ID_TOKEN_REQUEST_TOKEN
    )
    const unmasked = [
      ...checked.filter(s => !maskedBy(s, firstOther)),
      ...used.filter(s => !maskedBy(s, firstRequest)),
      ...issued.filter(s => !maskedBy(s, -1))
    ]
    add(
      counts,
      'values masked before first use',
      checked.length + used.length + issued.length - unmasked.length
    )
    // On failure, the step's first lines (secrets blanked) say what came before the mask: a flake
    // of this check was seen once under heavy load and could not be reproduced.
    const opening = lines
      .slice(0, 8)
      .map(l => secrets.reduce((t, secret) => t.split(secret).join('***'), l))
    expect({
      unmasked: unmasked.map(s => `${s.slice(0, 3)}… not masked in time`),
      opening: unmasked.length === 0 ? [] : opening
    }).toEqual({unmasked: [], opening: []})
    return run
  }
}
