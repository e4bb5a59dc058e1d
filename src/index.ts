/**
 * Every entrypoint's run function, bundled once into dist/index.js. Each
 * dist/<entry>/index.js is a one-line file that imports its function from
 * there, so the repository carries the dependencies once, not once per entry.
 */
export { run as create } from './steps/create.js'
export { run as wait } from './steps/wait.js'
export { run as update } from './steps/update.js'
export { run as close } from './steps/close.js'
export { main as gateMain, post as gatePost } from './steps/gate.js'
export { run as report } from './steps/dora.js'
