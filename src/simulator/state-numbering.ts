import {CHANGE_STATES} from './schema.js'

/**
 * How this instance numbers change states. The simulator's state model works
 * in ServiceNow's shipped numbers (CHANGE_STATES); an instance may renumber a
 * state or add its own (a custom state model), and then shows and takes the
 * other number on the wire and in its choice list (sys_choice). A test sets
 * that up through PATCH /__sim/states.
 */
export class StateNumbering {
  private readonly wireOf = new Map<string, string>()
  private readonly labels = new Map<string, string>(
    Object.entries(CHANGE_STATES)
  )

  /** The number the APIs show for a stored (shipped-number) state. */
  wire(stored: string): string {
    return this.wireOf.get(stored) ?? stored
  }

  /** The stored state for a number written over the APIs; a number the instance does not use matches no state. */
  stored(wire: string): string {
    for (const [stored, shown] of this.wireOf) if (shown === wire) return stored
    return this.wireOf.has(wire) ? `unknown:${wire}` : wire
  }

  label(stored: string): string {
    return this.labels.get(stored) ?? stored
  }

  /** The stored state with this label (sysparm_input_display_value), undefined when none has it. */
  byLabel(label: string): string | undefined {
    for (const [stored, shown] of this.labels)
      if (shown === label) return stored
    return undefined
  }

  /** Gives the state labelled `label` another number. */
  renumber(label: string, wire: string): void {
    const stored = this.byLabel(label)
    if (stored === undefined)
      throw new Error(`no change state is labelled '${label}'`)
    this.wireOf.set(stored, wire)
  }

  /** Adds a state of the instance's own; the state model has no transitions into or out of it. */
  add(wire: string, label: string): void {
    this.labels.set(wire, label)
  }

  /** The choice list as sys_choice holds it, in the model's order. */
  choices(): {value: string; label: string; sequence: string}[] {
    return [...this.labels].map(([stored, label], i) => ({
      value: this.wire(stored),
      label,
      sequence: String(i * 10)
    }))
  }
}
