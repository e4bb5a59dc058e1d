import type {Connection} from './connection.js'
import {ServiceNowError} from './errors.js'
import {mayPass} from './failure.js'
import {defaultRetryPolicy} from './retry.js'

/**
 * Creates something that must exist once (a change request, an attachment).
 * The client never repeats a create by itself; here, after a failure that may
 * pass or may have landed, it waits, looks whether the thing arrived after
 * all, and only if not tries again, up to max_attempts. A create given up on
 * (a timeout, a lost answer) may still be running on the instance: before a
 * second insert it looks once more after twice as long as the request was
 * allowed, so that an insert up to three times that slow has landed and is found. That makes the race
 * rare; the later steps of the deployment settle any duplicate that still
 * lands late (change/duplicates.ts). It lives beside the connection because a
 * journal write (change-api.ts) is such a create too.
 */
export interface CheckedCreate<T> {
  create: () => Promise<T>
  /** The thing if it arrived after all (a failed try may have landed), else undefined. */
  landed: () => Promise<T | undefined>
  /** Told of each failure that is followed by a look and another try. */
  onRetry: (error: ServiceNowError) => void
  random?: () => number
}

export async function createChecked<T>(
  client: {readonly connection: Connection},
  {create, landed, onRetry, random = Math.random}: CheckedCreate<T>
): Promise<T> {
  const policy = {
    ...defaultRetryPolicy,
    maxAttempts: client.connection.maxAttempts
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return await create()
    } catch (error) {
      if (
        !(error instanceof ServiceNowError) ||
        !(mayPass(error) || error.mayHaveLanded) ||
        attempt >= policy.maxAttempts
      )
        throw error
      onRetry(error)
      // A rate limit's wait comes out of the step's budget: a Retry-After of days fails now, naming when.
      await client.connection.waitToRetry(error, attempt, random)
      const found = await landed()
      if (found !== undefined) return found
      if (mayStillRun(error)) {
        await client.connection.clock.sleep(2 * client.connection.timeoutMs)
        const late = await landed()
        if (late !== undefined) return late
      }
    }
  }
}

/** No answer, or a gateway that gave up waiting: the instance may still be working on the request. */
function mayStillRun(error: ServiceNowError): boolean {
  return (
    error.kind === 'timeout' ||
    (error.kind === 'network' && error.mayHaveLanded) ||
    (error.kind === 'http' && error.status === 504)
  )
}
