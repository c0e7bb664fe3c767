// Trace header fields a receiving server prepends: Received (time stamp), Return-Path and Delivered-To.
// Implements RFC 5321 4.4 (Stamp grammar), RFC 5322 3.3 (date-time), 3.6.7 (trace fields) and 2.2.3 (folding),
// with the "with" protocol words of RFC 3848 and RFC 6531 3.7.3, and Delivered-To of RFC 9228.
// Header text leaves the library as UTF-8 (RFC 6532 3.2): `traceBlock` gives the octets to write.
import { encode } from '../wire/bytes.js'

/** A clock reading supplied by the caller: milliseconds since the Unix epoch, and the local zone's offset. */
export interface Timestamp {
  /**
   * Milliseconds since 1970-01-01T00:00:00Z; fractions are dropped. A reading RFC 5322 3.3 cannot write (its
   * year, in its zone, before 0000) or no JavaScript `Date` can hold (not finite, or after 8.64e15: 100,000,000
   * days) counts as 0.
   */
  readonly epochMs: number
  /** Minutes east of UTC (-300 for New York in winter); rounded to a whole minute, clamped to +-99:59. */
  readonly offsetMinutes: number
}

const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const
const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const
const MAX_OFFSET = 99 * 60 + 59 // the zone has two digits of hours (RFC 5322 3.3)
/**
 * The last moment a JavaScript `Date` can hold (ECMA-262 21.4.1.22), in the year 275760: beyond it the calendar
 * arithmetic loses whole days, and the text would grow without bound.
 */
const MAX_EPOCH_MS = 8.64e15
/** 0000-01-01T00:00:00, in seconds since the epoch: RFC 5322 3.3 writes a year as digits alone, so none before. */
const FIRST_SECOND = -62167219200

const pad = (n: number, width: number): string => String(n).padStart(width, '0')

/**
 * Proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's civil_from_days), using only
 * integer arithmetic on eras of 400 years.
 */
const civilFromDays = (days: number): { readonly year: number; readonly month: number; readonly day: number } => {
  const z = days + 719468 // days since 0000-03-01
  const era = Math.floor(z / 146097)
  const dayOfEra = z - era * 146097
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524) - Math.floor(dayOfEra / 146096)) / 365,
  )
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100))
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153) // 0 = March
  const day = dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day }
}

/**
 * Formats a clock reading as an RFC 5322 3.3 `date-time` in the given zone, for example
 * `Tue, 15 Jan 2008 16:02:43 -0500`. Computed by calendar arithmetic alone (the core has no `Date`).
 */
export const formatDate = (ts: Timestamp): string => {
  const rawOffset = Number.isFinite(ts.offsetMinutes) ? Math.round(ts.offsetMinutes) : 0
  const offset = Math.max(-MAX_OFFSET, Math.min(MAX_OFFSET, rawOffset))
  // whole milliseconds first: a tiny negative reading divided by 1000 would underflow to -0, the wrong second
  const seconds = Math.floor(Math.floor(ts.epochMs) / 1000)
  // NaN and the infinities fail one of the two comparisons
  const epochSeconds = ts.epochMs <= MAX_EPOCH_MS && seconds + offset * 60 >= FIRST_SECOND ? seconds : 0
  // A busy server stamps many messages within one second: the text of the last second and offset is kept, and
  // made again when either changes. The function stays pure (the same reading always gives the same text).
  if (epochSeconds === lastDate.epochSeconds && offset === lastDate.offset) return lastDate.text
  const text = dateText(epochSeconds, offset)
  lastDate = { epochSeconds, offset, text }
  return text
}

/** The last reading `formatDate` formatted, to the second, and its text. */
let lastDate = { epochSeconds: NaN, offset: NaN, text: '' }

/** `formatDate` of whole seconds since the epoch and a clamped offset in minutes. */
const dateText = (epochSeconds: number, offset: number): string => {
  // RFC 5321 4.4 asks for local time with an explicit numeric offset rather than a zone name.
  const local = epochSeconds + offset * 60
  const days = Math.floor(local / 86400)
  const secondOfDay = local - days * 86400
  const { year, month, day } = civilFromDays(days)
  const weekday = (((days + 4) % 7) + 7) % 7 // 1970-01-01 was a Thursday
  const hh = pad(Math.floor(secondOfDay / 3600), 2)
  const mm = pad(Math.floor(secondOfDay / 60) % 60, 2)
  const ss = pad(secondOfDay % 60, 2)
  // RFC 5322 3.3: +hhmm east of UT, -hhmm west; UT itself is written +0000.
  const zone = `${offset < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offset) / 60), 2)}${pad(Math.abs(offset) % 60, 2)}`
  // RFC 5321 4.4 forbids the obsolete forms: the year always has at least four digits.
  return `${DAY_NAMES[weekday]}, ${pad(day, 2)} ${MONTH_NAMES[month - 1]} ${pad(year, 4)} ${hh}:${mm}:${ss} ${zone}`
}

