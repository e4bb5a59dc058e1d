// Prints the figures the reliability and security suites recorded in .tmp/counts (see __tests__/helpers/counts.ts).
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

const dir = join(import.meta.dirname, '..', '.tmp', 'counts')
let files = []
try {
  files = readdirSync(dir)
    .filter(f => f.endsWith('.json'))
    .sort()
} catch {
  console.log('no counts recorded')
  process.exit(0)
}
const totals = {}
for (const file of files) {
  const counts = JSON.parse(readFileSync(join(dir, file), 'utf8'))
  console.log(`\n${file.replace(/\.json$/, '')}`)
  for (const [key, value] of Object.entries(counts)) {
    console.log(`  ${String(value).padStart(6)}  ${key}`)
    if (
      [
        'secret hits',
        'step runs scanned',
        'secret values looked for',
        'hostile cases run',
        'hostile cases held'
      ].includes(key)
    )
      totals[key] = (totals[key] ?? 0) + value
  }
}
console.log('\nall suites')
for (const [key, value] of Object.entries(totals))
  console.log(`  ${String(value).padStart(6)}  ${key}`)
