// Reading server replies from bytes cut anywhere (RFC 5321 4.2, 4.2.1; enhanced status codes RFC 3463 2 and
// RFC 2034 4): a resumable reader that keeps at most one partial line and the lines of one reply.
//
// Theory of operation: `readReply` consumes input up to the end of the first complete reply and returns it
// with the position after it, so the session can act on each reply before it reads the next one (after the
// 220 to STARTTLS, the rest of the input must be thrown away, RFC 3207 5.2). A line cut by the end of an
// input is copied and kept; everything else is read straight from the input.
import { type Reply, reply } from '../Reply.js'
import { concat, decodeUtf8, isAscii, latin1 } from '../wire/bytes.js'

const LF = 10
const CR = 13
const SP = 32
const DASH = 45

/** Caps on what one reply may hold. */
export interface ReplyLimits {
  /** Longest line, in octets with its line end. */
  readonly maxLine: number
  /** Most lines in one reply. */
  readonly maxLines: number
}

/** Where the reader stands between two inputs. */
export interface ReplyParser {
  /** A line cut by the end of an input, without its line end (a copy, shorter than `maxLine`). */
  readonly partial: Uint8Array | undefined
  /** The code of the multi-line reply being read, once its first line is in. */
  readonly code: number | undefined
  /** The text of the lines read so far of that reply. */
  readonly lines: ReadonlyArray<string>
}

/**
 * Why the input is not a reply. `partial` is what was read of the reply before the fault, so the
 * server's own words are not lost (a 421 that goes wrong halfway still says why it closes).
 */
export type ReplyFault =
  | { readonly _tag: 'LineTooLong'; readonly max: number; readonly partial: Reply | undefined }
  | { readonly _tag: 'TooManyLines'; readonly max: number; readonly partial: Reply | undefined }
  | { readonly _tag: 'Malformed'; readonly line: string; readonly partial: Reply | undefined }
  | {
      readonly _tag: 'CodeChanged'
      readonly expected: number
      readonly got: number
      readonly partial: Reply | undefined
    }

/** `Reply`: one reply and where it ended; `More`: the input ran out first; `Fault`: not a reply. */
export type ReadResult =
  | { readonly _tag: 'Reply'; readonly reply: Reply; readonly parser: ReplyParser; readonly pos: number }
  | { readonly _tag: 'More'; readonly parser: ReplyParser }
  | { readonly _tag: 'Fault'; readonly fault: ReplyFault }

/** A reader before the first byte. */
export const replyParserInit: ReplyParser = { partial: undefined, code: undefined, lines: [] }

const fault = (f: ReplyFault): ReadResult => ({ _tag: 'Fault', fault: f })

/** The lines of the reply read so far, as a reply, or undefined before its first line. */
const partialOf = (p: ReplyParser): Reply | undefined =>
  p.code === undefined ? undefined : withEnhanced(p.code, p.lines)

/**
 * Text of a reply line after its code: ASCII, else UTF-8 (RFC 6531 3.7.4), else one char per octet. RFC 5321
 * 4.2 allows only TAB and printable characters in reply text; anything else (a bare CR, ESC, NUL, a C1 control,
 * a line separator) becomes U+FFFD, so a server cannot rewrite what a terminal or a log shows.
 */
const textOf = (line: Uint8Array, start: number): string => {
  const rest = line.subarray(start)
  const text = isAscii(rest) ? latin1(rest) : (decodeUtf8(rest) ?? latin1(rest))
  return unsafeText.test(text) ? text.replace(unsafeTextAll, '\ufffd') : text // most text needs no change
}
// eslint-disable-next-line no-control-regex -- these are the characters RFC 5321 4.2 keeps out of reply text
const unsafeText = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]/
const unsafeTextAll = new RegExp(unsafeText.source, 'g')

/** Printable form of a bad line for an error message: at most 80 characters. */
const shownLine = (line: Uint8Array): string => latin1(line.subarray(0, 80)).replace(/[^\x20-\x7e]/g, '?')

const isDigit = (b: number | undefined): boolean => b !== undefined && b >= 0x30 && b <= 0x39

