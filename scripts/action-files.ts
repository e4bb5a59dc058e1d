import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {join, relative, resolve} from 'node:path'
import {parse} from 'yaml'

/**
 * The action.yml files of an action's folder, read for the tools that run or ship the bundles
 * (the local runner, the release). Which bundle an entrypoint is lives in its action.yml's
 * `runs.main`/`runs.post` only: nothing here keeps a list of its own.
 */

export interface ActionFile {
  /** The folder holding it, relative to the action's folder; '' is the root action. */
  folder: string
  inputs: Record<string, {default?: string}>
  runs: {main?: string; pre?: string; post?: string}
}

/** The root action.yml, then each sub-action's, in folder order. */
export function actionFiles(root: string): ActionFile[] {
  const folders = readdirSync(root, {withFileTypes: true})
    .filter(
      e => e.isDirectory() && existsSync(join(root, e.name, 'action.yml'))
    )
    .map(e => e.name)
    .sort()
  return ['', ...folders].map(folder => {
    const data = (parse(
      readFileSync(join(root, folder, 'action.yml'), 'utf8')
    ) ?? {}) as Partial<ActionFile>
    return {folder, inputs: data.inputs ?? {}, runs: data.runs ?? {}}
  })
}

/** The scripts an action.yml runs (main, pre, post): as written, and relative to the action's folder. */
export function scriptsRun(
  root: string,
  file: ActionFile
): {script: string; path: string}[] {
  return (['main', 'pre', 'post'] as const)
    .map(key => file.runs[key])
    .filter((script): script is string => script !== undefined)
    .map(script => ({
      script,
      path: relative(root, resolve(root, file.folder, script))
    }))
}

/** The action.yml that runs dist/<entry>/index.js, as its main or post script. */
export function actionFileRunning(root: string, entry: string): ActionFile {
  const script = join('dist', entry, 'index.js')
  const found = actionFiles(root).filter(file =>
    scriptsRun(root, file).some(run => run.path === script)
  )
  if (found.length !== 1)
    throw new Error(
      `${found.length} action.yml files run ${script}; expected one`
    )
  return found[0]!
}
