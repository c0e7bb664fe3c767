// Checking a submitted envelope before anything is written: every command line is built, then parsed back
// with the server's own grammar (RFC 5321 4.1.2, so CR, LF, NUL and smuggled parameters cannot pass), and
// every parameter is held against what the server offers: SIZE (RFC 1870 6), 8BITMIME (RFC 6152 3),
// BINARYMIME (RFC 3030 3), SMTPUTF8 (RFC 6531 3.2, 3.4), DSN (RFC 3461 4), REQUIRETLS (RFC 8689 2).
import * as E from 'fp-ts/lib/Either.js'
import {
  type MailParams,
  formatMailParams,
  formatPath,
  formatRcptParams,
  mailParams,
  parseMailFrom,
  parseRcptTo,
  rcptParams,
} from '../../grammar/index.js'
import { everyParam } from '../../grammar/params.js'
import { type ServerCapabilities, noCapabilities } from '../capabilities.js'
import type { ClientEnvelope, ClientMailParams, ClientRecipient } from '../Input.js'
import type { TransactionError } from '../Output.js'
import type { ClientState, Tx } from '../State.js'

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

const invalid = (reason: string): E.Either<TransactionError, never> => E.left({ _tag: 'InvalidEnvelope', reason })
const unsupported = (extension: string, reason: string): E.Either<TransactionError, never> =>
  E.left({ _tag: 'Unsupported', extension, reason })

/** `MAIL FROM:<path> params`, parsed back to the same text, or why not. */
const mailLine = (from: string | null, params: MailParams): E.Either<TransactionError, string> => {
  const path = from === null ? '<>' : `<${from}>`
  const arg = ` FROM:${path}${formatMailParams(params)}`
  const parsed = parseMailFrom(arg)
  if (E.isLeft(parsed)) return invalid(`sender ${JSON.stringify(from)}: ${parsed.left.text}`)
  const decoded = mailParams(parsed.right.params, everyParam)
  // The path and the parameters must come back exactly as meant: no text can smuggle in another parameter.
  if (
    formatPath(parsed.right.path) !== path ||
    E.isLeft(decoded) ||
    formatMailParams(decoded.right) !== formatMailParams(params)
  )
    return invalid(`sender ${JSON.stringify(from)}: not a plain address with valid parameters`)
  return E.right(`MAIL${arg}`)
}

const rcptLine = (to: ClientRecipient): E.Either<TransactionError, { line: string; utf8: boolean }> => {
  const path = `<${to.address}>`
  const params = to.params ?? {}
  const arg = ` TO:${path}${formatRcptParams(params)}`
  const parsed = parseRcptTo(arg)
  if (E.isLeft(parsed)) return invalid(`recipient ${JSON.stringify(to.address)}: ${parsed.left.text}`)
  const decoded = rcptParams(parsed.right.params, everyParam)
  if (
    formatPath(parsed.right.path) !== path ||
    E.isLeft(decoded) ||
    formatRcptParams(decoded.right) !== formatRcptParams(params)
  )
    return invalid(`recipient ${JSON.stringify(to.address)}: not a plain address with valid parameters`)
  return E.right({ line: `RCPT${arg}`, utf8: parsed.right.path.utf8 })
}

/** Is the sender a UTF-8 address? (Parsed alone first, before its parameters are known.) */
const senderUtf8 = (from: string | null): boolean => {
  if (from === null) return false
  const parsed = parseMailFrom(` FROM:<${from}>`)
  return E.isRight(parsed) && parsed.right.path !== null && parsed.right.path.utf8
}