// RFC 3463 2 and RFC 2034 4: class.subject.detail at the start of the text, its class the code's first digit.
const enhancedPattern = /^([245])\.(\d{1,3})\.(\d{1,3})(?: |$)/

/** Split the enhanced status code off every line that carries the one the first line has. */
const withEnhanced = (code: number, lines: ReadonlyArray<string>): Reply => {
  const m = enhancedPattern.exec(lines[0] ?? '')
  if (m === null || Number(m[1]) !== Math.floor(code / 100)) return reply(code, undefined, ...lines)
  const enhanced = `${m[1]}.${m[2]}.${m[3]}`
  const strip = (l: string): string =>
    l === enhanced ? '' : l.startsWith(`${enhanced} `) ? l.slice(enhanced.length + 1) : l
  return reply(code, enhanced, ...lines.map(strip))
}

/**
 * One complete line (without its line end). RFC 5321 4.2: `code "-" text` continues a reply, `code SP text`
 * or a bare `code` ends it; the code is three digits, the first 2 to 5 (4.2.1).
 */
const onLine = (p: ReplyParser, line: Uint8Array, limits: ReplyLimits): ReadResult | ReplyParser => {
  const first = line[0]
  const sep = line[3]
  const wellFormed =
    first !== undefined &&
    first >= 0x32 &&
    first <= 0x35 &&
    isDigit(line[1]) &&
    isDigit(line[2]) &&
    (sep === undefined || sep === SP || sep === DASH)
  if (!wellFormed) return fault({ _tag: 'Malformed', line: shownLine(line), partial: partialOf(p) })
  const code = Number(latin1(line, 0, 3))
  // RFC 5321 4.2.1: every line of a multi-line reply carries the same code.
  if (p.code !== undefined && p.code !== code)
    return fault({ _tag: 'CodeChanged', expected: p.code, got: code, partial: partialOf(p) })
  if (p.lines.length + 1 > limits.maxLines)
    return fault({ _tag: 'TooManyLines', max: limits.maxLines, partial: partialOf(p) })
  const lines = [...p.lines, textOf(line, 4)]
  if (sep === DASH) return { partial: undefined, code, lines }
  return { _tag: 'Reply', reply: withEnhanced(code, lines), parser: replyParserInit, pos: 0 }
}

/**
 * Read from `pos` up to the end of the first complete reply. Lines end in CRLF; a bare LF is taken as a line
 * end too. Never throws; a fault ends the reading for good.
 * @example
 * const r = readReply(replyParserInit, encode('250-mx.example\r\n250 SIZE 100\r\n'), 0, { maxLine: 2048, maxLines: 200 })
 */
export const readReply = (p0: ReplyParser, bytes: Uint8Array, pos0: number, limits: ReplyLimits): ReadResult => {
  let p = p0
  let pos = pos0
  for (;;) {
    const lf = bytes.indexOf(LF, pos)
    const had = p.partial?.length ?? 0
    if (lf === -1) {
      const rest = bytes.subarray(pos)
      // Even with its line end still to come, the line is already too long.
      if (had + rest.length >= limits.maxLine)
        return fault({ _tag: 'LineTooLong', max: limits.maxLine, partial: partialOf(p) })
      if (rest.length === 0) return { _tag: 'More', parser: p }
      const partial = p.partial === undefined ? rest.slice() : concat([p.partial, rest])
      return { _tag: 'More', parser: { ...p, partial } }
    }
    if (had + lf + 1 - pos > limits.maxLine)
      return fault({ _tag: 'LineTooLong', max: limits.maxLine, partial: partialOf(p) })
    const piece = bytes.subarray(pos, lf)
    const withEnd = p.partial === undefined ? piece : concat([p.partial, piece])
    const line = withEnd[withEnd.length - 1] === CR ? withEnd.subarray(0, withEnd.length - 1) : withEnd
    pos = lf + 1
    const r = onLine(p, line, limits)
    if ('_tag' in r) return r._tag === 'Reply' ? { ...r, pos } : r
    p = r
  }
}
