import { describe, expect, it } from 'vitest'
import { reject, reply } from '../../../src/index.js'
import { Harness, transcript } from '../harness.js'

const all = {
  hostname: 'mx.example.com',
  dsn: true,
  startTls: true,
  authMechanisms: ['PLAIN', 'LOGIN'] as const,
  allowInsecureAuth: true,
  maxMessageSize: 1000000,
}

describe('server session', () => {
  describe('greeting (RFC 5321 3.1, 4.3.1)', () => {
    it('greets with 220 and the configured text, without an enhanced code (RFC 2034 3)', () => {
      const h = new Harness({ hostname: 'mx.example.com' })
      expect(h.read()).toBe('220 mx.example.com ESMTP\r\n')
    })
    it('greets with 554 when refusing, then answers 503 to all but QUIT (RFC 5321 3.1)', () => {
      const h = new Harness({}, undefined, { refuse: reply(554, undefined, 'mx.example.com No service') })
      transcript(
        h,
        `S: 554 mx.example.com No service
         C: EHLO client.example
         S: 503 5.5.1 Service refused; only QUIT is accepted
         C: QUIT
         S: 221 2.0.0 Bye`,
      )
      expect(h.closed).toBe(true)
    })
  })

  describe('EHLO (RFC 5321 4.1.1.1)', () => {
    it('lists every extension that is switched on, one per line', () => {
      const h = new Harness(all)
      h.read()
      h.feed('EHLO client.example\r\n')
      expect(h.read()).toBe(
        [
          '250-mx.example.com',
          '250-PIPELINING',
          '250-SIZE 1000000',
          '250-8BITMIME',
          '250-SMTPUTF8',
          '250-ENHANCEDSTATUSCODES',
          '250-CHUNKING',
          '250-BINARYMIME',
          '250-DSN',
          '250-STARTTLS',
          '250 AUTH PLAIN LOGIN',
          '',
        ].join('\r\n'),
      )
    })
    it('advertises nothing that is switched off', () => {
      const h = new Harness({
        pipelining: false,
        size: false,
        eightBitMime: false,
        smtpUtf8: false,
        enhancedStatusCodes: false,
        chunking: false,
        binaryMime: false,
      })
      h.read()
      h.feed('EHLO client.example\r\n')
      expect(h.read()).toBe('250 localhost\r\n')
    })
    it('advertises SIZE without a number when there is no fixed limit (RFC 1870 4)', () => {
      const h = new Harness({ maxMessageSize: 0 })
      h.read()
      h.feed('EHLO c.example\r\n')
      expect(h.read()).toContain('250-SIZE\r\n')
    })
    it('does not offer AUTH in clear unless allowed (RFC 4954 4, 14)', () => {
      const h = new Harness({ authMechanisms: ['PLAIN'] })
      h.read()
      h.feed('EHLO c.example\r\n')
      expect(h.read()).not.toContain('AUTH')
    })
    it('offers REQUIRETLS only on a TLS session (RFC 8689 2)', () => {
      const clear = new Harness({ requireTlsExtension: true })
      clear.feed('EHLO c.example\r\n')
      expect(clear.read()).not.toContain('REQUIRETLS')
      const tls = new Harness({ requireTlsExtension: true }, undefined, { tls: true })
      tls.feed('EHLO c.example\r\n')
      expect(tls.read()).toContain('250 REQUIRETLS\r\n')
    })
    it('accepts the verb in any case (RFC 5321 2.4)', () => {
      const h = new Harness({
        pipelining: false,
        size: false,
        eightBitMime: false,
        smtpUtf8: false,
        enhancedStatusCodes: false,
        chunking: false,
        binaryMime: false,
      })
      h.read()
      h.feed('eHlO c.example\r\n')
      expect(h.read()).toBe('250 localhost\r\n')
    })
    it.each([
      ['no argument', 'EHLO\r\n'],
      ['two words', 'EHLO a.example b.example\r\n'],
      ['a bad domain', 'EHLO -bad-.example\r\n'],
    ])('501 for %s, without an enhanced code (RFC 5321 4.1.1.1, RFC 2034 3)', (_name, line) => {
      const h = new Harness({})
      h.read()
      h.feed(line)
      expect(h.read()).toMatch(/^501 [^0-9]/)
    })
    it('accepts an address literal (RFC 5321 4.1.3)', () => {
      const h = new Harness({})
      h.read()
      h.feed('EHLO [192.0.2.1]\r\n')
      expect(h.read()).toMatch(/^250-localhost\r\n/)
    })
    it('lets the application refuse the greeting with its own reply', () => {
      const h = new Harness({}, (q) => (q._tag === 'Hello' ? reject(reply(550, '5.7.1', 'Go away')) : undefined))
      h.read()
      h.feed('EHLO c.example\r\nMAIL FROM:<a@b.example>\r\n')
      expect(h.read()).toBe('550 Go away\r\n503 5.5.1 Send HELO or EHLO first\r\n')
    })
    it('a new EHLO ends the transaction (RFC 5321 4.1.4)', () => {
      const h = new Harness({})
      h.feed('EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nEHLO c.example\r\nRCPT TO:<x@y.example>\r\n')
      expect(h.read()).toMatch(/503 5\.5\.1 Need MAIL command\r\n$/)
    })
  })

  describe('HELO (RFC 5321 4.1.1.1)', () => {
    it('replies with one plain line, and the replies after it carry enhanced codes all the same (RFC 2034 3, 4)', () => {
      const h = new Harness({ hostname: 'mx.example.com' })
      transcript(
        h,
        `S: 220 mx.example.com ESMTP
         C: HELO c.example
         S: 250 mx.example.com
         C: MAIL FROM:<a@b.example>
         S: 250 2.1.0 Ok`,
      )
    })
    it('a server without the extension replies plain to HELO and EHLO sessions alike', () => {
      const h = new Harness({ hostname: 'mx.example.com', enhancedStatusCodes: false })
      h.read()
      h.feed('MAIL FROM:<a@b.example>\r\nHELO c.example\r\nMAIL FROM:<a@b.example>\r\nEHLO c.example\r\nNOOP\r\n')
      expect(h.read()).toMatch(
        /^503 Send HELO or EHLO first\r\n250 mx\.example\.com\r\n250 Ok\r\n250-[^]*\r\n250 Ok\r\n$/,
      )
    })
  })

  describe('LHLO (RFC 2033 4.1)', () => {
    it('is the greeting in LMTP, with PIPELINING and ENHANCEDSTATUSCODES always on (RFC 2033 5)', () => {
      const h = new Harness({
        lmtp: true,
        pipelining: false,
        enhancedStatusCodes: false,
        chunking: false,
        binaryMime: false,
        size: false,
        eightBitMime: false,
        smtpUtf8: false,
      })
      h.read()
      h.feed('LHLO c.example\r\n')
      expect(h.read()).toBe('250-localhost\r\n250-PIPELINING\r\n250 ENHANCEDSTATUSCODES\r\n')
    })
    it('HELO and EHLO are unrecognized in LMTP, LHLO in SMTP', () => {
      const lmtp = new Harness({ lmtp: true })
      lmtp.read()
      lmtp.feed('EHLO c.example\r\nHELO c.example\r\n')
      expect(lmtp.read()).toBe('500 5.5.1 Command unrecognized\r\n500 5.5.1 Command unrecognized\r\n')
      const smtp = new Harness({})
      smtp.read()
      smtp.feed('LHLO c.example\r\n')
      expect(smtp.read()).toBe('500 5.5.1 Command unrecognized\r\n')
    })
  })
})
