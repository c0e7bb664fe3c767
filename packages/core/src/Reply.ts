// SMTP replies: a three-digit code (RFC 5321 4.2), an optional enhanced status code (RFC 3463,
// sent when ENHANCEDSTATUSCODES is in use, RFC 2034) and one or more lines of text, plus the one
// table of canned replies the sessions use.
import { encode } from './wire/bytes.js'

/** A reply as the sessions build it and as applications answer questions with it. */
export interface Reply {
  readonly code: number
  /** `class.subject.detail`, e.g. `2.1.0`; written only when the session uses enhanced codes. */
  readonly enhanced?: string
  /** One entry per line; an empty array is one line with no text. */
  readonly lines: ReadonlyArray<string>
}

/**
 * Build a reply.
 * @example
 * const r = reply(250, '2.1.0', 'Ok')
 */
export const reply = (code: number, enhanced: string | undefined, ...lines: ReadonlyArray<string>): Reply =>
  enhanced === undefined ? { code, lines } : { code, enhanced, lines }

const enhancedPattern = /^[245]\.\d{1,3}\.\d{1,3}$/

/** RFC 5321 4.2 (Reply-code = %x32-35 %x30-35 %x30-39): three digits, the first 2 to 5, the second 0 to 5. */
export const isReplyCode = (code: number): boolean =>
  Number.isInteger(code) && code >= 200 && code <= 599 && Math.floor(code / 10) % 10 <= 5

/** RFC 3463 2: class.subject.detail, with the class matching the reply code's first digit. */
export const isEnhancedFor = (code: number, enhanced: string): boolean =>
  enhancedPattern.test(enhanced) && enhanced.charCodeAt(0) - 48 === Math.floor(code / 100)

// Reply text comes partly from applications: CR, LF and other controls would let it forge
// further replies, so they become spaces (RFC 5321 4.2: text is printable). Text is ASCII
// (RFC 5321 4.2 textstring); where UTF-8 is not allowed (RFC 6531 3.7.4) each other character becomes "?".
// eslint-disable-next-line no-control-regex
const unsafe = /[\x00-\x1f\x7f]/g
const nonAscii = /\P{ASCII}/gu
const clean = (text: string, utf8: boolean): string => {
  const printable = text.replace(unsafe, ' ')
  return utf8 ? printable : printable.replace(nonAscii, '?')
}

/**
 * The wire form of a reply: one line per text line, `-` after the code on every line but the
 * last (RFC 5321 4.2.1), the enhanced code on every line when `enhanced` is true (RFC 2034 4).
 * Text is ASCII unless `utf8`: RFC 6531 3.7.4 allows UTF-8 only in a few replies of SMTPUTF8 sessions.
 */
export const formatReply = (r: Reply, enhanced: boolean, utf8 = false): string => {
  const known = cannedText.get(r)
  return known === undefined ? formatLines(r, enhanced, utf8) : known[enhanced ? 1 : 0]
}

const formatLines = (r: Reply, enhanced: boolean, utf8: boolean): string => {
  const code = enhanced && r.enhanced !== undefined ? clean(r.enhanced, false) : ''
  const lines = r.lines.length === 0 ? [''] : r.lines
  let out = ''
  for (let i = 0; i < lines.length; i++) {
    const sep = i === lines.length - 1 ? ' ' : '-'
    const line = clean(lines[i]!, utf8)
    const text = code === '' ? line : line === '' ? code : `${code} ${line}`
    out += text === '' ? `${r.code}${sep}\r\n` : `${r.code}${sep}${text}\r\n`
  }
  return out
}

/**
 * The reply with an enhanced status code: its own, or its class's X.0.0 ("other or undefined status", RFC 3463
 * 3.1) for a 2yz, 4yz or 5yz reply without one. RFC 2034 4 wants one on every such reply but the greeting and
 * the reply to EHLO; 3yz replies carry none.
 */
export const withStatusClass = (r: Reply): Reply =>
  r.enhanced !== undefined || (r.code >= 300 && r.code < 400)
    ? r
    : { ...r, enhanced: `${Math.floor(r.code / 100)}.0.0` }

/** The wire bytes of a reply. */
export const replyBytes = (r: Reply, enhanced: boolean): Uint8Array => encode(formatReply(r, enhanced))

/** Is the reply a positive completion (2yz)? */
export const isPositive = (r: Reply): boolean => r.code >= 200 && r.code < 300

