import {describe, expect, it} from '@jest/globals'
import {
  isControlled,
  oneLine,
  parseDate,
  parseFields,
  parseLevel,
  queryValue,
  RISK_LEVELS
} from '../src/settings/parse.js'
import {outcomeOf} from './helpers/inputs.js'

describe('parseFields', () => {
  const UPDATE_INPUTS = {state: 'state', work_notes: 'work_notes'}
  it.each([
    ['empty is no fields', '', {value: {}}],
    [
      'name: value lines, values trimmed',
      'category: Software\npriority:  3 ',
      {value: {category: 'Software', priority: '3'}}
    ],
    [
      'a value may hold a colon',
      'u_link: https://example.com/x',
      {value: {u_link: 'https://example.com/x'}}
    ],
    [
      'blank lines and # comments are skipped',
      '# why\n\ncategory: Software\n',
      {value: {category: 'Software'}}
    ],
    ['an empty value is kept empty', 'u_note:', {value: {u_note: ''}}],
    [
      'a JSON object, numbers and booleans as text',
      '{"priority": 3, "u_flag": true, "category": "Software"}',
      {value: {priority: '3', u_flag: 'true', category: 'Software'}}
    ],
    ['JSON null is an empty value', '{"u_note": null}', {value: {u_note: ''}}],
    [
      'a line without a colon is refused with its number',
      'category: Software\nSoftware',
      {
        refused:
          "Invalid fields: line 2 'Software' is not 'name: value' (or give a JSON object)."
      }
    ],
    [
      'a line starting with a colon is refused',
      ': Software',
      {
        refused:
          "Invalid fields: line 1 ': Software' is not 'name: value' (or give a JSON object)."
      }
    ],
    [
      'a name that is not a field name is refused, with its line',
      'Category: Software',
      {
        refused:
          "Invalid fields: 'Category' on line 1 is not a ServiceNow field name (lower-case letters, digits and _)."
      }
    ],
    [
      'a JSON key that is not a field name is refused',
      '{"u-note": "x"}',
      {
        refused:
          "Invalid fields: 'u-note' is not a ServiceNow field name (lower-case letters, digits and _)."
      }
    ],
    [
      'broken JSON is refused, saying where',
      '{"category": }',
      {
        refused: expect.stringMatching(
          /^Invalid fields: it starts like JSON but does not parse \(.+\)\.$/
        )
      }
    ],
    [
      'a JSON array is refused',
      '["category"]',
      {refused: 'Invalid fields: expected a JSON object.'}
    ],
    [
      'a nested value is refused',
      '{"u_meta": {"a": 1}}',
      {
        refused:
          "Invalid fields: the value of 'u_meta' must be text, a number or true/false."
      }
    ],
    [
      'a field the action owns is refused, saying what to use',
      'approval: approved',
      {
        refused:
          "Invalid fields: 'approval' cannot be set through fields: approvals are decided in ServiceNow, and the wait step waits for them."
      }
    ],
    [
      'a field the instance stamps is refused',
      '{"closed_at": "2026-11-23 10:00:00"}',
      {
        refused:
          "Invalid fields: 'closed_at' cannot be set through fields: ServiceNow stamps it when the close step closes the change."
      }
    ],
    [
      'a system field is refused',
      'sys_updated_by: mona',
      {
        refused:
          "Invalid fields: 'sys_updated_by' cannot be set through fields: ServiceNow sets system fields."
      }
    ],
    [
      'a field the step has an input for is refused, naming the input',
      'work_notes: hi',
      {
        refused:
          "Invalid fields: 'work_notes' cannot be set through fields: use the work_notes input."
      }
    ]
  ])('%s', (_, raw, expected) => {
    expect(outcomeOf(() => parseFields('fields', raw, UPDATE_INPUTS))).toEqual(
      expected
    )
  })
})