/** The registered values of the `with` clause (RFC 5321 4.4, RFC 3848, RFC 6531 3.7.3). */
export type Protocol =
  | 'SMTP'
  | 'ESMTP'
  | 'ESMTPA'
  | 'ESMTPS'
  | 'ESMTPSA'
  | 'LMTP'
  | 'LMTPA'
  | 'LMTPS'
  | 'LMTPSA'
  | 'UTF8SMTP'
  | 'UTF8SMTPA'
  | 'UTF8SMTPS'
  | 'UTF8SMTPSA'
  | 'UTF8LMTP'
  | 'UTF8LMTPA'
  | 'UTF8LMTPS'
  | 'UTF8LMTPSA'

/** What the session knows when it writes the `with` clause. */
export interface ProtocolFacts {
  /** The session is LMTP (LHLO), not SMTP. */
  readonly lmtp: boolean
  /** The client greeted with EHLO (or LHLO) rather than HELO. */
  readonly extended: boolean
  /** The session runs over TLS (STARTTLS or implicit TLS). */
  readonly tls: boolean
  /** The client authenticated with AUTH. */
  readonly authenticated: boolean
  /** The transaction used the SMTPUTF8 parameter. */
  readonly utf8: boolean
}

/**
 * The `with` protocol word for a session. The suffix `S` marks TLS and `A` authentication (RFC 3848), the
 * prefix `UTF8` marks SMTPUTF8 (RFC 6531 3.7.3).
 *
 * - A HELO session is plain `SMTP` whatever the other flags say: STARTTLS, AUTH and SMTPUTF8 are service
 *   extensions that only exist after EHLO, and no word such as `SMTPS` is registered. Even TLS that a HELO
 *   client got from an implicit-TLS port is not reported, since no registered word can carry it.
 * - LMTP only greets with LHLO (RFC 2033), so `extended` is ignored when `lmtp` is true.
 */
export const protocolWord = (o: ProtocolFacts): Protocol => {
  if (!o.lmtp && !o.extended) return 'SMTP'
  const suffix = o.tls ? (o.authenticated ? 'SA' : 'S') : o.authenticated ? 'A' : ''
  // RFC 6531 3.7.3: the SMTPUTF8 words drop the E of ESMTP (UTF8SMTP, not UTF8ESMTP).
  const base = o.lmtp ? 'LMTP' : o.utf8 ? 'SMTP' : 'ESMTP'
  return `${o.utf8 ? 'UTF8' : ''}${base}${suffix}` as Protocol
}

/** The facts that go into a Received field; see {@link formatReceived}. */
export interface ReceivedFields {
  readonly from: {
    /** The name the client gave in HELO/EHLO/LHLO. */
    readonly helo: string
    /** The client's IP address from the TCP connection, IPv4 or IPv6, without brackets. */
    readonly address?: string
    /** The client's name found by reverse DNS. */
    readonly hostname?: string
  }
  /** This server's name. */
  readonly by: string
  /** A link name for the `via` clause; rarely used on the Internet. */
  readonly via?: string
  readonly with: Protocol
  /** The queue id of the message here. */
  readonly id?: string
  /** One recipient mailbox, `local@domain` without angle brackets. */
  readonly for?: string
  /** TLS details for a comment after `with`, e.g. `TLSv1.3:TLS_AES_256_GCM_SHA384`. */
  readonly tls?: string
  readonly date: Timestamp
}

// --- sanitising: no caller string may end the field, start a new one or change its structure -----------------

/** Drops C0 controls (CR, LF, NUL, TAB...), DEL, C1 controls and the Unicode line and paragraph separators. */
const dropControls = (s: string): string => {
  let i = 0
  while (i < s.length && !isControl(s.charCodeAt(i))) i++
  if (i === s.length) return s // the usual case: nothing to drop, nothing to copy
  let out = s.slice(0, i)
  for (; i < s.length; i++) if (!isControl(s.charCodeAt(i))) out += s[i]
  return out
}

