import {describe, expect, it} from '@jest/globals'
import type {ChangeRecord} from '../src/servicenow/change-record.js'
import {approversJson, summaryHtml} from '../src/steps/summary.js'
import {
  lifecycleStrip,
  names,
  readableTime,
  toneOf
} from '../src/steps/summary-parts.js'
import {summaryText} from '../scripts/local-runner.js'

/** The job summary's parts, as a person reads them. */
function change(over: Partial<ChangeRecord> = {}): ChangeRecord {
  return {
    sysId: 'a'.repeat(32),
    number: 'CHG0030001',
    type: 'normal',
    state: -2,
    stateLabel: 'scheduled',
    stateName: 'Scheduled',
    approval: 'approved',
    shortDescription: 'Deploy octo-org/payments@1a2b3c4 to production',
    correlationId: 'x',
    closeCode: '',
    startDate: undefined,
    endDate: undefined,
    assignmentGroup: undefined,
    cmdbCi: undefined,
    parent: undefined,
    onHold: false,
    onHoldReason: '',
    risk: '',
    impact: '',
    url:
      'https://acme.service-now.com/change_request.do?sys_id=' + 'a'.repeat(32),
    ...over
  }
}

describe('the status icon', () => {
  it.each<[string, Partial<ChangeRecord>, string]>([
    [
      'closed successful',
      {stateLabel: 'closed', state: 3, closeCode: 'successful'},
      'ok'
    ],
    [
      'closed with issues',
      {stateLabel: 'closed', state: 3, closeCode: 'successful_issues'},
      'warn'
    ],
    [
      'closed unsuccessful',
      {stateLabel: 'closed', state: 3, closeCode: 'unsuccessful'},
      'bad'
    ],
    [
      'canceled',
      {stateLabel: 'canceled', state: 4, approval: 'requested'},
      'canceled'
    ],
    [
      'rejected, back in New',
      {stateLabel: 'new', state: -5, approval: 'rejected'},
      'bad'
    ],
    ['approved, Scheduled', {}, 'ok'],
    ['approved, Implement', {stateLabel: 'implement', state: -1}, 'ok'],
    [
      'waiting in Assess',
      {stateLabel: 'assess', state: -4, approval: 'requested'},
      'waiting'
    ],
    [
      'approved but still in Authorize',
      {stateLabel: 'authorize', state: -3},
      'waiting'
    ]
  ])('%s', (_, over, tone) => {
    expect(toneOf(change(over))).toBe(tone)
  })
})

describe('the lifecycle strip', () => {
  it.each<[string, Partial<ChangeRecord>, string]>([
    [
      'normal in Scheduled',
      {},
      'New ✓ → Assess ✓ → Authorize ✓ → ● Scheduled → Implement → Review → Closed'
    ],
    [
      'normal in New',
      {stateLabel: 'new', state: -5},
      '● New → Assess → Authorize → Scheduled → Implement → Review → Closed'
    ],
    [
      'standard closed',
      {type: 'standard', stateLabel: 'closed', state: 3},
      'New ✓ → Scheduled ✓ → Implement ✓ → Review ✓ → ● Closed'
    ],
    [
      'emergency in Authorize',
      {type: 'emergency', stateLabel: 'authorize', state: -3},
      'New ✓ → ● Authorize → Scheduled → Implement → Review → Closed'
    ],
    [
      'canceled',
      {stateLabel: 'canceled', state: 4},
      'New → Assess → Authorize → Scheduled → Implement → Review → Closed · ● Canceled'
    ],
    [
      'a state of the instance’s own',
      {stateLabel: undefined, state: 7, stateName: 'Pending review'},
      'New → Assess → Authorize → Scheduled → Implement → Review → Closed · ● Pending review'
    ],
    [
      'Assess on an emergency change (not on its path)',
      {type: 'emergency', stateLabel: 'assess', state: -4},
      'New → Authorize → Scheduled → Implement → Review → Closed · ● state assess'
    ]
  ])('%s', (_, over, strip) => {
    expect(lifecycleStrip(change(over))).toBe(strip)
  })
})

describe('words and times', () => {
  it.each([
    [[], ''],
    [['A'], 'A'],
    [['A', 'B'], 'A and B'],
    [['A', 'B', 'C'], 'A, B and C']
  ])('names(%j) = %s', (list, text) => {
    expect(names(list as string[])).toBe(text)
  })
  it('writes a time with its day, month name and zone', () => {
    expect(readableTime(new Date('2026-11-03T07:05:09.123Z'))).toBe(
      '3 Nov 2026, 07:05:09 UTC'
    )
  })
})

