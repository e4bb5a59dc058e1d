import * as core from '@actions/core'
import { InputError } from '../servicenow/errors.js'
import { registerSecret } from '../servicenow/redact.js'

/**
 * The only place that calls core.getInput. Settings readers build on these so
 * that every input is trimmed, validated and refused with a message naming it.
 */

export function text(name: string): string {
  return core.getInput(name).trim()
}

/** Multi-line text kept as written (descriptions, plans, notes), trailing space trimmed. */
export function prose(name: string): string {
  return core.getInput(name, { trimWhitespace: false }).replace(/\s+$/, '').replace(/^\n+/, '')
}

/** A secret input, registered with the runner and with redact() before anything can print it. */
export function secret(name: string): string {
  const value = core.getInput(name).trim()
  if (value !== '') {
    core.setSecret(value)
    registerSecret(value)
  }
  return value
}

/** A whole number within [min, max]; out-of-range values are refused, never clamped. */
export function integer(name: string, fallback: number, min: number, max: number): number {
  const raw = text(name)
  if (raw === '') return fallback
  if (!/^-?\d+$/.test(raw)) throw new InputError(`Invalid ${name} '${raw}': expected a whole number from ${min} to ${max}.`)
  const value = Number(raw)
  if (value < min || value > max) throw new InputError(`Invalid ${name} '${raw}': must be from ${min} to ${max}.`)
  return value
}

export function boolean(name: string, fallback: boolean): boolean {
  const raw = text(name).toLowerCase()
  if (raw === '') return fallback
  if (raw === 'true') return true
  if (raw === 'false') return false
  throw new InputError(`Invalid ${name} '${text(name)}': expected true or false.`)
}

export function oneOf<T extends string>(name: string, options: readonly T[], fallback: T | ''): T | '' {
  const raw = text(name).toLowerCase()
  if (raw === '') return fallback
  if (!(options as readonly string[]).includes(raw)) {
    throw new InputError(`Invalid ${name} '${text(name)}'. Expected one of: ${options.join(', ')}.`)
  }
  return raw as T
}

/** A list given one per line or comma-separated. */
export function list(name: string): string[] {
  return text(name)
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter((s) => s !== '')
}