describe('parseDate', () => {
  it.each([
    ['empty is no date', '', {value: ''}],
    ['ISO 8601 in UTC', '2026-11-23T10:00:00Z', {value: '2026-11-23 10:00:00'}],
    [
      'ISO 8601 with an offset, turned into GMT',
      '2026-11-23T10:00:00+01:00',
      {value: '2026-11-23 09:00:00'}
    ],
    [
      'ISO 8601 without seconds',
      '2026-11-23T10:00Z',
      {value: '2026-11-23 10:00:00'}
    ],
    [
      "ServiceNow's format, read as GMT",
      '2026-11-23 10:00:00',
      {value: '2026-11-23 10:00:00'}
    ],
    [
      'without a zone is refused',
      '2026-11-23T10:00:00',
      {
        refused:
          "Invalid start_date '2026-11-23T10:00:00': use ISO 8601 with a zone (2026-11-23T10:00:00Z) or 'YYYY-MM-DD HH:MM:SS' in GMT."
      }
    ],
    [
      'a date that does not exist is refused, not rolled over',
      '2026-02-30 10:00:00',
      {refused: "Invalid start_date '2026-02-30 10:00:00': not a real date."}
    ],
    [
      'a day past the month in ISO form is refused',
      '2026-04-31T10:00:00Z',
      {refused: "Invalid start_date '2026-04-31T10:00:00Z': not a real date."}
    ]
  ])('%s', (_, raw, expected) => {
    expect(outcomeOf(() => parseDate('start_date', raw))).toEqual(expected)
  })
})

describe('parseLevel', () => {
  it.each([
    ['empty is no level', '', {value: ''}],
    ['a label, to its stored number', 'Very High', {value: '1'}],
    ['the stored number as given', '3', {value: '3'}],
    [
      'anything else is refused, naming labels and numbers',
      'severe',
      {
        refused:
          "Invalid risk 'severe'. Expected one of: very high, high, moderate, low (or 1, 2, 3, 4)."
      }
    ]
  ])('%s', (_, raw, expected) => {
    expect(outcomeOf(() => parseLevel('risk', raw, RISK_LEVELS))).toEqual(
      expected
    )
  })
})

describe('isControlled', () => {
  it.each([
    ['no patterns: every environment is controlled', 'staging', [], true],
    ['an exact name', 'production', ['production'], true],
    ['case does not matter', 'Production', ['PRODUCTION'], true],
    ['* matches anything', 'prod-eu', ['prod*'], true],
    [
      'a pattern matches the whole name, not part of it',
      'preprod',
      ['prod*'],
      false
    ],
    ['other characters are literal', 'prodXeu', ['prod.eu'], false],
    ['no pattern matches', 'staging', ['prod*', 'production'], false]
  ])('%s', (_, environment, patterns, expected) => {
    expect(isControlled(environment, patterns)).toBe(expected)
  })
})

describe('values that meet a query or a one-line field', () => {
  it.each([
    ['a plain value passes', 'Payments API', {value: 'Payments API'}],
    [
      '^ would start another condition',
      'a^ORb',
      {
        refused:
          "Invalid cmdb_ci: it contains '^', which ServiceNow reads as the start of another query condition and cannot escape. Remove the '^'."
      }
    ],
    [
      'a line break is refused',
      'a\nb',
      {
        refused:
          'Invalid cmdb_ci: it contains a line break, which cannot be used in a ServiceNow query.'
      }
    ],
    [
      'a leading javascript: is refused',
      ' javascript:gs.log(1)',
      {
        refused:
          "Invalid cmdb_ci: it begins with 'javascript:', which ServiceNow would run as a script on the instance."
      }
    ],
    [
      'an invisible character is refused, named by its code point',
      'Pay\u200bments',
      {
        refused:
          'Invalid cmdb_ci: it contains the control or invisible character U+200B, which cannot be used in a ServiceNow query.'
      }
    ]
  ])('queryValue: %s', (_, raw, expected) => {
    expect(outcomeOf(() => queryValue('cmdb_ci', raw))).toEqual(expected)
  })

  it.each([
    ['one line passes', 'Deploy v1.2.3', {value: 'Deploy v1.2.3'}],
    [
      'a line break is refused, saying where the rest goes',
      'Deploy\nv1.2.3',
      {
        refused:
          'Invalid short_description: it has a line break; ServiceNow shows it as one line. Put the rest in description.'
      }
    ]
  ])('oneLine: %s', (_, raw, expected) => {
    expect(outcomeOf(() => oneLine('short_description', raw))).toEqual(expected)
  })
})