const isControl = (c: number): boolean => c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029

/** A single token of the Stamp (domain, atom, msg-id): no spaces, no comment parentheses, no `;`. */
const token = (s: string): string => {
  const t = dropControls(s)
  return notInToken.test(t) ? t.replace(notInTokenAll, '') : t
}
const notInToken = /[\s()\\;]/u
const notInTokenAll = /[\s()\\;]/gu

/**
 * Text inside a comment: parentheses and backslashes would end or escape it (RFC 5322 3.2.2), and a `;` could
 * mislead a reader looking for the one that announces the date.
 */
const commentWords = (s: string): string[] =>
  dropControls(s)
    .replace(/[()\\;]/g, '')
    .split(/\s+/u)
    .filter((w) => w !== '')

/** Length of the quoted string at the start of `s` (RFC 5321 4.1.2 Quoted-string), or 0 if there is none. */
const quotedLength = (s: string): number => {
  if (s[0] !== '"') return 0
  for (let i = 1; i < s.length; i++) {
    if (s[i] === '\\') i++
    else if (s[i] === '"') return i + 1
  }
  return 0
}

/**
 * A path between angle brackets: the brackets are ours, so any in the text are dropped, as are controls and
 * outer spaces; but a quoted local part is kept whole, since it may hold `<`, `>` and spaces (RFC 5321 4.1.2
 * qtextSMTP) and dropping them would name another mailbox.
 */
const pathText = (s: string): string => {
  const text = dropControls(s).trim()
  const q = quotedLength(text)
  const rest = text.slice(q)
  return q === 0 && !/[<>]/.test(rest) ? rest : text.slice(0, q) + rest.replace(/[<>]/g, '').trim()
}

/** Without square brackets, which only the address literal's own may be. */
const unbracketed = (s: string): string => (s.includes('[') || s.includes(']') ? s.replace(/[[\]]/g, '') : s)

/** An address literal for the TCP-info (RFC 5321 4.1.3): IPv6 addresses are tagged `IPv6:`. */
const addressLiteral = (address: string): string => {
  const a = unbracketed(token(address))
  if (a === '') return ''
  return a.includes(':') && !/^ipv6:/i.test(a) ? `[IPv6:${a}]` : `[${a}]`
}

// --- folding -------------------------------------------------------------------------------------------------

const MAX_LINE = 78 // RFC 5322 2.1.1: lines SHOULD stay within 78 characters, CRLF excluded

/**
 * Joins `name` and the groups into one field, folding with CRLF TAB. Spaces between groups are the preferred
 * fold points (RFC 5322 2.2.3 favours higher-level breaks). A group that fits on no line of its own, or the
 * first group when it does not fit after the name, is broken at its inner spaces: the name is then left alone
 * on its line only when the first word cannot follow it (over 78 - name length - 1 characters, 68 for
 * `Received:`; `formatReceived`'s first word is always `from`). A word is never split, so only a word too long
 * for any line makes one.
 */
const fold = (name: string, groups: ReadonlyArray<ReadonlyArray<string>>): string => {
  let out = ''
  let line = name
  let first = true // no group placed yet: the line holds the field name alone
  for (const group of groups) {
    const whole = group.length === 1 ? group[0]! : group.join(' ')
    if (line.length + 1 + whole.length <= MAX_LINE) line += ' ' + whole
    else if (!first && 1 + whole.length <= MAX_LINE) {
      // RFC 5322 2.2.3: a fold is a CRLF put before white space; a line is never left holding only white space.
      out += line + '\r\n'
      line = '\t' + whole
    } else
      for (const word of group) {
        if (line.length + 1 + word.length > MAX_LINE) {
          out += line + '\r\n'
          line = '\t' + word
        } else line += ' ' + word
      }
    first = false
  }
  return out + line + '\r\n'
}