describe('the summary', () => {
  const approvers = [
    {
      name: 'Alice Approver',
      state: 'approved',
      comments: '',
      decidedAt: new Date('2026-11-23T10:01:00Z')
    },
    {
      name: 'Bob CAB',
      state: 'approved',
      comments: 'fine <b>by</b> me',
      decidedAt: new Date('2026-11-23T10:04:00Z')
    },
    {
      name: 'Carol CAB',
      state: 'not_required',
      comments: '',
      decidedAt: undefined
    }
  ]

  it('opens with how it went, who decided and how long', () => {
    const text = summaryText(
      summaryHtml({
        title: 'ServiceNow change CHG0030001 approved',
        record: change(),
        approvers,
        waitedMs: 252_000
      })
    )
    expect(text.split('\n')[0]).toBe(
      '✅ ServiceNow change CHG0030001 approved by Alice Approver and Bob CAB after 4 min 12 s'
    )
    expect(text).toContain(
      'New ✓ → Assess ✓ → Authorize ✓ → ● Scheduled → Implement → Review → Closed'
    )
    expect(text).toContain('Carol CAB | not required |')
    expect(text).toContain(
      'Bob CAB | approved | 23 Nov 2026, 10:04:00 UTC | fine <b>by</b> me'
    )
  })

  it('shows a failed close with its close code and incident as links', () => {
    const record = change({
      stateLabel: 'closed',
      state: 3,
      closeCode: 'unsuccessful'
    })
    const html = summaryHtml({
      title: 'ServiceNow change CHG0030001 closed',
      record,
      incident: {
        number: 'INC0010001',
        url: 'https://acme.service-now.com/incident.do?sys_id=1'
      }
    })
    expect(html.split('\n')[0]).toBe(
      '<h3>❌ ServiceNow change CHG0030001 closed</h3>'
    )
    expect(html).toContain(
      `<th>Close code</th><td><a href="${record.url}">unsuccessful</a></td>`
    )
    expect(html).toContain(
      '<th>Incident</th><td><a href="https://acme.service-now.com/incident.do?sys_id=1">INC0010001</a></td>'
    )
  })

  it('lets the step say what the record cannot (an outcome it could not read)', () => {
    const html = summaryHtml({
      title: 'Left in Implement: the outcome is unknown',
      record: change({stateLabel: 'implement', state: -1}),
      tone: 'warn'
    })
    expect(html.split('\n')[0]).toBe(
      '<h3>⚠️ Left in Implement: the outcome is unknown</h3>'
    )
  })

  it('escapes what comes from ServiceNow', () => {
    const html = summaryHtml({
      title: 't',
      record: change({shortDescription: '<img src=x onerror=alert(1)>'})
    })
    expect(html).not.toContain('<img')
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;')
  })
})

describe('the strip in the summary', () => {
  it.each<[Partial<ChangeRecord>, string]>([
    [{}, 'Authorize ✓ → <b>● Scheduled</b> → Implement'],
    [
      {stateLabel: 'closed', state: 3, closeCode: 'successful'},
      'Review ✓ → <b>● Closed</b></p>'
    ],
    [{stateLabel: 'canceled', state: 4}, 'Closed · <b>● Canceled</b></p>']
  ])('marks the current state in bold (%j)', (over, fragment) => {
    expect(summaryHtml({title: 't', record: change(over)})).toContain(fragment)
  })
})

describe('JSON outputs', () => {
  it('keep every line break of a value escaped, U+2028/U+2029 too, so the output is one line that parses back the same', () => {
    const comments = 'ok\n::error::forged\r\u2028::warning::forged\u2029end'
    const json = approversJson([
      {
        name: 'Alice\u2028Bob',
        state: 'approved',
        comments,
        decidedAt: new Date('2026-11-23T10:00:00Z')
      }
    ])
    expect(json).not.toMatch(/[\r\n\u2028\u2029\u0085]/)
    expect(json.match(/\\u2028/g)).toHaveLength(2)
    expect(json.match(/\\u2029/g)).toHaveLength(1)
    const back = JSON.parse(json) as {name: string; comments: string}[]
    expect(back).toHaveLength(1)
    expect(back[0]?.name).toBe('Alice\u2028Bob')
    expect(back[0]?.comments).toBe(comments)
  })
})
