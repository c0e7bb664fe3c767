// Domains and address literals: the right-hand side of a mailbox and the EHLO/HELO/LHLO argument.
// Implements RFC 5321 4.1.2 (Domain, sub-domain), 4.1.3 (address literals), 4.5.3.1.2 (length), 4.1.1.1 (EHLO),
// and the U-label extension of RFC 6531 3.3.

import * as E from 'fp-ts/lib/Either.js'
import type { Either } from 'fp-ts/lib/Either.js'
import type { GrammarError } from './GrammarError.js'
import { asciiUpper, codeOf, isControl, isHexDigit, isLetDig, isULabelChar, utf8Octets } from './chars.js'

/** Longest domain or address literal, in octets (RFC 5321 4.5.3.1.2). */
export const MAX_DOMAIN_OCTETS = 255

/** Longest DNS label, in octets (RFC 1035 2.3.4); checked for ASCII labels only. */
const MAX_LABEL_OCTETS = 63

/** `Snum` of RFC 5321 4.1.3: one to three digits with a value of at most 255. */
const isSnum = (text: string): boolean => /^[0-9]{1,3}$/.test(text) && Number(text) <= 255

/** `IPv4-address-literal` of RFC 5321 4.1.3: four Snum joined by dots. */
export const isIpv4 = (text: string): boolean => {
  const parts = text.split('.')
  return parts.length === 4 && parts.every(isSnum)
}

/** `IPv6-hex` of RFC 5321 4.1.3: one to four hex digits. */
const isHexGroup = (group: string): boolean =>
  group.length >= 1 && group.length <= 4 && Array.from(group).every((ch) => isHexDigit(codeOf(ch)))

const allHexGroups = (groups: ReadonlyArray<string>): boolean => groups.every(isHexGroup)

/** Split a colon-separated run of groups; the empty run has no groups. */
const groupsOf = (text: string): string[] => (text === '' ? [] : text.split(':'))

/**
 * `IPv6-addr` of RFC 5321 4.1.3: IPv6-full, IPv6-comp, IPv6v4-full or IPv6v4-comp. As that grammar says,
 * `::` stands for at least two zero groups, so at most six groups (four with an IPv4 tail) may sit beside it.
 */
export const isIpv6 = (text: string): boolean => {
  const halves = text.split('::')
  if (halves.length > 2) return false
  if (halves.length === 1) return isFullIpv6(groupsOf(text))
  const head = groupsOf(halves[0] ?? '')
  const tail = groupsOf(halves[1] ?? '')
  const last = tail[tail.length - 1]
  if (last !== undefined && last.includes('.')) {
    // IPv6v4-comp: the IPv4 tail follows "::" and at most four hex groups are written (RFC 5321 4.1.3).
    const hexTail = tail.slice(0, -1)
    return isIpv4(last) && allHexGroups(head) && allHexGroups(hexTail) && head.length + hexTail.length <= 4
  }
  // IPv6-comp: at most six hex groups beside the "::" (RFC 5321 4.1.3).
  return allHexGroups(head) && allHexGroups(tail) && head.length + tail.length <= 6
}

/** IPv6-full (eight groups) or IPv6v4-full (six groups and an IPv4 address), RFC 5321 4.1.3. */
const isFullIpv6 = (groups: ReadonlyArray<string>): boolean => {
  const last = groups[groups.length - 1]
  if (last !== undefined && last.includes('.')) {
    return groups.length === 7 && isIpv4(last) && allHexGroups(groups.slice(0, -1))
  }
  return groups.length === 8 && allHexGroups(groups)
}

/** `Ldh-str` of RFC 5321 4.1.2: letters, digits and hyphens, ending in a letter or digit. */
const isLdhStr = (text: string): boolean => /^[A-Za-z0-9-]*[A-Za-z0-9]$/.test(text)

/** `dcontent` of RFC 5321 4.1.3: printable ASCII except `[`, `\` and `]`. */
const isDcontent = (c: number): boolean => (c >= 33 && c <= 90) || (c >= 94 && c <= 126)

/**
 * The inside of an address literal, without its brackets (RFC 5321 4.1.3): an IPv4 dotted quad,
 * `IPv6:` and an IPv6 address, or a general `tag:content` literal.
 */
export const isLiteralContent = (content: string): boolean => {
  const colon = content.indexOf(':')
  if (colon < 0) return isIpv4(content)
  const tag = content.slice(0, colon)
  const rest = content.slice(colon + 1)
  // The "IPv6:" prefix is an ABNF literal string, so it matches in any case (RFC 5234 2.3).
  if (asciiUpper(tag) === 'IPV6') return isIpv6(rest)
  // General-address-literal: Standardized-tag ":" 1*dcontent (RFC 5321 4.1.3).
  return isLdhStr(tag) && rest.length > 0 && Array.from(rest).every((ch) => isDcontent(codeOf(ch)))
}

