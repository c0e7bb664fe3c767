import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { type Question, accept, reject, reply } from '../../../src/index.js'
import { encodeBase64, verifyCramMd5 } from '../../../src/sasl/index.js'
import { encode } from '../../../src/wire/bytes.js'
import { Harness } from '../harness.js'

const b64 = (s: string) => encodeBase64(encode(s))
const fromB64 = (s: string) => Buffer.from(s, 'base64').toString('latin1')

const authServer = (options = {}, answerer?: ConstructorParameters<typeof Harness>[1]) => {
  const h = new Harness(
    {
      hostname: 'mx.example.com',
      authMechanisms: ['PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2'],
      authFailureDelayMs: 0,
      ...options,
    },
    answerer,
    { tls: true, nonce: 'n0nce' },
  )
  h.feed('EHLO c.example\r\n')
  h.read()
  return h
}
const passwordIs = (password: string) => (q: Question) => {
  if (q._tag !== 'Auth') return accept()
  const c = q.credentials
  if (c.mechanism === 'CRAM-MD5')
    return verifyCramMd5(password, c.challenge, c.digest) ? accept() : reject(reply(535, '5.7.8', 'Bad'))
  if (c.mechanism === 'XOAUTH2')
    return c.token === password ? accept() : reject(reply(535, '5.7.8', 'Bad'), '{"status":"401"}')
  return c.password === password ? accept() : reject(reply(535, '5.7.8', 'Bad'))
}

