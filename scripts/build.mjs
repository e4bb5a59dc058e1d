// Bundles src/index.ts with ncc into dist/index.js, and writes one dist/<entry>/index.js per
// entrypoint that only imports and runs its function from there: the dependencies are carried
// once, not once per entrypoint (a job downloads the whole repository for every `uses:`).
// Usage: node scripts/build.mjs [--out DIR] [--for-coverage]   (default dist; the freshness test builds elsewhere and compares)
import ncc from '@vercel/ncc'
import {readFileSync} from 'node:fs'
import {copyFile, mkdir, rm, writeFile} from 'node:fs/promises'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import ts from 'typescript'
import {licenses} from './licenses.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/**
 * Entry folder → the function src/index.ts exports for it. src/index.ts is the one list of
 * entrypoints: each export is one, and its folder is the export's name in kebab-case
 * (gatePost → dist/gate-post/). Read from the source, not by running it.
 */
export function entries(
  source = readFileSync(join(root, 'src/index.ts'), 'utf8')
) {
  const names = []
  for (const statement of ts.createSourceFile(
    'index.ts',
    source,
    ts.ScriptTarget.Latest
  ).statements) {
    if (
      ts.isExportDeclaration(statement) &&
      statement.exportClause &&
      ts.isNamedExports(statement.exportClause)
    ) {
      names.push(...statement.exportClause.elements.map(e => e.name.text))
    } else if (
      ts.isVariableStatement(statement) &&
      statement.modifiers?.some(m => m.kind === ts.SyntaxKind.ExportKeyword)
    ) {
      names.push(
        ...statement.declarationList.declarations.map(d =>
          ts.isIdentifier(d.name) ? d.name.text : ''
        )
      )
    }
  }
  return Object.fromEntries(
    names.map(name => [
      name.replace(/[A-Z]/g, c => `-${c.toLowerCase()}`),
      name
    ])
  )
}

/**
 * `forCoverage`: the copy the tests run when they measure coverage (never dist/): not minified,
 * so each statement keeps its own place, with index.js.map beside it to map what ran back to
 * src/. No sourceMappingURL comment and no source-map-support: node would otherwise copy the map
 * into every child's coverage file, and stack traces would differ from the shipped bundle's.
 */
export async function build(outDir, {forCoverage = false} = {}) {
  // ncc never cleans its output: start from nothing so no stale file survives.
  await rm(outDir, {recursive: true, force: true})
  const options = forCoverage
    ? {minify: false, sourceMap: true, sourceMapRegister: false}
    : {minify: true, sourceMap: false}
  const {code, map, assets, stats} = await ncc(join(root, 'src/index.ts'), {
    ...options,
    quiet: true,
    // Resolved beside dist/index.js: undici evaluated on first use (see the file built below).
    externals: {undici: './undici.cjs'}
  })
  const undici = await ncc(join(root, 'node_modules/undici/index.js'), {
    minify: !forCoverage,
    sourceMap: false,
    quiet: true
  })
  await mkdir(outDir, {recursive: true})
  await writeFile(
    join(outDir, 'index.js'),
    code.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n')
  )
  if (forCoverage) await writeFile(join(outDir, 'index.js.map'), map)
  await writeFile(join(outDir, 'undici-bundle.cjs'), undici.code)
  await copyFile(
    join(root, 'scripts/undici-on-first-use.cjs'),
    join(outDir, 'undici.cjs')
  )
  for (const [name, asset] of Object.entries(assets ?? {})) {
    if (name === 'package.json') continue
    await mkdir(dirname(join(outDir, name)), {recursive: true})
    await writeFile(join(outDir, name), asset.source)
  }
  await writeFile(join(outDir, 'licenses.txt'), licenses([stats, undici.stats]))
  // Without this, node may load the ESM bundle as CommonJS and crash; it covers the entry folders too.
  await writeFile(join(outDir, 'package.json'), '{"type":"module"}\n')
  for (const [entry, fn] of Object.entries(entries())) {
    await mkdir(join(outDir, entry), {recursive: true})
    // process.exit: nothing left pending (a keep-alive socket, a timer) may hold the step open.
    await writeFile(
      join(outDir, entry, 'index.js'),
      `import { ${fn} } from '../index.js'\nawait ${fn}()\nprocess.exit()\n`
    )
  }
  return Buffer.byteLength(code)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--out')
  const outDir = resolve(root, at === -1 ? 'dist' : process.argv[at + 1])
  const forCoverage = process.argv.includes('--for-coverage')
  const started = Date.now()
  let bytes
  try {
    bytes = await build(outDir, {forCoverage})
  } catch (error) {
    // ncc's own stack points into its minified webpack: the message is what matters.
    console.error(
      `build failed: ${String(error?.message ?? error).slice(0, 4000)}`
    )
    process.exit(1)
  }
  console.log(
    `dist/index.js  ${(bytes / 1024).toFixed(1)} KiB (shared by ${Object.keys(
      entries()
    )
      .map(e => `dist/${e}/`)
      .join(', ')})`
  )
  console.log(`built in ${((Date.now() - started) / 1000).toFixed(1)} s`)
}
