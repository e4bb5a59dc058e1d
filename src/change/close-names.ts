/**
 * The names in `known` a person probably meant by `wanted`: the same words in another case or
 * spacing, or within a few typing mistakes (Levenshtein distance, scaled to the name's length).
 * The closest first, at most three.
 */
export function closeNames(wanted: string, known: string[]): string[] {
  const norm = (s: string): string =>
    s.toLowerCase().replace(/\s+/g, ' ').trim()
  const target = norm(wanted)
  const allowed = Math.max(2, Math.floor(target.length / 5))
  return [...new Set(known)]
    .map(name => ({name, distance: distance(target, norm(name))}))
    .filter(c => c.distance <= allowed)
    .sort((a, b) => a.distance - b.distance || a.name.localeCompare(b.name))
    .slice(0, 3)
    .map(c => c.name)
}

function distance(a: string, b: string): number {
  let previous = Array.from({length: b.length + 1}, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)
      )
    }
    previous = current
  }
  return previous[b.length]!
}
