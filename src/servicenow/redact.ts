/**
 * What the action prints never carries a secret, even when an instance or a
 * proxy echoes one back in an error body. The runner masks the values the
 * action registers, but only those, and only in the log: the job summary and
 * error text built from an answer are the action's own business. So every
 * secret the step learns (inputs, the Basic header, issued tokens) is
 * registered here, and one function takes them, and their encodings, out of
 * any text: error messages when they are made, and everything written to
 * stdout (see redactStdout).
 */

const HIDDEN = '***'
const secrets = new Set<string>()

/** Remembers a secret and the forms it travels in: URL-encoded in a form body, escaped in JSON, base64. */
export function registerSecret(value: string): void {
  // Shorter values would blank out ordinary words; the runner still masks them.
  if (value.length < 3) return
  for (const form of [
    value,
    encodeURIComponent(value),
    new URLSearchParams({v: value}).toString().slice(2),
    JSON.stringify(value).slice(1, -1)
  ]) {
    secrets.add(form)
  }
}

/** Credentials by name, whatever their value: in a form or query, a header echoed as text, or JSON. */
const NAMED = [
  /\b((?:client_secret|password|refresh_token|access_token|id_token|assertion|client_assertion|api_key|apikey|token)=)[^&\s"'<>]+/gi,
  /\b((?:authorization|proxy-authorization|x-sn-apikey)\s*[:=]\s*"?(?:(?:basic|bearer)\s+)?)[^\s",;}<>]+/gi,
  /("(?:client_secret|password|refresh_token|access_token|id_token|assertion|api_key|authorization)"\s*:\s*")[^"]*/gi,
  /\b((?:basic|bearer)\s+)[A-Za-z0-9+/=._~-]{8,}/gi
]

/** The text with every registered secret, and anything that looks like a credential, replaced by ***. */
export function redact(text: string): string {
  let out = text
  // Longest first, so a secret that contains another is not left half shown.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length))
    out = out.split(secret).join(HIDDEN)
  for (const pattern of NAMED) out = out.replace(pattern, `$1${HIDDEN}`)
  return out
}

/**
 * A URL fit to name in a message: scheme, host and path, without user:password@,
 * query or fragment (where tokens and session ids travel). Text that does not
 * parse as a URL is cut the same way by hand.
 */
export function safeUrl(text: string): string {
  try {
    const url = new URL(text)
    return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`
  } catch {
    const cut = text.split(/[?#\s]/)[0] ?? ''
    const at = cut.lastIndexOf('@')
    const scheme = /^[a-z][a-z0-9+.-]*:\/*/i.exec(cut)?.[0] ?? ''
    return (at === -1 ? cut : `${scheme}${cut.slice(at + 1)}`).slice(0, 200)
  }
}

/**
 * Passes everything the step writes to stdout through redact(), except the
 * runner's `::add-mask::` commands, which must carry the secret to do their
 * job. Returns the function that restores stdout.
 */
export function redactStdout(): () => void {
  const stdout = process.stdout
  const write = stdout.write
  const guarded = function (
    this: unknown,
    chunk: unknown,
    ...rest: unknown[]
  ): boolean {
    const text =
      typeof chunk === 'string'
        ? chunk
            .split('\n')
            .map(line =>
              line.startsWith('::add-mask::') ? line : redact(line)
            )
            .join('\n')
        : chunk
    return (write as (...args: unknown[]) => boolean).call(
      stdout,
      text,
      ...rest
    )
  }
  stdout.write = guarded as typeof stdout.write
  return () => {
    if (stdout.write === guarded) stdout.write = write
  }
}
