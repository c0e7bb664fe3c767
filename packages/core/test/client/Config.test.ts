// Tests for the client configuration: defaults from RFC 5321 4.5.3.2 and readable errors.
import { describe, expect, it } from 'vitest'
import { clientConfig, defaultClientTimeouts } from '../../src/client/Config.js'

const errors = (options: unknown): ReadonlyArray<string> => {
  const c = clientConfig(options)
  return c._tag === 'Left' ? c.left.errors : []
}

describe('client Config', () => {
  describe('defaults', () => {
    it('fills the timeouts of RFC 5321 4.5.3.2 and the switches', () => {
      const c = clientConfig({ helo: 'client.example.org' })
      expect(c).toMatchObject({
        _tag: 'Right',
        right: {
          ehlo: true,
          lmtp: false,
          tls: 'opportunistic',
          implicitTls: false,
          allowInsecureAuth: false,
          pipelining: true,
          chunking: true,
          binaryMime: true,
          maxReplyLine: 2048,
          auth: undefined,
        },
      })
      expect(defaultClientTimeouts).toEqual({
        greeting: 300000,
        hello: 300000,
        mail: 300000,
        rcpt: 300000,
        dataInit: 120000,
        dataBlock: 180000,
        dataEnd: 600000,
        command: 300000,
        quit: 5000,
      })
    })
    it('lets single timeouts be changed and keeps the rest', () => {
      const c = clientConfig({ helo: 'c.example', timeouts: { dataEnd: 5 } })
      expect(c._tag === 'Right' && c.right.timeouts).toEqual({ ...defaultClientTimeouts, dataEnd: 5 })
    })
    it('allows all four SASL mechanisms unless told otherwise', () => {
      const c = clientConfig({ helo: 'c.example', auth: { username: 'u', password: 'p' } })
      expect(c._tag === 'Right' && c.right.auth?.mechanisms).toEqual(['PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2'])
    })
  })

  describe('errors', () => {
    it.each([
      ['no helo', {}, /helo/],
      ['a helo that is not a domain (RFC 5321 4.1.1.1)', { helo: 'not a domain' }, /helo/],
      ['a helo with CRLF', { helo: 'c.example\r\nMAIL FROM:<x@y>' }, /helo/],
      ['an unknown TLS policy', { helo: 'c.example', tls: 'maybe' }, /tls/],
      ['LMTP with HELO (RFC 2033 4.1)', { helo: 'c.example', lmtp: true, ehlo: false }, /LHLO/],
      ['STARTTLS required with HELO', { helo: 'c.example', tls: 'required', ehlo: false }, /STARTTLS needs EHLO/],
      ['AUTH with HELO', { helo: 'c.example', ehlo: false, auth: { username: 'u', password: 'p' } }, /AUTH/],
      ['a zero timeout', { helo: 'c.example', timeouts: { mail: 0 } }, /timeouts.mail/],
      ['a timeout given as undefined', { helo: 'c.example', timeouts: { mail: undefined } }, /mail/],
      ['a reply line limit under 512 (RFC 5321 4.5.3.1.5)', { helo: 'c.example', maxReplyLine: 100 }, /maxReplyLine/],
      [
        'an unknown mechanism',
        { helo: 'c.example', auth: { username: 'u', password: 'p', mechanisms: ['NTLM'] } },
        /NTLM/,
      ],
      [
        'credentials no allowed mechanism can use',
        { helo: 'c.example', auth: { username: 'u', mechanisms: ['PLAIN'] } },
        /needs a password/,
      ],
      ['no mechanisms at all', { helo: 'c.example', auth: { username: 'u', password: 'p', mechanisms: [] } }, /empty/],
    ])('refuses %s, saying where', (_name, options, pattern) => {
      expect(errors(options).join('\n')).toMatch(pattern)
    })
    it.each([
      ['a password of the wrong type', { helo: 'c.example', auth: { username: 'u', password: 4711 } }],
      ['a token of the wrong type', { helo: 'c.example', auth: { username: 'u', token: [4711] } }],
      ['the credentials as one string', { helo: 'c.example', auth: 'u:4711' }],
      ['the credentials as an array', { helo: 'c.example', auth: ['u', '4711'] }],
    ])('never shows the secret of %s', (_name, options) => {
      const lines = errors(options).join('\n')
      expect(lines).toMatch(/auth/)
      expect(lines).not.toContain('4711')
    })
    it('accepts an address literal as our name (RFC 5321 4.1.1.1)', () => {
      expect(errors({ helo: '[192.0.2.1]' })).toEqual([])
      expect(errors({ helo: '[IPv6:2001:db8::1]' })).toEqual([])
    })
  })
})
