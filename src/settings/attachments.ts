import {AttachmentInput as I} from '../constants.js'
import {InputError} from '../servicenow/errors.js'
import {integer, text} from './inputs.js'

export interface AttachmentPattern {
  glob: string
  /** Written `pattern (optional)`: matching nothing is fine. */
  optional: boolean
}

export interface AttachmentSpec {
  patterns: AttachmentPattern[]
  maxBytes: number
}

const OPTIONAL = /\s+\(optional\)$/

export function readAttachmentSpec(): AttachmentSpec {
  const patterns = text(I.Attachments)
    .split('\n')
    .map(line => line.trim())
    .filter(line => line !== '' && !line.startsWith('#'))
    .map(line => ({
      glob: line.replace(OPTIONAL, ''),
      optional: OPTIONAL.test(line)
    }))
  for (const p of patterns) {
    if (p.glob.startsWith('!'))
      throw new InputError(
        `attachments: exclusions ('${p.glob}') are not supported; list the files to attach.`
      )
  }
  return {
    patterns,
    maxBytes: integer(I.AttachmentMaxMb, 100, 1, 1024) * 1024 * 1024
  }
}