/** The MAIL parameters to send, or what the server lacks for them. */
const mailParamsFor = (
  s: ClientState,
  caps: ServerCapabilities,
  p: ClientMailParams,
  utf8: boolean,
  dsnRcpt: boolean,
): E.Either<TransactionError, MailParams> => {
  const out: Mutable<MailParams> = {}
  if (p.size !== undefined) {
    if (!Number.isSafeInteger(p.size) || p.size < 0) return invalid('size must be a whole number of octets')
    // RFC 1870 6.1: a message declared over the server's fixed limit would only be refused.
    if (caps.size !== undefined && caps.size > 0 && p.size > caps.size)
      return unsupported('SIZE', `the message (${p.size} octets) is over the server's limit of ${caps.size}`)
    if (caps.size !== undefined) out.size = p.size // RFC 1870 6: SIZE= only to a server that offers SIZE
  }
  const canBinary = caps.binaryMime && caps.chunking && s.config.binaryMime && s.config.chunking
  if (p.body === '8BITMIME' && !caps.eightBitMime) return unsupported('8BITMIME', 'the server does not offer 8BITMIME')
  if (p.body === 'BINARYMIME' && !canBinary)
    return unsupported('BINARYMIME', 'BINARYMIME needs BINARYMIME and CHUNKING offered and allowed (RFC 3030 3)')
  // BODY= exists only with 8BITMIME or BINARYMIME (RFC 6152 2, RFC 3030 3); a 7BIT body needs no word.
  if (p.body !== undefined && (caps.eightBitMime || canBinary)) out.body = p.body
  // RFC 6531 3.2: UTF-8 addresses go only to a server that offers SMTPUTF8, with the parameter.
  if (utf8 || p.smtpUtf8 === true) {
    if (!caps.smtpUtf8) return unsupported('SMTPUTF8', 'the server does not offer SMTPUTF8')
    out.smtpUtf8 = true
  }
  if (p.ret !== undefined || p.envid !== undefined || dsnRcpt) {
    if (!caps.dsn) return unsupported('DSN', 'the server does not offer DSN (RFC 3461 4)')
    if (p.ret !== undefined) out.ret = p.ret
    if (p.envid !== undefined) out.envid = p.envid
  }
  if (p.requireTls === true) {
    if (!caps.requireTls || !s.tls)
      return unsupported('REQUIRETLS', 'REQUIRETLS needs TLS and the extension (RFC 8689 2)')
    out.requireTls = true
  }
  return E.right(out)
}

const hasDsn = (r: ClientRecipient): boolean => r.params?.notify !== undefined || r.params?.orcpt !== undefined

/** A recipient without its DSN parameters (NOTIFY, ORCPT). */
const withoutDsn = (r: ClientRecipient): ClientRecipient => {
  if (!hasDsn(r)) return r
  const { notify: _notify, orcpt: _orcpt, ...params } = r.params ?? {}
  return { ...r, params }
}

/** MAIL parameters without the DSN ones (RET, ENVID). */
const withoutDsnParams = (p: ClientMailParams): ClientMailParams => {
  const { ret: _ret, envid: _envid, ...rest } = p
  return rest
}

/**
 * Check a submitted envelope against the grammar and the server's capabilities and build its commands.
 * Nothing is written for an envelope that fails.
 */
export const prepareTx = (
  s: ClientState,
  e: ClientEnvelope,
  id: string | undefined,
): E.Either<TransactionError, Tx> => {
  if (e.to.length === 0) return invalid('at least one recipient is needed (RFC 5321 3.3)')
  const caps = s.capabilities ?? noCapabilities
  const given = e.to.map((to) => (typeof to === 'string' ? { address: to } : to))
  // RFC 3461 5.2.2 (a): a relay sends no DSN parameter to a server without DSN
  const dsnOmitted =
    s.config.relayDsn &&
    !caps.dsn &&
    (e.params?.ret !== undefined || e.params?.envid !== undefined || given.some(hasDsn))
  if (dsnOmitted) {
    // what is left out must still be right: the same envelope to a server with DSN would be refused otherwise
    const checked = prepareTx({ ...s, capabilities: { ...caps, dsn: true } }, e, id)
    if (E.isLeft(checked)) return checked
  }
  const recipients = dsnOmitted ? given.map(withoutDsn) : given
  const mailParams = dsnOmitted ? withoutDsnParams(e.params ?? {}) : (e.params ?? {})
  const rcpts: Array<{ line: string; utf8: boolean }> = []
  for (const r of recipients) {
    const line = rcptLine(r)
    if (E.isLeft(line)) return line
    rcpts.push(line.right)
  }
  const utf8 = senderUtf8(e.from) || rcpts.some((r) => r.utf8)
  const params = mailParamsFor(s, caps, mailParams, utf8, recipients.some(hasDsn))
  if (E.isLeft(params)) return params
  const mail = mailLine(e.from, params.right)
  if (E.isLeft(mail)) return mail
  const body = params.right.body ?? e.params?.body
  return E.right({
    id,
    addresses: recipients.map((r) => r.address),
    mailLine: mail.right,
    rcptLines: rcpts.map((r) => r.line),
    pipelined: caps.pipelining && s.config.pipelining,
    // RFC 3030 3: BINARYMIME bodies can only go in BDAT chunks.
    bdat: body === 'BINARYMIME' || (caps.chunking && s.config.chunking),
    binary: body === 'BINARYMIME',
    // RFC 6152 3: octets above 127 only in a body declared BODY=8BITMIME (or BINARYMIME); offering 8BITMIME is
    // not enough, nor is SMTPUTF8, which goes with BODY=8BITMIME for 8-bit content (RFC 6531 3.4)
    eightBit: body === '8BITMIME' || body === 'BINARYMIME',
    dsnOmitted,
    mail: undefined,
    rcpts: [],
  })
}
