import {describe, expect, it} from '@jest/globals'
import type {RunContext} from '../src/github-context.js'
import {readAttachmentSpec} from '../src/settings/attachments.js'
import {readChangeRef} from '../src/settings/change-ref.js'
import {readCloseSettings} from '../src/settings/close.js'
import {
  connectionOptions,
  readConnectionSettings
} from '../src/settings/connection.js'
import {
  defaultCorrelationId,
  readCreateSettings
} from '../src/settings/create.js'
import {readGateSettings, readGithubToken} from '../src/settings/gate.js'
import {readReportSettings} from '../src/settings/dora-settings.js'
import {readUpdateSettings} from '../src/settings/update.js'
import {readWaitSettings} from '../src/settings/wait.js'
import {outcome, readWith} from './helpers/inputs.js'

/**
 * Each entrypoint's settings reader, in-process, with its inputs set as the
 * runner sets them: what it reads from them, the defaults it fills in, and the
 * refusals, word for word. One row, one behaviour.
 */

const SYS_ID = 'a'.repeat(32)
const connection = {
  instance_url: 'https://acme.service-now.com',
  username: 'devops.integration',
  password: 'sn-integration-pw'
}
const run: RunContext = {
  repository: 'octo-org/payments',
  sha: '1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b',
  ref: 'refs/heads/main',
  actor: 'mona',
  workflow: 'Deploy',
  job: 'deploy',
  runId: 4242,
  runNumber: 17,
  runAttempt: 1,
  serverUrl: 'https://github.com',
  runUrl: 'https://github.com/octo-org/payments/actions/runs/4242',
  commitUrl:
    'https://github.com/octo-org/payments/commit/1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b'
}

describe('readConnectionSettings', () => {
  it('defaults: 30 s a request, 5 attempts, 10 minutes of rate-limit waits', () => {
    expect(outcome(readWith(readConnectionSettings, connection))).toEqual({
      value: {
        baseUrl: 'https://acme.service-now.com',
        auth: {
          method: 'basic',
          username: 'devops.integration',
          password: 'sn-integration-pw'
        },
        timeoutMs: 30_000,
        maxAttempts: 5,
        rateLimitWaitMs: 600_000
      }
    })
  })

  it.each([
    [
      'request_timeout_seconds in seconds',
      {request_timeout_seconds: '300'},
      {timeoutMs: 300_000}
    ],
    ['max_attempts as given', {max_attempts: '1'}, {maxAttempts: 1}],
    [
      'rate_limit_wait_minutes 0: no waiting out rate limits',
      {rate_limit_wait_minutes: '0'},
      {rateLimitWaitMs: 0}
    ],
    [
      'a bare instance name is the service-now.com host',
      {instance_url: 'acme'},
      {baseUrl: 'https://acme.service-now.com'}
    ]
  ])('reads %s', (_, given, expected) => {
    expect(
      outcome(readWith(readConnectionSettings, {...connection, ...given}))
    ).toEqual({value: expect.objectContaining(expected)})
  })

  it('reads every connection input from SERVICENOW_<NAME> when the step gives none', () => {
    const env = {
      SERVICENOW_INSTANCE_URL: 'acme',
      SERVICENOW_USERNAME: 'u',
      SERVICENOW_PASSWORD: 'p',
      SERVICENOW_MAX_ATTEMPTS: '2'
    }
    expect(outcome(readWith(readConnectionSettings, {}, env))).toEqual({
      value: expect.objectContaining({
        baseUrl: 'https://acme.service-now.com',
        auth: {method: 'basic', username: 'u', password: 'p'},
        maxAttempts: 2
      })
    })
  })

  it.each([
    [
      'max_attempts above 10',
      {max_attempts: '11'},
      "Invalid max_attempts '11': must be from 1 to 10."
    ],
    [
      'request_timeout_seconds 0',
      {request_timeout_seconds: '0'},
      "Invalid request_timeout_seconds '0': must be from 1 to 300."
    ],
    [
      'rate_limit_wait_minutes past six hours (a GitHub-hosted job limit)',
      {rate_limit_wait_minutes: '361'},
      "Invalid rate_limit_wait_minutes '361': must be from 0 to 360."
    ],
    [
      'plain http to a remote host',
      {instance_url: 'http://acme.service-now.com'},
      expect.stringMatching(/^Invalid instance_url/)
    ],
    [
      'OIDC in a job that may not ask for an ID token',
      {instance_url: 'acme', username: '', password: '', oidc_audience: 'sn'},
      'auth oidc signs in with GitHub\'s OIDC token, and this job may not ask for one: add "permissions: id-token: write" to the job or workflow. Pull requests from forks never get one.'
    ]
  ])('refuses %s', (_, given, message) => {
    expect(
      outcome(readWith(readConnectionSettings, {...connection, ...given}))
    ).toEqual({refused: message})
  })

  it('takes OIDC when the runner offers an ID token', () => {
    const read = readWith(
      readConnectionSettings,
      {instance_url: 'acme', oidc_audience: 'sn'},
      {ACTIONS_ID_TOKEN_REQUEST_URL: 'https://token.actions.example/'}
    )
    expect(outcome(read)).toEqual({
      value: expect.objectContaining({
        auth: expect.objectContaining({method: 'oidc'})
      })
    })
  })

  it('masks every secret before it writes any other line', () => {
    const read = readWith(readConnectionSettings, {
      ...connection,
      client_id: 'c',
      client_secret: 'cs'
    })
    expect(read.commands.slice(0, 2)).toEqual([
      '::add-mask::sn-integration-pw',
      '::add-mask::cs'
    ])
    expect(read.commands.slice(2)).toEqual([
      expect.stringMatching(
        /^::debug::instance_url: https:\/\/acme\.service-now\.com; auth: oauth_password;/
      )
    ])
  })

  it('masks the secrets even when another input is then refused', () => {
    const read = readWith(readConnectionSettings, {
      ...connection,
      max_attempts: '11'
    })
    expect(read).toEqual({
      refused: "Invalid max_attempts '11': must be from 1 to 10.",
      commands: ['::add-mask::sn-integration-pw']
    })
  })
})

