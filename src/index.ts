/**
 * The one list of entrypoints: each export is one, bundled once into dist/index.js.
 * scripts/build.mjs writes dist/<export in kebab-case>/index.js for each (gatePost →
 * dist/gate-post/), a three-line file that imports its function from there and runs it, so
 * the repository carries the dependencies once, not once per entry; an action.yml's
 * runs.main or runs.post names that file.
 */
export {run as create} from './steps/create.js'
export {run as wait} from './steps/wait.js'
export {run as update} from './steps/update.js'
export {run as close} from './steps/close.js'
export {main as gate, post as gatePost} from './steps/gate.js'
export {run as report} from './steps/dora.js'
export {run as sync} from './steps/sync.js'
