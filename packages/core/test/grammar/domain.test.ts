// Tests for src/grammar/domain.ts: domains, address literals (IPv4, IPv6, general), the EHLO/HELO/LHLO argument.
// RFC 5321 4.1.1.1, 4.1.2, 4.1.3, 4.5.3.1.2; RFC 6531 3.3, 3.7.1.

import { isIPv6 } from 'node:net'
import { describe, expect, it } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import * as E from 'fp-ts/lib/Either.js'
import { domainProblem, isAddressLiteral, isIpv4, isIpv6, parseDomainArg } from '../../src/grammar/domain.js'

const label63 = 'a'.repeat(63)

describe('domain', () => {
  describe('domain names (RFC 5321 4.1.2 Domain)', () => {
    it.each([
      ['example.org'],
      ['a'],
      ['a-b.c--d.e'],
      ['123.example'],
      ['xn--bcher-kva.example'],
      [`${label63}.example`],
      ['EXAMPLE.ORG'],
    ])('accepts %s (RFC 5321 4.1.2)', (domain) => {
      expect(domainProblem(domain, false)).toBeUndefined()
    })

    it.each([
      ['', 'empty'],
      ['example.org.', 'a trailing dot'],
      ['.example.org', 'a leading dot'],
      ['a..b', 'an empty label'],
      ['-a.example', 'a label starting with a hyphen'],
      ['a-.example', 'a label ending with a hyphen'],
      ['a_b.example', 'an underscore'],
      ['a b.example', 'a space'],
      ['a@b', 'an @'],
      [`${label63}a.example`, 'a 64-octet label (RFC 1035 2.3.4)'],
      ['bücher.example', 'a U-label when UTF-8 is not allowed'],
    ])('refuses %j: %s (RFC 5321 4.1.2)', (domain) => {
      expect(domainProblem(domain, false)).toBe('Bad domain in address')
    })

    it.each([['bücher.example'], ['例え.テスト'], ['ü'], ['😀.example']])(
      'accepts the U-label domain %s with SMTPUTF8 (RFC 6531 3.3)',
      (domain) => {
        expect(domainProblem(domain, true)).toBeUndefined()
      },
    )

    it.each([['-ü.example'], ['ü-.example'], ['ü\u0085.example'], ['\ud800.example']])(
      'refuses the malformed U-label domain %j (RFC 6531 3.3)',
      (domain) => {
        expect(domainProblem(domain, true)).toBe('Bad domain in address')
      },
    )

    it('accepts a 255-octet domain and refuses 256 octets (RFC 5321 4.5.3.1.2)', () => {
      const d255 = [label63, label63, label63, 'a'.repeat(63)].join('.')
      expect(d255.length).toBe(255)
      expect(domainProblem(d255, false)).toBeUndefined()
      const d256 = [label63, label63, label63, 'a'.repeat(62), 'a'].join('.')
      expect(d256.length).toBe(256)
      expect(domainProblem(d256, false)).toBe('Domain too long (max 255 octets)')
    })

    it('counts octets, not characters, for the domain limit (RFC 5321 4.5.3.1.2)', () => {
      const labels = Array.from({ length: 4 }, () => 'ü'.repeat(40)) // 80 octets each
      const domain = labels.join('.') // 4 * 80 + 3 = 323 octets, 163 characters
      expect(domainProblem(domain, true)).toBe('Domain too long (max 255 octets)')
    })
  })

  describe('IPv4 literals (RFC 5321 4.1.3)', () => {
    it.each([['192.0.2.1'], ['0.0.0.0'], ['255.255.255.255'], ['001.02.3.4']])(
      'accepts %s (RFC 5321 4.1.3 Snum)',
      (v4) => {
        expect(isIpv4(v4)).toBe(true)
      },
    )
    it.each([['256.0.0.1'], ['1.2.3'], ['1.2.3.4.5'], ['1.2.3.'], ['1.2.3.1234'], ['a.b.c.d'], ['1.2.3.-4'], ['']])(
      'refuses %j (RFC 5321 4.1.3: Snum is 1-3 digits up to 255)',
      (v4) => {
        expect(isIpv4(v4)).toBe(false)
      },
    )
  })

  describe('IPv6 literals (RFC 5321 4.1.3)', () => {
    it.each([
      ['2001:db8:0:0:0:0:0:1', 'IPv6-full'],
      ['2001:DB8:a:b:c:d:e:f', 'IPv6-full, mixed case'],
      ['2001:db8::1', 'IPv6-comp'],
      ['::', 'IPv6-comp, all zero'],
      ['::1', 'IPv6-comp, loopback'],
      ['fe80::', 'IPv6-comp, trailing ::'],
      ['1:2:3::4:5:6', 'IPv6-comp, six groups'],
      ['0:0:0:0:0:ffff:192.0.2.1', 'IPv6v4-full'],
      ['::ffff:192.0.2.1', 'IPv6v4-comp'],
      ['::192.0.2.1', 'IPv6v4-comp, no groups'],
      ['1:2::3:4:192.0.2.1', 'IPv6v4-comp, four groups'],
    ])('accepts %s (%s, RFC 5321 4.1.3)', (v6) => {
      expect(isIpv6(v6)).toBe(true)
    })
    it.each([
      ['1:2:3:4:5:6:7', 'seven groups without ::'],
      ['1:2:3:4:5:6:7:8:9', 'nine groups'],
      ['1::2::3', 'two ::'],
      ['12345::', 'a five-digit group'],
      ['g::1', 'a non-hex group'],
      [':1:2:3:4:5:6:7', 'a leading single colon'],
      ['1:2:3:4:5:6:7:', 'a trailing single colon'],
      [':::', 'three colons'],
      ['1:2:3:4:5:6:7::', 'seven groups beside :: (RFC 5321 allows six)'],
      ['1:2:3::4:5:192.0.2.1', 'five groups beside :: with IPv4'],
      ['1:2:3:4:5:192.0.2.1', 'IPv4 after five groups'],
      ['::256.0.0.1', 'a bad IPv4 tail'],
      ['192.0.2.1::', 'IPv4 before ::'],
      ['', 'empty'],
    ])('refuses %j: %s (RFC 5321 4.1.3)', (v6) => {
      expect(isIpv6(v6)).toBe(false)
    })

    const hexGroup = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16))
    test.prop([fc.array(hexGroup, { minLength: 8, maxLength: 8 }), fc.nat(6), fc.integer({ min: 2, max: 8 })])(
      'accepts every full form, and every form with :: for two or more groups (RFC 5321 4.1.3)',
      (groups, at, run) => {
        expect(isIpv6(groups.join(':'))).toBe(true)
        const start = Math.min(at, 8 - run)
        const compressed = `${groups.slice(0, start).join(':')}::${groups.slice(start + run).join(':')}`
        expect(isIpv6(compressed)).toBe(true)
      },
    )

    test.prop([fc.oneof(fc.ipV6(), fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF:.') }))])(
      'accepts nothing that the runtime IPv6 parser refuses (RFC 4291 2.2)',
      (text) => {
        if (isIpv6(text)) expect(isIPv6(text)).toBe(true)
      },
    )
  })

  describe('general and bracketed literals (RFC 5321 4.1.3)', () => {
    it.each([
      ['[192.0.2.1]'],
      ['[IPv6:2001:db8::1]'],
      ['[ipv6:2001:db8::1]'],
      ['[IPV6:::ffff:192.0.2.1]'],
      ['[x-tag:some-content]'],
      ['[tag1:a@b>c]'],
    ])('accepts %s (RFC 5321 4.1.3)', (literal) => {
      expect(isAddressLiteral(literal)).toBe(true)
      expect(domainProblem(literal, false)).toBeUndefined()
    })
    it.each([
      ['[]', 'empty'],
      ['[192.0.2.256]', 'an octet above 255'],
      ['[IPv6:2001:db8:::1]', 'a bad IPv6 address'],
      ['[IPv6:192.0.2.1]', 'IPv4 under the IPv6 tag'],
      ['[tag:]', 'no content'],
      ['[:content]', 'no tag'],
      ['[-tag-:x]', 'a tag ending in a hyphen'],
      ['[tag:a b]', 'a space in the content'],
      ['[tag:a\\b]', 'a backslash in the content'],
      ['[tag:a[b]', 'a bracket in the content'],
      ['[tag:é]', 'non-ASCII content'],
      ['[192.0.2.1', 'no closing bracket'],
    ])('refuses %j: %s (RFC 5321 4.1.3)', (literal) => {
      expect(isAddressLiteral(literal)).toBe(false)
      expect(domainProblem(literal, true)).toBe('Bad address literal in address')
    })
    it('refuses a literal without its opening bracket as a bad domain (RFC 5321 4.1.2)', () => {
      expect(isAddressLiteral('192.0.2.1]')).toBe(false)
      expect(domainProblem('192.0.2.1]', true)).toBe('Bad domain in address')
    })
  })

  describe('parseDomainArg (RFC 5321 4.1.1.1)', () => {
    it.each([
      [' mail.example.org', 'mail.example.org'],
      ['mail.example.org', 'mail.example.org'],
      ['  mail.example.org  ', 'mail.example.org'],
      [' [192.0.2.1]', '[192.0.2.1]'],
      [' [IPv6:::1]', '[IPv6:::1]'],
      [' localhost', 'localhost'],
    ])('accepts %j as %j (RFC 5321 4.1.1.1)', (arg, expected) => {
      expect(parseDomainArg(arg)).toEqual(E.right(expected))
    })

    it('takes an underscore in a greeting name, as Windows machine names have (a leniency; RFC 5321 4.1.4)', () => {
      expect(parseDomainArg(' my_pc.example')).toEqual(E.right('my_pc.example'))
    })

    it.each([
      ['', 'an empty argument'],
      ['   ', 'only spaces'],
      [' bücher.example', 'a U-label (RFC 6531 3.7.1: EHLO is ASCII)'],
      [' [192.0.2.1] extra', 'text after the literal'],
      [' two words', 'two words'],
      [' host\t', 'a tab'],
      [' host\r', 'a CR'],
      [' [300.0.0.1]', 'a bad literal'],
    ])('refuses %j: %s (RFC 5321 4.1.1.1)', (arg) => {
      expect(parseDomainArg(arg)).toEqual(
        E.left({ code: 501, enhanced: '5.5.2', text: 'Syntax: EHLO domain-or-address-literal' }),
      )
    })

    it('names the verb in the error text (RFC 5321 4.1.1.1)', () => {
      expect(parseDomainArg('', 'HELO')).toEqual(
        E.left({ code: 501, enhanced: '5.5.2', text: 'Syntax: HELO domain-or-address-literal' }),
      )
    })

    it('says when the domain is too long (RFC 5321 4.5.3.1.2)', () => {
      const long = Array.from({ length: 5 }, () => label63).join('.')
      expect(parseDomainArg(` ${long}`)).toEqual(
        E.left({ code: 501, enhanced: '5.5.2', text: 'Domain too long (max 255 octets)' }),
      )
    })

    test.prop([fc.string({ unit: 'binary' })])('never throws and returns ASCII (RFC 5321 4.1.1.1)', (s) => {
      const result = parseDomainArg(s)
      if (E.isRight(result)) expect(result.right).toMatch(/^[\x21-\x7e]+$/)
    })
  })
})
