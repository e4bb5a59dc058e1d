import {readFile, stat} from 'node:fs/promises'
import {basename, extname, relative} from 'node:path'
import type {Attachment} from '../servicenow/attachment-api.js'
import type {ChangeRecord} from '../servicenow/change-record.js'
import {InputError} from '../servicenow/errors.js'
import type {AttachmentSpec} from '../settings/attachments.js'
import {createChecked} from '../servicenow/checked-create.js'
import type {ChangeDeps} from './deps.js'

export interface AttachmentFile {
  path: string
  /** The name on the change request: the file's own name. */
  name: string
  size: number
  contentType: string
}

/**
 * The files to attach, found and checked before any request: a pattern that
 * matches nothing (unless marked optional), a file over the size limit, or two
 * files with the same name are errors.
 */
export async function resolveAttachments(
  spec: AttachmentSpec
): Promise<AttachmentFile[]> {
  const files = new Map<string, AttachmentFile>()
  if (spec.patterns.length === 0) return []
  // Loaded here, not at the top: most runs attach nothing, and a step's start should not pay for it.
  const glob = await import('@actions/glob')
  for (const pattern of spec.patterns) {
    const globber = await glob.create(pattern.glob, {
      matchDirectories: false,
      implicitDescendants: false
    })
    const matched = await globber.glob()
    if (matched.length === 0 && !pattern.optional) {
      throw new InputError(
        `attachments: '${pattern.glob}' matches no file. Add ' (optional)' after it if that can happen.`
      )
    }
    for (const path of matched) {
      const size = (await stat(path)).size
      if (size > spec.maxBytes) {
        throw new InputError(
          `attachments: ${relative(process.cwd(), path)} is ${mb(size)} MB, over attachment_max_mb (${mb(spec.maxBytes)} MB).`
        )
      }
      files.set(path, {
        path,
        name: basename(path),
        size,
        contentType: contentType(path)
      })
    }
  }
  const byName = new Map<string, string>()
  for (const file of files.values()) {
    const other = byName.get(file.name)
    if (other !== undefined)
      throw new InputError(
        `attachments: ${relative(process.cwd(), other)} and ${relative(process.cwd(), file.path)} would both be attached as ${file.name}.`
      )
    byName.set(file.name, file.path)
  }
  return [...files.values()]
}

/**
 * Attaches the files to the change. A file already attached with the same name
 * and size (a re-run) is not attached again; an upload whose answer was lost is
 * repeated only after looking whether it arrived.
 */
export async function attachFiles(
  deps: ChangeDeps,
  change: ChangeRecord,
  files: AttachmentFile[]
): Promise<Attachment[]> {
  if (files.length === 0) return []
  const {client, info} = deps
  const target = {table: 'change_request', sysId: change.sysId}
  const same = (file: AttachmentFile) => (a: Attachment) =>
    a.fileName === file.name && a.sizeBytes === file.size
  const existing = await client.attachments(target)
  const attached: Attachment[] = []
  for (const file of files) {
    const already = existing.find(same(file))
    if (already !== undefined) {
      info(`${file.name} is already attached to ${change.number}.`)
      attached.push(already)
      continue
    }
    const data = await readFile(file.path)
    attached.push(
      await createChecked(client, {
        create: () =>
          client.attach(target, {
            name: file.name,
            contentType: file.contentType,
            data
          }),
        landed: async () => (await client.attachments(target)).find(same(file)),
        onRetry: error =>
          info(
            `Attaching ${file.name} failed (${error.message}); checking whether it arrived before trying again.`
          ),
        random: deps.random
      })
    )
    info(`Attached ${file.name} (${file.size} bytes) to ${change.number}.`)
  }
  return attached
}

const TYPES: Record<string, string> = {
  '.xml': 'application/xml',
  '.json': 'application/json',
  '.sarif': 'application/sarif+json',
  '.txt': 'text/plain',
  '.log': 'text/plain',
  '.md': 'text/markdown',
  '.csv': 'text/csv',
  '.html': 'text/html',
  '.htm': 'text/html',
  '.pdf': 'application/pdf',
  '.zip': 'application/zip',
  '.gz': 'application/gzip',
  '.tgz': 'application/gzip',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.yaml': 'application/yaml',
  '.yml': 'application/yaml'
}

export function contentType(path: string): string {
  return TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream'
}

function mb(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1)
}
