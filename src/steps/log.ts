import * as core from '@actions/core'
import {singleLine} from '../servicenow/text.js'

/**
 * A line for the log that the runner cannot read as a workflow command. The
 * runner takes any stdout line beginning with `::` as a command; ServiceNow
 * text (a short description, a name, a note) can carry line breaks and `::`.
 * core.warning/error/notice escape their text; core.info writes it as it is, so
 * every info line of a step goes through here.
 */
export function printable(text: string): string {
  const one = singleLine(text)
  return one.trimStart().startsWith('::') ? `› ${one}` : one
}

export function info(text: string): void {
  core.info(printable(text))
}
