import {describe, expect, it} from '@jest/globals'
import {closeNames} from '../src/change/close-names.js'
import {dataPolicyAdvice, mandatoryLabels} from '../src/change/data-policy.js'

/** The messages that tell a pipeline author what to change. */
describe('a data policy refusal names the input to set', () => {
  it.each([
    [
      'Data Policy Exception: \n\tThe following fields are mandatory: Assignment group',
      ['Assignment group'],
      "The instance's data policy requires Assignment group: set the `assignment_group` input."
    ],
    [
      'ServiceNow PATCH /x failed 403: Data Policy Exception: The following fields are mandatory: Close code, Close notes. It was canceled so that nothing is left half-done.',
      ['Close code', 'Close notes'],
      "The instance's data policy requires Close code: set the `close_code` input; Close notes: set the `close_notes` input."
    ],
    [
      'Data Policy Exception: The following fields are mandatory: Category, Planned start date',
      ['Category', 'Planned start date'],
      'The instance\'s data policy requires Category (no input sets it: pass it in `fields`, e.g. `fields: "category: …"`); Planned start date: set the `start_date` input.'
    ]
  ])('%s', (text, labels, advice) => {
    expect(mandatoryLabels(text)).toEqual(labels)
    expect(dataPolicyAdvice(text)).toBe(advice)
  })

  it('says nothing about any other error', () => {
    expect(
      dataPolicyAdvice('ServiceNow GET /x failed 404: No Record found')
    ).toBeUndefined()
    expect(
      dataPolicyAdvice('The following fields are mandatory: ')
    ).toBeUndefined()
  })
})

describe('did you mean', () => {
  const templates = [
    'Deploy web application',
    'Deploy database migration',
    'Restart service',
    'Roll back a release'
  ]
  it.each<[string, string[]]>([
    ['Deploy web aplication', ['Deploy web application']],
    ['deploy WEB application', ['Deploy web application']],
    ['Deploy  web application ', ['Deploy web application']],
    ['Restart servce', ['Restart service']],
    ['Rollback a release', ['Roll back a release']],
    ['Something else entirely', []],
    ['', []]
  ])('%j → %j', (wanted, near) => {
    expect(closeNames(wanted, templates)).toEqual(near)
  })

  it('offers at most three, the closest first', () => {
    expect(
      closeNames('abcd', ['abce', 'abcf', 'abxx', 'abcd1', 'zzzz'])
    ).toEqual(['abcd1', 'abce', 'abcf'])
  })
})
