// The licences of the packages in the bundles, as ncc writes them (name, licence, its text, by
// name). ncc's own licenses.txt names only one chunk's packages once a bundle has chunks, so
// scripts/build.mjs lists them from what webpack reports it bundled.
import {readFileSync, readdirSync} from 'node:fs'
import {join} from 'node:path'

/** @param {Array<{compilation: {modules: Iterable<any>}}>} stats ncc's stats, one per bundle */
export function licenses(stats) {
  const packages = new Map()
  for (const {compilation} of stats)
    for (const module of compilation.modules)
      // A concatenated module (ESM hoisted into one scope) holds the modules it joined.
      for (const resource of [module, ...(module.modules ?? [])].map(
        m => m.resource
      )) {
        const root = resource?.match(
          /^(.*[/\\]node_modules[/\\](?:@[^/\\]+[/\\])?[^/\\]+)[/\\]/
        )?.[1]
        if (root === undefined) continue
        const {name, license} = JSON.parse(
          readFileSync(join(root, 'package.json'), 'utf8')
        )
        if (packages.has(name)) continue
        const file = readdirSync(root).find(f =>
          /^(licen[cs]e|copying)/i.test(f)
        )
        const text =
          file === undefined ? '' : readFileSync(join(root, file), 'utf8')
        packages.set(name, {name, license, text})
      }
  return `${[...packages.values()]
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map(
      p =>
        `${p.name}${p.license ? `\n${p.license}` : ''}${p.text ? `\n${p.text}` : ''}\n\n`
    )
    .join('')
    .trim()}\n`
}
