// ESMTP parameters of MAIL and RCPT: the generic keyword=value syntax and the parameters this library knows.
// Implements RFC 5321 4.1.2 (esmtp-param) and 4.1.1.11, RFC 6531 3.3/3.4, RFC 1870 (SIZE), RFC 6152 and
// RFC 3030 (BODY), RFC 3461 4 and 5.1 (NOTIFY, ORCPT, RET, ENVID), RFC 4954 5 (AUTH=), RFC 8689 2 (REQUIRETLS).

import * as E from 'fp-ts/lib/Either.js'
import type { Either } from 'fp-ts/lib/Either.js'
import type { GrammarError } from './GrammarError.js'
import { asciiUpper, codeOf, isAtext, isUtf8NonAscii, shown } from './chars.js'
import { xtextDecode, xtextEncode } from './xtext.js'

/** One `esmtp-param` (RFC 5321 4.1.2): the keyword upper-cased, the value as written or undefined. */
export interface EsmtpParam {
  readonly keyword: string
  readonly value: string | undefined
}

/** Which extensions the server has enabled; a parameter of a disabled extension is refused with 555. */
export interface ParamSupport {
  readonly size: boolean
  readonly eightBitMime: boolean
  readonly binaryMime: boolean
  readonly smtpUtf8: boolean
  readonly dsn: boolean
  readonly auth: boolean
  readonly requireTls: boolean
}

/** Every extension's parameters taken: for parsing back lines of our own, and for the most room a line may need. */
export const everyParam: ParamSupport = {
  size: true,
  eightBitMime: true,
  binaryMime: true,
  smtpUtf8: true,
  dsn: true,
  auth: true,
  requireTls: true,
}

/** The values of the BODY parameter (RFC 6152 2, RFC 3030 3). */
export type BodyType = '7BIT' | '8BITMIME' | 'BINARYMIME'

/**
 * The known MAIL parameters, checked and decoded. `envid` and `auth` are xtext-decoded; `auth` is null
 * for `AUTH=<>`.
 */
export interface MailParams {
  readonly size?: number
  readonly body?: BodyType
  readonly smtpUtf8?: true
  readonly ret?: 'FULL' | 'HDRS'
  readonly envid?: string
  readonly auth?: string | null
  readonly requireTls?: true
}

/** A DSN notification condition (RFC 3461 4.1). */
export type NotifyCondition = 'SUCCESS' | 'FAILURE' | 'DELAY'

/** The known RCPT parameters, checked and decoded. `orcpt.address` is xtext-decoded. */
export interface RcptParams {
  readonly notify?: 'NEVER' | ReadonlyArray<NotifyCondition>
  readonly orcpt?: { readonly addrType: string; readonly address: string }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }
type Verb = 'MAIL' | 'RCPT'

const badParam = (text: string): GrammarError => ({ code: 501, enhanced: '5.5.4', text })

/** RFC 5321 4.1.1.11: a parameter the server does not recognize or cannot implement gets 555. */
const notRecognized = (verb: Verb, what: string): GrammarError => ({
  code: 555,
  enhanced: '5.5.4',
  text: `${verb} parameter ${shown(what)} not recognized`,
})

/** `esmtp-keyword` of RFC 5321 4.1.2: a letter or digit, then letters, digits and hyphens. */
const isKeyword = (text: string): boolean => /^[A-Za-z0-9][A-Za-z0-9-]*$/.test(text)

/** `esmtp-value` character: `!`..`~` except `=` (RFC 5321 4.1.2), or UTF8-non-ascii (RFC 6531 3.3). */
const isValueChar = (c: number): boolean => (c >= 33 && c <= 126 && c !== 0x3d) || isUtf8NonAscii(c)

const isValue = (text: string): boolean => text.length > 0 && Array.from(text).every((ch) => isValueChar(codeOf(ch)))

/** Parse one `esmtp-keyword ["=" esmtp-value]`, or explain what is wrong with it. */
const parseParam = (token: string): Either<GrammarError, EsmtpParam> => {
  // RFC 5321 4.1.2: parameters are separated by exactly one space, so an empty token is a syntax error.
  if (token === '') return E.left(badParam('Syntax: parameters are separated by single spaces'))
  const eq = token.indexOf('=')
  const keyword = eq < 0 ? token : token.slice(0, eq)
  if (!isKeyword(keyword)) return E.left(badParam('Syntax: bad parameter keyword'))
  const upper = asciiUpper(keyword)
  if (eq < 0) return E.right({ keyword: upper, value: undefined })
  const value = token.slice(eq + 1)
  if (!isValue(value)) return E.left(badParam(`Syntax: bad value for parameter ${shown(upper)}`))
  return E.right({ keyword: upper, value })
}

