// Reverse-paths and forward-paths of MAIL FROM and RCPT TO, and their formatting.
// Implements RFC 5321 4.1.2 (Path, Mailbox, Local-part), 4.1.1.2, 4.1.1.3 (source routes, <Postmaster>),
// 4.5.3.1.1-3 (length limits) and the UTF-8 mailboxes of RFC 6531 3.3.

import * as E from 'fp-ts/lib/Either.js'
import type { Either } from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import type { GrammarError } from './GrammarError.js'
import { asciiLower, hasNonAscii, isAtext, isControl, isUtf8NonAscii, utf8Octets } from './chars.js'
import { MAX_DOMAIN_OCTETS, domainProblem } from './domain.js'
import { parseParams, type EsmtpParam } from './params.js'

/**
 * A mailbox as it appeared on the wire. `localPart` keeps its quotes if it was a quoted string, so that
 * `mailboxText` gives back the same text. `domain` is a domain name or a bracketed address literal, or ''
 * for the special `<Postmaster>` recipient. `utf8` is true when either part has a non-ASCII character.
 */
export interface Mailbox {
  readonly localPart: string
  readonly domain: string
  readonly utf8: boolean
}

/** A MAIL FROM path; null is the null reverse-path `<>` (RFC 5321 4.1.2, 3.6.3). */
export type ReversePath = Mailbox | null

type Role = 'sender' | 'recipient'

const MAX_LOCAL_OCTETS = 64
const MAX_PATH_OCTETS = 256

const syntaxHint = (role: Role): string =>
  role === 'sender' ? 'Syntax: MAIL FROM:<address>' : 'Syntax: RCPT TO:<address>'

/** RFC 3463: X.1.7 is a bad sender address syntax, X.1.3 a bad recipient address syntax. */
const pathError = (role: Role, text: string): GrammarError => ({
  code: 501,
  enhanced: role === 'sender' ? '5.1.7' : '5.1.3',
  text,
})

/** `Dot-string` of RFC 5321 4.1.2: atoms of atext (UTF-8 allowed, RFC 6531 3.3) joined by single dots. */
export const isDotString = (text: string): boolean => {
  let atomStart = true // at the start of the text or just after a dot: an atom must follow
  for (let i = 0; i < text.length;) {
    const c = text.codePointAt(i)!
    if (c === 0x2e) {
      if (atomStart) return false // an empty atom
      atomStart = true
      i++
      continue
    }
    if (!isAtext(c)) return false
    atomStart = false
    i += c > 0xffff ? 2 : 1
  }
  return !atomStart
}

/** `qtextSMTP` of RFC 5321 4.1.2 (space, `!`, `#`..`[`, `]`..`~`), plus UTF8-non-ascii (RFC 6531 3.3). */
const isQtext = (c: number): boolean =>
  c === 32 || c === 33 || (c >= 35 && c <= 91) || (c >= 93 && c <= 126) || isUtf8NonAscii(c)

/**
 * Length of the `Quoted-string` at the start of `text` (RFC 5321 4.1.2), quotes included, or undefined
 * when it is malformed or unterminated.
 */
const quotedStringLength = (text: string): number | undefined => {
  let i = 1
  while (i < text.length) {
    const c = text.codePointAt(i) ?? 0
    const width = c > 0xffff ? 2 : 1
    if (c === 0x22) return i + 1
    if (c === 0x5c) {
      // quoted-pairSMTP: a backslash and one ASCII character from space to "~" (RFC 5321 4.1.2).
      const next = text.charCodeAt(i + 1)
      if (!(next >= 32 && next <= 126)) return undefined
      i += 2
    } else if (isQtext(c)) {
      i += width
    } else {
      return undefined
    }
  }
  return undefined
}

/**
 * Where the `@` of a plain ASCII mailbox is, or -1 when the mailbox is anything else. Plain: a `Dot-string`
 * local part of ASCII atext of at most 64 octets, then a domain name of letter-digit-hyphen labels (RFC 5321
 * 4.1.2, 4.5.3.1.1-2). Nearly every address is plain, and this one pass takes it without the slices and code
 * point checks of the general parse; anything else, good or bad, goes the general way and gets its reason.
 */
const plainAt = (text: string): number => {
  const n = text.length
  let i = 0
  let atomStart = true
  for (; i < n; i++) {
    const c = text.charCodeAt(i)
    if (c === 0x40) break
    if (c === 0x2e) {
      if (atomStart) return -1
      atomStart = true
    } else if (c < 0x80 && isAtext(c)) atomStart = false
    else return -1
  }
  const at = i
  if (at === n || atomStart || at > MAX_LOCAL_OCTETS || n - at - 1 > MAX_DOMAIN_OCTETS) return -1
  let labelStart = at + 1
  for (i = at + 1; i <= n; i++) {
    const c = i === n ? 0x2e : text.charCodeAt(i)
    if (c === 0x2e) {
      const length = i - labelStart
      if (length === 0 || length > 63 || text.charCodeAt(i - 1) === 0x2d) return -1
      labelStart = i + 1
    } else if (c === 0x2d) {
      if (i === labelStart) return -1
    } else if (!((c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a))) return -1
  }
  return at
}

