import {describe, expect, it} from '@jest/globals'
import {readdirSync, readFileSync} from 'node:fs'
import {builtinModules} from 'node:module'
import {dirname, join, relative, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import ts from 'typescript'

/**
 * src/ is what ships (the bundle is built from it) and what the simulator is made of: it imports
 * only itself, node's built-ins and the packages the action depends on. Development tools (the
 * local runner, the build) live in scripts/, and a dev dependency never reaches src/.
 */
const root = join(fileURLToPath(new URL('.', import.meta.url)), '..')
const src = join(root, 'src')
const {dependencies} = JSON.parse(
  readFileSync(join(root, 'package.json'), 'utf8')
) as {dependencies: Record<string, string>}

const files = readdirSync(src, {recursive: true, encoding: 'utf8'}).filter(f =>
  f.endsWith('.ts')
)
const imports = files.flatMap(file =>
  ts
    .preProcessFile(readFileSync(join(src, file), 'utf8'), true, true)
    .importedFiles.map(({fileName}) => ({file, fileName}))
)

/** A package import's package name: `@scope/name/sub` → `@scope/name`, `name/sub` → `name`. */
const packageOf = (specifier: string): string =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/')

describe('src/', () => {
  it('has imports to check', () => {
    expect(files.length).toBeGreaterThan(50)
    expect(
      imports.filter(i => i.fileName.startsWith('.')).length
    ).toBeGreaterThan(100)
  })

  it('imports nothing outside src/ by a relative path', () => {
    const outside = imports.filter(
      i =>
        i.fileName.startsWith('.') &&
        relative(src, resolve(src, dirname(i.file), i.fileName)).startsWith(
          '..'
        )
    )
    expect(outside).toEqual([])
  })

  it("imports only node's built-ins and the action's dependencies", () => {
    const packages = imports
      .filter(i => !i.fileName.startsWith('.'))
      .map(i => ({...i, fileName: packageOf(i.fileName)}))
    const allowed = (name: string): boolean =>
      name in dependencies ||
      name.startsWith('node:') ||
      builtinModules.includes(name)
    expect(packages.filter(i => !allowed(i.fileName))).toEqual([])
    expect(packages.length).toBeGreaterThan(20)
  })
})
