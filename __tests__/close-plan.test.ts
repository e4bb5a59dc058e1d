import {describe, expect, it} from '@jest/globals'
import {planClose} from '../src/change/close-change.js'
import {toChangeRecord} from '../src/servicenow/change-record.js'
import {
  claimsSuccess,
  type CloseCode,
  type JobResult
} from '../src/settings/close.js'

const implementing = toChangeRecord(
  {
    sys_id: 'a'.repeat(32),
    number: 'CHG0030001',
    state: '-1',
    approval: 'approved',
    type: 'normal'
  },
  'https://x.service-now.com'
)

describe('planClose: a close code claiming success needs a successful result', () => {
  it.each<['successful' | 'successful_issues']>([
    ['successful'],
    ['successful_issues']
  ])('%s with a result that is not success closes unsuccessful', code => {
    for (const result of ['failure', 'cancelled', 'skipped'] as const) {
      expect([result, planClose(implementing, result, code)]).toEqual([
        result,
        {target: 'closed', closeCode: 'unsuccessful'}
      ])
    }
    expect(planClose(implementing, 'success', code)).toEqual({
      target: 'closed',
      closeCode: code
    })
  })

  it('unsuccessful may override a success, and only successful and successful_issues claim success', () => {
    expect(planClose(implementing, 'success', 'unsuccessful')).toEqual({
      target: 'closed',
      closeCode: 'unsuccessful'
    })
    expect(
      ['successful', 'successful_issues', 'unsuccessful', '', undefined].map(
        claimsSuccess
      )
    ).toEqual([true, true, false, false, false])
  })
})

const inState = (state: string): ReturnType<typeof toChangeRecord> =>
  toChangeRecord(
    {
      sys_id: 'b'.repeat(32),
      number: 'CHG0030002',
      state,
      approval: 'approved',
      type: 'normal'
    },
    'https://x.service-now.com'
  )

describe('planClose: what each job result does to a change, by where the change stands', () => {
  // state values: -2 Scheduled, -1 Implement, 0 Review, -4 Assess (change_request's base choices).
  it.each<
    [
      string,
      string,
      JobResult,
      CloseCode | undefined,
      {target: 'closed' | 'canceled'; closeCode: string}
    ]
  >([
    [
      'a success in Implement closes successful',
      '-1',
      'success',
      undefined,
      {target: 'closed', closeCode: 'successful'}
    ],
    [
      'a failure in Implement closes unsuccessful',
      '-1',
      'failure',
      undefined,
      {target: 'closed', closeCode: 'unsuccessful'}
    ],
    [
      'a run cancelled in Implement closes unsuccessful: the deployment may have begun',
      '-1',
      'cancelled',
      undefined,
      {target: 'closed', closeCode: 'unsuccessful'}
    ],
    [
      'a skipped job in Review closes unsuccessful: implementation had begun',
      '0',
      'skipped',
      undefined,
      {target: 'closed', closeCode: 'unsuccessful'}
    ],
    [
      'a run cancelled before Implement cancels the change',
      '-2',
      'cancelled',
      undefined,
      {target: 'canceled', closeCode: ''}
    ],
    [
      'a skipped job before Implement cancels the change',
      '-4',
      'skipped',
      undefined,
      {target: 'canceled', closeCode: ''}
    ],
    [
      'a close code does not turn a cancelation into a close',
      '-2',
      'cancelled',
      'successful',
      {target: 'canceled', closeCode: ''}
    ],
    [
      'a success while still Scheduled closes successful (the close step was told so)',
      '-2',
      'success',
      undefined,
      {target: 'closed', closeCode: 'successful'}
    ],
    [
      'a failure while still Scheduled closes unsuccessful, not canceled',
      '-2',
      'failure',
      undefined,
      {target: 'closed', closeCode: 'unsuccessful'}
    ],
    [
      'close_code successful_issues with a success is kept',
      '-1',
      'success',
      'successful_issues',
      {target: 'closed', closeCode: 'successful_issues'}
    ],
    [
      'close_code unsuccessful overrides a success',
      '-1',
      'success',
      'unsuccessful',
      {target: 'closed', closeCode: 'unsuccessful'}
    ],
    [
      'close_code successful never overrides a failure',
      '-1',
      'failure',
      'successful',
      {target: 'closed', closeCode: 'unsuccessful'}
    ]
  ])('%s', (_, state, result, closeCode, plan) => {
    expect(planClose(inState(state), result, closeCode)).toEqual(plan)
  })
})
