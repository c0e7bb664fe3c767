// The command's logger: session events from the server (see `loggedHooks` in @smtpure/driver) as
// one line each on stderr, either JSON (one object per line, as pino writes) or text for people.
import { readFileSync } from 'node:fs'
import type { Logger } from '@smtpure/driver'
import { UsageError } from './usage.js'

/** `--log-format` values. */
export type LogFormat = 'text' | 'json'

/** The format named by `--log-format`; a usage error for anything else. */
export const logFormat = (value: string | undefined): LogFormat | undefined => {
  if (value === undefined || value === 'text' || value === 'json') return value
  throw new UsageError(`--log-format: expected text or json, given ${JSON.stringify(value)}`)
}

// eslint-disable-next-line no-control-regex -- what a terminal acts on: C0 controls but TAB, DEL, C1 controls, line separators
const unprintable = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]/g

/** A peer's line as it was sent, but with what a terminal would act on written as an escape (`\r`, `\x1b`). */
const printable = (line: string): string =>
  line.replace(unprintable, (c) => {
    const code = c.charCodeAt(0)
    if (c === '\r') return '\\r'
    if (c === '\n') return '\\n'
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`
  })

/**
 * A field's value: as it is when it is one plain word, else as JSON, with what JSON leaves as it is (DEL, C1
 * controls, line separators) escaped too, as a peer may have chosen it (an AUTH username).
 */
const textValue = (v: unknown): string => {
  if (typeof v === 'string' && /^[^\s"=]+$/.test(v) && v.search(unprintable) === -1) return v
  const json = JSON.stringify(v) as string | undefined // undefined for undefined and functions
  return json === undefined ? String(json) : printable(json)
}

/**
 * A pino-shaped logger writing one line per event with `write`: `json` gives
 * `{"time":…,"level":"info",…fields,"msg":…}`, `text` gives `time level msg key=value …`, and for
 * the transcript `time debug transcript session=… C: line` (the line last, as it was sent, control
 * characters written as escapes so that a peer cannot act on the terminal or forge a line).
 * Debug events are written only when `verbose`.
 */
export const lineLogger = (format: LogFormat, verbose: boolean, write: (line: string) => void): Logger => {
  const at =
    (level: string) =>
    (fields: Readonly<Record<string, unknown>>, msg: string): void => {
      if (level === 'debug' && !verbose) return
      const time = new Date().toISOString()
      if (format === 'json') return write(JSON.stringify({ time, level, ...fields, msg }))
      const { dir, line, ...rest } = fields
      // a transcript line reads as the conversation does: who said it, then what was said
      const said =
        fields.event === 'transcript' ? { rest, tail: [`${String(dir)}: ${printable(String(line))}`] } : undefined
      const shown = said?.rest ?? fields
      write(
        [
          time,
          level,
          said === undefined ? msg : 'transcript',
          ...Object.entries(shown)
            .filter(([k]) => said === undefined || (k !== 'event' && k !== 'octets'))
            .map(([k, v]) => `${k}=${textValue(v)}`),
          ...(said?.tail ?? []),
        ].join(' '),
      )
    }
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') }
}

/** The command's version, from the package.json of @smtpure/cli above this module (built or bundled). */
export const version = (): string => {
  for (let dir = new URL('.', import.meta.url); ; dir = new URL('..', dir)) {
    try {
      const p = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { name?: string; version?: string }
      if (p.name === '@smtpure/cli' && p.version !== undefined) return p.version
    } catch {
      // no package.json here: look one folder up
    }
    if (dir.pathname === '/') return 'unknown'
  }
}
