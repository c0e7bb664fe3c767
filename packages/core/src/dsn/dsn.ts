// Delivery status notifications: the multipart/report message a relay sends back to a reverse-path when
// it cannot deliver (or has delayed) a message. Implements RFC 3464 2 (the report and its
// message/delivery-status part), 2.2 and 2.3 (per-message and per-recipient fields), RFC 6522 (the
// multipart/report container) and RFC 3461 4.3 (RET: return the full message or its headers only).
// Pure: the date, the Message-ID and the MIME boundary come from the caller.
import * as E from 'fp-ts/lib/Either.js'
import { formatReply, type Reply } from '../Reply.js'
import { formatDate, type Timestamp } from '../trace/received.js'
import { isDomainName } from '../grammar/domain.js'
import { concat, encode } from '../wire/bytes.js'

/** RFC 3464 2.3.3: what became of the message for one recipient. */
export type DsnAction = 'failed' | 'delayed' | 'delivered' | 'relayed' | 'expanded'

/** One recipient's part of the report (RFC 3464 2.3). */
export interface DsnRecipient {
  /** The recipient as the reporting MTA received it in the envelope (Final-Recipient, rfc822 type). */
  readonly finalRecipient: string
  /** The ORCPT the sender gave, if any, as `type;address` (RFC 3461 4.2). */
  readonly originalRecipient?: string
  readonly action: DsnAction
  /** An RFC 3463 status code: class 2, 4 or 5, e.g. `5.1.1`. Must agree with the action. */
  readonly status: string
  /** The host whose reply is quoted in `diagnostic` (Remote-MTA, RFC 3464 2.3.5). */
  readonly remoteMta?: string
  /** The reply that decided it, quoted as an `smtp` Diagnostic-Code (RFC 3464 2.3.6). */
  readonly diagnostic?: Reply
  readonly lastAttempt?: Timestamp
  /** For `delayed`: when the reporting MTA stops trying (Will-Retry-Until, RFC 3464 2.3.9). */
  readonly willRetryUntil?: Timestamp
}

/** What a DSN reports, and the pieces the caller chooses (RFC 3464 2). */
export interface DsnInput {
  /** This MTA's domain name (Reporting-MTA, RFC 3464 2.2.2). */
  readonly reportingMta: string
  /** Who the DSN comes from (RFC 3464 2: a person responsible for the mail system, e.g. postmaster). */
  readonly from: string
  /** The original message's reverse-path: the DSN goes there, and never when it was null (RFC 3464 2). */
  readonly to: string
  readonly date: Timestamp
  /** Without angle brackets, e.g. `dsn.1@relay.example.org`. */
  readonly messageId: string
  /** MIME boundary: 1-70 characters of RFC 2046 5.1.1 `bchars`, not found in the returned content. */
  readonly boundary: string
  /** The sender's ENVID (RFC 3461 4.4), echoed as Original-Envelope-Id. */
  readonly envelopeId?: string
  /** When the reporting MTA received the message (Arrival-Date, RFC 3464 2.2.5). */
  readonly arrival?: Timestamp
  readonly recipients: ReadonlyArray<DsnRecipient>
  /** The original message as received (header and body). */
  readonly original: Uint8Array
  /** RFC 3461 4.3 RET: `full` returns the message, `headers` only its header section (the default). */
  readonly returnContent?: 'full' | 'headers'
}

/** Why a DSN could not be built. */
export interface DsnError {
  readonly _tag: 'DsnError'
  readonly reason: string
}

/** A built DSN: the message octets, and whether it needs BODY=8BITMIME (returned 8-bit content). */
export interface Dsn {
  readonly message: Uint8Array
  readonly eightBit: boolean
}

const problem = (reason: string): E.Either<DsnError, Dsn> => E.left({ _tag: 'DsnError', reason })

// RFC 2046 5.1.1: the boundary's characters and length.
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/
// RFC 3463 2: class.subject.detail, subject and detail up to three digits.
const STATUS = /^([245])\.(\d{1,3})\.(\d{1,3})$/
const CONTROL = /[\r\n\0]/
const ACTION_CLASS: Readonly<Record<DsnAction, string>> = {
  failed: '5',
  delayed: '4',
  delivered: '2',
  relayed: '2',
  expanded: '2',
}