describe('connectionOptions', () => {
  it("gives the client the settings' retry limits, and the runner's masking for what it learns", () => {
    const read = readWith(
      () => {
        const options = connectionOptions(readConnectionSettings())
        options.mask?.('issued-token')
        return options
      },
      {...connection, max_attempts: '3', rate_limit_wait_minutes: '2'}
    )
    expect('value' in read && read.value).toMatchObject({
      baseUrl: 'https://acme.service-now.com',
      timeoutMs: 30_000,
      retry: {maxAttempts: 3, maxRateLimitWaitMs: 120_000}
    })
    expect(read.commands.at(-1)).toBe('::add-mask::issued-token')
  })
})

describe('readChangeRef', () => {
  it.each([
    [
      'a sys_id',
      {change_sys_id: SYS_ID},
      {},
      {value: {kind: 'sys_id', sysId: SYS_ID}}
    ],
    [
      'a number',
      {change_number: 'CHG0030001'},
      {},
      {value: {kind: 'number', number: 'CHG0030001'}}
    ],
    [
      'skipped, given as an input by another job',
      {skipped: 'true'},
      {},
      {value: {kind: 'skipped'}}
    ],
    [
      'skipped, exported by create in the same job',
      {},
      {SERVICENOW_CHANGE_SKIPPED: 'true'},
      {value: {kind: 'skipped'}}
    ],
    [
      'a change named wins over skipped',
      {change_number: 'CHG0030001', skipped: 'true'},
      {},
      {value: {kind: 'number', number: 'CHG0030001'}}
    ],
    [
      'neither: says which output to pass',
      {},
      {},
      {
        refused:
          "Give change_sys_id (the create step's change_sys_id output) or change_number."
      }
    ],
    [
      'both',
      {change_sys_id: SYS_ID, change_number: 'CHG0030001'},
      {},
      {refused: 'Give change_sys_id or change_number, not both.'}
    ],
    [
      "an expression that produced nothing ('null')",
      {change_sys_id: 'null'},
      {},
      {
        refused:
          "Invalid change_sys_id 'null': the expression that sets it produced nothing. Check the step id and output name."
      }
    ],
    [
      "an expression that produced nothing ('undefined')",
      {change_number: 'undefined'},
      {},
      {
        refused:
          "Invalid change_number 'undefined': the expression that sets it produced nothing. Check the step id and output name."
      }
    ],
    [
      'a sys_id in capitals',
      {change_sys_id: SYS_ID.toUpperCase()},
      {},
      {
        refused: `Invalid change_sys_id '${SYS_ID.toUpperCase()}': a ServiceNow sys_id is 32 lower-case hexadecimal characters.`
      }
    ],
    [
      'a number without its prefix',
      {change_number: '0030001'},
      {},
      {
        refused:
          "Invalid change_number '0030001': expected a change number such as CHG0030001."
      }
    ]
  ])('%s', (_, inputs, env, expected) => {
    expect(outcome(readWith(readChangeRef, inputs, env))).toEqual(expected)
  })
})

