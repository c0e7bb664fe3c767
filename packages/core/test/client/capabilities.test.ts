// Tests for reading the EHLO/LHLO reply into typed capabilities (RFC 5321 4.1.1.1 and each extension's RFC).
import { describe, expect, it } from 'vitest'
import { noCapabilities, parseCapabilities } from '../../src/client/capabilities.js'
import { reply } from '../../src/Reply.js'

const caps = (...lines: string[]) => parseCapabilities(reply(250, undefined, 'mx.example.com greets you', ...lines))

describe('capabilities', () => {
  describe('keywords (RFC 5321 4.1.1.1)', () => {
    it.each([
      ['PIPELINING', { pipelining: true }],
      ['8BITMIME', { eightBitMime: true }],
      ['SMTPUTF8', { smtpUtf8: true }],
      ['STARTTLS', { startTls: true }],
      ['CHUNKING', { chunking: true }],
      ['BINARYMIME', { binaryMime: true }],
      ['DSN', { dsn: true }],
      ['ENHANCEDSTATUSCODES', { enhancedStatusCodes: true }],
      ['REQUIRETLS', { requireTls: true }],
      ['pipelining (keywords are case-blind)', { pipelining: true }],
    ])('reads %s', (line, expected) => {
      expect(caps(line.split(' ')[0]!)).toEqual({ ...noCapabilities, ...expected })
    })
    it('ignores the first line, which is the server name and greeting', () => {
      expect(parseCapabilities(reply(250, undefined, 'PIPELINING'))).toEqual(noCapabilities)
    })
    it('keeps unknown keywords as sent, and skips empty lines', () => {
      expect(caps('X-EXPS GSSAPI NTLM', '', 'VRFY').other).toEqual(['X-EXPS GSSAPI NTLM', 'VRFY'])
    })
    it('matches keywords in ASCII only, so a look-alike letter is not a keyword', () => {
      expect(caps('\u017fTARTTLS').startTls).toBe(false) // U+017F upper-cases to S outside ASCII
    })
  })

  describe('SIZE (RFC 1870 4)', () => {
    it.each([
      ['SIZE 35882577', 35882577],
      ['SIZE', 0],
      ['SIZE 0', 0],
      ['size 1000', 1000],
      ['SIZE lots', 0],
      ['SIZE 99999999999999999999', 0],
    ])('reads %j as a limit of %d (0 = none stated)', (line, limit) => {
      expect(caps(line).size).toBe(limit)
    })
    it('is undefined when not offered', () => {
      expect(caps('PIPELINING').size).toBeUndefined()
    })
  })

  describe('AUTH (RFC 4954 3)', () => {
    it.each([
      [['AUTH PLAIN LOGIN'], ['PLAIN', 'LOGIN']],
      [['AUTH cram-md5 xoauth2'], ['CRAM-MD5', 'XOAUTH2']],
      [['AUTH=LOGIN PLAIN'], ['LOGIN', 'PLAIN']],
      [
        ['AUTH PLAIN', 'AUTH=LOGIN PLAIN'],
        ['PLAIN', 'LOGIN'],
      ],
      [['AUTH  PLAIN   GSSAPI'], ['PLAIN', 'GSSAPI']],
      [['AUTH'], []],
    ])('reads %j as %j, the old AUTH= form included', (lines, mechanisms) => {
      expect(caps(...lines).auth).toEqual(mechanisms)
    })
  })
})
