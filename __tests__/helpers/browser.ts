import {existsSync, mkdirSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {chromium, type Page} from 'playwright-core'

/**
 * Where the browser tests find a Chromium-family browser: CHROMIUM_PATH, then the usual installs
 * on Debian/Ubuntu, Fedora, snap and macOS. playwright-core drives whichever it is; Playwright's own
 * browser download is not used (it cannot work on a machine that reaches only package registries).
 */
const USUAL_INSTALLS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/snap/bin/chromium',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome'
]

export const HOW_TO_GET_A_BROWSER =
  'no Chromium or Chrome found: install one (Debian/Ubuntu: `sudo apt-get install chromium`) or set CHROMIUM_PATH to its binary'

export function findChromium(): string | undefined {
  const fromEnv = process.env.CHROMIUM_PATH
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined
  return USUAL_INSTALLS.find(path => existsSync(path))
}

/**
 * Chromium's flags for this workplace. Without the background-networking ones Chromium keeps
 * dialling Google's hosts, which a closed network refuses many times a second.
 */
export const CHROMIUM_FLAGS = [
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync'
]

/**
 * The browser for a suite, or why there is none. Under CI a missing browser is a failure (CI
 * installs one); on a contributor's machine the suite is skipped with that one line instead of a
 * stack trace per test.
 */
export function browserOrSkip(suite: string): string | undefined {
  const found = findChromium()
  if (found) return found
  if (process.env.CI) throw new Error(`${suite}: ${HOW_TO_GET_A_BROWSER}`)
  process.stderr.write(`${suite} skipped: ${HOW_TO_GET_A_BROWSER}.\n`)
  return undefined
}

/** A headless browser on a fresh profile, and a page in it; close() removes the profile too. */
export async function openBrowser(
  executablePath: string
): Promise<{page: Page; close: () => Promise<void>}> {
  const profile = mkdtempSync(join(tmpdir(), 'chromium-profile-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    chromiumSandbox: false,
    args: CHROMIUM_FLAGS
  })
  const page = await context.newPage()
  return {
    page,
    close: async () => {
      await context.close()
      rmSync(profile, {recursive: true, force: true})
    }
  }
}

/** Where the browser tests keep their screenshots (.tmp/screenshots), made if missing. */
export function screenshotDir(): string {
  const dir = join(
    fileURLToPath(new URL('.', import.meta.url)),
    '..',
    '..',
    '.tmp',
    'screenshots'
  )
  mkdirSync(dir, {recursive: true})
  return dir
}
