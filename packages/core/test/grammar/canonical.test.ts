// Tests for src/grammar/canonical.ts: one canonical form per mailbox (RFC 5321 4.1.2, 2.4, 4.1.1.3;
// RFC 6531 3.3 with IDNA A-labels, RFC 5890 2.3.2.1 and RFC 3492).

import { describe, expect, it } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import * as E from 'fp-ts/lib/Either.js'
import { formatPath, parseRcptTo, type Mailbox } from '../../src/grammar/address.js'
import { punycodeEncode } from '../../src/grammar/punycode.js'
import { canonicalMailbox, isPostmaster, parseMailbox, sameMailbox } from '../../src/grammar/canonical.js'
import { domainName, dotString, ipv4, quoted } from '../arb/mailbox.js'

const box = (localPart: string, domain: string, utf8 = false): Mailbox => ({ localPart, domain, utf8 })
const rcpt = (path: string): Mailbox => {
  const r = parseRcptTo(` TO:${path}`)
  if (E.isLeft(r)) throw new Error(r.left.text)
  return r.right.path
}

describe('punycode (RFC 3492 6.3)', () => {
  it.each([
    ['bücher', 'bcher-kva'],
    ['münchen', 'mnchen-3ya'],
    ['mañana', 'maana-pta'],
    ['☃', 'n3h'],
    ['ü', 'tda'],
    ['他们为什么不说中文', 'ihqwcrb4cv8a8dqg056pqjye'],
  ])('%s encodes as %s', (label, code) => {
    expect(punycodeEncode(label)).toBe(code)
  })
})

