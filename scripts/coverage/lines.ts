import {
  eachMapping,
  TraceMap,
  type SourceMapInput
} from '@jridgewell/trace-mapping'

/**
 * Line coverage of src/ from two sides: jest's own (istanbul, the code the tests import) and the
 * bundles the end-to-end tests run as child processes (V8 coverage, mapped back to src/ through
 * the coverage bundle's source map). One denominator for both: istanbul's executable lines, the
 * lines where a statement starts. A line counts as covered when either side ran it.
 */

/** One range of V8's block coverage (NODE_V8_COVERAGE): characters [startOffset, endOffset) ran `count` times. */
export interface V8Range {
  startOffset: number
  endOffset: number
  count: number
}

/** A script's entry in a V8 coverage file. */
export interface V8Script {
  url: string
  functions: {ranges: V8Range[]}[]
}

/**
 * Marks in `ran` the characters of a script that ran in one process. V8's ranges nest (a function,
 * then the blocks inside it) and the innermost range holds the count, so outer ranges are painted
 * first and inner ones over them; characters that ran in earlier processes stay marked.
 */
export function markRan(ran: Uint8Array, script: V8Script): void {
  const ranges = script.functions
    .flatMap(f => f.ranges)
    .sort((a, b) => a.startOffset - b.startOffset || b.endOffset - a.endOffset)
  const once = new Uint8Array(ran.length)
  for (const r of ranges)
    once.fill(
      r.count > 0 ? 1 : 0,
      r.startOffset,
      Math.min(r.endOffset, ran.length)
    )
  for (let i = 0; i < ran.length; i++) ran[i]! |= once[i]!
}

/**
 * The source lines whose generated code ran: a line ran when code mapped to it starts at a
 * character that ran. `fileOf` names the file a map source is (undefined: not measured).
 */
export function sourceLinesRun(
  ran: Uint8Array,
  code: string,
  map: SourceMapInput,
  fileOf: (source: string) => string | undefined
): Map<string, Set<number>> {
  const lineStarts = [0]
  for (let i = code.indexOf('\n'); i !== -1; i = code.indexOf('\n', i + 1))
    lineStarts.push(i + 1)
  const lines = new Map<string, Set<number>>()
  eachMapping(new TraceMap(map), m => {
    if (
      m.source === null ||
      ran[lineStarts[m.generatedLine - 1]! + m.generatedColumn] !== 1
    )
      return
    const file = fileOf(m.source)
    if (file === undefined) return
    if (!lines.has(file)) lines.set(file, new Set())
    lines.get(file)!.add(m.originalLine)
  })
  return lines
}

/** What jest writes for one file in coverage-final.json (the parts read here). */
export interface IstanbulFile {
  statementMap: Record<string, {start: {line: number}}>
  s: Record<string, number>
}

export interface FileLines {
  /** Executable lines: those where a statement starts (istanbul's count, jest's "Lines"). */
  total: number
  /** Of those, the lines the tests' own process ran. */
  inProcess: number
  /** Of those, the lines either the tests' process or a child ran. */
  covered: number
}

/** Merges one file's two sides over istanbul's executable lines. */
export function mergeFile(
  file: IstanbulFile,
  runByChildren: ReadonlySet<number> = new Set()
): FileLines {
  const executable = new Set<number>()
  const ranHere = new Set<number>()
  for (const [id, statement] of Object.entries(file.statementMap)) {
    executable.add(statement.start.line)
    if ((file.s[id] ?? 0) > 0) ranHere.add(statement.start.line)
  }
  const covered = [...executable].filter(
    line => ranHere.has(line) || runByChildren.has(line)
  )
  return {
    total: executable.size,
    inProcess: ranHere.size,
    covered: covered.length
  }
}

/** The folder a src/ file is reported under: src/<folder>, or src/ itself for the files at its top. */
export function folderOf(file: string): string {
  const parts = file.split('/')
  return parts.length > 2 ? parts.slice(0, 2).join('/') : 'src (top files)'
}

/** Sums files' lines by folder, folders in name order, then the total. */
export function byFolder(files: Map<string, FileLines>): [string, FileLines][] {
  const sums = new Map<string, FileLines>()
  const add = (key: string, lines: FileLines): void => {
    const sum = sums.get(key) ?? {total: 0, inProcess: 0, covered: 0}
    sums.set(key, {
      total: sum.total + lines.total,
      inProcess: sum.inProcess + lines.inProcess,
      covered: sum.covered + lines.covered
    })
  }
  for (const [file, lines] of files) add(folderOf(file), lines)
  const folders = [...sums.entries()].sort(([a], [b]) => a.localeCompare(b))
  for (const [, lines] of folders) add('all of src/', lines)
  return [...folders, ['all of src/', sums.get('all of src/')!]]
}

export const percent = (part: number, whole: number): number =>
  whole === 0 ? 100 : Math.floor((part / whole) * 1000) / 10
