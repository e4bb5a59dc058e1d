import {ChangeApi} from './change-api.js'
import {Connection, type ConnectionOptions} from './connection.js'
import {listApprovers, type Approver} from './approvers.js'
import {
  listAttachments,
  uploadAttachment,
  type Attachment
} from './attachment-api.js'
import {createIncident, type IncidentRecord} from './incidents.js'
import {TableApi} from './table-api.js'

/**
 * Everything the action asks of ServiceNow, over one connection. Entry points
 * build one of these from their settings and pass it down.
 */
export class ServiceNowClient {
  readonly connection: Connection
  readonly table: TableApi
  readonly changes: ChangeApi

  constructor(options: ConnectionOptions) {
    this.connection = new Connection(options)
    this.table = new TableApi(this.connection)
    this.changes = new ChangeApi(this.connection, this.table)
  }

  get baseUrl(): string {
    return this.connection.baseUrl
  }

  approvers(changeSysId: string): Promise<Approver[]> {
    return listApprovers(this.table, changeSysId)
  }

  attach(
    target: {table: string; sysId: string},
    file: {name: string; contentType: string; data: Buffer}
  ): Promise<Attachment> {
    return uploadAttachment(this.connection, target, file)
  }

  attachments(target: {table: string; sysId: string}): Promise<Attachment[]> {
    return listAttachments(this.connection, target)
  }

  createIncident(
    fields: {causedBy: string} & Record<string, unknown>
  ): Promise<IncidentRecord> {
    return createIncident(this.table, this.baseUrl, fields)
  }

  dispose(): void {
    this.connection.dispose()
  }
}