describe('readAttachmentSpec', () => {
  it.each([
    [
      'none given: no patterns, 100 MB a file',
      {},
      {value: {patterns: [], maxBytes: 100 * 1024 * 1024}}
    ],
    [
      'one pattern a line, (optional) marked, comments and blank lines skipped',
      {
        attachments:
          'junit.xml\n# the SBOM may be missing\n\nsbom/*.json (optional)'
      },
      {
        value: {
          patterns: [
            {glob: 'junit.xml', optional: false},
            {glob: 'sbom/*.json', optional: true}
          ],
          maxBytes: 100 * 1024 * 1024
        }
      }
    ],
    [
      'attachment_max_mb in MB',
      {attachments: 'a.log', attachment_max_mb: '1'},
      {
        value: {
          patterns: [{glob: 'a.log', optional: false}],
          maxBytes: 1024 * 1024
        }
      }
    ],
    [
      'an exclusion is refused',
      {attachments: 'logs/*\n!logs/secret.log'},
      {
        refused:
          "attachments: exclusions ('!logs/secret.log') are not supported; list the files to attach."
      }
    ],
    [
      'attachment_max_mb past 1024 is refused',
      {attachment_max_mb: '2048'},
      {refused: "Invalid attachment_max_mb '2048': must be from 1 to 1024."}
    ]
  ])('%s', (_, inputs, expected) => {
    expect(outcome(readWith(readAttachmentSpec, inputs))).toEqual(expected)
  })
})

describe('readWaitSettings', () => {
  it('defaults: an hour, every 30 s, proceed when approved, honour the window, fail on timeout, cancel on abort, warn on conflict', () => {
    expect(
      outcome(
        readWith(readWaitSettings, {...connection, change_sys_id: SYS_ID})
      )
    ).toEqual({
      value: {
        connection: expect.any(Object),
        change: {kind: 'sys_id', sysId: SYS_ID},
        timeoutMs: 3_600_000,
        pollIntervalMs: 30_000,
        proceedWhen: 'approved',
        honorChangeWindow: true,
        onTimeout: 'fail',
        cancelOnAbort: true,
        onConflict: 'warn'
      }
    })
  })

  it.each([
    ['timeout_minutes 0: check once', {timeout_minutes: '0'}, {timeoutMs: 0}],
    [
      'timeout_minutes up to a week',
      {timeout_minutes: '10080'},
      {timeoutMs: 10_080 * 60_000}
    ],
    [
      'poll_interval_seconds down to 5',
      {poll_interval_seconds: '5'},
      {pollIntervalMs: 5000}
    ],
    [
      'proceed_when implement',
      {proceed_when: 'implement'},
      {proceedWhen: 'implement'}
    ],
    ['on_timeout cancel', {on_timeout: 'cancel'}, {onTimeout: 'cancel'}],
    [
      'honor_change_window false',
      {honor_change_window: 'false'},
      {honorChangeWindow: false}
    ],
    [
      'cancel_on_abort false',
      {cancel_on_abort: 'false'},
      {cancelOnAbort: false}
    ]
  ])('reads %s', (_, given, expected) => {
    expect(
      outcome(
        readWith(readWaitSettings, {
          ...connection,
          change_sys_id: SYS_ID,
          ...given
        })
      )
    ).toEqual({value: expect.objectContaining(expected)})
  })

  it.each([
    [
      'polling faster than every 5 s',
      {poll_interval_seconds: '4'},
      "Invalid poll_interval_seconds '4': must be from 5 to 3600."
    ],
    [
      'a timeout past a week',
      {timeout_minutes: '10081'},
      "Invalid timeout_minutes '10081': must be from 0 to 10080."
    ],
    [
      'proceed_when scheduled',
      {proceed_when: 'scheduled'},
      "Invalid proceed_when 'scheduled'. Expected one of: approved, implement."
    ],
    [
      'on_timeout ignore',
      {on_timeout: 'ignore'},
      "Invalid on_timeout 'ignore'. Expected one of: fail, cancel."
    ]
  ])('refuses %s', (_, given, message) => {
    expect(
      outcome(
        readWith(readWaitSettings, {
          ...connection,
          change_sys_id: SYS_ID,
          ...given
        })
      )
    ).toEqual({refused: message})
  })
})