/** The header section of a message, up to and including the empty line that ends it. */
const headerSection = (message: Uint8Array): Uint8Array => {
  for (let i = 0; i + 3 < message.length; i++)
    if (message[i] === 13 && message[i + 1] === 10 && message[i + 2] === 13 && message[i + 3] === 10)
      return message.subarray(0, i + 4)
  return message
}

const contains = (hay: Uint8Array, needle: Uint8Array): boolean => {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer
    return true
  }
  return false
}

const eightBitIn = (bytes: Uint8Array): boolean => {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! > 0x7f) return true
  return false
}

const NON_ASCII = { test: (s: string): boolean => [...s].some((c) => c.charCodeAt(0) > 0x7f) }

const recipientProblem = (r: DsnRecipient): string | undefined => {
  if (r.finalRecipient === '' || CONTROL.test(r.finalRecipient)) return 'Final-Recipient must be one line, not empty'
  // Internationalized addresses need message/global-delivery-status (RFC 6533), which this builder does not make.
  if (NON_ASCII.test(r.finalRecipient) || NON_ASCII.test(r.originalRecipient ?? ''))
    return 'a non-ASCII recipient needs an RFC 6533 global DSN, which is not supported'
  if (r.originalRecipient !== undefined && (CONTROL.test(r.originalRecipient) || !r.originalRecipient.includes(';')))
    return 'Original-Recipient must be one line of the form type;address (RFC 3461 4.2)'
  const m = STATUS.exec(r.status)
  if (m === null) return `status ${JSON.stringify(r.status)} is not an RFC 3463 code (class.subject.detail)`
  // RFC 3464 2.3.4: the status class agrees with the action (5 failed, 4 delayed, 2 otherwise).
  if (m[1] !== ACTION_CLASS[r.action]) return `status ${r.status} does not fit action ${r.action}`
  if (r.remoteMta !== undefined && !isDomainName(r.remoteMta, false)) return 'Remote-MTA must be a domain name'
  if (r.diagnostic !== undefined && r.diagnostic.lines.some((l) => CONTROL.test(l)))
    return 'the diagnostic reply must not hold CR, LF or NUL'
  return undefined
}

/** The message/delivery-status body (RFC 3464 2.1): per-message fields, then one group per recipient. */
const statusPart = (d: DsnInput): string => {
  const groups: string[] = []
  const message: string[] = []
  if (d.envelopeId !== undefined) message.push(`Original-Envelope-Id: ${d.envelopeId}`)
  message.push(`Reporting-MTA: dns; ${d.reportingMta}`)
  if (d.arrival !== undefined) message.push(`Arrival-Date: ${formatDate(d.arrival)}`)
  groups.push(message.join('\r\n'))
  for (const r of d.recipients) {
    const f: string[] = []
    if (r.originalRecipient !== undefined) f.push(`Original-Recipient: ${r.originalRecipient}`)
    f.push(`Final-Recipient: rfc822; ${r.finalRecipient}`, `Action: ${r.action}`, `Status: ${r.status}`)
    if (r.remoteMta !== undefined) f.push(`Remote-MTA: dns; ${r.remoteMta}`)
    if (r.diagnostic !== undefined) {
      // RFC 3464 2.3.6: the reply as the transport gave it; a multiline reply is joined on one line.
      const text = formatReply(r.diagnostic, true).replace(/\r\n$/, '').split('\r\n').join(' ')
      f.push(`Diagnostic-Code: smtp; ${text}`)
    }
    if (r.lastAttempt !== undefined) f.push(`Last-Attempt-Date: ${formatDate(r.lastAttempt)}`)
    if (r.willRetryUntil !== undefined) f.push(`Will-Retry-Until: ${formatDate(r.willRetryUntil)}`)
    groups.push(f.join('\r\n'))
  }
  return groups.join('\r\n\r\n') + '\r\n'
}

const humanPart = (d: DsnInput): string => {
  const lines = [`This is the mail system at ${d.reportingMta}.`, '']
  const failed = d.recipients.filter((r) => r.action === 'failed')
  const delayed = d.recipients.filter((r) => r.action === 'delayed')
  if (failed.length > 0) lines.push('Your message could not be delivered to:', ...failed.map(describe), '')
  if (delayed.length > 0) lines.push('Delivery of your message is delayed for:', ...delayed.map(describe), '')
  const other = d.recipients.filter((r) => r.action !== 'failed' && r.action !== 'delayed')
  if (other.length > 0) lines.push('Delivery report for:', ...other.map(describe), '')
  return lines.join('\r\n')
}

