/** Every line break a query, a log line or an output could split on, not only \r and \n. */
export const LINE_BREAK = /[\r\n\v\f\u0085\u2028\u2029]/

/** The text on one line, each break shown as ⏎ so that nothing of it is lost from sight. */
export function singleLine(text: string): string {
  return text.split(new RegExp(LINE_BREAK.source, 'g')).join(' ⏎ ')
}
