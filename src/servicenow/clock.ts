/**
 * Time as the library sees it. Injected so that tests of backoff, token expiry
 * and the wait loop run instantly and deterministically.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number
  sleep(ms: number): Promise<void>
}

export const systemClock: Clock = {
  now: () => Date.now(),
  // NaN or a negative wait would fire at once (with a TimeoutNaNWarning); past 2^31-1 ms Node fires after 1 ms.
  sleep: ms =>
    new Promise(resolve =>
      setTimeout(
        resolve,
        Math.min(Number.isFinite(ms) ? Math.max(0, ms) : 0, 2 ** 31 - 1)
      )
    )
}