/** Split a mailbox into local part and domain, checking both (RFC 5321 4.1.2 `Mailbox`). */
export const parseMailboxText = (text: string): Either<string, Mailbox> => {
  const plain = plainAt(text)
  return plain === -1
    ? mailboxOfAnyForm(text)
    : E.right({ localPart: text.slice(0, plain), domain: text.slice(plain + 1), utf8: false })
}

/** `parseMailboxText` without the plain ASCII shortcut: every form, with the reason a bad one is bad. Exported for tests. */
export const mailboxOfAnyForm = (text: string): Either<string, Mailbox> => {
  let localEnd: number
  if (text.startsWith('"')) {
    const length = quotedStringLength(text)
    if (length === undefined) return E.left('Bad quoted local part in address')
    localEnd = length
  } else {
    const at = text.indexOf('@')
    localEnd = at < 0 ? text.length : at
    if (!isDotString(text.slice(0, localEnd))) return E.left('Bad local part in address')
  }
  if (localEnd === text.length) return E.left('Missing @domain in address')
  if (text[localEnd] !== '@') return E.left('Bad local part in address')
  const localPart = text.slice(0, localEnd)
  const domain = text.slice(localEnd + 1)
  const problem = domainProblem(domain, true)
  if (problem !== undefined) return E.left(problem)
  // RFC 5321 4.5.3.1.1: a local part is at most 64 octets.
  if (utf8Octets(localPart) > MAX_LOCAL_OCTETS) return E.left('Local part too long (max 64 octets)')
  return E.right({ localPart, domain, utf8: hasNonAscii(localPart) || hasNonAscii(domain) })
}

/**
 * Parse a bare mailbox, `local-part@domain` without angle brackets (RFC 5321 4.1.2 `Mailbox`), as found in
 * configuration. Errors are those of a RCPT path: 501 5.1.3 with the reason.
 * @example
 * parseMailbox('"bob"@example.com') // right({ localPart: '"bob"', domain: 'example.com', utf8: false })
 */
export const parseMailbox = (text: string): Either<GrammarError, Mailbox> =>
  pipe(
    parseMailboxText(text),
    E.mapLeft((reason) => pathError('recipient', reason)),
  )

/** `A-d-l` of RFC 5321 4.1.2: "@" Domain (a name, not an address literal), separated by commas. */
const isSourceRoute = (route: string): boolean =>
  route
    .split(',')
    .every((hop) => hop.startsWith('@') && domainProblem(hop.slice(1), true) === undefined && !hop.startsWith('@['))

/** The inside of `<...>`: empty, Postmaster, or an optional source route and a mailbox. */
const parsePathInner = (inner: string, role: Role): Either<string, ReversePath> => {
  // RFC 5321 4.1.2: "<>" is a Reverse-path only; a Forward-path always names a mailbox.
  if (inner === '') return role === 'sender' ? E.right(null) : E.left('Null path not allowed in RCPT TO')
  // RFC 5321 4.1.1.3: RCPT TO:<Postmaster> needs no domain, and the name is case-insensitive.
  if (role === 'recipient' && inner.length === 10 && asciiLower(inner) === 'postmaster') {
    return E.right({ localPart: inner, domain: '', utf8: false })
  }
  if (!inner.startsWith('@')) return parseMailboxText(inner)
  // RFC 5321 4.1.1.3: a source route must be accepted, and is then ignored.
  const colon = inner.indexOf(':')
  if (colon < 0 || !isSourceRoute(inner.slice(0, colon))) return E.left('Bad source route in address')
  return parseMailboxText(inner.slice(colon + 1))
}

type PathEnd = { readonly end: number } | { readonly problem: 'control' | 'unterminated' }

/**
 * Index of the `>` that closes the path opened at `start`. A `>` inside a quoted local part or an address
 * literal does not count. Control characters are refused anywhere in the path (RFC 5321 4.1.2).
 */
const findPathEnd = (text: string, start: number): PathEnd => {
  let state: 'plain' | 'quoted' | 'literal' = 'plain'
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (isControl(c)) return { problem: 'control' }
    if (state === 'plain') {
      if (c === 0x3e) return { end: i }
      if (c === 0x22) state = 'quoted'
      if (c === 0x5b) state = 'literal'
    } else if (state === 'quoted') {
      if (c === 0x22) state = 'plain'
      // Skip the character after a backslash, unless it is a control character.
      if (c === 0x5c && i + 1 < text.length && !isControl(text.charCodeAt(i + 1))) i++
    } else if (c === 0x5d) {
      state = 'plain'
    }
  }
  return { problem: 'unterminated' }
}

