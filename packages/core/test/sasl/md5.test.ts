// Tests for MD5 (RFC 1321) and HMAC-MD5 (RFC 2104), the primitives under CRAM-MD5 (RFC 2195).
// node:crypto serves as the independent oracle, alongside the RFCs' own test vectors.

import { createHash, createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import { hmacMd5, md5, toHex } from '../../src/sasl/md5.js'

const ascii = (text: string) => new TextEncoder().encode(text)
const repeat = (byte: number, n: number) => new Uint8Array(n).fill(byte)

describe('md5', () => {
  describe('md5', () => {
    it.each([
      ['', 'd41d8cd98f00b204e9800998ecf8427e'],
      ['a', '0cc175b9c0f1b6a831c399e269772661'],
      ['abc', '900150983cd24fb0d6963f7d28e17f72'],
      ['message digest', 'f96b697d7cb7938d525a2f31aaf161d0'],
      ['abcdefghijklmnopqrstuvwxyz', 'c3fcd3d76192e4007dfb496cca67e13b'],
      ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 'd174ab98d277d9f5a5611c2c9f419d9f'],
      ['1234567890'.repeat(8), '57edf4a22be3c955ac49da2e2107b67a'],
    ])('hashes %j to the RFC 1321 A.5 vector', (text, hex) => {
      expect(toHex(md5(ascii(text)))).toBe(hex)
    })
    it.each([55, 56, 57, 63, 64, 65, 119, 120, 128])(
      'pads a %i-byte message across block edges (RFC 1321 3.1)',
      (n) => {
        const bytes = repeat(0x61, n)
        expect(toHex(md5(bytes))).toBe(createHash('md5').update(bytes).digest('hex'))
      },
    )
    test.prop([fc.uint8Array({ maxLength: 600 })])('agrees with node:crypto (RFC 1321 3)', (bytes) => {
      expect(md5(bytes)).toEqual(new Uint8Array(createHash('md5').update(bytes).digest()))
    })
  })

  describe('hmacMd5', () => {
    it.each([
      ['key 0x0b x16, "Hi There"', repeat(0x0b, 16), ascii('Hi There'), '9294727a3638bb1c13f48ef8158bfc9d'],
      ['key "Jefe"', ascii('Jefe'), ascii('what do ya want for nothing?'), '750c783e6ab0b503eaa86e310a5db738'],
      ['key 0xaa x16, data 0xdd x50', repeat(0xaa, 16), repeat(0xdd, 50), '56be34521d144c88dbb8c733f0e8b3f6'],
    ])('matches the RFC 2104 appendix vector: %s', (_name, key, data, hex) => {
      expect(toHex(hmacMd5(key, data))).toBe(hex)
    })
    it('hashes a key longer than the 64-byte block first (RFC 2104 2, RFC 2202 case 6)', () => {
      const data = ascii('Test Using Larger Than Block-Size Key - Hash Key First')
      expect(toHex(hmacMd5(repeat(0xaa, 80), data))).toBe('6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd')
    })
    test.prop([fc.uint8Array({ maxLength: 100 }), fc.uint8Array({ maxLength: 200 })])(
      'agrees with node:crypto for any key and data (RFC 2104 2)',
      (key, data) => {
        expect(hmacMd5(key, data)).toEqual(new Uint8Array(createHmac('md5', key).update(data).digest()))
      },
    )
  })

  describe('toHex', () => {
    test.prop([fc.uint8Array({ maxLength: 40 })])('writes two lowercase digits per byte (RFC 2195 2)', (bytes) => {
      expect(toHex(bytes)).toBe(Buffer.from(bytes).toString('hex'))
    })
  })
})
