// The server's EHLO/LHLO reply read as typed capabilities (RFC 5321 4.1.1.1, 2.2.2): SIZE (RFC 1870 4),
// PIPELINING (RFC 2920), 8BITMIME (RFC 6152), SMTPUTF8 (RFC 6531 3.1), STARTTLS (RFC 3207), AUTH (RFC 4954 3),
// CHUNKING and BINARYMIME (RFC 3030), DSN (RFC 3461), ENHANCEDSTATUSCODES (RFC 2034), REQUIRETLS (RFC 8689),
// LIMITS (RFC 9422).
import { asciiUpper } from '../grammar/chars.js'
import type { Reply } from '../Reply.js'

/** What the server said it can do. Unknown keywords are kept, as sent, in `other`. */
export interface ServerCapabilities {
  /** SIZE: undefined when not offered; otherwise the limit in octets, 0 for none stated (RFC 1870 4). */
  readonly size: number | undefined
  readonly pipelining: boolean
  readonly eightBitMime: boolean
  readonly smtpUtf8: boolean
  readonly startTls: boolean
  /** SASL mechanism names offered, upper-cased, in the server's order; empty when AUTH is not offered. */
  readonly auth: ReadonlyArray<string>
  readonly chunking: boolean
  readonly binaryMime: boolean
  readonly dsn: boolean
  readonly enhancedStatusCodes: boolean
  readonly requireTls: boolean
  /** LIMITS (RFC 9422 3, 4): the limits the server said it applies; an absent or malformed one is undefined. */
  readonly limits: ServerLimits
  /** Lines whose keyword is not one of the above. */
  readonly other: ReadonlyArray<string>
}

/** RFC 9422 4: MAILMAX (transactions per session), RCPTMAX (recipients per transaction), RCPTDOMAINMAX. */
export interface ServerLimits {
  readonly mailMax?: number
  readonly rcptMax?: number
  readonly rcptDomainMax?: number
}

/** A server that greeted with HELO, or was never asked: no extensions at all (RFC 5321 4.1.1.1). */
export const noCapabilities: ServerCapabilities = {
  size: undefined,
  pipelining: false,
  eightBitMime: false,
  smtpUtf8: false,
  startTls: false,
  auth: [],
  chunking: false,
  binaryMime: false,
  dsn: false,
  enhancedStatusCodes: false,
  requireTls: false,
  limits: {},
  other: [],
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

const flags = {
  PIPELINING: 'pipelining',
  '8BITMIME': 'eightBitMime',
  SMTPUTF8: 'smtpUtf8',
  STARTTLS: 'startTls',
  CHUNKING: 'chunking',
  BINARYMIME: 'binaryMime',
  DSN: 'dsn',
  ENHANCEDSTATUSCODES: 'enhancedStatusCodes',
  REQUIRETLS: 'requireTls',
} as const satisfies Record<string, keyof ServerCapabilities>

const isFlag = (k: string): k is keyof typeof flags => Object.prototype.hasOwnProperty.call(flags, k)

/** RFC 1870 4: the optional parameter is the fixed limit in octets; 0, none or nonsense mean no limit known. */
const sizeLimit = (params: ReadonlyArray<string>): number => {
  const text = params[0] ?? ''
  const n = /^[0-9]{1,20}$/.test(text) ? Number(text) : 0
  return Number.isSafeInteger(n) ? n : 0
}

const addMechanisms = (c: Mutable<ServerCapabilities>, names: ReadonlyArray<string>): void => {
  const auth = [...c.auth]
  for (const name of names) {
    const upper = asciiUpper(name)
    if (upper !== '' && !auth.includes(upper)) auth.push(upper)
  }
  c.auth = auth
}

const limitNames = { MAILMAX: 'mailMax', RCPTMAX: 'rcptMax', RCPTDOMAINMAX: 'rcptDomainMax' } as const

/**
 * RFC 9422 3: each parameter is NAME=VALUE, names without regard to case; a client ignores limits it does
 * not know and values it cannot read. These three take a whole number of at most 6 digits, and 0 means
 * nothing sensible, so it is ignored too.
 */
const readLimits = (params: ReadonlyArray<string>): ServerLimits => {
  const limits: Mutable<ServerLimits> = {}
  for (const p of params) {
    const eq = p.indexOf('=')
    const name = asciiUpper(eq === -1 ? p : p.slice(0, eq))
    const value = eq === -1 ? '' : p.slice(eq + 1)
    if (!Object.prototype.hasOwnProperty.call(limitNames, name) || !/^[0-9]{1,6}$/.test(value)) continue
    const n = Number(value)
    if (n > 0) limits[limitNames[name as keyof typeof limitNames]] = n
  }
  return limits
}

/**
 * Read the positive reply to EHLO or LHLO. The first line is the server's name and greeting; each further
 * line is a keyword and its parameters, keywords compared without regard to case (RFC 5321 4.1.1.1).
 * @example
 * const caps = parseCapabilities(reply(250, undefined, 'mx.example', 'SIZE 1000', 'PIPELINING'))
 */
export const parseCapabilities = (r: Reply): ServerCapabilities => {
  const c: Mutable<ServerCapabilities> = { ...noCapabilities }
  const other: string[] = []
  for (const line of r.lines.slice(1)) {
    const words = line.trim().split(/ +/)
    const keyword = asciiUpper(words[0] ?? '') // ASCII only: no look-alike letters
    const params = words.slice(1)
    if (isFlag(keyword)) c[flags[keyword]] = true
    else if (keyword === 'SIZE') c.size = sizeLimit(params)
    else if (keyword === 'AUTH') addMechanisms(c, params)
    else if (keyword === 'LIMITS') c.limits = readLimits(params)
    // The pre-standard "AUTH=" form still sent next to (or instead of) AUTH by some servers (RFC 4954 3).
    else if (keyword.startsWith('AUTH=')) addMechanisms(c, [keyword.slice(5), ...params])
    else if (keyword !== '') other.push(line)
  }
  c.other = other
  return c
}
