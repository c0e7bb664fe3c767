import { describe, expect, it } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import { concat, encode, latin1 } from '../../src/wire/bytes.js'
import { type DotScan, type ScanPolicy, dotScanStart, scanData } from '../../src/wire/dotScan.js'
import { stuff, stuffEnd, stuffInit } from '../../src/wire/dotStuff.js'
import { cut } from '../arb/chunks.js'

const keep: ScanPolicy = { rejectBareLineEndings: false, maxLineLength: 0 }
const strict: ScanPolicy = { rejectBareLineEndings: true, maxLineLength: 1000 }

/** Run the scanner over chunks; returns the message, where it ended (in the joined input) and the fault. */
const scanAll = (chunks: ReadonlyArray<Uint8Array>, policy: ScanPolicy) => {
  let scan: DotScan = dotScanStart
  const pieces: Uint8Array[] = []
  let offset = 0
  for (const c of chunks) {
    const r = scanData(scan, c, 0, policy)
    pieces.push(...r.pieces)
    scan = r.scan
    if (r.end !== -1) return { body: concat(pieces), end: offset + r.end, fault: scan.fault }
    offset += c.length
  }
  return { body: concat(pieces), end: -1, fault: scan.fault }
}

const stuffAll = (chunks: ReadonlyArray<Uint8Array>): Uint8Array => {
  let s = stuffInit
  const out: Uint8Array[] = []
  for (const c of chunks) {
    const [next, pieces] = stuff(s, c)
    s = next
    out.push(...pieces)
  }
  out.push(stuffEnd(s))
  return concat(out)
}

const normalise = (text: string): string => {
  const crlf = text.replace(/\r\n|\r|\n/g, '\r\n')
  return crlf === '' || crlf.endsWith('\r\n') ? crlf : `${crlf}\r\n`
}

// Bodies made of the bytes that matter to the scanner, plus some ordinary text.
const bodyBytes = fc
  .array(fc.constantFrom('\r', '\n', '.', 'a', 'b', '\r\n', '.\r\n', 'xyz\r\n'), { maxLength: 60 })
  .map((parts) => encode(parts.join('')))

describe('dotScan', () => {
  describe('end of data (RFC 5321 4.1.1.4)', () => {
    it.each([
      ['an immediate terminator', '.\r\n', '', 3],
      ['one line', 'a\r\n.\r\n', 'a\r\n', 6],
      ['a stuffed line', '..a\r\n.\r\n', '.a\r\n', 8],
      ['a dot and a space is not the end', '. \r\n.\r\n', ' \r\n', 7],
      ['the end with bytes after it', 'a\r\n.\r\nNOOP\r\n', 'a\r\n', 6],
    ])('%s', (_n, input, body, end) => {
      const r = scanAll([encode(input)], strict)
      expect(latin1(r.body)).toBe(body)
      expect(r.end).toBe(end)
    })
    it.each([
      ['LF.LF', 'a\n.\nb'],
      ['CR.CR', 'a\r.\rb'],
      ['LF.CRLF', 'a\n.\r\nb'],
      ['CRLF.LF', 'a\r\n.\nb'],
      ['CRLF.CR', 'a\r\n.\rb'],
    ])('%s never ends the data (SMTP smuggling)', (_n, input) => {
      expect(scanAll([encode(input)], keep).end).toBe(-1)
      const r = scanAll([encode(input)], strict)
      expect(r.end).toBe(-1)
      expect(r.fault).toBe('bareLineEnding')
    })
  })
  describe('text line limit (RFC 5321 4.5.3.1.6: 1000 octets with CRLF, the stuffing dot not counted)', () => {
    const line = (n: number, first = 'x') => first + 'x'.repeat(n - 1)
    it.each([
      ['998 octets', line(998), undefined],
      ['999 octets', line(999), 'lineTooLong'],
      ['998 octets after a stuffing dot', `.${line(998, '.')}`, undefined],
      ['999 octets after a stuffing dot', `.${line(999, '.')}`, 'lineTooLong'],
      ['998 octets after a stuffing dot, then a CR', `.${line(997, '.')}\r`, 'bareLineEnding'],
    ])('%s', (_n, text, fault) => {
      const wire = encode(`${text}\r\n.\r\n`)
      // whole, and cut at every octet
      for (let at = 0; at <= wire.length; at++) {
        const r = scanAll([wire.subarray(0, at), wire.subarray(at)], strict)
        expect(r.fault).toBe(fault)
        expect(r.end).toBe(wire.length)
      }
    })
  })
  describe('properties', () => {
    test.prop([bodyBytes, fc.array(fc.nat(), { maxLength: 8 })])(
      'unstuff(stuff(body)) is the body with CRLF line ends, for any chunking (RFC 5321 4.5.2)',
      (body, cuts) => {
        const wire = stuffAll(cut(body, cuts))
        const r = scanAll(
          cut(
            wire,
            cuts.map((c) => c * 7),
          ),
          strict,
        )
        expect(r.end).toBe(wire.length)
        expect(r.fault).toBeUndefined()
        expect(latin1(r.body)).toBe(normalise(latin1(body)))
      },
    )
    test.prop([bodyBytes, fc.array(fc.nat(), { maxLength: 8 })])(
      'the message and where it ends do not depend on chunking, under either policy',
      (bytes, cuts) => {
        for (const policy of [keep, strict]) {
          const whole = scanAll([bytes], policy)
          const parts = scanAll(cut(bytes, cuts), policy)
          expect(parts).toEqual(whole)
        }
      },
    )
    test.prop([bodyBytes])('with bare line endings kept, the end is exactly the first CRLF.CRLF', (bytes) => {
      const text = `\r\n${latin1(bytes)}`
      const at = text.indexOf('\r\n.\r\n')
      const r = scanAll([bytes], keep)
      expect(r.end).toBe(at === -1 ? -1 : at + 5 - 2)
    })
  })
})
