import {describe, expect, it} from '@jest/globals'
import {printable} from '../src/steps/log.js'

/** Every info line of a step goes through printable(): no ServiceNow text can start a workflow command. */
describe('printable', () => {
  it.each([
    ['Deploy\n::error::forged'],
    ['Deploy\r::warning::forged'],
    ['Deploy\r\n::add-mask::forged'],
    ['Deploy\u2028::error::forged'],
    ['Deploy\u2029::error::forged'],
    ['Deploy\u0085::error::forged'],
    ['Deploy\v::error::forged'],
    ['::error::forged at the start'],
    ['   ::set-output name=x::forged']
  ])('%j stays one line that is not a command', text => {
    const line = printable(text)
    expect(line.split(/\r\n|\r|\n/)).toHaveLength(1)
    expect(line.trimStart().startsWith('::')).toBe(false)
    expect(line).toContain('forged')
  })

  it('leaves ordinary lines as they are', () => {
    expect(printable('CHG0030001: Scheduled → Implement')).toBe(
      'CHG0030001: Scheduled → Implement'
    )
  })
})
