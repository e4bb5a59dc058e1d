import {jest} from '@jest/globals'

/** What a settings reader gave for some inputs: its value, or the one line it refused them with. */
export type Read<T> =
  {value: T; commands: string[]} | {refused: string; commands: string[]}

/**
 * Runs a settings reader in-process with the step's inputs set as the runner
 * sets them (INPUT_<NAME>) and the job's environment `env`; no other INPUT_ or
 * SERVICENOW_ variable is visible to it. Returns what it read or the message it
 * refused with, and the workflow commands it wrote (::add-mask::, ::debug::).
 */
export function readWith<T>(
  read: () => T,
  inputs: Record<string, string>,
  env: Record<string, string> = {}
): Read<T> {
  const saved = {...process.env}
  for (const key of Object.keys(process.env))
    if (/^(INPUT_|SERVICENOW_|ACTIONS_ID_TOKEN_REQUEST_)/.test(key))
      delete process.env[key]
  for (const [name, value] of Object.entries(inputs))
    process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value
  Object.assign(process.env, env)
  const commands: string[] = []
  const write = jest
    .spyOn(process.stdout, 'write')
    .mockImplementation((chunk: string | Uint8Array) => {
      commands.push(
        ...String(chunk)
          .split(/\r?\n/)
          .filter(l => l !== '')
      )
      return true
    })
  try {
    return {...outcomeOf(read), commands}
  } finally {
    write.mockRestore()
    for (const key of Object.keys(process.env))
      if (!(key in saved)) delete process.env[key]
    Object.assign(process.env, saved)
  }
}

/** The value read, or the refusal's message, for a table cell that expects one or the other. */
export function outcome<T>(read: Read<T>): {value: T} | {refused: string} {
  return 'refused' in read ? {refused: read.refused} : {value: read.value}
}

/** What a parser or reader gave: its value, or the message it refused the text with. */
export function outcomeOf<T>(parse: () => T): {value: T} | {refused: string} {
  try {
    return {value: parse()}
  } catch (error) {
    return {refused: (error as Error).message}
  }
}
