import { describe, expect, it } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import { concat, decodeUtf8, encode, encodeUtf8, isAscii, latin1 } from '../../src/wire/bytes.js'

const utf8 = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'))

describe('bytes', () => {
  describe('UTF-8 (RFC 3629, used by SMTPUTF8, RFC 6531 3.3)', () => {
    test.prop([fc.string({ unit: 'grapheme' })])('encodeUtf8 agrees with the runtime encoder', (s) => {
      expect(encodeUtf8(s)).toEqual(utf8(s))
    })
    test.prop([fc.string({ unit: 'grapheme' })])('decodeUtf8 inverts encodeUtf8', (s) => {
      expect(decodeUtf8(encodeUtf8(s))).toBe(s)
    })
    test.prop([fc.uint8Array({ maxLength: 16 })])('decodeUtf8 accepts exactly what a fatal decoder accepts', (b) => {
      let expected: string | undefined
      try {
        expected = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(b)
      } catch {
        expected = undefined
      }
      expect(decodeUtf8(b)).toBe(expected)
    })
    it.each([
      ['overlong slash', [0xc0, 0xaf]],
      ['surrogate half', [0xed, 0xa0, 0x80]],
      ['above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
      ['truncated', [0xe2, 0x82]],
    ])('refuses %s', (_name, bytes) => {
      expect(decodeUtf8(Uint8Array.from(bytes))).toBeUndefined()
    })
  })
  describe('ASCII', () => {
    it('latin1 and encode round-trip ASCII text', () => {
      expect(latin1(encode('MAIL FROM:<a@b>\r\n'))).toBe('MAIL FROM:<a@b>\r\n')
    })
    test.prop([fc.uint8Array({ maxLength: 3000 }), fc.nat(), fc.nat()])(
      'latin1 of any range, in one piece or several of 1024 octets, is what the runtime decodes',
      (b, x, y) => {
        const [start, end] = [x % (b.length + 1), y % (b.length + 1)].sort((m, n) => m - n) as [number, number]
        expect(latin1(b, start, end)).toBe(Buffer.from(b.subarray(start, end)).toString('latin1'))
        expect(latin1(b)).toBe(Buffer.from(b).toString('latin1'))
      },
    )
    it('isAscii tells 7-bit from 8-bit bytes', () => {
      expect(isAscii(encode('plain'))).toBe(true)
      expect(isAscii(encode('plaín'))).toBe(false)
    })
  })

  describe('results cut from the shared slab', () => {
    // Short results share an ArrayBuffer: each must still be bytes of its own, whatever is made after it or
    // written into another, across slab boundaries (8 KiB) and the size where a result gets its own array.
    const text = fc.oneof(
      fc.string({ unit: 'binary-ascii', maxLength: 80 }),
      fc.integer({ min: 1000, max: 1100 }).map((n) => 'y'.repeat(n)),
    )
    test.prop([fc.array(fc.tuple(text, fc.boolean()), { minLength: 1, maxLength: 300 })])(
      'never overlap and keep their bytes',
      (made) => {
        const results = made.map(([t, joined]) => {
          const b = joined ? concat([encode(t), encode('.')]) : encode(t)
          return { b, want: joined ? `${t}.` : t }
        })
        for (const r of results) r.b.fill(0x2a) // scribble over every result: no other may change
        for (const r of results) r.b.set(Uint8Array.from(r.want, (c) => c.charCodeAt(0)))
        for (const r of results) expect(latin1(r.b)).toBe(r.want)
      },
    )
  })
})
