import { describe, expect, it } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import { tlsStarted } from '../../../src/server/index.js'
import { encode } from '../../../src/wire/bytes.js'
import { cut } from '../../arb/chunks.js'
import { Harness, transcript } from '../harness.js'

const trusted = { xclient: true }
const small = { hostname: 'mx.example.com', chunking: false, binaryMime: false, smtpUtf8: false, eightBitMime: false }

describe('server session', () => {
  describe('XCLIENT (XCLIENT_README)', () => {
    it('is offered to a trusted client, takes the attributes, says 220 and starts over (the README example)', () => {
      const h = new Harness(small, undefined, trusted)
      transcript(
        h,
        `S: 220 mx.example.com ESMTP
         C: EHLO client.example.com
         S: 250-mx.example.com
         S: 250-PIPELINING
         S: 250-SIZE 26214400
         S: 250-ENHANCEDSTATUSCODES
         S: 250 XCLIENT ADDR PORT NAME HELO PROTO LOGIN DESTADDR DESTPORT
         C: XCLIENT NAME=spike.porcupine.org ADDR=168.100.189.2
         S: 220 mx.example.com ESMTP
         C: MAIL FROM:<wietse@porcupine.org>
         S: 503 5.5.1 Send HELO or EHLO first`,
      )
      h.feed('EHLO spike.porcupine.org\r\n')
      expect(h.read()).toMatch(/^250-mx\.example\.com\r\n/)
      const hello = h.questions.filter((q) => q._tag === 'Hello')
      expect(hello[0]!.session.xclient).toBeUndefined()
      expect(hello[1]!.session.xclient).toEqual({ name: 'spike.porcupine.org', address: '168.100.189.2' })
    })
    it('is neither offered nor accepted on an untrusted connection: 550 5.7.0', () => {
      const h = new Harness(small)
      h.read()
      h.feed('EHLO c.example\r\n')
      expect(h.read()).not.toContain('XCLIENT')
      h.feed('XCLIENT ADDR=192.0.2.1\r\n')
      expect(h.read()).toBe('550 5.7.0 Insufficient authorization\r\n')
    })
    it('503 inside a mail transaction', () => {
      const h = new Harness(small, undefined, trusted)
      h.read()
      h.feed('EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nXCLIENT ADDR=192.0.2.1\r\n')
      expect(h.read()).toMatch(/503 5\.5\.1 Mail transaction in progress\r\n$/)
    })
    it('reads every address family and port form, [UNAVAILABLE] clears, and attributes persist across commands', () => {
      const h = new Harness(small, undefined, trusted)
      h.feed('XCLIENT addr=IPv6:2001:DB8:0:0:0:0:0:1 Port=4000 PROTO=esmtp\r\n')
      h.feed('XCLIENT DESTADDR=192.0.2.25 DESTPORT=25 HELO=relay.x.example LOGIN=alice\r\n')
      h.feed('EHLO c.example\r\n')
      expect(h.questions.at(-1)!.session).toMatchObject({
        authenticated: 'alice',
        xclient: {
          address: '2001:db8::1',
          port: 4000,
          proto: 'ESMTP',
          destAddress: '192.0.2.25',
          destPort: 25,
          helo: 'relay.x.example',
          login: 'alice',
        },
      })
      h.feed('XCLIENT ADDR=[UNAVAILABLE] NAME=[tempunavail] LOGIN=[UNAVAILABLE]\r\nEHLO c.example\r\n')
      const s = h.questions.at(-1)!.session
      expect(s.authenticated).toBeUndefined()
      expect(s.xclient).toEqual({
        port: 4000,
        proto: 'ESMTP',
        destAddress: '192.0.2.25',
        destPort: 25,
        helo: 'relay.x.example',
      })
    })
    it('an AUTH made before it is not kept: back at the greeting stage the session is authenticated as LOGIN says', () => {
      const h = new Harness({ ...small, authMechanisms: ['PLAIN'], allowInsecureAuth: true }, undefined, trusted)
      h.feed(`EHLO c.example\r\nAUTH PLAIN ${Buffer.from('\0alice\0pw').toString('base64')}\r\n`)
      expect(h.read()).toMatch(/235 2\.7\.0 [^\r\n]*\r\n$/)
      expect(h.state.authenticated).toBe('alice')
      h.feed('XCLIENT ADDR=192.0.2.1\r\n')
      expect(h.state.authenticated).toBeUndefined()
      h.feed('XCLIENT LOGIN=bob\r\nXCLIENT ADDR=192.0.2.2\r\n')
      expect(h.state.authenticated).toBe('bob') // an earlier command's LOGIN stays, as every attribute does
    })
    it('a LOGIN is gone after STARTTLS, and a later XCLIENT does not bring it back (RFC 3207 4.2)', () => {
      const h = new Harness({ ...small, startTls: true }, undefined, trusted)
      h.feed('EHLO c.example\r\nXCLIENT LOGIN=bob NAME=c.example\r\nEHLO c.example\r\nSTARTTLS\r\n')
      expect(h.state.authenticated).toBe('bob')
      h.input(tlsStarted)
      expect(h.state.authenticated).toBeUndefined()
      h.feed('EHLO c.example\r\nXCLIENT ADDR=192.0.2.1\r\n')
      expect(h.state.authenticated).toBeUndefined()
      expect(h.state.xclient).toEqual({ name: 'c.example', address: '192.0.2.1' })
    })
    const malformed: ReadonlyArray<readonly [string, string]> = [
      ['no attributes', 'XCLIENT'],
      ['an unknown attribute', 'XCLIENT FOO=1'],
      ['an attribute without =', 'XCLIENT ADDR'],
      ['an IPv4 address with a heading zero', 'XCLIENT ADDR=192.0.2.01'],
      ['an IPv6 address without IPV6:', 'XCLIENT ADDR=2001:db8::1'],
      ['an address in brackets', 'XCLIENT ADDR=[192.0.2.1]'],
      ['a port above 65535', 'XCLIENT PORT=65536'],
      ['PROTO that is not SMTP or ESMTP', 'XCLIENT PROTO=LMTP'],
      ['PROTO that is ESMTP only once upper-cased beyond ASCII', 'XCLIENT PROTO=e\u017fmtp'],
      ['a name that is DESTADDR only once upper-cased beyond ASCII', 'XCLIENT DE\u017fTADDR=192.0.2.1'],
      ['a value that is not xtext', 'XCLIENT NAME=a=b'],
      ['a bad hexchar', 'XCLIENT HELO=a+2'],
      ['a NAME over 255 characters', `XCLIENT NAME=${'a'.repeat(256)}`],
      ['a NAME with words that would read as Received clauses', 'XCLIENT NAME=a)+20by+20fake.host+20(x'],
      ['a NAME that is an address literal', 'XCLIENT NAME=[192.0.2.1]'],
      ['a HELO with spaces (RFC 5321 4.4 TCP-info)', 'XCLIENT HELO=x+20by+20evil.example+20with+20ESMTPS'],
      ['a HELO with controls', 'XCLIENT HELO=a+00b+7Fc+09d'],
      ['[TEMPUNAVAIL] for HELO, which only NAME takes', 'XCLIENT HELO=[TEMPUNAVAIL]'],
      ['a HELO with a space before it', 'XCLIENT HELO=+20foo.example'],
      ['a HELO with spaces after it', 'XCLIENT HELO=foo.example+20+20'],
    ]
    it('takes the names a greeting could give: a domain with an underscore, an address literal', () => {
      const h = new Harness({ ...small, maxLineLength: 1000 }, undefined, trusted)
      h.feed('EHLO c.example\r\nXCLIENT NAME=win_box.example HELO=[192.0.2.7]\r\n')
      expect(h.read()).toMatch(/220 [^\r\n]*\r\n$/)
      expect(h.state.xclient).toEqual({ name: 'win_box.example', helo: '[192.0.2.7]' })
    })
    for (const [name, line] of malformed)
      it(`501 5.5.4 for ${name}, and nothing changes`, () => {
        const h = new Harness({ ...small, maxLineLength: 1000 }, undefined, trusted)
        h.feed('EHLO c.example\r\n')
        h.read()
        h.feed(`${line}\r\n`)
        expect(h.read()).toMatch(/^501 5\.5\.4 Bad XCLIENT syntax: /)
        expect(h.state.xclient).toEqual({})
      })
    test.prop([fc.array(fc.nat(), { maxLength: 10 })])('replies do not depend on how the input is cut', (cuts) => {
      const bytes = encode(
        'EHLO a.example\r\nXCLIENT ADDR=192.0.2.1 NAME=x.example\r\nEHLO b.example\r\nXCLIENT PORT=9\r\nQUIT\r\n',
      )
      const whole = new Harness(small, undefined, trusted)
      whole.feed(bytes)
      const pieces = new Harness(small, undefined, trusted)
      for (const c of cut(bytes, cuts)) pieces.feed(c)
      expect(pieces.read()).toBe(whole.read())
      expect(pieces.state.xclient).toEqual(whole.state.xclient)
    })
  })
})