describe('readUpdateSettings', () => {
  it.each([
    [
      'a state',
      {state: 'implement'},
      {
        value: expect.objectContaining({
          state: 'implement',
          workNotes: '',
          fields: {}
        })
      }
    ],
    [
      'work notes as written',
      {work_notes: 'Rolling out\n  v1.2.3\n'},
      {
        value: expect.objectContaining({
          state: undefined,
          workNotes: 'Rolling out\n  v1.2.3'
        })
      }
    ],
    [
      'fields',
      {fields: 'category: Software'},
      {value: expect.objectContaining({fields: {category: 'Software'}})}
    ],
    [
      'attachments alone are something to do',
      {attachments: 'deploy.log'},
      {
        value: expect.objectContaining({
          attachments: {
            patterns: [{glob: 'deploy.log', optional: false}],
            maxBytes: 100 * 1024 * 1024
          }
        })
      }
    ],
    [
      'nothing to do is refused',
      {},
      {
        refused:
          'Nothing to update: give state, work_notes, fields or attachments.'
      }
    ],
    [
      'a state the model does not have',
      {state: 'done'},
      {
        refused: expect.stringMatching(
          /^Invalid state 'done'\. Expected one of: .*implement.*\.$/
        )
      }
    ],
    [
      'state through fields, pointing at the state input',
      {fields: 'state: -1'},
      {
        refused:
          "Invalid fields: 'state' cannot be set through fields: use the state input."
      }
    ]
  ])('%s', (_, given, expected) => {
    expect(
      outcome(
        readWith(readUpdateSettings, {
          ...connection,
          change_sys_id: SYS_ID,
          ...given
        })
      )
    ).toEqual(expected)
  })
})

describe('readCloseSettings', () => {
  it.each([
    [
      'a result, the close code left to it',
      {result: 'success'},
      {
        value: expect.objectContaining({
          result: 'success',
          closeCode: undefined,
          closeNotes: '',
          openIncidentOnFailure: false
        })
      }
    ],
    [
      'a result in any case',
      {result: 'Failure'},
      {value: expect.objectContaining({result: 'failure'})}
    ],
    [
      'a failure may close unsuccessful, with an incident',
      {
        result: 'failure',
        close_code: 'unsuccessful',
        open_incident_on_failure: 'true'
      },
      {
        value: expect.objectContaining({
          closeCode: 'unsuccessful',
          openIncidentOnFailure: true
        })
      }
    ],
    [
      'a success may close successful with issues',
      {result: 'success', close_code: 'successful_issues'},
      {value: expect.objectContaining({closeCode: 'successful_issues'})}
    ],
    [
      'no result: says where it comes from',
      {},
      {
        refused:
          "result is required: the deployment job's result, e.g. ${{ needs.deploy.result }} (success, failure, cancelled, skipped)."
      }
    ],
    [
      'a result the job cannot have',
      {result: 'passed'},
      {
        refused:
          "Invalid result 'passed'. Expected one of: success, failure, cancelled, skipped."
      }
    ],
    [
      'a failure may not close as successful',
      {result: 'failure', close_code: 'successful'},
      {
        refused:
          'close_code successful contradicts result failure: a deployment that did not succeed cannot close as successful. Leave close_code empty: the result decides.'
      }
    ],
    [
      'a cancelled run may not close as successful with issues',
      {result: 'cancelled', close_code: 'successful_issues'},
      {
        refused:
          'close_code successful_issues contradicts result cancelled: a deployment that did not succeed cannot close as successful. Leave close_code empty: the result decides.'
      }
    ]
  ])('%s', (_, given, expected) => {
    expect(
      outcome(
        readWith(readCloseSettings, {
          ...connection,
          change_sys_id: SYS_ID,
          ...given
        })
      )
    ).toEqual(expected)
  })
})

