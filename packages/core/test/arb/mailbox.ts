// Mailboxes the RFC 5321 4.1.2 grammar accepts (with the UTF-8 of RFC 6531 3.3): dot-strings and
// quoted strings at domain names and address literals. The non-ASCII set includes characters whose
// low byte is CR, LF or NUL (U+4E0D, U+4E0A, U+010A, U+0100), which a Latin-1 writer would turn into
// line breaks.
import { fc } from '@fast-check/vitest'
import type { Mailbox } from '../../src/grammar/address.js'

export const box = (localPart: string, domain: string, utf8 = false): Mailbox => ({ localPart, domain, utf8 })
export const octets = (s: string): number => Buffer.byteLength(s, 'utf8')
export const hasNonAscii = (s: string): boolean => Array.from(s).some((ch) => (ch.codePointAt(0) ?? 0) > 0x7f)

const asciiAtext = [..."abcXYZ0129!#$%&'*+-/=?^_`{|}~"]
export const nonAscii = ['é', 'ü', 'δ', '中', '😀', '\u00a0', '不', '上', '\u010a', '\u0100', 'Ü', 'Δ']
export const atom = fc.string({ unit: fc.constantFrom(...asciiAtext, ...nonAscii), minLength: 1, maxLength: 8 })
export const dotString = fc.array(atom, { minLength: 1, maxLength: 3 }).map((atoms) => atoms.join('.'))
const printable = fc.integer({ min: 32, max: 126 }).map((c) => String.fromCharCode(c))
const qcontent = fc.oneof(
  printable.filter((c) => c !== '"' && c !== '\\'),
  fc.constantFrom(...nonAscii),
  printable.map((c) => `\\${c}`),
)
export const quoted = fc.array(qcontent, { maxLength: 10 }).map((parts) => `"${parts.join('')}"`)
const letDig = fc.constantFrom(...'abcxyzABC019')
// labels take letters of both cases, so that lower-casing and IDNA have work to do
const labelChar = fc.constantFrom(...'abcxyzABC019-', 'é', 'ü', 'Ü', 'δ', 'Δ', '中')
const label = fc
  .tuple(letDig, fc.string({ unit: labelChar, maxLength: 6 }), letDig)
  .map(([a, mid, b]) => (mid === '' ? a : `${a}${mid}${b}`))
export const domainName = fc.array(label, { minLength: 1, maxLength: 4 }).map((labels) => labels.join('.'))
export const ipv4 = fc.ipV4().map((ip) => `[${ip}]`)
const ipv6 = fc
  .array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 })
  .map((groups) => `[IPv6:${groups.map((g) => g.toString(16)).join(':')}]`)
const dcontent = fc.integer({ min: 33, max: 126 }).filter((c) => c < 91 || c > 93)
const general = fc.array(dcontent, { minLength: 1, maxLength: 10 }).map((cs) => `[x-tag:${String.fromCharCode(...cs)}]`)

/** Any mailbox the grammar accepts (local part within 64 octets, RFC 5321 4.5.3.1.1). */
export const mailbox = fc
  .tuple(fc.oneof(dotString, quoted), fc.oneof(domainName, ipv4, ipv6, general))
  .map(([localPart, domain]) => box(localPart, domain, hasNonAscii(localPart + domain)))
  .filter((m) => octets(m.localPart) <= 64)
