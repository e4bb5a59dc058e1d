import type {Clock} from '../../src/servicenow/clock.js'

/** A clock whose sleeps return at once and move time forward; records every sleep. */
export class FakeClock implements Clock {
  readonly sleeps: number[] = []
  constructor(public time = Date.UTC(2026, 10, 23, 9, 0, 0)) {}
  now(): number {
    return this.time
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms)
    this.time += ms
  }
  advance(ms: number): void {
    this.time += ms
  }
}
