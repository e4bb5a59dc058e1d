/**
 * Reading a JSON Web Token's header and claims, without verifying it: the action
 * only needs to know when the token GitHub gave it expires and what it says, to
 * renew it in time and to explain a refusal. Verifying is the instance's job
 * (the simulator's verifier is in src/simulator/jwt-verifier.ts).
 */
export interface DecodedJwt {
  header: Record<string, unknown>
  claims: Record<string, unknown>
  /** header.payload, the bytes the signature covers. */
  signedPart: string
  signature: Buffer
}

export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split('.')
  if (parts.length !== 3) return undefined
  const [header, claims] = [parts[0] ?? '', parts[1] ?? ''].map(jsonPart)
  if (header === undefined || claims === undefined) return undefined
  return {
    header,
    claims,
    signedPart: `${parts[0]}.${parts[1]}`,
    signature: Buffer.from(parts[2] ?? '', 'base64url')
  }
}

function jsonPart(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(
      Buffer.from(part, 'base64url').toString('utf8')
    )
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

/** A string claim, or undefined when it is absent or not a string. */
export function stringClaim(
  claims: Record<string, unknown>,
  name: string
): string | undefined {
  const value = claims[name]
  return typeof value === 'string' ? value : undefined
}

/** A NumericDate claim (seconds since the epoch) in milliseconds. */
export function timeClaim(
  claims: Record<string, unknown>,
  name: string
): number | undefined {
  const value = claims[name]
  return typeof value === 'number' && Number.isFinite(value)
    ? value * 1000
    : undefined
}