describe('server session', () => {
  describe('the AUTH= MAIL parameter (RFC 4954 5)', () => {
    const mailAuth = (h: Harness) => {
      h.feed('MAIL FROM:<a@b.example> AUTH=ceo+40example.com\r\n')
      const q = h.questions.at(-1)
      return q?._tag === 'Mail' ? q.params.auth : 'no question'
    }
    it('from a client that has not authenticated is taken as AUTH=<>', () => {
      expect(mailAuth(authServer())).toBeNull()
    })
    it('from an authenticated client is handed over as given, for the application to trust or not', () => {
      const h = authServer({}, passwordIs('secret'))
      h.feed(`AUTH PLAIN ${b64('\u0000alice\u0000secret')}\r\n`)
      h.read()
      expect(mailAuth(h)).toBe('ceo@example.com')
    })
  })

  describe('AUTH (RFC 4954 4)', () => {
    it('PLAIN with an initial response: 235, and the identity is kept (RFC 4616 2)', () => {
      const h = authServer({}, passwordIs('secret'))
      h.feed(`AUTH PLAIN ${b64('\u0000alice\u0000secret')}\r\n`)
      expect(h.read()).toBe('235 2.7.0 Authentication successful\r\n')
      expect(h.questions.at(-1)).toMatchObject({
        _tag: 'Auth',
        credentials: { mechanism: 'PLAIN', authzid: '', username: 'alice', password: 'secret' },
      })
      expect(h.state.authenticated).toBe('alice')
    })
    it('PLAIN without an initial response gets an empty 334 challenge', () => {
      const h = authServer({}, passwordIs('secret'))
      h.feed('AUTH PLAIN\r\n')
      expect(h.read()).toBe('334 \r\n')
      h.feed(`${b64('\u0000alice\u0000secret')}\r\n`)
      expect(h.read()).toBe('235 2.7.0 Authentication successful\r\n')
    })
    it('LOGIN prompts for the user name and the password', () => {
      const h = authServer({}, passwordIs('pw'))
      h.feed('AUTH LOGIN\r\n')
      expect(h.read()).toBe(`334 ${b64('Username:')}\r\n`)
      h.feed(`${b64('bob')}\r\n`)
      expect(h.read()).toBe(`334 ${b64('Password:')}\r\n`)
      h.feed(`${b64('pw')}\r\n`)
      expect(h.read()).toBe('235 2.7.0 Authentication successful\r\n')
    })
    it('CRAM-MD5 sends a unique challenge and hands back the digest (RFC 2195 2)', () => {
      const h = authServer({}, passwordIs('tanstaaftanstaaf'))
      h.feed('AUTH CRAM-MD5\r\n')
      const line = h.read()
      expect(line).toMatch(/^334 [A-Za-z0-9+/=]+\r\n$/)
      const challenge = fromB64(line.slice(4, -2))
      expect(challenge).toBe('<n0nce.1@mx.example.com>')
      const digest = createHmac('md5', 'tanstaaftanstaaf').update(challenge).digest('hex')
      h.feed(`${b64(`tim ${digest}`)}\r\n`)
      expect(h.read()).toBe('235 2.7.0 Authentication successful\r\n')
    })
    it('XOAUTH2 failure: a 334 error challenge, then the refusal after the empty response', () => {
      const h = authServer({}, passwordIs('token'))
      h.feed(`AUTH XOAUTH2 ${b64('user=a@b.example\u0001auth=Bearer wrong\u0001\u0001')}\r\n`)
      expect(h.read()).toBe(`334 ${b64('{"status":"401"}')}\r\n`)
      h.feed('\r\n')
      expect(h.read()).toBe('535 5.7.8 Bad\r\n')
      expect(h.state.authenticated).toBeUndefined()
    })
    it('XOAUTH2 refused with 421 and a challenge: the 334, then the 421 after the response, then the close', () => {
      const h = authServer({}, (q) =>
        q._tag === 'Auth' ? reject(reply(421, '4.7.0', 'going down'), '{"status":"401"}') : accept(),
      )
      h.feed(`AUTH XOAUTH2 ${b64('user=a@b.example\u0001auth=Bearer x\u0001\u0001')}\r\n`)
      expect(h.read()).toBe(`334 ${b64('{"status":"401"}')}\r\n`)
      expect(h.closed).toBe(false)
      h.feed('\r\nNOOP\r\n')
      expect(h.read()).toBe('421 4.7.0 going down\r\n')
      expect(h.closed).toBe(true)
    })
    it('an initial response to CRAM-MD5, where the server speaks first, is 501 5.7.0 (RFC 4954 4)', () => {
      const h = authServer()
      h.feed(`AUTH CRAM-MD5 ${b64('alice 0123')}\r\n`)
      expect(h.read()).toBe('501 5.7.0 CRAM-MD5 does not take an initial response\r\n')
    })
    it('"=" is an empty initial response (RFC 4954 4)', () => {
      const h = authServer()
      h.feed('AUTH PLAIN =\r\n')
      expect(h.read()).toMatch(/^501 5\.5\.2 PLAIN/)
    })
    it.each([
      ['535 for wrong credentials', reply(535, '5.7.8', 'Authentication credentials invalid')],
      ['454 for a temporary failure', reply(454, '4.7.0', 'Temporary authentication failure')],
      ['534 for a mechanism too weak', reply(534, '5.7.9', 'Authentication mechanism is too weak')],
    ])('%s, chosen by the application (RFC 4954 6)', (_n, r) => {
      const h = authServer({}, (q) => (q._tag === 'Auth' ? reject(r) : accept()))
      h.feed(`AUTH PLAIN ${b64('\u0000a\u0000b')}\r\n`)
      expect(h.read()).toBe(`${r.code} ${r.enhanced} ${r.lines[0]}\r\n`)
    })
    it('"*" cancels the exchange with 501 (RFC 4954 4)', () => {
      const h = authServer()
      h.feed('AUTH LOGIN\r\n*\r\n')
      expect(h.read()).toMatch(/\r\n501 5\.7\.0 Authentication cancelled\r\n$/)
    })
    it('501 for a response that is not base64 (RFC 4954 4)', () => {
      const h = authServer()
      h.feed('AUTH LOGIN\r\n!!!\r\n')
      expect(h.read()).toMatch(/\r\n501 5\.5\.2 Cannot decode base64\r\n$/)
    })
    it('503 for a second AUTH after success (RFC 4954 4)', () => {
      const h = authServer()
      h.feed(`AUTH PLAIN ${b64('\u0000a\u0000b')}\r\nAUTH PLAIN ${b64('\u0000a\u0000b')}\r\n`)
      expect(h.read()).toBe('235 2.7.0 Authentication successful\r\n503 5.5.1 Already authenticated\r\n')
    })
    it('503 during a mail transaction (RFC 4954 4)', () => {
      const h = authServer()
      h.feed('MAIL FROM:<a@b.example>\r\nAUTH PLAIN\r\n')
      expect(h.read()).toBe('250 2.1.0 Ok\r\n503 5.5.1 AUTH is not allowed during a mail transaction\r\n')
    })
    it('504 for a mechanism that is not offered (RFC 4954 4)', () => {
      const h = authServer({ authMechanisms: ['PLAIN'] })
      h.feed('AUTH LOGIN\r\nAUTH GSSAPI\r\n')
      expect(h.read()).toBe('504 5.5.4 Unrecognized authentication mechanism\r\n'.repeat(2))
    })
    it('538 in clear unless insecure AUTH is allowed (RFC 4954 4)', () => {
      const h = new Harness({ authMechanisms: ['PLAIN'] })
      h.feed('EHLO c.example\r\n')
      h.read()
      h.feed(`AUTH PLAIN ${b64('\u0000a\u0000b')}\r\n`)
      expect(h.read()).toBe('538 5.7.11 Encryption required for requested authentication mechanism\r\n')
    })
    it('502 when AUTH is off', () => {
      const h = new Harness({})
      h.feed('EHLO c.example\r\nAUTH PLAIN\r\n')
      expect(h.read()).toMatch(/502 5\.5\.1 Command not implemented\r\n$/)
    })
    it('takes an AUTH line of 12288 octets (RFC 4954 4)', () => {
      const h = authServer({}, (q) => (q._tag === 'Auth' ? reject(reply(535, '5.7.8', 'no')) : accept()))
      const user = 'u'.repeat(200)
      const line = `AUTH PLAIN ${b64(`\u0000${user}\u0000pw`)}`
      h.feed(`${line}${' '.repeat(0)}\r\n`)
      expect(h.read()).toBe('535 5.7.8 no\r\n')
      h.feed(`AUTH LOGIN\r\n${'A'.repeat(12286)}\r\n`)
      expect(h.read()).toMatch(/^334 /)
    })
    it('the exchange after a successful AUTH leaves MAIL allowed when AUTH is required (RFC 4954 6)', () => {
      const h = authServer({ requireAuth: true })
      h.feed(`MAIL FROM:<a@b.example>\r\nAUTH PLAIN ${b64('\u0000a\u0000b')}\r\nMAIL FROM:<a@b.example>\r\n`)
      expect(h.read()).toBe(
        '530 5.7.0 Authentication required\r\n235 2.7.0 Authentication successful\r\n250 2.1.0 Ok\r\n',
      )
    })
  })
})
