/** Every input, output and state name the action uses: action.yml files are checked against these. */

export enum ConnectionInput {
  InstanceUrl = 'instance_url',
  Username = 'username',
  Password = 'password',
  ClientId = 'client_id',
  ClientSecret = 'client_secret',
  Token = 'token',
  Auth = 'auth',
  RequestTimeoutSeconds = 'request_timeout_seconds',
  MaxAttempts = 'max_attempts'
}

export enum Output {
  ChangeNumber = 'change_number',
  ChangeSysId = 'change_sys_id',
  ChangeUrl = 'change_url',
  State = 'state',
  Approval = 'approval'
}
