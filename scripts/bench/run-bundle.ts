/** Running a bundle as a runner runs it, timed, beside a simulator. */
import {spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import {dirname, join} from 'node:path'
import type {Simulator} from '../../src/simulator/server.js'
import {githubEnv} from '../local-runner.js'
import {root} from './table.js'

/**
 * The vendor's action, run beside ours: its ncc bundle at one commit (see its README there), kept
 * in shared/peers/ beside the repository (or a worktree's parent); VENDOR_BUNDLE names another.
 */
export function vendorBundle(): string {
  if (process.env.VENDOR_BUNDLE) return process.env.VENDOR_BUNDLE
  const inPeers = (dir: string): string =>
    join(dir, 'shared', 'peers', 'servicenow-devops-change', 'index.js')
  for (let dir = dirname(root); dir !== dirname(dir); dir = dirname(dir))
    if (existsSync(inPeers(dir))) return inPeers(dir)
  throw new Error(
    `no shared/peers/servicenow-devops-change/index.js above ${root}: set VENDOR_BUNDLE`
  )
}

/**
 * Runs one bundle as a runner runs it (inputs and state in the environment), and times it from
 * spawning node to the first request reaching the simulator and to its exit. stopAtFirstRequest:
 * the run is ended once its first request arrives (the vendor's, which would go on to poll an
 * API the simulator does not have).
 */
export async function runBundle(
  sim: Simulator,
  bundle: string | string[],
  inputs: Record<string, string>,
  options: {
    state?: Record<string, string>
    stopAtFirstRequest?: boolean
    /** node's own arguments, before the bundle (e.g. --import a probe). */
    nodeArgs?: string[]
    env?: Record<string, string>
  } = {}
): Promise<{
  firstRequestMs: number | undefined
  ms: number
  code: number | null
}> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    ...githubEnv(),
    RUNNER_DEBUG: ''
  }
  for (const [k, v] of Object.entries(inputs))
    env[`INPUT_${k.toUpperCase()}`] = v
  Object.assign(env, options.env)
  for (const [k, v] of Object.entries(options.state ?? {}))
    env[`STATE_${k}`] = v
  const before = sim.log.length
  const spawnedAt = Date.now()
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), bundle].flat(),
    {
      env,
      stdio: process.env.BENCH_DEBUG ? 'inherit' : 'ignore'
    }
  )
  let watch: NodeJS.Timeout | undefined
  if (options.stopAtFirstRequest === true)
    watch = setInterval(() => {
      if (sim.log.length > before) child.kill()
    }, 2)
  const code = await new Promise<number | null>(resolve =>
    child.on('close', resolve)
  )
  clearInterval(watch)
  const first = sim.log[before]
  return {
    firstRequestMs: first === undefined ? undefined : first.at - spawnedAt,
    ms: Date.now() - spawnedAt,
    code
  }
}
