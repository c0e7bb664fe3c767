import { describe, expect, it } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import { concat, encode, latin1 } from '../../src/wire/bytes.js'
import { type ProxyScan, endProxy, proxyScanner, scanProxy } from '../../src/proxy/scan.js'
import { proxiedAddress, relayedEndpoints } from '../../src/proxy/ProxyHeader.js'
import { proxyTlvInfo } from '../../src/proxy/v2.js'
import { formatIPv6, parseIPv6 } from '../../src/proxy/address.js'
import { cut } from '../arb/chunks.js'
import { inet4, inet6, unix, v2 } from './v2build.js'

/** Feed the chunks one by one until the scanner decides. */
const scanChunks = (chunks: ReadonlyArray<Uint8Array>, maxBytes?: number): ProxyScan => {
  let scanner = proxyScanner(maxBytes)
  let last: ProxyScan = { _tag: 'NeedMore', scanner }
  for (let i = 0; i < chunks.length; i++) {
    last = scanProxy(scanner, chunks[i]!)
    if (last._tag !== 'NeedMore') {
      // what came after the deciding chunk is SMTP too: report it joined, as a caller would pass it on
      if (last._tag === 'Header' || last._tag === 'Absent')
        return { ...last, rest: concat([last.rest, ...chunks.slice(i + 1)]) }
      return last
    }
    scanner = last.scanner
  }
  return last
}
const scanOne = (bytes: Uint8Array | string): ProxyScan =>
  scanChunks([typeof bytes === 'string' ? encode(bytes) : bytes])

/** A comparable summary of a result. */
const summary = (r: ProxyScan): unknown =>
  r._tag === 'Header'
    ? {
        tag: r._tag,
        header: JSON.stringify(r.header, (_k, v) => (v instanceof Uint8Array ? [...v] : v)),
        rest: latin1(r.rest),
      }
    : r._tag === 'Absent'
      ? { tag: r._tag, rest: latin1(r.rest) }
      : r._tag === 'Invalid'
        ? { tag: r._tag, reason: r.error.reason }
        : { tag: r._tag, kept: r.scanner.kept.length }

const header = (r: ProxyScan) => {
  if (r._tag !== 'Header') throw new Error(`expected a header, got ${JSON.stringify(summary(r))}`)
  return r.header
}

const loopback6 = [...new Array<number>(15).fill(0), 1]
const doc6 = [0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 0x05]