/**
 * Builds a complete `Received:` header field, CRLF included, for the top of the message (RFC 5321 4.4).
 *
 * Clauses come in Stamp order: `from` with the TCP-info comment `(hostname [address])`, `by`, `via`, `with`
 * and the TLS comment, `id`, `for <mailbox>`, then `;` and the date. The field is folded with CRLF TAB so that
 * no line passes 78 characters unless a single word is longer than that.
 *
 * Nothing is rejected. Every caller string is cleaned instead, so header injection is impossible: control
 * characters (CR, LF, NUL, TAB, DEL, C1, U+2028, U+2029) are dropped everywhere; tokens also lose white space,
 * parentheses, backslashes and `;`; comment text loses parentheses, backslashes and `;`; the mailbox loses `<`
 * and `>` outside a quoted local part, which is kept whole so that it names the same mailbox. An empty `helo` or `by` becomes `unknown`; an optional part that ends up empty is left out. A hostname
 * without an address gives the comment `(hostname)`. IPv4-mapped IPv6 addresses are written as given.
 */
export const formatReceived = (r: ReceivedFields): string => {
  const address = r.from.address === undefined ? '' : addressLiteral(r.from.address)
  const hostname = r.from.hostname === undefined ? '' : unbracketed(token(r.from.hostname))
  // RFC 5321 4.4: the TCP-info is the address literal, optionally preceded by the reverse-DNS name.
  const from = ['from', token(r.from.helo) || 'unknown']
  if (hostname !== '' && address !== '') from.push(`(${hostname}`, `${address})`)
  else if (hostname !== '' || address !== '') from.push(`(${hostname}${address})`)
  const groups: string[][] = [from]
  groups.push(['by', token(r.by) || 'unknown'])
  const via = r.via === undefined ? '' : token(r.via)
  if (via !== '') groups.push(['via', via])
  const protocol = token(r.with)
  if (protocol !== '') groups.push(['with', protocol])
  const tls = r.tls === undefined ? undefined : commentWords(r.tls)
  if (tls !== undefined && tls.length > 0) {
    tls[0] = `(${tls[0]!}`
    tls[tls.length - 1] += ')'
    groups.push(tls)
  }
  const id = r.id === undefined ? '' : token(r.id)
  if (id !== '') groups.push(['id', id])
  // RFC 5321 4.4: the for clause names exactly one path, whatever the number of RCPT commands.
  const forPath = r.for === undefined ? '' : pathText(r.for)
  if (forPath !== '') groups.push(['for', `<${forPath}>`])
  // RFC 5321 4.4: the stamp ends with ";" then the date-time; the ";" sticks to the last word.
  const last = groups[groups.length - 1]!
  last[last.length - 1] += ';'
  // one word: at most 33 characters (`Sat, 13 Sep 275760 00:00:00 +0000`), it always fits on a line of its own
  groups.push([formatDate(r.date)])
  return fold('Received:', groups)
}

/**
 * Builds the `Return-Path:` header field, CRLF included, that final delivery puts at the top of the message
 * (RFC 5321 4.4): `<local@domain>`, or `<>` for a null reverse-path (`null` or an empty string). The path is
 * cleaned like the mailbox of {@link formatReceived}: control characters, and `<` and `>` outside a quoted local
 * part, are dropped. The field
 * stays on one line: the path is a single word, and a valid one (at most 256 octets, RFC 5321 4.5.3.1.3)
 * keeps the line far below the 998-character limit.
 */
export const formatReturnPath = (path: string | null): string =>
  `Return-Path: <${path === null ? '' : pathText(path)}>\r\n`

/**
 * Builds the `Delivered-To:` header field, CRLF included, that a final delivery agent adds for the mailbox it
 * delivered to (RFC 9228 4): `Delivered-To: local@domain`. The mailbox is cleaned like the path of
 * {@link formatReturnPath}, so the field stays one line.
 */
export const formatDeliveredTo = (mailbox: string): string => `Delivered-To: ${pathText(mailbox)}\r\n`

/**
 * The octets of header fields built as text (by {@link formatReturnPath}, {@link formatDeliveredTo},
 * {@link formatReceived}), joined in order and encoded as UTF-8, as RFC 6532 3.2 wants for header text
 * that carries SMTPUTF8 addresses. Write these octets, never the text through a one-byte-per-character
 * encoding: Latin-1 would turn U+4E0D into a bare CR and U+4E0A into a bare LF. UTF-8 encodes every
 * character above U+007F with octets 0x80 and up, so no CR, LF or NUL can appear but the ones the fields
 * end and fold with.
 * @example
 * const head = traceBlock([formatReturnPath('bob@example.org'), formatDeliveredTo('jörg@bücher.example'), received])
 */
export const traceBlock = (fields: ReadonlyArray<string>): Uint8Array => encode(fields.join(''))
