// undici for dist/index.js, evaluated on first use. @actions/http-client (4, and the 3 under
// @actions/github) imports undici at the top for a proxy agent, and @actions/github for its
// fetch; a step uses them only behind a proxy or when it calls GitHub, yet evaluating undici was
// the largest part of every step's cold start. scripts/build.mjs copies this file as it is to
// dist/undici.cjs (so that node sees its named exports when the bundle imports them), bundles
// undici alone beside it as dist/undici-bundle.cjs, and points dist/index.js's imports of
// 'undici' here: only the names those packages take from undici are offered.
'use strict'
let undici
const load = () => (undici ??= require('./undici-bundle.cjs'))

// A function, not a class: `new ProxyAgent(...)` returns the real agent built by undici.
exports.ProxyAgent = function ProxyAgent(...args) {
  return new (load().ProxyAgent)(...args)
}
exports.fetch = (...args) => load().fetch(...args)
