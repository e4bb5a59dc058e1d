import {InputError} from './errors.js'
import {safeUrl} from './redact.js'

const BARE_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i
// A host ending in a top-level domain (letters only: 'acme.service-now' is a typo, not a host) or an IPv4 address.
const HOST_ONLY =
  /^(?:(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}|\d{1,3}(?:\.\d{1,3}){3})(?::\d{1,5})?\/?$/i
const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i

/**
 * Turns the instance_url input into the base URL every request is built on
 * (scheme and host, no trailing slash).
 *
 * Accepts `https://host[:port][/]`, a host name without a scheme
 * (`acme.service-now.com` means `https://acme.service-now.com`) and a bare
 * instance name (`acme` means `https://acme.service-now.com`). Refuses what would leak credentials or
 * silently go somewhere else: plain http except to loopback (the simulator),
 * credentials in the URL, a query, a fragment or a page path.
 */
export function parseInstanceUrl(input: string): string {
  const text = input.trim()
  if (text === '') {
    throw new InputError(
      "instance_url is empty. Give the instance's address, e.g. https://acme.service-now.com, or its name, e.g. acme, as the input or as SERVICENOW_INSTANCE_URL in the job's env."
    )
  }
  // URL parsing silently drops tabs and line breaks inside a URL: 'acme.service-\nnow.com' would still parse.
  if (/\s/.test(text))
    throw new InputError(
      'Invalid instance_url: it has a line break or space inside. Give one address on one line, e.g. https://acme.service-now.com.'
    )
  if (BARE_NAME.test(text))
    return `https://${text.toLowerCase()}.service-now.com`
  // A host name without a scheme (acme.service-now.com, sn.example.com:8443) means https, the only
  // scheme an instance is reached by; anything else is parsed, and refused, as written.
  const withScheme = HOST_ONLY.test(text) ? `https://${text}` : text

  let url: URL
  try {
    url = new URL(withScheme)
  } catch {
    // Named without what may carry credentials or tokens (user:password@, a query, a fragment).
    throw new InputError(
      `Invalid instance_url '${safeUrl(text)}'. Expected https://<host> or an instance name such as acme.`
    )
  }
  const shown = `${url.protocol}//${url.host}`
  if (url.username !== '' || url.password !== '') {
    throw new InputError(
      `Invalid instance_url '${shown}': it carries credentials. Pass them as username/password or client_id/client_secret inputs instead.`
    )
  }
  if (url.protocol === 'http:') {
    if (!LOOPBACK.test(url.hostname)) {
      throw new InputError(
        `Invalid instance_url '${shown}': plain http would send credentials in clear text. Use https (http is accepted only for localhost).`
      )
    }
  } else if (url.protocol !== 'https:') {
    throw new InputError(
      `Invalid instance_url '${shown}': the scheme must be https.`
    )
  }
  if (url.search !== '' || url.hash !== '') {
    throw new InputError(
      `Invalid instance_url '${shown}${url.pathname}…': it has a query or fragment. Give only the instance's address, e.g. ${shown}.`
    )
  }
  if (url.pathname !== '/' && url.pathname !== '') {
    throw new InputError(
      `Invalid instance_url '${shown}${url.pathname}': it points at a page. Give only the instance's address, e.g. ${shown}.`
    )
  }
  return shown
}