/** Parse `<path>[ params]` starting at `start` (the `<`). */
const parsePathAndParams = (
  text: string,
  start: number,
  role: Role,
): Either<GrammarError, { path: ReversePath; params: ReadonlyArray<EsmtpParam> }> => {
  const found = findPathEnd(text, start)
  if ('problem' in found) {
    return E.left(pathError(role, found.problem === 'control' ? 'Control character in address' : syntaxHint(role)))
  }
  const path = parsePathInner(text.slice(start + 1, found.end), role)
  if (E.isLeft(path)) return E.left(pathError(role, path.left))
  // RFC 5321 4.5.3.1.3: the whole path, brackets and source route included, is at most 256 octets.
  // (a UTF-16 unit is at most 3 octets of UTF-8: a short path needs no count)
  if ((found.end + 1 - start) * 3 > MAX_PATH_OCTETS && utf8Octets(text.slice(start, found.end + 1)) > MAX_PATH_OCTETS) {
    return E.left(pathError(role, 'Path too long (max 256 octets)'))
  }
  const rest = text.slice(found.end + 1)
  if (rest === '') return E.right({ path: path.right, params: [] })
  // RFC 5321 4.1.1.2, 4.1.1.3: parameters follow the path after exactly one space.
  if (!rest.startsWith(' ')) return E.left(pathError(role, 'Unexpected text after address'))
  if (rest === ' ') return E.left({ code: 501, enhanced: '5.5.4', text: 'Syntax: trailing space after address' })
  const params = parseParams(rest.slice(1))
  if (E.isLeft(params)) return params
  return E.right({ path: path.right, params: params.right })
}

/** Does `text` start with `word` (upper-case ASCII), in any case (RFC 5321 2.4)? */
const startsWithWord = (text: string, word: string): boolean => {
  if (text.length < word.length) return false
  for (let i = 0; i < word.length; i++) {
    const c = text.charCodeAt(i)
    if ((c >= 0x61 && c <= 0x7a ? c - 0x20 : c) !== word.charCodeAt(i)) return false
  }
  return true
}

/** Shared by MAIL and RCPT: the case-insensitive `FROM:`/`TO:`, optional spaces, then the path. */
const parseCommandArg = (
  arg: string,
  role: Role,
): Either<GrammarError, { path: ReversePath; params: ReadonlyArray<EsmtpParam> }> => {
  const prefix = role === 'sender' ? ' FROM:' : ' TO:'
  // RFC 5321 4.1.1.2-3: "FROM:" and "TO:" follow the verb after one space, in any case (RFC 5321 2.4).
  if (!startsWithWord(arg, prefix)) {
    return E.left({ code: 501, enhanced: '5.5.2', text: syntaxHint(role) })
  }
  let start = prefix.length
  // Leniency: RFC 5321 4.1.2 has no space after the colon, but many clients send one.
  while (arg[start] === ' ') start++
  // RFC 5321 4.1.2: a Path is always enclosed in angle brackets.
  if (arg[start] !== '<') return E.left(pathError(role, syntaxHint(role)))
  return parsePathAndParams(arg, start, role)
}

/**
 * Parse the argument of MAIL (RFC 5321 4.1.1.2): the text after the verb, without CRLF, e.g.
 * ` FROM:<bob@example.org> SIZE=100`. Path errors are 501 5.1.7; parameter syntax errors are 501 5.5.4.
 * Parameters are only split here; check them with `mailParams`.
 */
export const parseMailFrom = (
  arg: string,
): Either<GrammarError, { path: ReversePath; params: ReadonlyArray<EsmtpParam> }> => parseCommandArg(arg, 'sender')

/**
 * Parse the argument of RCPT (RFC 5321 4.1.1.3), e.g. ` TO:<bob@example.org> NOTIFY=NEVER`. A source route
 * is dropped; `<Postmaster>` gives a mailbox with an empty domain. Path errors are 501 5.1.3.
 */
export const parseRcptTo = (
  arg: string,
): Either<GrammarError, { path: Mailbox; params: ReadonlyArray<EsmtpParam> }> => {
  const parsed = parseCommandArg(arg, 'recipient')
  if (E.isLeft(parsed)) return parsed
  const { path, params } = parsed.right
  // parseCommandArg refuses "<>" for recipients; this guard only narrows the type.
  if (path === null) return E.left(pathError('recipient', 'Null path not allowed in RCPT TO'))
  return E.right({ path, params })
}

/** `local@domain`, or just the local part for `Postmaster` without a domain. */
export const mailboxText = (m: Mailbox): string => (m.domain === '' ? m.localPart : `${m.localPart}@${m.domain}`)

/** The path as sent on the wire: `<local@domain>`, `<>` for the null path, `<Postmaster>`. */
export const formatPath = (path: ReversePath): string => (path === null ? '<>' : `<${mailboxText(path)}>`)
