// Every reply's code and text belong to the command and the protocol that caused it (RFC 5321 4.2,
// RFC 2033 4.1-4.2), numbers that are well-formed but too big are answered as limits (RFC 1870 6.1), and
// the message start tells the driver the session facts it needs for the trace (RFC 5321 4.4).
import { describe, expect, it } from 'vitest'
import { type ServerOutput, accept, reject, reply } from '../../../src/index.js'
import { Replies, cannedBytes, formatReply } from '../../../src/Reply.js'
import { latin1 } from '../../../src/wire/bytes.js'
import { Harness } from '../harness.js'

const refuseGone = (q: { readonly _tag: string; readonly to?: { readonly localPart: string } }) =>
  q._tag === 'Rcpt' && q.to?.localPart === 'gone' ? reject(reply(550, '5.1.1', 'No such user')) : accept()

describe('server replies belong to their command and protocol', () => {
  describe('LMTP (RFC 2033)', () => {
    it('greets as LMTP, not ESMTP (RFC 2033 4.1)', () => {
      const h = new Harness({ lmtp: true, hostname: 'lmtp.example' })
      expect(h.read()).toBe('220 lmtp.example LMTP\r\n')
    })
    it('asks for LHLO, not HELO or EHLO, before a transaction (RFC 2033 4.1)', () => {
      const h = new Harness({ lmtp: true })
      h.read()
      h.feed('MAIL FROM:<a@example.org>\r\n')
      expect(h.read()).toBe('503 5.5.1 Send LHLO first\r\n')
    })
    it('HELP points to the LMTP RFC, not to SMTP alone', () => {
      const h = new Harness({ lmtp: true })
      h.feed('LHLO c.example\r\n')
      h.read()
      h.feed('HELP\r\n')
      expect(h.read()).toBe('214 2.0.0 See RFC 2033 and RFC 5321\r\n')
    })
    it('DATA after only refused recipients is 503, not 554 (RFC 2033 4.2)', () => {
      const h = new Harness({ lmtp: true }, refuseGone)
      h.feed('LHLO c.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<gone@example.com>\r\n')
      h.read()
      h.feed('DATA\r\n')
      expect(h.read()).toBe('503 5.5.1 No valid recipients\r\n')
    })
    it('a BDAT chunk (not LAST) after only refused recipients is 503 too, and is still read (RFC 2033 4.3, RFC 3030 2)', () => {
      const h = new Harness({ lmtp: true }, refuseGone)
      h.feed('LHLO c.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<gone@example.com>\r\n')
      h.read()
      h.feed('BDAT 4\r\nNOOPNOOP\r\n')
      expect(h.read()).toBe('503 5.5.1 No valid recipients\r\n250 2.0.0 Ok\r\n')
    })
    it('in SMTP the same DATA and BDAT get 554 (RFC 5321 3.3)', () => {
      const h = new Harness({}, refuseGone)
      h.feed('EHLO c.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<gone@example.com>\r\n')
      h.read()
      h.feed('DATA\r\nBDAT 0 LAST\r\n')
      expect(h.read()).toBe('554 5.5.1 No valid recipients\r\n554 5.5.1 No valid recipients\r\n')
    })
  })

  describe('HELO, EHLO, VRFY, EXPN', () => {
    it.each(['HELO', 'EHLO'])('%s without an argument gets a 501 that names the verb (RFC 5321 4.1.1.1)', (verb) => {
      const h = new Harness({})
      h.read()
      h.feed(`${verb}\r\n`)
      expect(h.read()).toBe(`501 Syntax: ${verb} domain-or-address-literal\r\n`)
    })
    it('LHLO without an argument names LHLO (RFC 2033 4.1)', () => {
      const h = new Harness({ lmtp: true })
      h.read()
      h.feed('LHLO\r\n')
      expect(h.read()).toBe('501 Syntax: LHLO domain-or-address-literal\r\n')
    })
    it('EXPN with no answer from the application gets a 252 worded for EXPN (RFC 5321 7.3)', () => {
      const h = new Harness({})
      h.feed('EHLO c.example\r\n')
      h.read()
      h.feed('EXPN staff\r\n')
      const text = h.read()
      expect(text).toMatch(/^252 2\.5\.0 /)
      expect(text).toMatch(/EXPN/)
      expect(text).not.toMatch(/VRFY/)
      h.feed('VRFY bob\r\n')
      expect(h.read()).toMatch(/^252 2\.5\.0 Cannot VRFY/)
    })
  })

  describe('numbers that are well-formed but too big are limits (RFC 1870 6.1)', () => {
    it.each(['9007199254740993', '99999999999999999999', '123456789012345678901234567890'])(
      'MAIL SIZE=%s gets 552 5.3.4, not a syntax error',
      (size) => {
        const h = new Harness({})
        h.feed('EHLO c.example\r\n')
        h.read()
        h.feed(`MAIL FROM:<a@example.com> SIZE=${size}\r\n`)
        expect(h.read()).toBe('552 5.3.4 Message size exceeds fixed maximum message size\r\n')
        expect(h.state.phase._tag).toBe('Idle')
      },
    )
    it('also without a configured maximum', () => {
      const h = new Harness({ maxMessageSize: 0 })
      h.feed('EHLO c.example\r\nMAIL FROM:<a@example.com> SIZE=9007199254740993\r\n')
      expect(h.read()).toMatch(/552 5\.3\.4 [^\r]*\r\n$/)
    })
    it('a BDAT chunk size too big to count is 552 5.3.4, and the session ends (RFC 3030 2)', () => {
      const h = new Harness({})
      h.feed('EHLO c.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\n')
      h.read()
      h.feed('BDAT 99999999999999999999999 LAST\r\n')
      expect(h.read()).toMatch(/^552 5\.3\.4 [^\r]*\r\n/)
      expect(h.closed).toBe(true)
    })
  })

  describe('the message start carries the session facts (RFC 5321 4.4)', () => {
    const starts = (h: Harness) =>
      h.outputs.filter((o): o is Extract<ServerOutput, { _tag: 'MessageStart' }> => o._tag === 'MessageStart')
    it.each([
      ['DATA', 'DATA\r\nhi\r\n.\r\n'],
      ['BDAT', 'BDAT 4 LAST\r\nhi\r\n'],
    ])('after %s: greeting, TLS and authenticated identity', (_, body) => {
      const h = new Harness({ authMechanisms: ['PLAIN'] }, () => accept(), { tls: true })
      h.feed('EHLO client.example\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n')
      h.feed(`MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\n${body}`)
      expect(starts(h)).toHaveLength(1)
      expect(starts(h)[0]!.session).toEqual({
        hello: { verb: 'EHLO', domain: 'client.example' },
        tls: true,
        authenticated: 'alice',
        authFailures: 0,
      })
    })
  })
  describe('canned replies are encoded once', () => {
    it('the bytes of each canned reply are its wire text, plain and with enhanced codes', () => {
      for (const r of Object.values(Replies))
        for (const enhanced of [false, true]) {
          const text = formatReply(r, enhanced)
          expect(latin1(cannedBytes.get(text)!)).toBe(text)
        }
    })
    const sends = (h: Harness): Uint8Array[] =>
      h.outputs.flatMap((o: ServerOutput) => (o._tag === 'Send' ? [o.bytes] : []))
    it('a reply to one command is the canned bytes, the same for every session', () => {
      const [a, b] = [new Harness({}), new Harness({})]
      for (const h of [a, b]) h.feed('EHLO c.example\r\nMAIL FROM:<a@b.example>\r\n')
      const mailOk = cannedBytes.get('250 2.1.0 Ok\r\n')
      expect(sends(a).at(-1)).toBe(mailOk)
      expect(sends(b).at(-1)).toBe(mailOk)
    })
    it('replies joined in one step, or made by a hook, are encoded afresh and say what they should', () => {
      const h = new Harness({}, (q) => (q._tag === 'Rcpt' ? reject(reply(550, '5.1.1', 'No such user')) : accept()))
      h.feed('EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\n')
      h.read()
      const last = sends(h).at(-1)!
      expect(latin1(last)).toBe('550 5.1.1 No such user\r\n')
      expect([...cannedBytes.values()]).not.toContain(last)
    })
  })
})