describe('proxy scan', () => {
  describe('version 1 (PROXY protocol 2.1)', () => {
    it('reads TCP4 and leaves the SMTP that follows in the same input', () => {
      const r = scanOne('PROXY TCP4 192.0.2.1 198.51.100.2 56324 25\r\nEHLO client.example\r\n')
      expect(header(r)).toEqual({
        _tag: 'Proxied',
        version: 1,
        transport: 'stream',
        source: { family: 'IPv4', address: '192.0.2.1', port: 56324 },
        destination: { family: 'IPv4', address: '198.51.100.2', port: 25 },
        tlvs: [],
      })
      expect(latin1((r as { rest: Uint8Array }).rest)).toBe('EHLO client.example\r\n')
    })
    it('reads TCP6 in compressed and full forms and gives RFC 5952 text', () => {
      const a = header(scanOne('PROXY TCP6 2001:DB8:0:0:0:0:0:5 ::1 1 65535\r\n'))
      expect(a._tag === 'Proxied' && a.source).toEqual({ family: 'IPv6', address: '2001:db8::5', port: 1 })
      expect(a._tag === 'Proxied' && a.destination).toEqual({ family: 'IPv6', address: '::1', port: 65535 })
      expect(proxiedAddress(header(scanOne('PROXY TCP6 ::ffff:192.0.2.7 ::1 0 25\r\n')))).toBe('::ffff:192.0.2.7')
    })
    it('takes UNKNOWN with or without addresses as "use the real endpoints"', () => {
      expect(header(scanOne('PROXY UNKNOWN\r\n'))).toEqual({ _tag: 'Local', version: 1, reason: 'unknown', tlvs: [] })
      const worst = `PROXY UNKNOWN ${'ffff:'.repeat(7)}ffff ${'ffff:'.repeat(7)}ffff 65535 65535\r\n`
      expect(worst.length).toBe(107)
      expect(header(scanOne(worst))._tag).toBe('Local')
    })
    const malformed: ReadonlyArray<readonly [string, string]> = [
      ['heading zero in an address', 'PROXY TCP4 192.0.2.01 198.51.100.2 1 25\r\n'],
      ['heading zero in a port', 'PROXY TCP4 192.0.2.1 198.51.100.2 01 25\r\n'],
      ['port above 65535', 'PROXY TCP4 192.0.2.1 198.51.100.2 65536 25\r\n'],
      ['octet above 255', 'PROXY TCP4 192.0.2.256 198.51.100.2 1 25\r\n'],
      ['IPv6 under TCP4', 'PROXY TCP4 ::1 ::1 1 25\r\n'],
      ['IPv4 under TCP6', 'PROXY TCP6 192.0.2.1 198.51.100.2 1 25\r\n'],
      ['IPv6 with two ::', 'PROXY TCP6 1::2::3 ::1 1 25\r\n'],
      ['IPv6 of 9 groups', 'PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1 25\r\n'],
      ['two spaces', 'PROXY TCP4  192.0.2.1 198.51.100.2 1 25\r\n'],
      ['missing port', 'PROXY TCP4 192.0.2.1 198.51.100.2 1\r\n'],
      ['unknown protocol', 'PROXY UDP4 192.0.2.1 198.51.100.2 1 25\r\n'],
      ['no space after PROXY', 'PROXYTCP4 192.0.2.1 198.51.100.2 1 25\r\n'],
      ['bare LF', 'PROXY TCP4 192.0.2.1 198.51.100.2 1 25\n'],
      ['lone CR inside', 'PROXY TCP4 192.0.2.1\r198.51.100.2 1 25\r\n'],
      ['no CRLF within 107 octets', `PROXY UNKNOWN ${'x'.repeat(100)}\r\n`],
    ]
    for (const [name, text] of malformed)
      it(`refuses a header with ${name}`, () => expect(scanOne(text)._tag).toBe('Invalid'))
    it('waits for CRLF while fewer than 107 octets came', () => {
      expect(scanOne('PROXY TCP4 192.0.2.1')._tag).toBe('NeedMore')
      expect(scanOne('PRO')._tag).toBe('NeedMore')
    })
  })

  describe('version 2 (PROXY protocol 2.2)', () => {
    it('reads TCP over IPv4 with the SMTP that follows', () => {
      const bytes = concat([
        v2({ famProto: 0x11, addresses: inet4([192, 0, 2, 1], [198, 51, 100, 2], 40000, 25) }),
        encode('EHLO x\r\n'),
      ])
      const r = scanOne(bytes)
      expect(header(r)).toMatchObject({
        _tag: 'Proxied',
        version: 2,
        transport: 'stream',
        source: { family: 'IPv4', address: '192.0.2.1', port: 40000 },
        destination: { family: 'IPv4', address: '198.51.100.2', port: 25 },
      })
      expect(latin1((r as { rest: Uint8Array }).rest)).toBe('EHLO x\r\n')
    })
    it('reads TCP and UDP over IPv6, and UNIX stream and datagram', () => {
      const tcp6 = header(scanOne(v2({ famProto: 0x21, addresses: inet6(doc6, loopback6, 1, 2) })))
      expect(tcp6).toMatchObject({ transport: 'stream', source: { family: 'IPv6', address: '2001:db8::5', port: 1 } })
      const udp6 = header(scanOne(v2({ famProto: 0x22, addresses: inet6(doc6, loopback6, 1, 2) })))
      expect(udp6).toMatchObject({ transport: 'dgram', destination: { family: 'IPv6', address: '::1', port: 2 } })
      const udp4 = header(scanOne(v2({ famProto: 0x12, addresses: inet4([10, 0, 0, 1], [10, 0, 0, 2], 3, 4) })))
      expect(udp4).toMatchObject({ transport: 'dgram', source: { address: '10.0.0.1' } })
      const sock = header(scanOne(v2({ famProto: 0x31, addresses: unix('/run/a.sock', '/run/b.sock') })))
      expect(sock).toMatchObject({
        source: { family: 'Unix', path: '/run/a.sock' },
        destination: { path: '/run/b.sock' },
      })
      expect(header(scanOne(v2({ famProto: 0x32, addresses: unix('/x', '/y') })))).toMatchObject({ transport: 'dgram' })
    })
    it('gives an SMTP server endpoints only for TCP: UDP and UNIX fall back to the real connection (PROXY protocol 2.2)', () => {
      const tcp4 = header(scanOne(v2({ famProto: 0x11, addresses: inet4([10, 0, 0, 1], [10, 0, 0, 2], 3, 4) })))
      expect(relayedEndpoints(tcp4)).toMatchObject({
        source: { address: '10.0.0.1', port: 3 },
        destination: { port: 4 },
      })
      expect(proxiedAddress(tcp4)).toBe('10.0.0.1')
      for (const [famProto, addresses] of [
        [0x12, inet4([10, 0, 0, 1], [10, 0, 0, 2], 3, 4)],
        [0x22, inet6(doc6, loopback6, 1, 2)],
        [0x31, unix('/tmp/a\nevil', '/run/b.sock')],
        [0x32, unix('/x', '/y')],
      ] as const) {
        const h = header(scanOne(v2({ famProto, addresses })))
        expect(h._tag).toBe('Proxied') // read, and kept for hooks that want it
        expect(relayedEndpoints(h)).toBeUndefined()
        expect(proxiedAddress(h)).toBeUndefined()
      }
    })
    it('takes LOCAL (whatever its block) and UNSPEC as "use the real endpoints"', () => {
      expect(header(scanOne(v2({ verCmd: 0x20, famProto: 0x00, addresses: new Uint8Array(0) })))).toMatchObject({
        _tag: 'Local',
        reason: 'local',
      })
      expect(
        header(scanOne(v2({ verCmd: 0x20, famProto: 0x11, addresses: inet4([1, 2, 3, 4], [5, 6, 7, 8], 1, 2) })))._tag,
      ).toBe('Local')
      expect(header(scanOne(v2({ famProto: 0x00, addresses: new Uint8Array(5) })))).toMatchObject({
        reason: 'unspecified',
      })
    })
    it('reads TLVs and decodes the registered ones (2.2.1-2.2.7), with a good CRC32c', () => {
      const ssl = concat([
        Uint8Array.of(0x01, 0, 0, 0, 0),
        Uint8Array.of(0x21, 0, 7),
        encode('TLSv1.3'),
        Uint8Array.of(0x22, 0, 11),
        encode('example.com'),
      ])
      const h = header(
        scanOne(
          v2({
            famProto: 0x11,
            addresses: inet4([192, 0, 2, 1], [198, 51, 100, 2], 1, 25),
            tlvs: [
              { type: 0x02, value: encode('mx.example') },
              { type: 0x05, value: Uint8Array.of(7, 7) },
              { type: 0x20, value: ssl },
              { type: 0xe0, value: Uint8Array.of(1) },
            ],
            crc: true,
          }),
        ),
      )
      expect(h.tlvs.map((t) => t.type)).toEqual([0x02, 0x05, 0x20, 0xe0, 0x03])
      expect(proxyTlvInfo(h.tlvs)).toEqual({
        authority: 'mx.example',
        uniqueId: Uint8Array.of(7, 7),
        ssl: { client: 1, verified: false, version: 'TLSv1.3', commonName: 'example.com' },
      })
    })
    const ok4 = inet4([192, 0, 2, 1], [198, 51, 100, 2], 1, 25)
    const malformed: ReadonlyArray<readonly [string, Uint8Array]> = [
      ['version 1 in the version nibble', v2({ verCmd: 0x11, famProto: 0x11, addresses: ok4 })],
      ['version 3', v2({ verCmd: 0x31, famProto: 0x11, addresses: ok4 })],
      ['an unassigned command', v2({ verCmd: 0x22, famProto: 0x11, addresses: ok4 })],
      ['an unassigned family', v2({ famProto: 0x41, addresses: ok4 })],
      ['an unassigned transport', v2({ famProto: 0x13, addresses: ok4 })],
      ['a block too short for IPv4', v2({ famProto: 0x11, addresses: ok4.subarray(0, 11) })],
      ['a block too short for IPv6', v2({ famProto: 0x21, addresses: ok4 })],
      ['a TLV cut short', v2({ famProto: 0x11, addresses: concat([ok4, Uint8Array.of(0x04, 0)]) })],
      ['a TLV longer than the header', v2({ famProto: 0x11, addresses: concat([ok4, Uint8Array.of(0x04, 0, 9, 1)]) })],
      ['a wrong CRC32c', v2({ famProto: 0x11, addresses: ok4, crc: true, badCrc: true })],
    ]
    for (const [name, bytes] of malformed)
      it(`refuses a header with ${name}`, () => expect(scanOne(bytes)._tag).toBe('Invalid'))
    it('refuses a header larger than the bound as soon as the length is known, keeping no more', () => {
      const big = v2({ famProto: 0x11, addresses: ok4, tlvs: [{ type: 0x04, value: new Uint8Array(2000) }] })
      const r = scanChunks([big.subarray(0, 16)])
      expect(r).toMatchObject({ _tag: 'Invalid', error: { reason: 'version 2 header of 2031 octets exceeds 1024' } })
      expect(scanChunks([big], 4096)._tag).toBe('Header')
    })
    it('waits while the header is incomplete (signature, fixed part, block)', () => {
      const whole = v2({ famProto: 0x11, addresses: ok4 })
      for (const n of [1, 11, 12, 15, 16, whole.length - 1]) expect(scanOne(whole.subarray(0, n))._tag).toBe('NeedMore')
    })
  })

  describe('no header', () => {
    it('gives back every octet when the connection does not start with a header', () => {
      const r = scanChunks([encode('\r\n\r\nX'), encode('EHLO')])
      expect(summary(r)).toEqual({ tag: 'Absent', rest: '\r\n\r\nXEHLO' })
      expect(summary(scanOne('EHLO client.example\r\n'))).toEqual({ tag: 'Absent', rest: 'EHLO client.example\r\n' })
      expect(summary(scanChunks([encode('PR'), encode('OB')]))).toEqual({ tag: 'Absent', rest: 'PROB' })
    })
  })

  describe('properties', () => {
    const headers = fc.oneof(
      fc
        .tuple(fc.ipV4(), fc.ipV4(), fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 65535 }))
        .map(([a, b, p, q]) => encode(`PROXY TCP4 ${a} ${b} ${p} ${q}\r\n`)),
      fc
        .tuple(fc.ipV6(), fc.ipV6(), fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 65535 }))
        .map(([a, b, p, q]) => encode(`PROXY TCP6 ${a} ${b} ${p} ${q}\r\n`)),
      fc
        .tuple(fc.uint8Array({ minLength: 36, maxLength: 36 }), fc.uint8Array({ maxLength: 40 }))
        .map(([a, noop]) => v2({ famProto: 0x21, addresses: a, tlvs: [{ type: 0x04, value: noop }] })),
      fc.uint8Array({ minLength: 12, maxLength: 12 }).map((a) => v2({ famProto: 0x11, addresses: a, crc: true })),
    )
    const anything = fc.oneof(headers, fc.uint8Array({ maxLength: 300 }))
    test.prop([anything, fc.uint8Array({ maxLength: 40 }), fc.array(fc.nat(), { maxLength: 8 })])(
      'the outcome and the bytes after the header do not depend on the chunking',
      (head, smtp, cuts) => {
        const bytes = concat([head, smtp])
        expect(summary(scanChunks(cut(bytes, cuts)))).toEqual(summary(scanChunks([bytes])))
      },
    )
    test.prop([headers, fc.uint8Array({ maxLength: 40 })])(
      'a valid header is read whole and nothing after it is lost',
      (head, smtp) => {
        const r = scanOne(concat([head, smtp]))
        expect(r._tag).toBe('Header')
        expect([...(r as { rest: Uint8Array }).rest]).toEqual([...smtp])
      },
    )
    test.prop([fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 40 })])(
      'never throws and keeps at most the bound',
      (chunks) => {
        let s = proxyScanner(300)
        for (const c of chunks) {
          const r = scanProxy(s, c)
          if (r._tag !== 'NeedMore') return
          expect(r.scanner.kept.length).toBeLessThanOrEqual(300)
          s = r.scanner
        }
      },
    )
    test.prop([fc.ipV6()])('IPv6 text survives parse and RFC 5952 formatting', (a) => {
      const b = parseIPv6(a)
      expect(b).toBeDefined()
      expect([...parseIPv6(formatIPv6(b!))!]).toEqual([...b!])
    })
  })
})

