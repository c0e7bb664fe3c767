// One canonical form per mailbox, for everything that compares or names by address.
// RFC 5321 4.1.2 (a quoted local part and its unquoted equivalent are one mailbox), 2.4 (local parts are
// case-sensitive, domains are not), 4.1.1.3 and 4.5.1 (Postmaster in any case), RFC 6531 3.3 with the
// IDNA A-label of a U-label (RFC 5890 2.3.2.1, RFC 3492).

import { isDotString, type Mailbox } from './address.js'
import { asciiLower, asciiUpper, hasNonAscii } from './chars.js'
import { punycodeEncode } from './punycode.js'
import { formatIPv6, parseIPv6 } from '../proxy/address.js'

export { parseMailbox } from './address.js'

/**
 * How two local parts compare. `exact`: octet for octet, as RFC 5321 2.4 asks of a server that does not
 * know better. `ascii-case-insensitive`: ASCII letters without case, as most mail systems deliver.
 */
export type LocalPartComparison = 'exact' | 'ascii-case-insensitive'

/** The text inside a quoted local part, quoted-pairs resolved (RFC 5321 4.1.2 `quoted-pairSMTP`). */
const unquote = (quoted: string): string => quoted.slice(1, -1).replace(/\\([\x20-\x7e])/g, '$1')

/**
 * Minimal quoting (RFC 5321 4.1.2): a local part that is a Dot-string goes without quotes; any other goes
 * in quotes with only `"` and `\` escaped. `postmaster` is case-insensitive (RFC 5321 4.5.1), so it is
 * always written in lower case.
 */
const canonicalLocal = (localPart: string): string => {
  const text = localPart.startsWith('"') ? unquote(localPart) : localPart
  if (asciiLower(text) === 'postmaster') return 'postmaster'
  if (text !== '' && isDotString(text)) return text
  return `"${text.replace(/["\\]/g, '\\$&')}"`
}

/**
 * A domain label in canonical form: ASCII in lower case (RFC 5321 2.4); a U-label (RFC 6531 3.3) as the
 * A-label of its NFC, lower-case form (RFC 5890 2.3.2.1), so that both spellings of one name compare equal.
 */
const canonicalLabel = (label: string): string =>
  hasNonAscii(label) ? `xn--${punycodeEncode(label.normalize('NFC').toLowerCase())}` : asciiLower(label)

/**
 * Address literals, one spelling per address (RFC 5321 4.1.3): IPv6 in the RFC 5952 text (`::1` for
 * `0:0:0:0:0:0:0:1`, lower-case hex, the tag as `IPv6`), IPv4 without leading zeros (`Snum` allows
 * `001`). Other tagged literals keep their text.
 */
const canonicalLiteral = (literal: string): string => {
  const inner = literal.slice(1, -1)
  if (asciiUpper(inner.slice(0, 5)) === 'IPV6:') {
    const octets = parseIPv6(inner.slice(5))
    return `[IPv6:${octets === undefined ? asciiLower(inner.slice(5)) : formatIPv6(octets)}]`
  }
  if (/^[0-9]{1,3}(?:\.[0-9]{1,3}){3}$/.test(inner)) return `[${inner.split('.').map(Number).join('.')}]`
  return literal
}

/** An ASCII domain is its labels in lower case, dots and all: one pass, no list of labels. */
const canonicalDomain = (domain: string): string =>
  domain.startsWith('[')
    ? canonicalLiteral(domain)
    : hasNonAscii(domain)
      ? domain.split('.').map(canonicalLabel).join('.')
      : asciiLower(domain)

/**
 * The canonical form of a mailbox: minimal quoting of the local part (its case kept), the domain in lower
 * case with U-labels as A-labels, address literals in one spelling. Two mailboxes are the same exactly when
 * their canonical forms are equal (with the local part compared by the policy, see {@link sameMailbox}).
 * Idempotent. `<Postmaster>` without a domain keeps its empty domain.
 * @example
 * canonicalMailbox({ localPart: '"bob"', domain: 'Example.COM', utf8: false })
 * // { localPart: 'bob', domain: 'example.com', utf8: false }
 */
export const canonicalMailbox = (m: Mailbox): Mailbox => {
  const localPart = canonicalLocal(m.localPart)
  const domain = canonicalDomain(m.domain)
  return { localPart, domain, utf8: hasNonAscii(localPart) || hasNonAscii(domain) }
}

/**
 * The key to compare or name a mailbox by: `local@domain` of its canonical form, the local part's ASCII
 * letters lower-cased under `ascii-case-insensitive`.
 */
export const mailboxKey = (m: Mailbox, localPart: LocalPartComparison = 'exact'): string => {
  const c = canonicalMailbox(m)
  const local = localPart === 'exact' ? c.localPart : asciiLower(c.localPart)
  return c.domain === '' ? local : `${local}@${c.domain}`
}

/** Are these the same mailbox (RFC 5321 4.1.2, 2.4)? Local parts compare by `localPart` (default exact). */
export const sameMailbox = (a: Mailbox, b: Mailbox, localPart: LocalPartComparison = 'exact'): boolean =>
  mailboxKey(a, localPart) === mailboxKey(b, localPart)

/** Is this the postmaster, with or without a domain, in any case or quoting (RFC 5321 4.1.1.3, 4.5.1)? */
export const isPostmaster = (m: Mailbox): boolean => canonicalLocal(m.localPart) === 'postmaster'
