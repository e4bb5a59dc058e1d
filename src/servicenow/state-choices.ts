import {STATE_LABELS, STATE_VALUES, type StateLabel} from './change-model.js'
import {ServiceNowError} from './errors.js'
import {valueOf} from './fields.js'
import {query} from './query.js'
import type {TableApi} from './table-api.js'
import {oneLine} from './text.js'

/** One choice of change_request.state as sys_choice holds it. */
export interface StateChoice {
  value: string
  label: string
}

/**
 * The change states of one instance. Instances renumber states and add their
 * own (a custom state model), so the action maps states by their label, read
 * from the instance's choice list, and uses ServiceNow's numbers only for a
 * label the list does not have.
 */
export class StateChoices {
  private readonly values = new Map<StateLabel, number>()
  private readonly labels = new Map<number, StateLabel>()
  private readonly names = new Map<number, string>()

  constructor(choices: readonly StateChoice[] = []) {
    // One line: a label goes into log lines, where a line break could start a workflow command.
    const numbered = choices
      .map(c => ({value: Number(c.value), label: oneLine(c.label)}))
      .filter(
        (c, i) => choices[i]!.value.trim() !== '' && Number.isFinite(c.value)
      )
    // Known labels first, so a choice in another language with the same number cannot hide one.
    for (const choice of numbered) {
      const label = knownLabel(choice.label)
      if (
        label === undefined ||
        this.values.has(label) ||
        this.labels.has(choice.value)
      )
        continue
      this.values.set(label, choice.value)
      this.labels.set(choice.value, label)
      this.names.set(choice.value, choice.label)
    }
    for (const choice of numbered)
      if (!this.names.has(choice.value))
        this.names.set(choice.value, choice.label)
    // A state the list does not name keeps ServiceNow's number, unless the instance gave that number to another
    // known state: a label renamed on the instance ("Implementation" at -1) is still that state, shown by its new name.
    for (const label of STATE_LABELS) {
      const value = STATE_VALUES[label]
      if (this.values.has(label) || this.labels.has(value)) continue
      this.values.set(label, value)
      this.labels.set(value, label)
      if (!this.names.has(value))
        this.names.set(value, label[0]!.toUpperCase() + label.slice(1))
    }
  }

  /** The instance's number for a state this action knows. */
  value(label: StateLabel): number {
    return this.values.get(label) ?? STATE_VALUES[label]
  }

  /** This action's label for a number, undefined for a state it does not know (a custom one). */
  label(value: number): StateLabel | undefined {
    return this.labels.get(value)
  }

  /** The instance's own name for a state this action knows ("Implementation" where Implement was renamed). */
  nameOf(label: StateLabel): string {
    return this.name(this.value(label))
  }

  /** The instance's own label for a number ("Pending review"), or the number when no choice names it. */
  name(value: number): string {
    return this.names.get(value) ?? String(value)
  }

  /** The number of a state given by its label (a display value), NaN when no choice has it. */
  valueOfName(name: string): number {
    const wanted = name.trim().toLowerCase()
    for (const [value, label] of this.names)
      if (label.toLowerCase() === wanted) return value
    const known = knownLabel(name)
    return known === undefined ? Number.NaN : this.value(known)
  }
}

/** ServiceNow's shipped numbering: what an instance whose choice list cannot be read is assumed to use. */
export const DEFAULT_STATE_CHOICES = new StateChoices()

function knownLabel(text: string): StateLabel | undefined {
  const label = text.trim().toLowerCase().replace('cancelled', 'canceled')
  return (STATE_LABELS as readonly string[]).includes(label)
    ? (label as StateLabel)
    : undefined
}

/**
 * Reads change_request's active state choices from sys_choice in one request.
 * An integration user often may not read sys_choice (403), and an instance may
 * hide it (404): then ServiceNow's default numbering is assumed.
 */
export async function readStateChoices(table: TableApi): Promise<StateChoices> {
  try {
    const page = await table.list('sys_choice', {
      query: query()
        .eq('name', 'change_request')
        .eq('element', 'state')
        .eq('inactive', 'false'),
      fields: ['value', 'label'],
      excludeReferenceLink: true
    })
    return new StateChoices(
      page.records.map(r => ({
        value: valueOf(r, 'value'),
        label: valueOf(r, 'label')
      }))
    )
  } catch (error) {
    if (
      error instanceof ServiceNowError &&
      error.kind === 'http' &&
      (error.status === 403 || error.status === 404)
    )
      return DEFAULT_STATE_CHOICES
    throw error
  }
}
