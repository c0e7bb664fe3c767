// Command-line errors and exit codes (sysexits.h): 64 bad usage, 69 unavailable, 75 temporary.
import { closeSync, openSync, readSync } from 'node:fs'
import { type ParseArgsConfig, parseArgs } from 'node:util'
export const EX_OK = 0
export const EX_USAGE = 64
export const EX_DATAERR = 65
export const EX_NOINPUT = 66
export const EX_UNAVAILABLE = 69
export const EX_SOFTWARE = 70
export const EX_CANTCREAT = 73
export const EX_TEMPFAIL = 75
export const EX_PROTOCOL = 76
export const EX_NOPERM = 77
export const EX_CONFIG = 78

/** A usage error: printed as one line, exit 64. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

/**
 * A flag that takes one value (a string option without `multiple`), given more than once, is a usage error:
 * the last one winning in silence could send from, to or listen on the wrong place. `tokens` are
 * `parseArgs`'s with `tokens: true`.
 * @throws UsageError naming the flag.
 */
const onceEach = (
  options: Readonly<Record<string, { readonly type: string; readonly multiple?: boolean | undefined }>>,
  tokens: ReadonlyArray<{ readonly kind: string; readonly name?: string }>,
): void => {
  const seen = new Set<string>()
  for (const t of tokens) {
    if (t.kind !== 'option' || t.name === undefined) continue
    const spec = options[t.name]
    if (spec === undefined || spec.type !== 'string' || spec.multiple === true) continue
    if (seen.has(t.name)) throw new UsageError(`--${t.name} is given twice; it takes one value`)
    seen.add(t.name)
  }
}

/**
 * A command's flags: `parseArgs`, strict (an unknown flag or a missing value is a usage error), with every
 * one-value flag given at most once (`onceEach`). Positional arguments only where `allowPositionals` says.
 */
export const parseFlags = <O extends NonNullable<ParseArgsConfig['options']>, P extends boolean>(
  argv: ReadonlyArray<string>,
  options: O,
  allowPositionals: P,
): ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: P; strict: true; tokens: true }>> => {
  const parsed = parseArgs({ args: [...argv], options, allowPositionals, strict: true, tokens: true })
  onceEach(options, parsed.tokens)
  return parsed
}

/** A service the command needs cannot be had (the port is taken): one line, exit 69. */
export class UnavailableError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UnavailableError'
  }
}

/** An output the command must make cannot be made (the Maildir root): one line, exit 73. */
export class CantCreateError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CantCreateError'
  }
}

/** Configuration that does not work (a certificate that does not load): one line, exit 78. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ConfigError'
  }
}

/** An input file that cannot be read: one line, exit 66. */
export class InputError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'InputError'
  }
}

/** Text made one line: its line breaks (OpenSSL's messages end in one) become spaces, ends trimmed. */
export const oneLine = (text: string): string => text.replace(/\s*[\r\n]+\s*/g, ' ').trim()

/** A whole number flag value up to `max`, or a usage error naming the flag. */
export const wholeNumber = (
  flag: string,
  value: string | undefined,
  fallback: number,
  max = Number.MAX_SAFE_INTEGER,
): number => {
  if (value === undefined) return fallback
  if (!/^[0-9]+$/.test(value)) throw new UsageError(`--${flag} needs a whole number, got ${JSON.stringify(value)}`)
  // a well-formed number that is too big is a limit, and said as one
  const n = Number(value)
  if (!Number.isSafeInteger(n) || n > max) throw new UsageError(`--${flag} is at most ${max}, got ${value}`)
  return n
}

/** The most a certificate, key or CA file may hold: a chain of PEM certificates is a few KiB. */
export const MAX_PEM_OCTETS = 1024 * 1024

/**
 * A small file read whole, or an error once it passes `maxOctets`: a path such as /dev/zero never ends, and
 * reading it whole would take all memory before failing.
 */
export const readSmallFile = (path: string, maxOctets = MAX_PEM_OCTETS): Buffer => {
  const fd = openSync(path, 'r')
  try {
    const parts: Buffer[] = []
    let total = 0
    for (;;) {
      const part = Buffer.alloc(64 * 1024)
      const n = readSync(fd, part)
      if (n === 0) return Buffer.concat(parts, total)
      total += n
      if (total > maxOctets) throw new Error(`larger than ${maxOctets} octets`)
      parts.push(part.subarray(0, n))
    }
  } finally {
    closeSync(fd)
  }
}

/** `HOST:PORT`, an IPv6 host in brackets (`[::1]:2525`): the form `parseHostPort` and `send --server` read. */
export const hostPort = (host: string, port: number): string =>
  host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`

/** `HOST:PORT` (an IPv6 host in brackets) as a listen address, or a usage error. */
export const parseHostPort = (flag: string, text: string): { host: string; port: number } => {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text)
  const port = m ? Number(m[3]) : NaN
  if (!m || port > 65535) throw new UsageError(`--${flag} needs HOST:PORT, got ${JSON.stringify(text)}`)
  return { host: (m[1] ?? m[2])!, port }
}
