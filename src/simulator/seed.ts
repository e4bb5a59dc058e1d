import type {Store} from './store.js'

/**
 * The demo data every simulator starts with. The credentials are documented
 * in the README; they exist only on this local simulator.
 */
export const SEED_USERS = {
  admin: {
    user_name: 'admin',
    password: 'admin',
    name: 'System Administrator',
    roles: 'admin'
  },
  integration: {
    user_name: 'devops.integration',
    password: 'sn-integration-pw',
    name: 'DevOps Integration',
    roles: 'itil,rest_api_explorer'
  },
  noRoles: {
    user_name: 'no.roles',
    password: 'no.roles',
    name: 'No Roles',
    roles: ''
  },
  /** Holds the change application's read and write roles but not itil: the Change Management API lets it read only. */
  changeReader: {
    user_name: 'change.reader',
    password: 'change.reader',
    name: 'Change Reader',
    roles: 'sn_change_read,sn_change_write'
  },
  alice: {
    user_name: 'alice.approver',
    password: 'alice',
    name: 'Alice Approver',
    roles: 'itil,approver_user'
  },
  bob: {
    user_name: 'bob.cab',
    password: 'bob',
    name: 'Bob CAB',
    roles: 'itil,approver_user'
  },
  carol: {
    user_name: 'carol.cab',
    password: 'carol',
    name: 'Carol CAB',
    roles: 'itil,approver_user'
  }
} as const

/**
 * A web-service user for GitHub's OIDC tokens: its user_name is the `sub` claim
 * of a workflow job in the production environment of octo-org/octo-repo, so a
 * token from any other repository, branch or environment names no user. It has
 * no password: only a verified ID token signs it in.
 */
export const SEED_OIDC_USER = {
  user_name: 'repo:octo-org/octo-repo:environment:production',
  name: 'GitHub Actions octo-org/octo-repo (production)',
  roles: 'itil'
} as const

export const SEED_OAUTH_CLIENT = {
  clientId: 'servicenow-change-demo',
  clientSecret: 'demo-client-secret',
  /** The user a client-credentials token acts as (the OAuth application's "OAuth Application User"). */
  user: 'devops.integration'
} as const

/**
 * A REST API key (System Web Services > API Access Policies > REST API Key): the
 * instance generates the token and ties it to one user
 * (markdown/platform-security/authentication/configure-api-key.md).
 */
export const SEED_API_KEY = {
  key: 'sim-rest-api-key-0f3c9a7e51d24b86',
  user: 'devops.integration'
} as const

export const SEED_TEMPLATES = {
  restart: 'Restart application server',
  deployWeb: 'Deploy web application',
  /** Two active templates share this name: looking it up must be refused as ambiguous. */
  duplicate: 'Rotate TLS certificates'
} as const

/** The base system's change models, by name. */
export const CHANGE_MODELS = ['Normal', 'Standard', 'Emergency'] as const

export function seed(store: Store): void {
  store.writeStateChoices()
  const users: Record<string, string> = {}
  for (const u of Object.values(SEED_USERS)) {
    users[u.user_name] =
      store.insert(
        'sys_user',
        {
          user_name: u.user_name,
          name: u.name,
          roles: u.roles,
          email: `${u.user_name}@example.com`,
          active: 'true'
        },
        'system'
      ).sys_id ?? ''
  }
  store.insert(
    'sys_user',
    {
      ...SEED_OIDC_USER,
      email: '',
      active: 'true',
      web_service_access_only: 'true'
    },
    'system'
  )
  const group = (name: string, manager: string, members: string[]): string => {
    const id =
      store.insert(
        'sys_user_group',
        {
          name,
          manager: users[manager] ?? '',
          active: 'true',
          description: `${name} (seeded)`
        },
        'system'
      ).sys_id ?? ''
    for (const m of members)
      store.insert(
        'sys_user_grmember',
        {group: id, user: users[m] ?? ''},
        'system'
      )
    return id
  }
  group('DevOps Team', 'alice.approver', ['alice.approver'])
  group('Network', 'alice.approver', [])
  group('Database', 'alice.approver', [])
  group('Change Advisory Board', 'bob.cab', ['bob.cab', 'carol.cab'])

  for (const [name, cls] of [
    ['Payments API', 'cmdb_ci_service'],
    ['Checkout Web', 'cmdb_ci_appl'],
    ['Orders DB', 'cmdb_ci_db_instance']
  ] as const) {
    store.insert(
      'cmdb_ci',
      {name, sys_class_name: cls, operational_status: '1'},
      'system'
    )
  }

  // The change models of a change-model instance; change_request.chg_model references one.
  for (const name of CHANGE_MODELS)
    store.insert('chg_model', {name, active: 'true'}, 'system')

  // A template is three records: the producer (what the template list shows), the sys_template
  // holding its field values, and the version a standard change records in std_change_producer_version.
  const template = (name: string, values: string): void => {
    const holder = store.insert(
      'sys_template',
      {name, table: 'change_request', template: values, active: 'true'},
      'system'
    )
    const producer = store.insert(
      'std_change_record_producer',
      {
        name,
        active: 'true',
        template: holder.sys_id ?? '',
        short_description: name,
        category: 'Software'
      },
      'system'
    )
    store.insert(
      'std_change_producer_version',
      {
        name: `${name} - 1`,
        std_change_producer: producer.sys_id ?? '',
        version: '1'
      },
      'system'
    )
  }
  template(
    SEED_TEMPLATES.restart,
    'short_description=Restart application server^description=Rolling restart of the application servers^implementation_plan=Restart one node at a time^backout_plan=Start the stopped node again^test_plan=Health checks green^risk=4^impact=3'
  )
  template(
    SEED_TEMPLATES.deployWeb,
    'short_description=Deploy web application^description=Routine deployment through the pipeline^implementation_plan=Pipeline deploys the new version^backout_plan=Redeploy the previous version^test_plan=Smoke tests pass^risk=4^impact=3'
  )
  template(
    SEED_TEMPLATES.duplicate,
    'short_description=Rotate TLS certificates (edge)^risk=4'
  )
  template(
    SEED_TEMPLATES.duplicate,
    'short_description=Rotate TLS certificates (internal)^risk=4'
  )
}
