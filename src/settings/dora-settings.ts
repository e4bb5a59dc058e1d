import * as core from '@actions/core'
import {ReportInput as I} from '../constants.js'
import {parseGlideDate} from '../servicenow/fields.js'
import {readConnectionSettings, type ConnectionSettings} from './connection.js'
import {integer, text} from './inputs.js'
import {queryValue, parseDate} from './parse.js'

export interface ReportSettings {
  connection: ConnectionSettings
  from: Date
  until: Date
  cmdbCi: string
  assignmentGroup: string
  correlationPrefix: string
  /** Only deployments whose deployment line names this environment; '' for all. */
  environment: string
}

export function readReportSettings(now: Date = new Date()): ReportSettings {
  const connection = readConnectionSettings()
  const untilText = text(I.Until)
  const given =
    untilText === ''
      ? now
      : (parseGlideDate(parseDate(I.Until, untilText)) ?? now)
  // Up to a whole second, as ServiceNow keeps times: a change closed in until's own second, before it, counts.
  const until = new Date(Math.ceil(given.getTime() / 1000) * 1000)
  const days = integer(I.PeriodDays, 90, 1, 730)
  const settings: ReportSettings = {
    connection,
    from: new Date(until.getTime() - days * 86_400_000),
    until,
    cmdbCi: queryValue(I.CmdbCi, text(I.CmdbCi)),
    assignmentGroup: queryValue(I.AssignmentGroup, text(I.AssignmentGroup)),
    correlationPrefix: queryValue(
      I.CorrelationPrefix,
      text(I.CorrelationPrefix)
    ),
    environment: text(I.Environment)
  }
  core.debug(`report: ${days} days until ${until.toISOString()}`)
  return settings
}
