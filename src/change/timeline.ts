import type {Clock} from '../servicenow/clock.js'

export interface TimelineEntry {
  at: Date
  what: string
}

/** What happened to the change during this step, with times, for the job summary. */
export class Timeline {
  readonly entries: TimelineEntry[] = []
  constructor(private readonly clock: Clock) {}

  add(what: string): void {
    this.entries.push({at: new Date(this.clock.now()), what})
  }
}
