// RFC 6531 3.3: a non-ASCII domain in a mailbox is made of U-labels, which IDNA2008 defines (RFC 5890 2.3.2.1,
// RFC 5892): line separators, no-break spaces, zero-width and bidi-override characters are DISALLOWED in them.
// Accepting them lets a sender name a domain that is not the one the trace fields then show: the trace builders
// drop U+2028, so `ceo@paypal<U+2028>.com` is written `Return-Path: <ceo@paypal.com>`.
import { describe, expect, it } from 'vitest'
import { parseMailFrom } from '../../src/grammar/address.js'
import { formatReturnPath } from '../../src/trace/received.js'
import { mailboxText } from '../../src/grammar/address.js'

describe('U-labels are IDNA2008 labels (RFC 6531 3.3, RFC 5892)', () => {
  for (const [name, ch] of [
    ['LINE SEPARATOR', '\u2028'],
    ['ZERO WIDTH SPACE', '\u200b'],
    ['RIGHT-TO-LEFT OVERRIDE', '\u202e'],
    ['NO-BREAK SPACE', '\u00a0'],
    ['BYTE ORDER MARK', '\ufeff'],
  ] as const) {
    it(`a domain label with ${name} is refused`, () => {
      const r = parseMailFrom(` FROM:<ceo@paypal${ch}.com> SMTPUTF8`)
      expect(r._tag).toBe('Left') // fails: accepted
    })
  }

  it('the Return-Path built from an accepted reverse-path names that reverse-path', () => {
    const r = parseMailFrom(' FROM:<ceo@paypal\u2028.com> SMTPUTF8')
    if (r._tag === 'Left') return // refusing it is fine too
    const path = r.right.path!
    // fails: gives Return-Path: <ceo@paypal.com>, another domain than the envelope's
    expect(formatReturnPath(mailboxText(path))).not.toBe('Return-Path: <ceo@paypal.com>\r\n')
  })
})
