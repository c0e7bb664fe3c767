// Tests for strict base64 (RFC 4648 4) as SMTP AUTH uses it (RFC 4954 4).
// Node's Buffer serves as the independent oracle.

import { describe, expect, it } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import { decodeBase64, encodeBase64 } from '../../src/sasl/base64.js'

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

/** The oracle: the standard shape, and canonical (Buffer re-encodes it to the same text, so no stray bits). */
const strictlyValid = (text: string): boolean =>
  /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text) &&
  Buffer.from(text, 'base64').toString('base64') === text

/** Strings made mostly of base64 characters, so that valid ones are common. */
const base64ish = fc.string({ unit: fc.constantFrom(...alphabet, '=', '=', ' ', '\n', '-', '_', 'é') })

/** A valid encoding with one character replaced, inserted or removed. */
const mutated = fc
  .tuple(
    fc.uint8Array({ maxLength: 20 }),
    fc.nat(),
    fc.constantFrom(...alphabet, '=', ' '),
    fc.integer({ min: 0, max: 2 }),
  )
  .map(([bytes, at, c, how]) => {
    const text = Buffer.from(bytes).toString('base64')
    const i = text.length === 0 ? 0 : at % text.length
    if (how === 0) return text.slice(0, i) + c + text.slice(i + 1)
    if (how === 1) return text.slice(0, i) + c + text.slice(i)
    return text.slice(0, i) + text.slice(i + 1)
  })

describe('base64', () => {
  describe('encodeBase64', () => {
    test.prop([fc.uint8Array({ maxLength: 300 })])('agrees with Buffer (RFC 4648 4)', (bytes) => {
      expect(encodeBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'))
    })
    it.each([
      ['', ''],
      ['f', 'Zg=='],
      ['fo', 'Zm8='],
      ['foo', 'Zm9v'],
      ['foob', 'Zm9vYg=='],
      ['fooba', 'Zm9vYmE='],
      ['foobar', 'Zm9vYmFy'],
    ])('encodes %j as %j (RFC 4648 10 test vectors)', (plain, encoded) => {
      expect(encodeBase64(new TextEncoder().encode(plain))).toBe(encoded)
    })
  })

  describe('decodeBase64', () => {
    test.prop([fc.uint8Array({ maxLength: 300 })])('inverts encodeBase64 (RFC 4648 4)', (bytes) => {
      expect(decodeBase64(encodeBase64(bytes))).toEqual(bytes)
    })
    test.prop([fc.oneof(base64ish, mutated, fc.string())])(
      'accepts exactly the strict, canonical encodings and decodes them as Buffer does (RFC 4648 4)',
      (text) => {
        const decoded = decodeBase64(text)
        if (strictlyValid(text)) expect(decoded).toEqual(new Uint8Array(Buffer.from(text, 'base64')))
        else expect(decoded).toBeUndefined()
      },
    )
    it('decodes the empty string to no bytes (RFC 4648 4)', () => {
      expect(decodeBase64('')).toEqual(new Uint8Array(0))
    })
    it('decodes the RFC 4954 PLAIN example', () => {
      expect(decodeBase64('AHRlc3QAMTIzNA==')).toEqual(new TextEncoder().encode('\0test\x001234'))
    })
    it.each([
      ['missing padding', 'Zg'],
      ['length not a multiple of 4', 'Zm9vY'],
      ['padding at the start (RFC 4954 4)', '=AAA'],
      ['padding in the middle (RFC 4954 4)', 'AAA=BBBB'],
      ['three padding characters', 'A==='],
      ['only padding', '===='],
      ['a space', 'Zm9v Zm9v'],
      ['a trailing newline', 'Zm9v\n'],
      ['the URL-safe alphabet (RFC 4648 5)', 'ab-_'],
      ['a non-ASCII character', 'Zm9é'],
      ['non-zero bits before == (RFC 4648 3.5)', 'Zh=='],
      ['non-zero bits before = (RFC 4648 3.5)', 'Zm9='],
    ])('refuses %s', (_name, text) => {
      expect(decodeBase64(text)).toBeUndefined()
    })
  })
})