/**
 * Split the parameter text that follows a path (without the space after `>`) into `esmtp-param`s
 * (RFC 5321 4.1.2, values widened to UTF-8 by RFC 6531 3.3). The empty string gives no parameters.
 * Malformed text gives 501 5.5.4.
 */
export const parseParams = (text: string): Either<GrammarError, ReadonlyArray<EsmtpParam>> => {
  if (text === '') return E.right([])
  const out: EsmtpParam[] = []
  for (const token of text.split(' ')) {
    const parsed = parseParam(token)
    if (E.isLeft(parsed)) return parsed
    out.push(parsed.right)
  }
  return E.right(out)
}

/** Printable ASCII or tab: what ENVID and ORCPT may hold before xtext encoding (RFC 3461 4.2 and 4.4). */
const isPrintableAscii = (text: string): boolean => /^[\t\x20-\x7e]*$/.test(text)

const MAX_SIZE_DIGITS = 20
const MAX_ENVID = 100
const MAX_ORCPT = 500

/** Is this MAIL keyword known, and its extension enabled? */
const mailKeywordEnabled = (keyword: string, support: ParamSupport): boolean => {
  switch (keyword) {
    case 'SIZE':
      return support.size
    case 'BODY':
      // BODY only exists with 8BITMIME (RFC 6152 2) or BINARYMIME (RFC 3030 3).
      return support.eightBitMime || support.binaryMime
    case 'SMTPUTF8':
      return support.smtpUtf8
    case 'RET':
    case 'ENVID':
      return support.dsn
    case 'AUTH':
      return support.auth
    case 'REQUIRETLS':
      return support.requireTls
    default:
      return false
  }
}

/** RFC 1870 6.1: a declared size over what the server takes is refused with 552 5.3.4. */
const sizeTooBig: GrammarError = {
  code: 552,
  enhanced: '5.3.4',
  text: 'Message size exceeds fixed maximum message size',
}

const sizeValue = (value: string | undefined): Either<GrammarError, number> => {
  if (value === undefined || !/^[0-9]+$/.test(value)) return E.left(badParam('Syntax: SIZE=<decimal number of octets>'))
  // RFC 1870 4 allows 20 digits; a longer or uncountable number is still a size, and bigger than any
  // this server takes: a limit (552, RFC 1870 6.1), not a syntax error.
  const digits = value.replace(/^0+(?=[0-9])/, '')
  const size = Number(digits)
  if (digits.length > MAX_SIZE_DIGITS || !Number.isSafeInteger(size)) return E.left(sizeTooBig)
  return E.right(size)
}

const bodyValue = (value: string | undefined, support: ParamSupport): Either<GrammarError, BodyType> => {
  const body = value === undefined ? '' : asciiUpper(value)
  // RFC 6152 2 and RFC 3030 3: body-value is 7BIT, 8BITMIME or BINARYMIME, in any case.
  if (body === '7BIT') return E.right('7BIT')
  if (body === '8BITMIME')
    return support.eightBitMime ? E.right('8BITMIME') : E.left(notRecognized('MAIL', 'BODY=8BITMIME'))
  if (body === 'BINARYMIME') {
    return support.binaryMime ? E.right('BINARYMIME') : E.left(notRecognized('MAIL', 'BODY=BINARYMIME'))
  }
  return E.left(badParam('Syntax: BODY=7BIT, BODY=8BITMIME or BODY=BINARYMIME'))
}

const retValue = (value: string | undefined): Either<GrammarError, 'FULL' | 'HDRS'> => {
  const ret = value === undefined ? '' : asciiUpper(value)
  // RFC 3461 4.3: RET is FULL or HDRS, in any case.
  if (ret === 'FULL' || ret === 'HDRS') return E.right(ret)
  return E.left(badParam('Syntax: RET=FULL or RET=HDRS'))
}

const envidValue = (value: string | undefined): Either<GrammarError, string> => {
  if (value === undefined) return E.left(badParam('Syntax: ENVID=<xtext>'))
  // RFC 3461 4.4: the ENVID parameter is at most 100 characters (counted as sent, in xtext).
  if (value.length > MAX_ENVID) return E.left(badParam('ENVID too long (max 100 characters)'))
  const decoded = xtextDecode(value)
  if (decoded === undefined) return E.left(badParam('Syntax: ENVID must be xtext'))
  // RFC 3461 4.4: once decoded, the envelope id is printable US-ASCII.
  if (!isPrintableAscii(decoded)) return E.left(badParam('ENVID must decode to printable ASCII'))
  return E.right(decoded)
}

