import { InputError } from './errors.js'
import { safeUrl } from './redact.js'

const BARE_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i
const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i

/**
 * Turns the instance_url input into the base URL every request is built on
 * (scheme and host, no trailing slash).
 *
 * Accepts `https://host[:port][/]` and a bare instance name (`acme` means
 * `https://acme.service-now.com`). Refuses what would leak credentials or
 * silently go somewhere else: plain http except to loopback (the simulator),
 * credentials in the URL, a query, a fragment or a page path.
 */
export function parseInstanceUrl(input: string): string {
  const text = input.trim()
  if (text === '') {
    throw new InputError("instance_url is empty. Give the instance's address, e.g. https://acme.service-now.com, or its name, e.g. acme.")
  }
  if (BARE_NAME.test(text)) return `https://${text.toLowerCase()}.service-now.com`

  let url: URL
  try {
    url = new URL(text)
  } catch {
    // Named without what may carry credentials or tokens (user:password@, a query, a fragment).
    throw new InputError(`Invalid instance_url '${safeUrl(text)}'. Expected https://<host> or an instance name such as acme.`)
  }
  const shown = `${url.protocol}//${url.host}`
  if (url.username !== '' || url.password !== '') {
    throw new InputError(`Invalid instance_url '${shown}': it carries credentials. Pass them as username/password or client_id/client_secret inputs instead.`)
  }
  if (url.protocol === 'http:') {
    if (!LOOPBACK.test(url.hostname)) {
      throw new InputError(`Invalid instance_url '${shown}': plain http would send credentials in clear text. Use https (http is accepted only for localhost).`)
    }
  } else if (url.protocol !== 'https:') {
    throw new InputError(`Invalid instance_url '${shown}': the scheme must be https.`)
  }
  if (url.search !== '' || url.hash !== '') {
    throw new InputError(`Invalid instance_url '${shown}${url.pathname}…': it has a query or fragment. Give only the instance's address, e.g. ${shown}.`)
  }
  if (url.pathname !== '/' && url.pathname !== '') {
    throw new InputError(`Invalid instance_url '${shown}${url.pathname}': it points at a page. Give only the instance's address, e.g. ${shown}.`)
  }
  return shown
}
