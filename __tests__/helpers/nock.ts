import {afterAll, afterEach, beforeAll, expect} from '@jest/globals'
import nock from 'nock'

/**
 * nock for one test file: no real network, every mock used by the end of each
 * test, and the http patch undone afterwards. nock patches node's http module,
 * which outlives the file's module registry under jest: without restore(), the
 * next file's nock in the same worker cannot intercept anything.
 */
export function useNock(): void {
  beforeAll(() => {
    if (!nock.isActive()) nock.activate()
    nock.disableNetConnect()
  })
  afterEach(() => {
    const pending = nock.pendingMocks()
    nock.cleanAll()
    expect(pending).toEqual([])
  })
  afterAll(() => nock.restore())
}