const authValue = (value: string | undefined): Either<GrammarError, string | null> => {
  if (value === undefined) return E.left(badParam('Syntax: AUTH=<xtext mailbox> or AUTH=<>'))
  // RFC 4954 5: "<>" means the original submitter is unknown.
  if (value === '<>') return E.right(null)
  const decoded = xtextDecode(value)
  // RFC 4954 5: the mailbox is carried as xtext.
  if (decoded === undefined) return E.left(badParam('Syntax: AUTH value must be xtext'))
  return E.right(decoded)
}

/** SMTPUTF8 (RFC 6531 3.4) and REQUIRETLS (RFC 8689 2) are bare keywords. */
const noValue = (keyword: string, value: string | undefined): Either<GrammarError, true> =>
  value === undefined ? E.right(true) : E.left(badParam(`Syntax: ${keyword} takes no value`))

/** Check one MAIL parameter whose keyword is known and enabled, and store its decoded value. */
const applyMailParam = (out: Mutable<MailParams>, p: EsmtpParam, support: ParamSupport): GrammarError | undefined => {
  switch (p.keyword) {
    case 'SIZE': {
      const size = sizeValue(p.value)
      if (E.isLeft(size)) return size.left
      out.size = size.right
      return undefined
    }
    case 'BODY': {
      const body = bodyValue(p.value, support)
      if (E.isLeft(body)) return body.left
      out.body = body.right
      return undefined
    }
    case 'SMTPUTF8': {
      const flag = noValue(p.keyword, p.value)
      if (E.isLeft(flag)) return flag.left
      out.smtpUtf8 = flag.right
      return undefined
    }
    case 'RET': {
      const ret = retValue(p.value)
      if (E.isLeft(ret)) return ret.left
      out.ret = ret.right
      return undefined
    }
    case 'ENVID': {
      const envid = envidValue(p.value)
      if (E.isLeft(envid)) return envid.left
      out.envid = envid.right
      return undefined
    }
    case 'AUTH': {
      const auth = authValue(p.value)
      if (E.isLeft(auth)) return auth.left
      out.auth = auth.right
      return undefined
    }
    case 'REQUIRETLS': {
      const flag = noValue(p.keyword, p.value)
      if (E.isLeft(flag)) return flag.left
      out.requireTls = flag.right
      return undefined
    }
    default:
      return notRecognized('MAIL', p.keyword)
  }
}

/** The keyword check shared by MAIL and RCPT: known and enabled (else 555), and not repeated (else 501). */
const keywordProblem = (
  verb: Verb,
  p: EsmtpParam,
  enabled: boolean,
  seen: ReadonlySet<string>,
): GrammarError | undefined => {
  if (!enabled) return notRecognized(verb, p.keyword)
  // Each parameter may appear once per command (RFC 1870 6, RFC 6152 3, RFC 3461 4.5).
  if (seen.has(p.keyword)) return badParam(`Duplicate ${verb} parameter ${p.keyword}`)
  return undefined
}

/**
 * Check MAIL parameters against the enabled extensions and decode them. Unknown parameters and parameters
 * of disabled extensions give 555 5.5.4; bad values and repeated keywords give 501 5.5.4.
 */
export const mailParams = (
  params: ReadonlyArray<EsmtpParam>,
  support: ParamSupport,
): Either<GrammarError, MailParams> => {
  const out: Mutable<MailParams> = {}
  if (params.length === 0) return E.right(out) // the common case: no Set to make
  const seen = new Set<string>()
  for (const p of params) {
    const problem =
      keywordProblem('MAIL', p, mailKeywordEnabled(p.keyword, support), seen) ?? applyMailParam(out, p, support)
    if (problem !== undefined) return E.left(problem)
    seen.add(p.keyword)
  }
  return E.right(out)
}

const NOTIFY_CONDITIONS: ReadonlyArray<string> = ['SUCCESS', 'FAILURE', 'DELAY']

const isNotifyCondition = (word: string): word is NotifyCondition => NOTIFY_CONDITIONS.includes(word)

const notifyValue = (value: string | undefined): Either<GrammarError, NonNullable<RcptParams['notify']>> => {
  const syntax = badParam('Syntax: NOTIFY=NEVER or NOTIFY=SUCCESS,FAILURE,DELAY')
  if (value === undefined) return E.left(syntax)
  const words = asciiUpper(value).split(',')
  // RFC 3461 4.1: NEVER stands alone.
  if (words.length === 1 && words[0] === 'NEVER') return E.right('NEVER')
  const conditions: NotifyCondition[] = []
  for (const word of words) {
    // RFC 3461 4.1: otherwise a list of SUCCESS, FAILURE and DELAY; a repeat is refused as ambiguous.
    if (!isNotifyCondition(word) || conditions.includes(word)) return E.left(syntax)
    conditions.push(word)
  }
  return E.right(conditions)
}