/** The canned replies, one table for every session (code, enhanced code, text). */
export const Replies = {
  ok: reply(250, '2.0.0', 'Ok'),
  mailOk: reply(250, '2.1.0', 'Ok'),
  rcptOk: reply(250, '2.1.5', 'Ok'),
  messageOk: reply(250, '2.0.0', 'Ok'),
  authOk: reply(235, '2.7.0', 'Authentication successful'),
  startData: reply(354, undefined, 'End data with <CR><LF>.<CR><LF>'),
  startTls: reply(220, '2.0.0', 'Ready to start TLS'),
  bye: reply(221, '2.0.0', 'Bye'),
  help: reply(214, '2.0.0', 'See RFC 5321'),
  vrfyUnknown: reply(252, '2.5.0', 'Cannot VRFY user, but will accept message and attempt delivery'),
  expnUnknown: reply(252, '2.5.0', 'Cannot EXPN list'),
  // 4yz
  shuttingDown: reply(421, '4.3.2', 'Service shutting down, closing transmission channel'),
  timeout: reply(421, '4.4.2', 'Timeout, closing transmission channel'),
  tooManyErrors: reply(421, '4.7.0', 'Too many errors, closing transmission channel'),
  heldOverflow: reply(421, '4.7.0', 'Too much pipelined input, closing transmission channel'),
  tooManyAuthFailures: reply(421, '4.7.0', 'Too many failed authentication attempts, closing transmission channel'),
  tooManyMessages: reply(421, '4.7.0', 'Too many messages in this session, closing transmission channel'),
  slowData: reply(421, '4.4.2', 'Message data arrives too slowly, closing transmission channel'),
  tooManyRecipients: reply(452, '4.5.3', 'Too many recipients'),
  localError: reply(451, '4.3.0', 'Local error in processing'),
  // 5yz
  unrecognized: reply(500, '5.5.1', 'Command unrecognized'),
  lineTooLong: reply(500, '5.5.2', 'Line too long'),
  authLineTooLong: reply(500, '5.5.6', 'Authentication exchange line is too long'),
  bareLf: reply(500, '5.5.2', 'Bare LF in command line'),
  controlChars: reply(501, '5.5.2', 'Control characters are not allowed in commands'),
  badUtf8: reply(501, '5.5.2', 'Command is not valid UTF-8'),
  noArguments: reply(501, '5.5.4', 'This command takes no arguments'),
  notImplemented: reply(502, '5.5.1', 'Command not implemented'),
  badSequence: reply(503, '5.5.1', 'Bad sequence of commands'),
  needHello: reply(503, '5.5.1', 'Send HELO or EHLO first'),
  needLhlo: reply(503, '5.5.1', 'Send LHLO first'),
  needMail: reply(503, '5.5.1', 'Need MAIL command'),
  needRcpt: reply(503, '5.5.1', 'Need RCPT command'),
  nestedMail: reply(503, '5.5.1', 'Nested MAIL command'),
  noValidRecipients: reply(554, '5.5.1', 'No valid recipients'),
  lmtpNoValidRecipients: reply(503, '5.5.1', 'No valid recipients'),
  dataAfterBdat: reply(503, '5.5.1', 'DATA and BDAT cannot be mixed in one transaction'),
  binaryNeedsBdat: reply(503, '5.5.1', 'BODY=BINARYMIME requires BDAT'),
  bdatFailed: reply(503, '5.5.1', 'Transaction failed; send RSET'),
  alreadyAuthenticated: reply(503, '5.5.1', 'Already authenticated'),
  authInTransaction: reply(503, '5.5.1', 'AUTH is not allowed during a mail transaction'),
  alreadyTls: reply(503, '5.5.1', 'TLS is already active'),
  refused: reply(503, '5.5.1', 'Service refused; only QUIT is accepted'),
  unknownMechanism: reply(504, '5.5.4', 'Unrecognized authentication mechanism'),
  authCancelled: reply(501, '5.7.0', 'Authentication cancelled'),
  badBase64: reply(501, '5.5.2', 'Cannot decode base64'),
  authFailed: reply(535, '5.7.8', 'Authentication credentials invalid'),
  authNeedsTls: reply(538, '5.7.11', 'Encryption required for requested authentication mechanism'),
  tlsRequired: reply(530, '5.7.0', 'Must issue a STARTTLS command first'),
  authRequired: reply(530, '5.7.0', 'Authentication required'),
  sizeExceeded: reply(552, '5.3.4', 'Message size exceeds fixed maximum message size'),
  textLineTooLong: reply(500, '5.5.2', 'Line too long in message data'),
  bareLineEnding: reply(554, '5.6.0', 'Message refused: bare CR or LF in message data'),
  nonAsciiSender: reply(550, '5.6.7', 'Non-ASCII addresses not permitted for that sender'),
  nonAsciiRecipient: reply(553, '5.6.7', 'Non-ASCII addresses not permitted for that recipient'),
  badBdat: reply(501, '5.5.4', 'Syntax: BDAT chunk-size [LAST]'),
  bdatUnframed: reply(501, '5.5.4', 'Syntax: BDAT chunk-size [LAST]; the chunk cannot be framed, closing connection'),
  bdatHuge: reply(552, '5.3.4', 'Chunk size exceeds any message size limit; closing connection'),
} as const satisfies Record<string, Reply>

/** The canned replies' wire text, plain and with enhanced codes, made once: most replies a session sends are these. */
const cannedText: ReadonlyMap<Reply, readonly [string, string]> = new Map(
  Object.values(Replies).map((r: Reply) => [r, [formatLines(r, false, false), formatLines(r, true, false)]] as const),
)

/**
 * The canned replies' wire bytes, by their text. A step whose whole output text is one of them (a reply to one
 * command, as a client that does not pipeline gets) sends these bytes rather than encoding the text again; the
 * same bytes go to every session, so a driver must not modify the bytes of a `Send`.
 */
export const cannedBytes: ReadonlyMap<string, Uint8Array> = new Map(
  [...cannedText.values()].flat().map((text) => [text, encode(text)] as const),
)