describe('canonical mailbox', () => {
  it.each([
    ['<"bob"@example.com>', 'bob', 'example.com'],
    ['<"b\\ob"@Example.COM>', 'bob', 'example.com'],
    ['<"bob.smith"@example.com>', 'bob.smith', 'example.com'],
    ['<"bob smith"@example.com>', '"bob smith"', 'example.com'],
    ['<"bob\\ smith"@example.com>', '"bob smith"', 'example.com'],
    ['<"a\\"b"@example.com>', '"a\\"b"', 'example.com'],
    ['<"a..b"@example.com>', '"a..b"', 'example.com'],
    ['<Bob@EXAMPLE.com>', 'Bob', 'example.com'],
    ['<bob@[IPV6:2001:DB8::1]>', 'bob', '[IPv6:2001:db8::1]'],
    ['<bob@[IPv6:0:0:0:0:0:0:0:1]>', 'bob', '[IPv6:::1]'],
    ['<bob@[IPv6:0::1]>', 'bob', '[IPv6:::1]'],
    ['<bob@[IPv6:2001:0db8:0:0:1:0:0:1]>', 'bob', '[IPv6:2001:db8::1:0:0:1]'],
    ['<bob@[IPv6:::FFFF:192.0.2.1]>', 'bob', '[IPv6:::ffff:192.0.2.1]'],
    ['<bob@[192.000.002.001]>', 'bob', '[192.0.2.1]'],
    ['<bob@bücher.example>', 'bob', 'xn--bcher-kva.example'],
    ['<bob@BÜCHER.example>', 'bob', 'xn--bcher-kva.example'],
    ['<bob@XN--BCHER-KVA.example>', 'bob', 'xn--bcher-kva.example'],
    ['<Postmaster>', 'postmaster', ''],
    ['<"POSTMASTER"@Example.com>', 'postmaster', 'example.com'],
  ])('%s is %s @ %s (minimal quoting, domain lower-cased, RFC 5321 4.1.2)', (path, local, domain) => {
    const c = canonicalMailbox(rcpt(path))
    expect(c.localPart).toBe(local)
    expect(c.domain).toBe(domain)
  })

  it('a quoted local part and its unquoted equivalent are the same mailbox (RFC 5321 4.1.2)', () => {
    expect(sameMailbox(rcpt('<"bob"@example.com>'), rcpt('<bob@example.com>'))).toBe(true)
    expect(sameMailbox(rcpt('<bob@example.com>'), rcpt('<bob@EXAMPLE.COM>'))).toBe(true)
    expect(sameMailbox(rcpt('<bob@bücher.example>'), rcpt('<bob@xn--bcher-kva.example>'))).toBe(true)
    expect(sameMailbox(rcpt('<bob@[IPv6:::1]>'), rcpt('<bob@[IPv6:0::1]>'))).toBe(true) // RFC 5321 4.1.3
  })

  it('local parts keep their case unless the policy says otherwise (RFC 5321 2.4)', () => {
    expect(canonicalMailbox(rcpt('<Bob@example.com>')).localPart).toBe('Bob')
    expect(sameMailbox(rcpt('<Bob@example.com>'), rcpt('<bob@example.com>'))).toBe(false)
    expect(sameMailbox(rcpt('<Bob@example.com>'), rcpt('<bob@example.com>'), 'ascii-case-insensitive')).toBe(true)
    expect(sameMailbox(rcpt('<bob@example.com>'), rcpt('<alice@example.com>'), 'ascii-case-insensitive')).toBe(false)
  })

  it('postmaster in any case and quoting, with or without a domain (RFC 5321 4.1.1.3, 4.5.1)', () => {
    expect(isPostmaster(rcpt('<Postmaster>'))).toBe(true)
    expect(isPostmaster(rcpt('<postMaster@example.com>'))).toBe(true)
    expect(isPostmaster(rcpt('<"postmaster"@example.com>'))).toBe(true)
    expect(isPostmaster(rcpt('<postmasters@example.com>'))).toBe(false)
  })

  it('parses a bare mailbox (for configuration), with the path errors of RCPT', () => {
    expect(parseMailbox('"bob"@Example.com')).toEqual(E.right(box('"bob"', 'Example.com')))
    expect(E.isLeft(parseMailbox('bob'))).toBe(true)
    expect(E.isLeft(parseMailbox('<bob@example.com>'))).toBe(true)
  })

  describe('properties', () => {
    const ipv6 = fc
      .array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 })
      .map((groups) => `[IPv6:${groups.map((g) => g.toString(16).toUpperCase()).join(':')}]`)
    const path = fc.tuple(fc.oneof(dotString, quoted), fc.oneof(domainName, ipv4, ipv6)).map(([l, d]) => `<${l}@${d}>`)
    /** Every mailbox the grammar accepts (the arbitrary may build some it refuses, e.g. too long). */
    const mailbox = path
      .map((p) => parseRcptTo(` TO:${p}`))
      .filter(E.isRight)
      .map((r) => r.right.path)

    test.prop([mailbox])('a mailbox and its canonical form compare equal (RFC 5321 4.1.2)', (m) => {
      expect(sameMailbox(m, canonicalMailbox(m))).toBe(true)
      expect(sameMailbox(canonicalMailbox(m), m)).toBe(true)
    })

    test.prop([mailbox])('canonicalisation is idempotent', (m) => {
      const once = canonicalMailbox(m)
      expect(canonicalMailbox(once)).toEqual(once)
    })

    test.prop([mailbox])('the canonical form is still a mailbox the grammar accepts', (m) => {
      const c = canonicalMailbox(m)
      expect(parseRcptTo(` TO:${formatPath(c)}`)).toEqual(E.right({ path: c, params: [] }))
    })

    test.prop([dotString, domainName])('quoting a dot-string does not change the mailbox', (local, domain) => {
      const plain = parseRcptTo(` TO:<${local}@${domain}>`)
      const quotedForm = parseRcptTo(` TO:<"${local}"@${domain}>`)
      fc.pre(E.isRight(plain) && E.isRight(quotedForm))
      if (E.isRight(plain) && E.isRight(quotedForm)) {
        expect(canonicalMailbox(quotedForm.right.path)).toEqual(canonicalMailbox(plain.right.path))
      }
    })
  })
})
