import {describe, expect, it} from '@jest/globals'
import {readdir, readFile, rm} from 'node:fs/promises'
import {join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'
import {spawnSync} from 'node:child_process'

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..')

async function files(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, {withFileTypes: true})) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await files(path)))
    else out.push(path)
  }
  return out.sort()
}

describe('dist/', () => {
  it('is what `npm run build` makes from the sources: rebuild and commit it with every source change', async () => {
    const fresh = join(root, '.tmp', 'dist-check')
    const built = spawnSync(
      process.execPath,
      ['scripts/build.mjs', '--out', '.tmp/dist-check'],
      {cwd: root, encoding: 'utf8'}
    )
    expect(built.stderr).toBe('')
    expect(built.status).toBe(0)
    try {
      const committed = await files(join(root, 'dist'))
      const expected = await files(fresh)
      expect(committed.map(f => relative(join(root, 'dist'), f))).toEqual(
        expected.map(f => relative(fresh, f))
      )
      for (const file of expected) {
        const same = (await readFile(file)).equals(
          await readFile(join(root, 'dist', relative(fresh, file)))
        )
        expect([relative(fresh, file), same]).toEqual([
          relative(fresh, file),
          true
        ])
      }
    } finally {
      await rm(fresh, {recursive: true, force: true})
    }
  }, 300_000)
})
