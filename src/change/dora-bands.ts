/**
 * DORA's performance levels for each of the four keys, as the 2023 Accelerate State of DevOps
 * Report (DORA, Google Cloud) gives them in its table of software delivery performance levels:
 *
 *   level   deployment frequency            lead time for changes          change failure rate  failed deployment recovery time
 *   elite   on demand (multiple per day)    less than one day              5%                   less than one hour
 *   high    once per day to once per week   one day to one week            10%                  less than one day
 *   medium  once per week to once per month one week to one month          15%                  one day to one week
 *   low     once per week to once per month one week to one month          64%                  one month to six months
 *
 * The report describes clusters of teams, not cut-offs, so each key is read here as bands, best
 * first, each bounded by the upper end of its level's range: a figure takes the best level whose
 * range it is within. Where the table gives low the same range as medium (frequency, lead time),
 * anything beyond medium's range is low. Change failure rates are the levels' typical values, taken
 * as upper bounds (up to 5% elite, 10% high, 15% medium, more is low). Recovery time between one
 * week and one month, which the table leaves out, is low.
 *
 * Why 2023: it is the latest report whose four levels are ordered on every key. In 2024's table the
 * medium cluster has a lower change failure rate (10%) than the high one (20%) and the same
 * recovery time (less than one day), so no band can be read from it key by key.
 */
export const THRESHOLDS_SOURCE =
  'DORA, Accelerate State of DevOps Report 2023: software delivery performance levels'

export type Band = 'elite' | 'high' | 'medium' | 'low'
export type Trend = 'better' | 'worse' | 'same'

const DAY_HOURS = 24
const WEEK_HOURS = 7 * DAY_HOURS
/** A month as a twelfth of a year, so twelve months make 365.25 days. */
const MONTH_DAYS = 365.25 / 12

/** At least once a day on average is elite ("on demand"), once a week high, once a month medium. */
export function frequencyBand(perDay: number | null): Band | null {
  if (perDay === null) return null
  if (perDay >= 1) return 'elite'
  if (perDay * 7 >= 1) return 'high'
  if (perDay * MONTH_DAYS >= 1) return 'medium'
  return 'low'
}

export function leadTimeBand(hours: number | null): Band | null {
  if (hours === null) return null
  if (hours < DAY_HOURS) return 'elite'
  if (hours <= WEEK_HOURS) return 'high'
  if (hours <= MONTH_DAYS * DAY_HOURS) return 'medium'
  return 'low'
}

export function failureRateBand(rate: number | null): Band | null {
  if (rate === null) return null
  if (rate <= 0.05) return 'elite'
  if (rate <= 0.1) return 'high'
  if (rate <= 0.15) return 'medium'
  return 'low'
}

export function restoreBand(hours: number | null): Band | null {
  if (hours === null) return null
  if (hours < 1) return 'elite'
  if (hours < DAY_HOURS) return 'high'
  if (hours <= WEEK_HOURS) return 'medium'
  return 'low'
}

/**
 * How a figure moved against the previous period: for deployment frequency more is better, for
 * the other three less. Null when either period has no figure to compare.
 */
export function trend(
  now: number | null,
  before: number | null,
  moreIsBetter: boolean
): Trend | null {
  if (now === null || before === null) return null
  if (now === before) return 'same'
  return now > before === moreIsBetter ? 'better' : 'worse'
}
