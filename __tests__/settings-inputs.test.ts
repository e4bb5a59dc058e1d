import {describe, expect, it} from '@jest/globals'
import {
  boolean,
  integer,
  list,
  oneOf,
  prose,
  secret,
  text
} from '../src/settings/inputs.js'
import {outcome, readWith} from './helpers/inputs.js'

/** The input primitives every settings reader builds on: what each accepts, its default, and its refusal word for word. */
describe('integer', () => {
  it.each([
    ['empty gives the default', '', {value: 30}],
    ['a whole number within the range', '45', {value: 45}],
    ['the lower bound is allowed', '1', {value: 1}],
    ['the upper bound is allowed', '300', {value: 300}],
    ['spaces around it are trimmed', '  7 ', {value: 7}],
    [
      'below the range is refused, not clamped',
      '0',
      {refused: "Invalid request_timeout_seconds '0': must be from 1 to 300."}
    ],
    [
      'above the range is refused, not clamped',
      '301',
      {refused: "Invalid request_timeout_seconds '301': must be from 1 to 300."}
    ],
    [
      'a fraction is refused',
      '1.5',
      {
        refused:
          "Invalid request_timeout_seconds '1.5': expected a whole number from 1 to 300."
      }
    ],
    [
      'a unit is refused',
      '30s',
      {
        refused:
          "Invalid request_timeout_seconds '30s': expected a whole number from 1 to 300."
      }
    ]
  ])('%s', (_, given, expected) => {
    expect(
      outcome(
        readWith(() => integer('request_timeout_seconds', 30, 1, 300), {
          request_timeout_seconds: given
        })
      )
    ).toEqual(expected)
  })
})

describe('boolean', () => {
  it.each([
    ['empty gives the default', '', {value: true}],
    ['true', 'true', {value: true}],
    ['false', 'false', {value: false}],
    ['any case', 'FALSE', {value: false}],
    [
      'yes is refused, quoted as given',
      'Yes',
      {refused: "Invalid cancel_on_abort 'Yes': expected true or false."}
    ]
  ])('%s', (_, given, expected) => {
    expect(
      outcome(
        readWith(() => boolean('cancel_on_abort', true), {
          cancel_on_abort: given
        })
      )
    ).toEqual(expected)
  })
})

describe('oneOf', () => {
  it.each([
    ['empty gives the default', '', {value: 'fail'}],
    ['a listed value', 'cancel', {value: 'cancel'}],
    ['any case, read in lower case', 'Cancel', {value: 'cancel'}],
    [
      'anything else is refused, naming the choices',
      'retry',
      {refused: "Invalid on_timeout 'retry'. Expected one of: fail, cancel."}
    ]
  ])('%s', (_, given, expected) => {
    expect(
      outcome(
        readWith(
          () => oneOf('on_timeout', ['fail', 'cancel'] as const, 'fail'),
          {on_timeout: given}
        )
      )
    ).toEqual(expected)
  })
})

describe('list', () => {
  it.each([
    ['empty is no entries', '', []],
    ['comma-separated', 'prod*, production', ['prod*', 'production']],
    [
      'one per line, blank lines dropped',
      'prod*\n\n  production  \n',
      ['prod*', 'production']
    ],
    ['both at once', 'a,b\nc', ['a', 'b', 'c']]
  ])('%s', (_, given, expected) => {
    expect(
      outcome(
        readWith(() => list('controlled_environments'), {
          controlled_environments: given
        })
      )
    ).toEqual({value: expected})
  })
})

describe('text and prose', () => {
  it('text trims both ends', () => {
    expect(
      outcome(
        readWith(() => text('template'), {
          template: '  Deploy web application \n'
        })
      )
    ).toEqual({value: 'Deploy web application'})
  })

  it('prose keeps indentation and inner lines, dropping leading blank lines and trailing space', () => {
    expect(
      outcome(
        readWith(() => prose('work_notes'), {
          work_notes: '\n\n  step 1\n\n  step 2  \n\n'
        })
      )
    ).toEqual({value: '  step 1\n\n  step 2'})
  })
})

describe('connection inputs from the environment', () => {
  it('a connection input left empty is read from SERVICENOW_<NAME>', () => {
    expect(
      outcome(
        readWith(
          () => text('instance_url'),
          {},
          {SERVICENOW_INSTANCE_URL: 'https://acme.service-now.com'}
        )
      )
    ).toEqual({value: 'https://acme.service-now.com'})
  })

  it('an input given to the step wins over the environment', () => {
    expect(
      outcome(
        readWith(
          () => text('instance_url'),
          {instance_url: 'https://step.service-now.com'},
          {SERVICENOW_INSTANCE_URL: 'https://env.service-now.com'}
        )
      )
    ).toEqual({
      value: 'https://step.service-now.com'
    })
  })

  it('other inputs are never read from the environment', () => {
    expect(
      outcome(
        readWith(
          () => text('template'),
          {},
          {SERVICENOW_TEMPLATE: 'Deploy web application'}
        )
      )
    ).toEqual({value: ''})
  })
})

describe('secret', () => {
  it('masks the value before returning it', () => {
    expect(readWith(() => secret('password'), {password: ' hunter2 '})).toEqual(
      {value: 'hunter2', commands: ['::add-mask::hunter2']}
    )
  })

  it("masks the environment's value too when the step's input overrides it", () => {
    const read = readWith(
      () => secret('password'),
      {password: 'from-step'},
      {SERVICENOW_PASSWORD: 'from-env'}
    )
    expect(read).toEqual({
      value: 'from-step',
      commands: ['::add-mask::from-step', '::add-mask::from-env']
    })
  })

  it('masks nothing when there is no secret', () => {
    expect(readWith(() => secret('password'), {})).toEqual({
      value: '',
      commands: []
    })
  })
})