describe('readCreateSettings', () => {
  const create = (given: Record<string, string>): ReturnType<typeof outcome> =>
    outcome(readWith(() => readCreateSettings(run), {...connection, ...given}))

  it('defaults: a normal change, approval requested, described and correlated from the run', () => {
    expect(create({})).toEqual({
      value: expect.objectContaining({
        adoptNumber: undefined,
        type: 'normal',
        template: undefined,
        environment: '',
        controlled: true,
        requestApproval: true,
        correlationId: 'octo-org/payments/4242/deploy',
        describeFromContext: true,
        references: {assignmentGroup: '', cmdbCi: '', parentChange: ''},
        fields: {
          short_description: 'Deploy octo-org/payments@1a2b3c4',
          description: expect.stringMatching(
            /^Deployment of octo-org\/payments at 1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b, requested by the GitHub Actions workflow below\.\n/
          ),
          correlation_id: 'octo-org/payments/4242/deploy',
          correlation_display: expect.any(String)
        }
      })
    })
  })

  it.each([
    [
      'an environment goes into the title and the correlation id',
      {environment: 'production'},
      {
        environment: 'production',
        correlationId: 'octo-org/payments/4242/deploy/production'
      }
    ],
    [
      'an environment no pattern matches is not controlled',
      {environment: 'staging', controlled_environments: 'prod*, production'},
      {controlled: false}
    ],
    [
      'a matching environment is controlled',
      {environment: 'prod-eu', controlled_environments: 'prod*'},
      {controlled: true}
    ],
    [
      'a template makes a standard change',
      {template: 'Deploy web application'},
      {type: 'standard', template: 'Deploy web application'}
    ],
    ['an emergency change', {type: 'emergency'}, {type: 'emergency'}],
    [
      'adopting a change by number',
      {change_number: 'CHG0030001'},
      {adoptNumber: 'CHG0030001'}
    ],
    [
      'request_approval false',
      {request_approval: 'false'},
      {requestApproval: false}
    ],
    [
      'a correlation id as given',
      {correlation_id: 'payments/release-42'},
      {correlationId: 'payments/release-42'}
    ],
    [
      'references by name',
      {
        assignment_group: 'DevOps Team',
        cmdb_ci: 'Payments API',
        parent_change: 'CHG0030001'
      },
      {
        references: {
          assignmentGroup: 'DevOps Team',
          cmdbCi: 'Payments API',
          parentChange: 'CHG0030001'
        }
      }
    ],
    [
      'a description given is ours no longer',
      {description: 'Hand-written'},
      {describeFromContext: false}
    ],
    [
      'no schedule inputs: warn on conflicts, the dates given stand',
      {},
      {
        schedule: {
          onConflict: 'warn',
          affectedCis: [],
          firstAvailableSeconds: undefined
        }
      }
    ],
    [
      'the first available slot, an hour by default, and affected CIs once each',
      {
        schedule: 'first_available',
        affected_cis: 'Payments API, Orders DB\nPayments API',
        on_conflict: 'fail'
      },
      {
        schedule: {
          onConflict: 'fail',
          affectedCis: ['Payments API', 'Orders DB'],
          firstAvailableSeconds: 3600
        }
      }
    ],
    [
      'a slot of 90 minutes searched from start_date',
      {
        schedule: 'first_available',
        duration_minutes: '90',
        start_date: '2026-11-23 10:00:00'
      },
      {
        schedule: expect.objectContaining({firstAvailableSeconds: 5400}),
        fields: expect.objectContaining({start_date: '2026-11-23 10:00:00'})
      }
    ]
  ])('reads %s', (_, given, expected) => {
    expect(create(given)).toEqual({value: expect.objectContaining(expected)})
  })

  it.each([
    [
      'risk and impact by label, as stored numbers',
      {risk: 'low', impact: 'High'},
      {risk: '4', impact: '1'}
    ],
    [
      'a window in GMT',
      {
        start_date: '2026-11-23T10:00:00+01:00',
        end_date: '2026-11-23 11:00:00'
      },
      {start_date: '2026-11-23 09:00:00', end_date: '2026-11-23 11:00:00'}
    ],
    [
      'plans as written',
      {
        implementation_plan: '1. roll\n2. check',
        backout_plan: 'roll back',
        test_plan: 'smoke'
      },
      {
        implementation_plan: '1. roll\n2. check',
        backout_plan: 'roll back',
        test_plan: 'smoke'
      }
    ],
    [
      'any other field through fields',
      {fields: 'category: Software'},
      {category: 'Software'}
    ]
  ])('writes %s', (_, given, expected) => {
    expect(create(given)).toEqual({
      value: expect.objectContaining({
        fields: expect.objectContaining(expected)
      })
    })
  })

  it("a standard change keeps its template's description: the run's context becomes a work note", () => {
    const read = create({template: 'Deploy web application'}) as {
      value: {fields: Record<string, string>}
    }
    expect(read.value.fields.description).toBeUndefined()
    expect(read.value.fields.work_notes).toMatch(
      /^Deployment of octo-org\/payments at 1a2b3c4d/
    )
  })

  it.each([
    [
      'a template with another type',
      {template: 'Deploy web application', type: 'normal'},
      "A template makes a standard change: type 'normal' cannot go with template 'Deploy web application'."
    ],
    [
      'a standard change without a template',
      {type: 'standard'},
      'A standard change needs template: the name of a standard change template.'
    ],
    [
      'a type ServiceNow does not have',
      {type: 'minor'},
      "Invalid type 'minor'. Expected one of: normal, standard, emergency."
    ],
    [
      'a correlation id longer than ServiceNow keeps',
      {correlation_id: 'x'.repeat(101)},
      'Invalid correlation_id: 101 characters; ServiceNow keeps 100.'
    ],
    [
      'an on_conflict it does not know',
      {on_conflict: 'reschedule'},
      "Invalid on_conflict 'reschedule'. Expected one of: ignore, warn, wait, fail."
    ],
    [
      'a schedule it does not know',
      {schedule: 'next_week'},
      "Invalid schedule 'next_week'. Expected one of: first_available."
    ],
    [
      'a duration without schedule: first_available',
      {duration_minutes: '30'},
      'duration_minutes is the length of the slot schedule: first_available asks for; without it, give start_date and end_date.'
    ],
    [
      'an end date with the first available slot',
      {schedule: 'first_available', end_date: '2026-11-23 10:00:00'},
      'schedule: first_available sets the planned end from duration_minutes: end_date cannot be given too (start_date is where the search starts).'
    ],
    [
      'a slot longer than the 90 days ServiceNow searches',
      {schedule: 'first_available', duration_minutes: '129601'},
      "Invalid duration_minutes '129601': must be from 1 to 129600."
    ],
    [
      'an affected CI that would inject a query',
      {affected_cis: 'Payments API^NQsys_id!=x'},
      expect.stringMatching(/^Invalid affected_cis: /)
    ],
    [
      'a window that ends before it starts',
      {start_date: '2026-11-23 11:00:00', end_date: '2026-11-23 10:00:00'},
      'start_date (2026-11-23 11:00:00 GMT) must be before end_date (2026-11-23 10:00:00 GMT).'
    ],
    [
      'a title on two lines',
      {short_description: 'Deploy\nnow'},
      'Invalid short_description: it has a line break; ServiceNow shows it as one line. Put the rest in description.'
    ],
    [
      'a field create has an input for',
      {fields: 'risk: 2'},
      "Invalid fields: 'risk' cannot be set through fields: use the risk input."
    ],
    [
      'the parent through fields',
      {fields: 'parent: CHG0030001'},
      "Invalid fields: 'parent' cannot be set through fields: use the parent_change input."
    ],
    [
      'an adopted number that is not one',
      {change_number: 'latest'},
      "Invalid change_number 'latest': expected a change number such as CHG0030001."
    ],
    [
      'an assignment group that would break the query',
      {assignment_group: 'DevOps^ORactive=true'},
      expect.stringMatching(/^Invalid assignment_group: it contains '\^'/)
    ]
  ])('refuses %s', (_, given, message) => {
    expect(create(given)).toEqual({refused: message})
  })
})

