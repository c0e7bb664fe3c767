// The grammar checks written as loops (no split, no array per character) against the plain forms they
// replaced, on any text: lone and paired surrogates, dots anywhere, every code point.
import { describe, expect } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import { isDotString } from '../../src/grammar/address.js'
import { isAtext, isLetDig, isUtf8NonAscii, utf8Octets } from '../../src/grammar/chars.js'
import { isDomainName } from '../../src/grammar/domain.js'

// the plain forms: split on dots, walk code points with Array.from
const atextRef = (c: number): boolean =>
  isLetDig(c) || (c < 0x80 && "!#$%&'*+-/=?^_`{|}~".includes(String.fromCharCode(c))) || isUtf8NonAscii(c)
const dotStringRef = (text: string): boolean =>
  text.split('.').every((atom) => atom !== '' && Array.from(atom).every((ch) => atextRef(ch.codePointAt(0)!)))
const octetsRef = (text: string): number =>
  Array.from(text).reduce((n, ch) => {
    const c = ch.codePointAt(0)!
    return n + (c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4)
  }, 0)
// a text without dots is one label, so isDomainName of each label is the label check itself
const domainRef = (text: string, utf8: boolean): boolean => text.split('.').every((l) => isDomainName(l, utf8))

const piece = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme' }),
  fc.constantFrom('.', '..', 'a', '-', 'xn--', '\u00e9', '\ud800', '\udc00', '\ud83d\ude00', '\u202e', '1'),
)
const text = fc.array(piece, { maxLength: 8 }).map((p) => p.join(''))

describe('grammar loops agree with their plain forms', () => {
  test.prop([fc.integer({ min: 0, max: 0x10ffff })])('isAtext on every code point', (c) => {
    expect(isAtext(c)).toBe(atextRef(c))
  })
  test.prop([text])('isDotString', (t) => {
    expect(isDotString(t)).toBe(dotStringRef(t))
  })
  test.prop([text])('utf8Octets (a lone surrogate counts 3, as U+FFFD would)', (t) => {
    expect(utf8Octets(t)).toBe(octetsRef(t))
  })
  test.prop([text, fc.boolean()])('isDomainName', (t, utf8) => {
    expect(isDomainName(t, utf8)).toBe(domainRef(t, utf8))
  })
})