const describe = (r: DsnRecipient): string =>
  `  <${r.finalRecipient}>: ${r.diagnostic ? `${r.diagnostic.code} ${r.diagnostic.lines.join(' ')}` : r.status}`

/**
 * Build a delivery status notification (RFC 3464) as a multipart/report (RFC 6522) message: a human
 * explanation, the message/delivery-status part, and the original (RET=FULL, as message/rfc822) or
 * its header section (text/rfc822-headers). Send it with the null reverse-path, `MAIL FROM:<>`
 * (RFC 3464 2, RFC 5321 4.5.5), and BODY=8BITMIME when `eightBit` is set. Never build one for a
 * message whose own reverse-path was null.
 *
 * Returns a `DsnError` for: no recipients, a status that is not an RFC 3463 code or does not fit the
 * action, a field value holding CR or LF, a Reporting-MTA that is not a domain name, a boundary that is
 * not RFC 2046 `bchars` or occurs in the returned content.
 *
 * @example
 * const dsn = buildDsn({
 *   reportingMta: 'relay.example.org', from: 'postmaster@relay.example.org', to: 'bob@example.org',
 *   date: { epochMs: 0, offsetMinutes: 0 }, messageId: 'dsn.1@relay.example.org', boundary: 'dsn.1',
 *   recipients: [{ finalRecipient: 'alice@example.com', action: 'failed', status: '5.1.1',
 *                  remoteMta: 'mx.example.com', diagnostic: { code: 550, enhanced: '5.1.1', lines: ['No such user'] } }],
 *   original: encode('Subject: hi\r\n\r\nhello\r\n'),
 * }) // Right({ message: <multipart/report octets>, eightBit: false })
 */
export const buildDsn = (d: DsnInput): E.Either<DsnError, Dsn> => {
  if (d.recipients.length === 0) return problem('a DSN reports on at least one recipient')
  if (!isDomainName(d.reportingMta, false)) return problem('Reporting-MTA must be a domain name (RFC 3464 2.2.2)')
  for (const [name, value] of [
    ['From', d.from],
    ['To', d.to],
    ['Message-ID', d.messageId],
    ['Original-Envelope-Id', d.envelopeId ?? ''],
  ] as const)
    if (CONTROL.test(value)) return problem(`${name} must not hold CR, LF or NUL`)
  if (NON_ASCII.test(d.to) || NON_ASCII.test(d.from))
    return problem('From and To must be ASCII (RFC 6533 is not supported)')
  if (d.to === '') return problem('a DSN goes to the reverse-path, and a null reverse-path gets none (RFC 3464 2)')
  for (const r of d.recipients) {
    const p = recipientProblem(r)
    if (p !== undefined) return problem(p)
  }
  if (!BOUNDARY.test(d.boundary)) return problem('the boundary must be 1-70 RFC 2046 bchars, not ending in a space')
  const full = d.returnContent === 'full'
  const returned = full ? d.original : headerSection(d.original)
  if (contains(returned, encode(`--${d.boundary}`))) return problem('the boundary occurs in the returned content')
  const failed = d.recipients.some((r) => r.action === 'failed')
  const head = [
    `From: Mail Delivery System <${d.from}>`,
    `To: <${d.to}>`,
    `Subject: ${failed ? 'Undelivered Mail Returned to Sender' : 'Delivery Status Notification'}`,
    `Date: ${formatDate(d.date)}`,
    `Message-ID: <${d.messageId}>`,
    // RFC 3834 5: an automatic message, so that responders do not answer it
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${d.boundary}"`,
    '',
    'This is a MIME-encapsulated delivery status notification.',
    '',
    `--${d.boundary}`,
    'Content-Type: text/plain; charset=us-ascii',
    '',
    humanPart(d),
    `--${d.boundary}`,
    'Content-Type: message/delivery-status',
    '',
    statusPart(d),
    `--${d.boundary}`,
    `Content-Type: ${full ? 'message/rfc822' : 'text/rfc822-headers'}`,
    '',
    '',
  ].join('\r\n')
  const eightBit = eightBitIn(returned)
  const tail = encode(`${endsWithCrlf(returned) ? '' : '\r\n'}--${d.boundary}--\r\n`)
  return E.right({ message: concat([encode(head), returned, tail]), eightBit })
}

const endsWithCrlf = (b: Uint8Array): boolean => b.length >= 2 && b[b.length - 2] === 13 && b[b.length - 1] === 10