describe('defaultCorrelationId', () => {
  it.each([
    ['repository/run/job', '', 'octo-org/payments/4242/deploy'],
    [
      'and the environment when there is one',
      'production',
      'octo-org/payments/4242/deploy/production'
    ]
  ])('%s', (_, environment, expected) => {
    expect(defaultCorrelationId(run, environment)).toBe(expected)
  })

  it('hashed down to 100 characters when too long, the same every attempt', () => {
    const long = defaultCorrelationId(
      {...run, job: 'j'.repeat(120)},
      'production'
    )
    expect(long).toHaveLength(100)
    expect(long).toMatch(/^octo-org\/payments\/4242\/j+#[0-9a-f]{16}$/)
    expect(
      defaultCorrelationId(
        {...run, job: 'j'.repeat(120), runAttempt: 2},
        'production'
      )
    ).toBe(long)
  })
})

describe('readReportSettings', () => {
  const now = new Date('2026-11-23T12:00:00Z')
  it.each([
    [
      '90 days up to now by default',
      {},
      {
        value: expect.objectContaining({
          from: new Date('2026-08-25T12:00:00Z'),
          until: now,
          cmdbCi: '',
          assignmentGroup: '',
          correlationPrefix: '',
          environment: ''
        })
      }
    ],
    [
      'a period up to a given day',
      {until: '2026-11-01 00:00:00', period_days: '7'},
      {
        value: expect.objectContaining({
          from: new Date('2026-10-25T00:00:00Z'),
          until: new Date('2026-11-01T00:00:00Z')
        })
      }
    ],
    [
      'scope filters',
      {
        cmdb_ci: 'Payments API',
        assignment_group: 'DevOps Team',
        correlation_prefix: 'octo-org/payments/',
        environment: 'production'
      },
      {
        value: expect.objectContaining({
          cmdbCi: 'Payments API',
          assignmentGroup: 'DevOps Team',
          correlationPrefix: 'octo-org/payments/',
          environment: 'production'
        })
      }
    ],
    [
      'more than two years is refused',
      {period_days: '731'},
      {refused: "Invalid period_days '731': must be from 1 to 730."}
    ],
    [
      'an until without a zone is refused',
      {until: '2026-11-01T00:00:00'},
      {
        refused:
          "Invalid until '2026-11-01T00:00:00': use ISO 8601 with a zone (2026-11-23T10:00:00Z) or 'YYYY-MM-DD HH:MM:SS' in GMT."
      }
    ]
  ])('%s', (_, given, expected) => {
    expect(
      outcome(
        readWith(() => readReportSettings(now), {...connection, ...given})
      )
    ).toEqual(expected)
  })

  it("takes now up to the next whole second, as ServiceNow keeps times: a change closed in now's own second counts", () => {
    expect(
      outcome(
        readWith(
          () => readReportSettings(new Date('2026-11-23T12:00:00.700Z')),
          {...connection, period_days: '1'}
        )
      )
    ).toEqual({
      value: expect.objectContaining({
        from: new Date('2026-11-22T12:00:01Z'),
        until: new Date('2026-11-23T12:00:01Z')
      })
    })
  })
})

describe('readGateSettings', () => {
  it('reads the github_token for post, masked', () => {
    expect(readWith(readGithubToken, {github_token: 'ghs_abc'})).toEqual({
      value: 'ghs_abc',
      commands: ['::add-mask::ghs_abc']
    })
  })

  it("reads create's, wait's and close's inputs but the result", () => {
    const read = outcome(
      readWith(() => readGateSettings(run), {
        ...connection,
        template: 'Deploy web application',
        timeout_minutes: '5',
        close_code: 'successful_issues'
      })
    )
    expect(read).toEqual({
      value: {
        create: expect.objectContaining({type: 'standard'}),
        wait: expect.objectContaining({timeoutMs: 300_000}),
        close: {
          closeCode: 'successful_issues',
          closeNotes: '',
          openIncidentOnFailure: false
        }
      }
    })
  })
})
