import {readFileSync} from 'node:fs'
import {parseArgs} from 'node:util'
import {SEED_OAUTH_CLIENT, SEED_USERS} from './seed.js'
import {startSimulator, type SimulatorOptions} from './server.js'

/**
 * npm run simulator -- [--port 8080] [--approve-after 10 | --manual] [--reject-pattern REGEX]
 *   [--rate-limit 100/3600] [--latency MS] [--hibernate] [--no-change-api]
 *   [--token-lifetime S] [--silent-refusals] [--fault JSON]…
 *   [--oidc-jwks FILE --oidc-client-id ID [--oidc-issuer URL] [--oidc-user-claim C] [--oidc-user-field F]]
 */
const HELP = `ServiceNow simulator: a local instance for servicenow-change.

  --port N               port to listen on (default 8080; 0 = any free port)
  --host H               address to listen on (default 127.0.0.1)
  --approve-after S      approve requested approvals after S seconds (default 10)
  --manual               never decide approvals by policy; use the admin endpoints
  --reject-pattern RE    reject instead when the short description matches RE
  --rate-limit N/S       allow N requests per S seconds per user, then 429
  --latency MS           add MS milliseconds to every API answer
  --hibernate            answer every request with the hibernation page
  --no-change-api        behave like an instance without the Change Management API
  --token-lifetime S     OAuth access token lifetime (default 1800)
  --no-client-credentials  refuse the OAuth client credentials grant
  --silent-refusals      ignore refused state changes instead of answering 403
  --history-weeks N      seed N weeks of past deployments and incidents (for the report)
  --notify-github URL    send repository_dispatch to this GitHub API (https://api.github.com, or the
                         GitHub simulator) when a change of this action changes approval or state;
                         the token comes from GITHUB_DISPATCH_TOKEN
  --fault JSON           inject a fault, e.g. '{"kind":"status","status":503,"path":"/api/now/table","times":3}'
  --oidc-jwks FILE       trust ID tokens signed by the keys in this JWKS file (an OIDC provider entry)
  --oidc-client-id ID    the entry's Client ID: tokens must have it as aud (required with --oidc-jwks)
  --oidc-issuer URL      the tokens' iss (default https://token.actions.githubusercontent.com)
  --oidc-user-claim C    the claim naming the user (default sub)
  --oidc-user-field F    the sys_user field it is matched with (default user_name)
`

const {values} = parseArgs({
  options: {
    port: {type: 'string', default: '8080'},
    host: {type: 'string', default: '127.0.0.1'},
    'approve-after': {type: 'string', default: '10'},
    manual: {type: 'boolean', default: false},
    'reject-pattern': {type: 'string'},
    'rate-limit': {type: 'string'},
    latency: {type: 'string'},
    hibernate: {type: 'boolean', default: false},
    'no-change-api': {type: 'boolean', default: false},
    'token-lifetime': {type: 'string'},
    'no-client-credentials': {type: 'boolean', default: false},
    'silent-refusals': {type: 'boolean', default: false},
    fault: {type: 'string', multiple: true},
    'history-weeks': {type: 'string'},
    'notify-github': {type: 'string'},
    'oidc-jwks': {type: 'string'},
    'oidc-client-id': {type: 'string'},
    'oidc-issuer': {
      type: 'string',
      default: 'https://token.actions.githubusercontent.com'
    },
    'oidc-user-claim': {type: 'string', default: 'sub'},
    'oidc-user-field': {type: 'string', default: 'user_name'},
    help: {type: 'boolean', default: false}
  }
})

if (values.help) {
  process.stdout.write(HELP)
  process.exit(0)
}

function number(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const n = Number(text)
  if (!Number.isFinite(n) || n < 0) {
    process.stderr.write(
      `--${name} needs a non-negative number, got '${text}'\n`
    )
    process.exit(2)
  }
  return n
}

let rateLimit: SimulatorOptions['rateLimit']
if (values['rate-limit'] !== undefined) {
  const match = /^(\d+)\/(\d+)$/.exec(values['rate-limit'])
  if (match === null) {
    process.stderr.write(
      `--rate-limit takes N/SECONDS, e.g. 100/3600, got '${values['rate-limit']}'\n`
    )
    process.exit(2)
  }
  rateLimit = {limit: Number(match[1]), windowMs: Number(match[2]) * 1000}
}

let oidc: SimulatorOptions['oidc']
if (values['oidc-jwks'] !== undefined) {
  if (values['oidc-client-id'] === undefined) {
    process.stderr.write(
      '--oidc-jwks needs --oidc-client-id: the audience the tokens must carry\n'
    )
    process.exit(2)
  }
  oidc = {
    issuer: values['oidc-issuer'],
    clientId: values['oidc-client-id'],
    jwks: JSON.parse(readFileSync(values['oidc-jwks'], 'utf8')),
    userClaim: values['oidc-user-claim'],
    userField: values['oidc-user-field']
  }
}

const sim = await startSimulator({
  port: number('port', values.port),
  host: values.host,
  approval: {
    mode: values.manual ? 'manual' : 'auto',
    afterMs: (number('approve-after', values['approve-after']) ?? 10) * 1000,
    ...(values['reject-pattern'] === undefined
      ? {}
      : {rejectPattern: values['reject-pattern']})
  },
  rateLimit,
  latencyMs: number('latency', values.latency),
  hibernating: values.hibernate,
  changeApi: !values['no-change-api'],
  tokenLifetimeSeconds: number('token-lifetime', values['token-lifetime']),
  clientCredentials: !values['no-client-credentials'],
  transitionRefusal: values['silent-refusals'] ? 'ignore' : 'error',
  faults: (values.fault ?? []).map(f => JSON.parse(f)),
  historyWeeks: number('history-weeks', values['history-weeks']),
  ...(values['notify-github'] === undefined
    ? {}
    : {
        notifyGithub: {
          url: values['notify-github'],
          token: process.env.GITHUB_DISPATCH_TOKEN ?? ''
        }
      }),
  oidc
})

const user = SEED_USERS.integration
process.stdout.write(`ServiceNow simulator listening on ${sim.url}
  basic auth:  ${user.user_name} / ${user.password}   (admin / admin also works)
  OAuth:       client_id ${SEED_OAUTH_CLIENT.clientId}, client_secret ${SEED_OAUTH_CLIENT.clientSecret}
  try:         curl -s -u ${user.user_name}:${user.password} -H 'Accept: application/json' '${sim.url}/api/now/table/sys_user_group?sysparm_fields=name,sys_id'
  approvals:   ${values.manual ? 'manual' : `approved ${values['approve-after']} s after being requested`}; by hand: ${sim.url}/__sim/approvals
${oidc === undefined ? '' : `  OIDC:        ID tokens from ${oidc.issuer} with aud ${oidc.clientId}; ${oidc.userClaim} names the user by ${oidc.userField}; refusals: ${sim.url}/__sim/auth-refusals\n`}`)

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void sim.stop().then(() => process.exit(0))
  })
}
