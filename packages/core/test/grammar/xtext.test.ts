// Tests for src/grammar/xtext.ts: xtext encoding and decoding of ESMTP parameter values.
// RFC 3461 4 (used by ENVID, ORCPT and AUTH=).

import { describe, expect, it } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import { xtextDecode, xtextEncode } from '../../src/grammar/xtext.js'

describe('xtext', () => {
  describe('encoding (RFC 3461 4)', () => {
    it.each([
      ['plain', 'plain'],
      ['e=mc2@example.com', 'e+3Dmc2@example.com'],
      ['a+b', 'a+2Bb'],
      ['two words', 'two+20words'],
      ['tab\there', 'tab+09here'],
      ['é', '+C3+A9'],
      ['<>', '<>'],
      ['', ''],
      ['~!', '~!'],
      ['\x7f', '+7F'],
    ])('encodes %j as %j, hex-encoding everything but xchar (RFC 3461 4)', (input, expected) => {
      expect(xtextEncode(input)).toBe(expected)
    })

    test.prop([fc.string({ unit: 'binary' })])('only ever writes xchar and +HH (RFC 3461 4)', (s) => {
      expect(xtextEncode(s)).toMatch(/^(?:[!-*,-<>-~]|\+[0-9A-F]{2})*$/)
    })
  })

  describe('decoding (RFC 3461 4)', () => {
    it.each([
      ['e+3Dmc2@example.com', 'e=mc2@example.com'],
      ['+2B', '+'],
      ['+C3+A9', 'é'],
      ['abc', 'abc'],
      ['', ''],
      ['+41+42', 'AB'],
    ])('decodes %j to %j (RFC 3461 4)', (input, expected) => {
      expect(xtextDecode(input)).toBe(expected)
    })

    it.each([
      ['a+', 'a + at the end'],
      ['+4', 'a + with one hex digit'],
      ['+3d', 'lower-case hex digits'],
      ['+G1', 'a non-hex digit'],
      ['a=b', 'a raw ='],
      ['a b', 'a space'],
      ['a\tb', 'a control character'],
      ['é', 'a raw non-ASCII character'],
      ['\x7f', 'DEL'],
      ['+FF', 'octets that are not UTF-8'],
      ['+C3', 'a truncated UTF-8 sequence'],
    ])('refuses %j: %s (RFC 3461 4)', (input) => {
      expect(xtextDecode(input)).toBeUndefined()
    })

    test.prop([fc.string({ unit: 'grapheme' })])('decode inverts encode for well-formed text (RFC 3461 4)', (s) => {
      expect(xtextDecode(xtextEncode(s))).toBe(s)
    })

    test.prop([fc.string({ unit: 'binary' })])('never throws on arbitrary input (RFC 3461 4)', (s) => {
      const decoded = xtextDecode(s)
      if (decoded !== undefined) expect(xtextDecode(xtextEncode(decoded))).toBe(decoded)
    })
  })
})
