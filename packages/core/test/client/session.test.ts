// Tests for opening and ending a client session: the greeting (RFC 5321 3.1), EHLO/HELO/LHLO (4.1.1.1,
// RFC 2033 4.1), the STARTTLS policy (RFC 3207 4), AUTH (RFC 4954 4, 6), QUIT (4.1.1.10), 421 (3.8),
// protocol errors, and application misuse.
import { describe, expect, it } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import { ClientInput } from '../../src/client/index.js'
import { encode } from '../../src/wire/bytes.js'
import { ClientHarness, greet, manual } from './harness.js'

const helo = 'client.example.org'
const message = { envelope: { from: 'bob@example.org', to: ['alice@example.com'] }, body: ['hi\r\n'] }

describe('client session', () => {
  describe('greeting (RFC 5321 3.1)', () => {
    it('sends nothing before the greeting, then EHLO', () => {
      const h = manual({ helo })
      expect(h.read()).toBe('')
      h.feed('220 mx.example.com ESMTP\r\n')
      expect(h.read()).toBe(`EHLO ${helo}\r\n`)
    })
    it('ends with GreetingRefused after a 554 greeting and still says QUIT, as the server waits for it', () => {
      const h = new ClientHarness({ helo }, [message])
      h.feed('554 5.7.1 No SMTP service here\r\n')
      expect(h.read()).toBe('QUIT\r\n')
      expect(h.of('Failed')).toMatchObject([{ error: { _tag: 'GreetingRefused', reply: { code: 554 } } }])
      h.feed('221 Bye\r\n')
      expect(h.closed).toBe(true)
      expect(h.of('MessageResult')).toEqual([])
    })
    it('closes without QUIT after a 421 greeting (RFC 5321 3.8)', () => {
      const h = new ClientHarness({ helo })
      h.feed('421 4.3.2 Too busy\r\n')
      expect(h.read()).toBe('')
      expect(h.closed).toBe(true)
      expect(h.of('Failed')).toMatchObject([{ error: { _tag: 'GreetingRefused' } }])
    })
    it('treats a greeting that is not a refusal nor 220 as a protocol error', () => {
      const h = new ClientHarness({ helo })
      h.feed('250 hello?\r\n')
      expect(h.of('Failed')).toMatchObject([{ error: { _tag: 'ProtocolError', reply: { code: 250 } } }])
      expect(h.closed).toBe(true)
    })
  })

  describe('EHLO, HELO and LHLO (RFC 5321 4.1.1.1, RFC 2033 4.1)', () => {
    it.each([
      ['EHLO refused with 550: no fallback', { helo }, '550 Go away', 'EHLO'],
      ['LHLO refused with 502: LMTP has no HELO', { helo, lmtp: true }, '502 What?', 'LHLO'],
      ['HELO refused', { helo, ehlo: false }, '501 Bad name', 'HELO'],
    ])('ends with HelloRefused and QUIT: %s', (_name, options, refusal, verb) => {
      const h = new ClientHarness(options)
      h.feed('220 mx.example.com\r\n')
      expect(h.read()).toBe(`${verb} ${helo}\r\n`)
      h.feed(`${refusal}\r\n`)
      expect(h.read()).toBe('QUIT\r\n')
      expect(h.of('Failed')).toMatchObject([{ error: { _tag: 'HelloRefused' } }])
    })
  })

  describe('STARTTLS policy (RFC 3207 4)', () => {
    it('required but not offered: TlsRequired, and nothing but QUIT goes out in clear', () => {
      const h = greet(new ClientHarness({ helo, tls: 'required' }, [message]), ['PIPELINING', 'AUTH PLAIN'])
      expect(h.read()).toBe(`EHLO ${helo}\r\nQUIT\r\n`)
      expect(h.of('Failed')).toMatchObject([{ error: { _tag: 'TlsRequired' } }])
      expect(h.of('Ready')).toEqual([])
    })
    it('required and refused: TlsRefused, then QUIT', () => {
      const h = greet(new ClientHarness({ helo, tls: 'required' }, [message]), ['STARTTLS'])
      h.feed('454 4.7.0 TLS not available\r\n')
      expect(h.read()).toBe(`EHLO ${helo}\r\nSTARTTLS\r\nQUIT\r\n`)
      expect(h.of('Failed')).toMatchObject([{ error: { _tag: 'TlsRefused', reply: { code: 454 } } }])
    })
    it('opportunistic and refused: goes on in clear', () => {
      const h = greet(manual({ helo }), ['STARTTLS'])
      h.feed('454 4.7.0 TLS not available\r\n')
      expect(h.of('Ready')).toMatchObject([{ tls: false }])
    })
    it.each([
      ['policy none', { helo, tls: 'none' as const }, false],
      ['implicit TLS (RFC 8314 3.3)', { helo, implicitTls: true, tls: 'required' as const }, true],
    ])('%s: never sends STARTTLS, even when offered', (_name, options, tls) => {
      const h = greet(manual(options), ['STARTTLS'])
      expect(h.read()).toBe(`EHLO ${helo}\r\n`)
      expect(h.of('Ready')).toMatchObject([{ tls }])
    })
    describe('between the 220 to STARTTLS and the handshake nothing goes out in clear (RFC 3207 4)', () => {
      const waiting = (): ReturnType<typeof manual> => {
        const h = greet(manual({ helo, tls: 'required' }), ['STARTTLS'])
        h.feed('220 2.0.0 Ready to start TLS\r\n')
        expect(h.read()).toBe(`EHLO ${helo}\r\nSTARTTLS\r\n`)
        expect(h.startTls).toBe(1)
        return h
      }
      it('a handshake that runs past the command timeout closes the connection without QUIT', () => {
        const h = waiting()
        h.input(ClientInput.timerFired('reply'))
        expect(h.read()).toBe('')
        expect(h.closed).toBe(true)
        expect(h.of('Failed')).toMatchObject([{ error: { _tag: 'Timeout', waitingFor: 'the TLS handshake' } }])
      })
      it('QUIT asked for during the handshake waits for TLS and goes out over it', () => {
        const h = waiting()
        h.input(ClientInput.quitRequested)
        expect(h.read()).toBe('')
        h.input(ClientInput.tlsStarted)
        h.feed('250 mx.example.com\r\n')
        expect(h.read()).toBe(`EHLO ${helo}\r\nQUIT\r\n`)
      })
      const before = fc.oneof(
        fc.uint8Array({ maxLength: 64 }).map(ClientInput.received),
        fc
          .constantFrom('250 2.0.0 Ok\r\n', '421 4.4.2 Timeout\r\n', '221 Bye\r\n')
          .map((r) => ClientInput.received(encode(r))),
        fc.constantFrom(
          ClientInput.timerFired('reply'),
          ClientInput.peerClosed,
          ClientInput.quitRequested,
          ClientInput.bodyEnd,
          ClientInput.bodyChunk(encode('x')),
          ClientInput.submitted({ from: 'bob@example.org', to: ['alice@example.com'] }),
        ),
      )
      test.prop([fc.array(before, { maxLength: 10 })])(
        'no input but the handshake makes the client write',
        (inputs) => {
          const h = waiting()
          for (const i of inputs) h.input(i)
          expect(h.read()).toBe('')
        },
      )
    })
    it('TlsStarted nobody asked for is misuse and changes nothing', () => {
      const h = manual({ helo })
      const before = h.state
      h.input(ClientInput.tlsStarted)
      expect(h.state).toBe(before)
      expect(h.outputs.at(-1)).toMatchObject({ _tag: 'Misuse' })
    })
  })

  describe('AUTH (RFC 4954 4, 6)', () => {
    const auth = { username: 'tim', password: 'tanstaaf' }
    it('never authenticates in clear unless allowed (RFC 4954 4)', () => {
      const h = greet(new ClientHarness({ helo, tls: 'none', auth }, [message]), ['AUTH PLAIN'])
      expect(h.read()).toBe(`EHLO ${helo}\r\nQUIT\r\n`)
      expect(h.of('Failed')).toMatchObject([{ error: { _tag: 'AuthUnavailable' } }])
    })
    it('authenticates in clear when allowInsecureAuth says so', () => {
      const h = greet(manual({ helo, tls: 'none', auth, allowInsecureAuth: true }), ['AUTH PLAIN'])
      expect(h.read()).toBe(`EHLO ${helo}\r\nAUTH PLAIN AHRpbQB0YW5zdGFhZg==\r\n`)
    })
    it.each([
      ['AUTH is not offered', ['PIPELINING'], auth],
      ['no offered mechanism is allowed', ['AUTH PLAIN'], { ...auth, mechanisms: ['LOGIN' as const] }],
      ['no offered mechanism fits the credentials', ['AUTH XOAUTH2'], auth],
    ])('fails with AuthUnavailable when %s', (_name, extensions, credentials) => {
      const h = greet(new ClientHarness({ helo, implicitTls: true, auth: credentials }), extensions)
      expect(h.read()).toBe(`EHLO ${helo}\r\nQUIT\r\n`)
      expect(h.of('Failed')).toMatchObject([{ error: { _tag: 'AuthUnavailable' } }])
    })
    it('uses the allowed mechanism even when a stronger one is offered', () => {
      const h = greet(manual({ helo, implicitTls: true, auth: { ...auth, mechanisms: ['LOGIN'] } }), [
        'AUTH PLAIN CRAM-MD5 LOGIN',
      ])
      expect(h.read()).toBe(`EHLO ${helo}\r\nAUTH LOGIN\r\n`)
    })
    it.each([
      ['535 5.7.8 Authentication credentials invalid'],
      ['454 4.7.0 Temporary authentication failure'],
      ['534 5.7.9 Authentication mechanism is too weak'],
      ['538 5.7.11 Encryption required for requested authentication mechanism'],
      ['501 5.5.2 Cannot decode'],
    ])('surfaces %s as AuthFailed with the reply, then QUIT', (line) => {
      const h = greet(new ClientHarness({ helo, implicitTls: true, auth }, [message]), ['AUTH PLAIN'])
      h.read()
      h.feed(`${line}\r\n`)
      expect(h.read()).toBe('QUIT\r\n')
      expect(h.of('Failed')).toMatchObject([
        { error: { _tag: 'AuthFailed', reply: { code: Number(line.slice(0, 3)) } } },
      ])
      expect(h.of('Ready')).toEqual([])
    })
    it('a 2yz other than 235 to AUTH is no success (RFC 4954 4): the session ends with a protocol error', () => {
      const h = greet(new ClientHarness({ helo, implicitTls: true, auth }, [message]), ['AUTH PLAIN'])
      h.read()
      h.feed('250 2.0.0 Ok\r\n')
      expect(h.of('Ready')).toEqual([])
      expect(h.of('Failed')).toMatchObject([{ error: { _tag: 'ProtocolError', reply: { code: 250 } } }])
    })
    it.each([
      ['a challenge that is not base64 (RFC 4954 4)', ['AUTH LOGIN'], '334 not*base64', 'LOGIN', 'not base64'],
      ['a PLAIN challenge with content', ['AUTH PLAIN'], '334 aGVsbG8=', 'PLAIN', 'unexpected PLAIN challenge'],
    ])('cancels with "*" on %s, and ends with a protocol error, not refused credentials', (...c) => {
      const [, extensions, challenge, mechanism, why] = c
      const h = greet(manual({ helo, implicitTls: true, auth }), extensions)
      h.read()
      h.feed(`${challenge}\r\n`)
      expect(h.read()).toBe('*\r\n')
      h.feed('501 5.7.0 Authentication cancelled\r\n')
      const failed = h.of('Failed')
      expect(failed).toMatchObject([{ error: { _tag: 'ProtocolError', reply: { code: 501 } } }])
      expect(failed[0]?.error).toHaveProperty('reason', expect.stringContaining(`${mechanism} exchange cancelled`))
      expect(failed[0]?.error).toHaveProperty('reason', expect.stringContaining(why))
      expect(h.read()).toBe('QUIT\r\n')
    })
    it('a server that answers "*" with 235 has still not authenticated the client: a protocol error', () => {
      const h = greet(manual({ helo, implicitTls: true, auth }), ['AUTH LOGIN'])
      h.read()
      h.feed('334 not*base64\r\n')
      expect(h.read()).toBe('*\r\n')
      h.feed('235 2.7.0 Authentication successful\r\n')
      expect(h.of('Ready')).toEqual([])
      expect(h.of('Failed')).toMatchObject([{ error: { _tag: 'ProtocolError', reply: { code: 235 } } }])
    })
    it('authenticates after STARTTLS with the capabilities offered over TLS (RFC 3207 4.2)', () => {
      const h = greet(manual({ helo, auth }), ['STARTTLS'])
      h.feed('220 Go ahead\r\n')
      h.input(ClientInput.tlsStarted)
      h.feed('250-mx.example.com\r\n250 AUTH PLAIN\r\n')
      expect(h.read()).toBe(`EHLO ${helo}\r\nSTARTTLS\r\nEHLO ${helo}\r\nAUTH PLAIN AHRpbQB0YW5zdGFhZg==\r\n`)
    })
  })

  describe('QUIT (RFC 5321 4.1.1.10)', () => {
    it('sends QUIT when Ready, closes on 221, and a second request does nothing', () => {
      const h = greet(manual({ helo }), [])
      h.read()
      h.input(ClientInput.quitRequested).input(ClientInput.quitRequested)
      expect(h.read()).toBe('QUIT\r\n')
      h.feed('221 2.0.0 Bye\r\n')
      expect(h.closed).toBe(true)
      expect(h.of('Failed')).toEqual([])
    })
    it('asked during the setup, quits instead of becoming Ready', () => {
      const h = manual({ helo })
      h.input(ClientInput.quitRequested)
      greet(h, [])
      expect(h.read()).toBe(`EHLO ${helo}\r\nQUIT\r\n`)
      expect(h.of('Ready')).toEqual([])
    })
    it('closes without an error when the server never answers QUIT', () => {
      const h = greet(manual({ helo }), [])
      h.input(ClientInput.quitRequested)
      h.input(ClientInput.timerFired('reply'))
      expect(h.closed).toBe(true)
      expect(h.of('Failed')).toEqual([])
    })
  })

  describe('faults', () => {
    it.each([
      ['garbage instead of a reply', 'HTTP/1.1 400 Bad Request\r\n'],
      ['a multi-line reply that changes its code', '250-mx\r\n550 no\r\n'],
      ['a reply line over the limit', `250 ${'x'.repeat(3000)}`],
    ])('closes with ProtocolError on %s', (_name, bytes) => {
      const h = manual({ helo })
      h.feed('220 mx.example.com\r\n')
      h.feed(bytes)
      expect(h.of('Failed')).toMatchObject([{ error: { _tag: 'ProtocolError' } }])
      expect(h.closed).toBe(true)
    })
    it('closes with ProtocolError on a reply when no command was sent', () => {
      const h = greet(manual({ helo }), [])
      h.feed('250 surprise\r\n')
      expect(h.of('Failed')).toMatchObject([{ error: { _tag: 'ProtocolError', reply: { code: 250 } } }])
    })
    it('closes on a 421 at any point, without QUIT (RFC 5321 3.8)', () => {
      const h = greet(manual({ helo }), [])
      h.read()
      h.feed('421 4.4.2 Idle timeout\r\n')
      expect(h.read()).toBe('')
      expect(h.of('Failed')).toMatchObject([{ error: { _tag: 'ServiceClosing', reply: { code: 421 } } }])
      expect(h.closed).toBe(true)
    })
    it('ignores everything after the session closed', () => {
      const h = manual({ helo })
      h.feed('421 busy\r\n')
      const before = h.state
      for (const i of [
        ClientInput.received(new Uint8Array([50])),
        ClientInput.peerClosed,
        ClientInput.timerFired('reply'),
      ])
        h.input(i)
      expect(h.state).toBe(before)
    })
  })

  describe('misuse', () => {
    it.each([
      ['Submitted before Ready', (h: ClientHarness) => h],
      ['BodyChunk without BodyWanted', (h: ClientHarness) => greet(h, [])],
      ['BodyEnd without BodyWanted', (h: ClientHarness) => greet(h, [])],
    ])('%s is a Misuse output and leaves the state as it was', (name, prepare) => {
      const h = prepare(manual({ helo }))
      const before = h.state
      const input = name.startsWith('Submitted')
        ? ClientInput.submitted(message.envelope)
        : name.startsWith('BodyChunk')
          ? ClientInput.bodyChunk(new Uint8Array([65]))
          : ClientInput.bodyEnd
      const count = h.outputs.length
      h.input(input)
      expect(h.state).toBe(before)
      expect(h.outputs.slice(count)).toMatchObject([{ _tag: 'Misuse' }])
    })
    it('a second Submitted while a transaction runs is misuse', () => {
      const h = greet(manual({ helo }), [])
      h.input(ClientInput.submitted(message.envelope))
      const before = h.state
      h.input(ClientInput.submitted(message.envelope))
      expect(h.state).toBe(before)
      expect(h.outputs.at(-1)).toMatchObject({ _tag: 'Misuse', message: expect.stringMatching(/reply to MAIL/) })
    })
  })
})
