import {expect} from '@jest/globals'
import {errors, type StepRun} from '../../scripts/local-runner.js'
import type {Simulator, SimulatorOptions} from '../../src/simulator/server.js'
import {scannedSteps} from './scan.js'
import {withSimulator} from './sim.js'

/** A simulator, the bundles run against it with every step scanned for leaks, and the integration user's connection inputs. */
export interface E2eEnvironment {
  sim: Simulator
  runStep: ReturnType<typeof scannedSteps>
  connection: Record<string, string>
}

export async function e2eEnvironment(
  counts: Record<string, number>,
  options: SimulatorOptions = {}
): Promise<E2eEnvironment> {
  const sim = await withSimulator(options)
  return {
    sim,
    runStep: scannedSteps(sim, counts),
    connection: {
      instance_url: sim.url,
      username: 'devops.integration',
      password: 'sn-integration-pw'
    }
  }
}

/** A step that ran clean: exit 0, no error annotation, nothing on stderr. */
export function ok(run: StepRun): void {
  expect({code: run.code, errors: errors(run), stderr: run.stderr}).toEqual({
    code: 0,
    errors: [],
    stderr: ''
  })
}
