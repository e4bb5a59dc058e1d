import {describe, expect, it} from '@jest/globals'
import {query} from '../src/servicenow/query.js'
import {InputError} from '../src/servicenow/errors.js'

describe('EncodedQuery', () => {
  it('joins conditions with ^ and writes each operator as ServiceNow expects', () => {
    const q = query()
      .eq('correlation_id', 'octo/repo#12')
      .notEq('state', '3')
      .in('state', ['-5', '-4'])
      .notIn('type', ['standard'])
      .startsWith('number', 'CHG')
      .like('short_description', 'deploy')
      .isEmpty('close_code')
      .orderByDesc('sys_created_on')
      .orderBy('number')
    expect(q.toString()).toBe(
      'correlation_id=octo/repo#12^state!=3^stateIN-5,-4^typeNOT INstandard^numberSTARTSWITHCHG^short_descriptionLIKEdeploy^close_codeISEMPTY^ORDERBYDESCsys_created_on^ORDERBYnumber'
    )
  })

  it('refuses a ^ in a value, which would inject another condition', () => {
    expect(() => query().eq('correlation_id', 'x^NQactive=true')).toThrow(
      InputError
    )
    expect(() => query().eq('correlation_id', 'x^NQactive=true')).toThrow(
      /contains '\^'/
    )
  })

  it('refuses a comma inside an IN value and line breaks anywhere', () => {
    expect(() => query().in('number', ['CHG1,CHG2'])).toThrow(/split it in two/)
    expect(() => query().eq('name', 'a\nb')).toThrow(/line break/)
    expect(() => query().eq('name', 'a\u2028b')).toThrow(/line break/)
    expect(() => query().in('name', ['ok', 'a\u2029b'])).toThrow(/line break/)
  })

  it('refuses a value ServiceNow would run as a script, in any case and after spaces', () => {
    for (const value of [
      'javascript:gs.getUserID()',
      '  JavaScript:x',
      '\tJAVASCRIPT:x'
    ]) {
      expect(() => query().eq('assigned_to', value)).toThrow(
        /begins with 'javascript:'/
      )
      expect(() => query().startsWith('correlation_id', value)).toThrow(
        InputError
      )
    }
    // The instance strips every char up to U+0020 (Java trim) before it looks for the
    // prefix: any control or invisible character is refused, not only leading spaces.
    for (const value of [
      '\u0001javascript:x',
      '\u0008JavaScript:x',
      '\u001fjavascript:x',
      'a\u0000b',
      'a\u007fb',
      'a\u0085b',
      'a\u200bb',
      'a\u202eb',
      '\ufeffjavascript:x'
    ]) {
      expect(() => query().eq('correlation_id', value)).toThrow(InputError)
    }
    expect(() => query().eq('x', '\u0001javascript:x')).toThrow(
      /begins with 'javascript:'/
    )
    expect(() => query().eq('x', 'web\u0001server')).toThrow(
      /control or invisible character U\+0001/
    )
    expect(query().eq('name', 'Café – déploiement').toString()).toBe(
      'name=Café – déploiement'
    )
    expect(query().isCurrentUser('approver').toString()).toBe(
      'approver=javascript:gs.getUserID()'
    )
    expect(query().eq('name', 'not javascript: at the start').toString()).toBe(
      'name=not javascript: at the start'
    )
  })

  it('refuses field names that are not field names', () => {
    expect(() => query().eq('state=3^ORnumber', 'x')).toThrow(
      /not a ServiceNow field name/
    )
    expect(() => query().in('state', [])).toThrow(/at least one value/)
  })
})
