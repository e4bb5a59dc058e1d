import { describe, expect, it } from '@jest/globals'
import { planClose } from '../src/change/close-change.js'
import { toChangeRecord } from '../src/servicenow/change-record.js'
import { claimsSuccess } from '../src/settings/close.js'

const implementing = toChangeRecord({ sys_id: 'a'.repeat(32), number: 'CHG0030001', state: '-1', approval: 'approved', type: 'normal' }, 'https://x.service-now.com')

describe('planClose: a close code claiming success needs a successful result', () => {
  it.each<['successful' | 'successful_issues']>([['successful'], ['successful_issues']])('%s with a result that is not success closes unsuccessful', (code) => {
    for (const result of ['failure', 'cancelled', 'skipped'] as const) {
      expect([result, planClose(implementing, result, code)]).toEqual([result, { target: 'closed', closeCode: 'unsuccessful' }])
    }
    expect(planClose(implementing, 'success', code)).toEqual({ target: 'closed', closeCode: code })
  })

  it('unsuccessful may override a success, and only successful and successful_issues claim success', () => {
    expect(planClose(implementing, 'success', 'unsuccessful')).toEqual({ target: 'closed', closeCode: 'unsuccessful' })
    expect(['successful', 'successful_issues', 'unsuccessful', '', undefined].map(claimsSuccess)).toEqual([true, true, false, false, false])
  })
})
