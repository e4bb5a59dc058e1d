import * as core from '@actions/core'
import {ConnectionInput} from '../constants.js'
import {InputError} from '../servicenow/errors.js'
import {registerSecret} from '../servicenow/redact.js'

/**
 * The only place that reads inputs (core.getInput, and the environment for connection inputs). Settings readers build on these so
 * that every input is trimmed, validated and refused with a message naming it.
 */

/**
 * Connection inputs may also come from the job's environment, set once under `env:` for every
 * step: SERVICENOW_ and the input's name in capitals (SERVICENOW_INSTANCE_URL). An input given to
 * the step wins. That is why connection inputs have no defaults in action.yml: the runner would
 * fill a default in, and the environment would never be read.
 */
const FROM_ENVIRONMENT = new Set<string>(Object.values(ConnectionInput))

export function environmentName(name: string): string {
  return `SERVICENOW_${name.toUpperCase()}`
}

function input(name: string, options?: core.InputOptions): string {
  const given = core.getInput(name, options)
  if (given.trim() !== '' || !FROM_ENVIRONMENT.has(name)) return given
  return process.env[environmentName(name)] ?? ''
}

export function text(name: string): string {
  return input(name).trim()
}

/** Multi-line text kept as written (descriptions, plans, notes), trailing space trimmed. */
export function prose(name: string): string {
  return input(name, {trimWhitespace: false})
    .replace(/\s+$/, '')
    .replace(/^\n+/, '')
}

/** A secret input, registered with the runner and with redact() before anything can print it. */
export function secret(name: string): string {
  const value = input(name).trim()
  // The environment's value too when an input overrides it: it is a secret all the same.
  const inEnvironment = FROM_ENVIRONMENT.has(name)
    ? (process.env[environmentName(name)] ?? '').trim()
    : ''
  for (const s of new Set([value, inEnvironment])) {
    if (s === '') continue
    core.setSecret(s)
    registerSecret(s)
  }
  return value
}

/** A whole number within [min, max]; out-of-range values are refused, never clamped. */
export function integer(
  name: string,
  fallback: number,
  min: number,
  max: number
): number {
  const raw = text(name)
  if (raw === '') return fallback
  if (!/^-?\d+$/.test(raw))
    throw new InputError(
      `Invalid ${name} '${raw}': expected a whole number from ${min} to ${max}.`
    )
  const value = Number(raw)
  if (value < min || value > max)
    throw new InputError(
      `Invalid ${name} '${raw}': must be from ${min} to ${max}.`
    )
  return value
}

export function boolean(name: string, fallback: boolean): boolean {
  const raw = text(name).toLowerCase()
  if (raw === '') return fallback
  if (raw === 'true') return true
  if (raw === 'false') return false
  throw new InputError(
    `Invalid ${name} '${text(name)}': expected true or false.`
  )
}

/** One of the options, or the fallback when empty: a real option, or '' for "not given". */
export function oneOf<T extends string>(
  name: string,
  options: readonly T[],
  fallback: T
): T
export function oneOf<T extends string>(
  name: string,
  options: readonly T[],
  fallback: T | ''
): T | ''
export function oneOf<T extends string>(
  name: string,
  options: readonly T[],
  fallback: T | ''
): T | '' {
  const raw = text(name).toLowerCase()
  if (raw === '') return fallback
  if (!(options as readonly string[]).includes(raw)) {
    throw new InputError(
      `Invalid ${name} '${text(name)}'. Expected one of: ${options.join(', ')}.`
    )
  }
  return raw as T
}

/** A list given one per line or comma-separated. */
export function list(name: string): string[] {
  return text(name)
    .split(/[\n,]/)
    .map(s => s.trim())
    .filter(s => s !== '')
}
