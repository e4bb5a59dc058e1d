// Bundles each entrypoint with ncc into dist/<entry>/ (index.js + package.json marking it ESM).
// Usage: node scripts/build.mjs [--out DIR]   (default dist; the freshness test builds elsewhere and compares)
import ncc from '@vercel/ncc'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ENTRIES = ['gate']

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')

export async function build(outDir) {
  // ncc never cleans its output: start from nothing so no stale file survives.
  await rm(outDir, { recursive: true, force: true })
  const sizes = []
  for (const entry of ENTRIES) {
    const { code, assets } = await ncc(join(root, 'src/entries', `${entry}.ts`), {
      minify: true,
      sourceMap: false,
      quiet: true,
      license: 'licenses.txt'
    })
    const dir = join(outDir, entry)
    await mkdir(dir, { recursive: true })
    await writeFile(join(dir, 'index.js'), code)
    for (const [name, asset] of Object.entries(assets ?? {})) {
      if (name === 'package.json') continue
      await mkdir(dirname(join(dir, name)), { recursive: true })
      await writeFile(join(dir, name), asset.source)
    }
    // Without this, node may load the ESM bundle as CommonJS and crash.
    await writeFile(join(dir, 'package.json'), '{"type":"module"}\n')
    sizes.push([entry, Buffer.byteLength(code)])
  }
  return sizes
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--out')
  const outDir = resolve(root, at === -1 ? 'dist' : process.argv[at + 1])
  const started = Date.now()
  let sizes
  try {
    sizes = await build(outDir)
  } catch (error) {
    // ncc's own stack points into its minified webpack: the message is what matters.
    console.error(`build failed: ${String(error?.message ?? error).slice(0, 4000)}`)
    process.exit(1)
  }
  for (const [entry, bytes] of sizes) console.log(`dist/${entry}/index.js  ${(bytes / 1024).toFixed(1)} KiB`)
  console.log(`built ${sizes.length} bundle(s) in ${((Date.now() - started) / 1000).toFixed(1)} s`)
}