/** A whole address literal including its brackets (RFC 5321 4.1.2 `address-literal`). */
export const isAddressLiteral = (text: string): boolean =>
  text.startsWith('[') && text.endsWith(']') && isLiteralContent(text.slice(1, -1))

/** A label character other than the ends: Let-dig, hyphen, or (with SMTPUTF8) a U-label character. */
const isLabelChar = (c: number, allowUtf8: boolean): boolean =>
  isLetDig(c) || c === 0x2d || (allowUtf8 && isULabelChar(c))

/** A label's first or last character: Let-dig or, with SMTPUTF8, a U-label character (never a hyphen). */
const isLabelEnd = (c: number, allowUtf8: boolean): boolean => isLetDig(c) || (allowUtf8 && isULabelChar(c))

/** An ASCII label of letters, digits and inner hyphens, at most 63 octets (RFC 5321 4.1.2, RFC 1035 2.3.4). */
const isAsciiLdh = (label: string): boolean => {
  const n = label.length
  if (n === 0 || n > MAX_LABEL_OCTETS) return false
  for (let i = 0; i < n; i++) {
    const c = label.charCodeAt(i)
    const letDig = (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a)
    if (!letDig && (c !== 0x2d || i === 0 || i === n - 1)) return false
  }
  return true
}

/**
 * `sub-domain` of RFC 5321 4.1.2 (`Let-dig [Ldh-str]`), widened by RFC 6531 3.3 to U-labels. U-labels are
 * checked for shape only (no IDNA2008 tables): non-ASCII characters are allowed wherever a letter is.
 */
const isLabel = (label: string, allowUtf8: boolean): boolean => {
  if (isAsciiLdh(label)) return true // the common case, without building a code point array
  const chars = Array.from(label, codeOf)
  const first = chars[0]
  const last = chars[chars.length - 1]
  if (first === undefined || last === undefined) return false
  if (!isLabelEnd(first, allowUtf8) || !isLabelEnd(last, allowUtf8)) return false
  if (!chars.every((c) => isLabelChar(c, allowUtf8))) return false
  // An ASCII label is a DNS label and cannot exceed 63 octets (RFC 1035 2.3.4).
  return chars.some((c) => c > 0x7f) || chars.length <= MAX_LABEL_OCTETS
}

/** `Domain` of RFC 5321 4.1.2: sub-domains joined by single dots, no leading or trailing dot. */
export const isDomainName = (text: string, allowUtf8: boolean): boolean => {
  let start = 0
  for (;;) {
    const dot = text.indexOf('.', start)
    if (!isLabel(text.slice(start, dot === -1 ? text.length : dot), allowUtf8)) return false
    if (dot === -1) return true
    start = dot + 1
  }
}

/**
 * What is wrong with a domain or address literal, or undefined when it is fine. `allowUtf8` admits U-labels
 * (RFC 6531 3.3); address literals are ASCII in any case.
 */
export const domainProblem = (text: string, allowUtf8: boolean): string | undefined => {
  if (text.startsWith('[')) {
    if (!isAddressLiteral(text)) return 'Bad address literal in address'
  } else if (!isDomainName(text, allowUtf8)) {
    return 'Bad domain in address'
  }
  // RFC 5321 4.5.3.1.2: a domain name or number is at most 255 octets.
  if (utf8Octets(text) > MAX_DOMAIN_OCTETS) return 'Domain too long (max 255 octets)'
  return undefined
}

/** The verbs that take a domain argument. */
export type HelloVerb = 'EHLO' | 'HELO' | 'LHLO'

const helloError = (text: string): GrammarError => ({ code: 501, enhanced: '5.5.2', text })

/**
 * Parse the argument of EHLO, HELO or LHLO (RFC 5321 4.1.1.1): a domain or an address literal, with
 * surrounding spaces trimmed. Only ASCII domains are accepted, because the client cannot know yet whether
 * the server supports SMTPUTF8 (RFC 6531 3.7.1). Returns the argument as written, without the spaces.
 * Errors are 501 5.5.2; `verb` only changes the wording of the error text.
 */
export const parseDomainArg = (arg: string, verb: HelloVerb = 'EHLO'): Either<GrammarError, string> => {
  const text = arg.replace(/^ +| +$/g, '')
  const syntax = helloError(`Syntax: ${verb} domain-or-address-literal`)
  if (text === '' || Array.from(text).some((ch) => isControl(codeOf(ch)))) return E.left(syntax)
  // Leniency: many hosts (Windows machine names among them) greet with an underscore in a label. The name
  // is only informational here (RFC 5321 4.1.4 forbids refusing mail for it), so '_' is taken as a letter.
  const problem = domainProblem(text.replace(/_/g, 'u'), false)
  if (problem === undefined) return E.right(text)
  if (problem.startsWith('Domain too long')) return E.left(helloError(problem))
  return E.left(syntax)
}
