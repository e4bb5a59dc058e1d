import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {dirname, join, relative, resolve} from 'node:path'

/**
 * The import graph of a source tree, read from the text: `import … from`, `export … from`,
 * side-effect `import '…'` and `import('…')`, type-only imports included (a type import ties
 * two modules together as much as a value import does for a reader). Relative specifiers are
 * resolved the NodeNext way (`./x.js` is `./x.ts`); packages and node: built-ins are kept as
 * written, so a rule can say which of those a folder may use.
 */
export interface ImportGraph {
  /** Each file (relative to the root, with / separators) and what it imports: files in the tree, or package names. */
  edges: Map<string, string[]>
}

const SPECIFIER =
  /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm

export function importsOf(source: string): string[] {
  return [...source.matchAll(SPECIFIER)].map(match => match[1] ?? '')
}

export function readImportGraph(root: string): ImportGraph {
  const edges = new Map<string, string[]>()
  for (const file of tsFiles(root)) {
    const from = dirname(file)
    const targets = importsOf(readFileSync(file, 'utf8')).map(spec =>
      spec.startsWith('.')
        ? toPosix(relative(root, resolveTs(resolve(from, spec))))
        : spec
    )
    edges.set(toPosix(relative(root, file)), targets)
  }
  return {edges}
}

/** Every cycle's path (first file repeated at the end), one per strongly connected group of files. */
export function findCycles(edges: Map<string, string[]>): string[][] {
  const cycles: string[][] = []
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const visit = (node: string): void => {
    state.set(node, 'open')
    stack.push(node)
    for (const next of edges.get(node) ?? []) {
      if (!edges.has(next)) continue
      if (state.get(next) === 'open')
        cycles.push([...stack.slice(stack.indexOf(next)), next])
      else if (state.get(next) === undefined) visit(next)
    }
    stack.pop()
    state.set(node, 'done')
  }
  for (const node of [...edges.keys()].sort())
    if (state.get(node) === undefined) visit(node)
  return cycles
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap(entry => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return tsFiles(path)
    return entry.name.endsWith('.ts') ? [path] : []
  })
}

function resolveTs(path: string): string {
  const candidates = [
    path.replace(/\.js$/, '.ts'),
    `${path}.ts`,
    join(path, 'index.ts')
  ]
  return candidates.find(c => existsSync(c)) ?? path
}

function toPosix(path: string): string {
  return path.split('\\').join('/')
}
