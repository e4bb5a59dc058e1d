import type {ServiceNowClient} from '../servicenow/client.js'
import type {Timeline} from './timeline.js'

/**
 * What every operation of the change layer is given first: the client it talks through and
 * where it says what it did. The operation's own arguments follow it. Plain reads (lookup.ts,
 * who-canceled.ts) take only the client: they write nothing and say nothing.
 */
export interface ChangeDeps {
  client: ServiceNowClient
  /** A log line for each thing done. */
  info: (line: string) => void
  /** A line for something a person should look at; the operation still goes on. */
  warn: (line: string) => void
  /** What happened to the change, for the job summary; without it nothing is recorded. */
  timeline?: Timeline
  /** Jitter for retry waits; tests pass a fixed one. */
  random?: () => number
}