const orcptValue = (value: string | undefined): Either<GrammarError, NonNullable<RcptParams['orcpt']>> => {
  const syntax = badParam('Syntax: ORCPT=addr-type;xtext')
  if (value === undefined) return E.left(syntax)
  // RFC 3461 4.2: the ORCPT value is at most 500 characters.
  if (value.length > MAX_ORCPT) return E.left(badParam('ORCPT too long (max 500 characters)'))
  const semi = value.indexOf(';')
  if (semi < 0) return E.left(syntax)
  const addrType = value.slice(0, semi)
  // RFC 3461 4.2: addr-type is an atom (ASCII atext), then ";" and the xtext address.
  if (addrType === '' || !Array.from(addrType).every((ch) => codeOf(ch) < 0x80 && isAtext(codeOf(ch)))) {
    return E.left(syntax)
  }
  const address = xtextDecode(value.slice(semi + 1))
  if (address === undefined) return E.left(syntax)
  // RFC 3461 4.2: the decoded address is printable US-ASCII.
  if (!isPrintableAscii(address)) return E.left(badParam('ORCPT must decode to printable ASCII'))
  return E.right({ addrType, address })
}

/**
 * Check RCPT parameters against the enabled extensions and decode them: NOTIFY and ORCPT (RFC 3461 4.1, 4.2),
 * both needing `support.dsn`. Same error codes as {@link mailParams}.
 */
export const rcptParams = (
  params: ReadonlyArray<EsmtpParam>,
  support: ParamSupport,
): Either<GrammarError, RcptParams> => {
  const out: Mutable<RcptParams> = {}
  if (params.length === 0) return E.right(out)
  const seen = new Set<string>()
  for (const p of params) {
    const known = p.keyword === 'NOTIFY' || p.keyword === 'ORCPT'
    const problem = keywordProblem('RCPT', p, known && support.dsn, seen)
    if (problem !== undefined) return E.left(problem)
    seen.add(p.keyword)
    if (p.keyword === 'NOTIFY') {
      const notify = notifyValue(p.value)
      if (E.isLeft(notify)) return notify
      out.notify = notify.right
    } else {
      const orcpt = orcptValue(p.value)
      if (E.isLeft(orcpt)) return orcpt
      out.orcpt = orcpt.right
    }
  }
  return E.right(out)
}

/**
 * xtext for AUTH=. RFC 4954 5: with no usable mailbox (null, or the empty string, which no esmtp-value can
 * carry) the client sends "<>". A mailbox literally spelled "<>" is hex-encoded so it is not read as null.
 */
const authText = (auth: string | null): string => {
  if (auth === null || auth === '') return '<>'
  return auth === '<>' ? '+3C+3E' : xtextEncode(auth)
}

/**
 * Wire text of MAIL parameters for a client, each preceded by a space, in the order SIZE, BODY, SMTPUTF8,
 * RET, ENVID, AUTH, REQUIRETLS. ENVID and AUTH are xtext-encoded. Values are not otherwise checked; an empty
 * ENVID is left out and an empty AUTH is sent as `AUTH=<>`, because an esmtp-value cannot be empty.
 */
export const formatMailParams = (p: MailParams): string => {
  const parts: string[] = []
  if (p.size !== undefined) parts.push(`SIZE=${p.size}`)
  if (p.body !== undefined) parts.push(`BODY=${p.body}`)
  if (p.smtpUtf8 === true) parts.push('SMTPUTF8')
  if (p.ret !== undefined) parts.push(`RET=${p.ret}`)
  // RFC 5321 4.1.2: an esmtp-value has at least one character, so an empty ENVID cannot be sent.
  if (p.envid !== undefined && p.envid !== '') parts.push(`ENVID=${xtextEncode(p.envid)}`)
  if (p.auth !== undefined) parts.push(`AUTH=${authText(p.auth)}`)
  if (p.requireTls === true) parts.push('REQUIRETLS')
  return parts.map((part) => ` ${part}`).join('')
}

/**
 * Wire text of RCPT parameters for a client, each preceded by a space: NOTIFY, then ORCPT with its address
 * xtext-encoded. An empty NOTIFY list is left out, since NOTIFY needs at least one condition.
 */
export const formatRcptParams = (p: RcptParams): string => {
  const parts: string[] = []
  if (p.notify === 'NEVER') parts.push('NOTIFY=NEVER')
  else if (p.notify !== undefined && p.notify.length > 0) parts.push(`NOTIFY=${p.notify.join(',')}`)
  if (p.orcpt !== undefined) parts.push(`ORCPT=${p.orcpt.addrType};${xtextEncode(p.orcpt.address)}`)
  return parts.map((part) => ` ${part}`).join('')
}
