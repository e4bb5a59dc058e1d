/** Every line break a query, a log line or an output could split on, not only \r and \n. */
export const LINE_BREAK = /[\r\n\v\f\u0085\u2028\u2029]/

/** The text on one line, each break shown as ⏎ so that nothing of it is lost from sight. */
export function singleLine(text: string): string {
  return text.split(new RegExp(LINE_BREAK.source, 'g')).join(' ⏎ ')
}

/**
 * A name or label from the instance on one line, its white space (line breaks included: \s
 * covers U+2028, U+0085 and the rest) collapsed: for short values where a ⏎ would only clutter.
 */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim()
}

/**
 * JSON on one line for an output or a log: JSON.stringify escapes \r and \n but
 * leaves U+2028/U+2029 raw (they are valid in JSON strings), and those are line
 * breaks to a reader of the output; written as \u2028 they parse back the same.
 */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u2028\u2029]/g,
    c => `\\u${c.charCodeAt(0).toString(16)}`
  )
}