describe('the input ends before the scan decided (endProxy)', () => {
  const keptAfter = (octets: Uint8Array) => {
    const r = scanProxy(proxyScanner(), octets)
    if (r._tag !== 'NeedMore') throw new Error(`decided already: ${r._tag}`)
    return r.scanner
  }
  const v2sig = Uint8Array.of(0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a)
  it.each([
    ['a version 1 header cut short', encode('PROXY TCP4 1.2.3.4')],
    ['the word PROXY alone', encode('PROXY')],
    ['the version 2 signature alone', v2sig],
    ['a version 2 header cut inside its fixed part', concat([v2sig, Uint8Array.of(0x21, 0x11)])],
  ])('%s is a header cut short: Invalid', (_n, octets) => {
    expect(endProxy(keptAfter(octets))).toMatchObject({
      _tag: 'Invalid',
      error: { reason: expect.stringMatching(/ended inside/) },
    })
  })
  it.each([
    ['a lone P', encode('P')],
    ['PROX', encode('PROX')],
    ['a CRLF (the start of the version 2 signature)', encode('\r\n')],
  ])('%s is no header: Absent, with every octet kept', (_n, octets) => {
    expect(endProxy(keptAfter(octets))).toEqual({ _tag: 'Absent', rest: octets })
  })
  it('nothing seen is no header', () => {
    expect(endProxy(proxyScanner())).toEqual({ _tag: 'Absent', rest: new Uint8Array(0) })
  })
})
