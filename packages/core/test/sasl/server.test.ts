// Tests for the server side of SASL exchanges over SMTP AUTH (RFC 4954 4): PLAIN (RFC 4616 2), LOGIN,
// CRAM-MD5 (RFC 2195 2) and XOAUTH2, stepped on decoded bytes.

import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import {
  saslServerNext,
  saslServerStart,
  verifyCramMd5,
  xoauth2ErrorChallenge,
  type SaslServerStep,
} from '../../src/sasl/server.js'

const utf8 = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'))
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8')
const cram = '<1896.697170952@postoffice.reston.mci.net>'

/** The state of a Challenge step, failing the test on any other step. */
const expectChallenge = (step: SaslServerStep, challenge: string) => {
  if (step._tag !== 'Challenge') throw new Error(`expected a challenge, got ${JSON.stringify(step)}`)
  expect(text(step.challenge)).toBe(challenge)
  return step.state
}

const expectFailed = (step: SaslServerStep) => {
  expect(step._tag).toBe('Failed')
  if (step._tag === 'Failed') expect(step.reason).toMatch(/^[\x20-\x7e]+$/)
}

describe('server', () => {
  describe('PLAIN', () => {
    it('accepts the RFC 4954 example initial response', () => {
      expect(saslServerStart('PLAIN', utf8('\0test\x001234'), cram)).toEqual({
        _tag: 'Done',
        credentials: { mechanism: 'PLAIN', authzid: '', username: 'test', password: '1234' },
      })
    })
    it('sends an empty challenge when the initial response is absent (RFC 4954 4)', () => {
      const state = expectChallenge(saslServerStart('PLAIN', undefined, cram), '')
      expect(saslServerNext(state, utf8('admin\0tim\0tanstaaf'))).toEqual({
        _tag: 'Done',
        credentials: { mechanism: 'PLAIN', authzid: 'admin', username: 'tim', password: 'tanstaaf' },
      })
    })
    it('decodes UTF-8 fields (RFC 4616 2)', () => {
      const step = saslServerStart('PLAIN', utf8('\0jöhn\0pässwörd 🔑'), cram)
      expect(step).toMatchObject({ credentials: { username: 'jöhn', password: 'pässwörd 🔑' } })
    })
    it('accepts fields of 255 octets (RFC 4616 2)', () => {
      const f = 'é'.repeat(127) + 'x'
      expect(saslServerStart('PLAIN', utf8(`${f}\0${f}\0${f}`), cram)._tag).toBe('Done')
    })
    it.each([
      ['an empty response (the "=" initial response, RFC 4954 4)', new Uint8Array(0)],
      ['no NUL separator (RFC 4616 2)', utf8('user password')],
      ['one NUL separator (RFC 4616 2)', utf8('user\0password')],
      ['a NUL inside the password (RFC 4616 2)', utf8('\0user\0pass\0word')],
      ['an empty authcid (RFC 4616 2)', utf8('admin\0\0password')],
      ['an empty password (RFC 4616 2)', utf8('\0user\0')],
      ['invalid UTF-8 in the authcid (RFC 4616 2)', Uint8Array.from([0, 0xc0, 0xaf, 0, 0x70])],
      ['invalid UTF-8 in the authzid (RFC 4616 2)', Uint8Array.from([0xff, 0, 0x75, 0, 0x70])],
      ['a 256-octet authcid (RFC 4616 2)', utf8(`\0${'u'.repeat(256)}\0p`)],
      ['a 256-octet password (RFC 4616 2)', utf8(`\0u\0${'p'.repeat(256)}`)],
      ['a 256-octet authzid (RFC 4616 2)', utf8(`${'a'.repeat(256)}\0u\0p`)],
    ])('refuses %s', (_name, message) => {
      expectFailed(saslServerStart('PLAIN', message, cram))
      expectFailed(saslServerNext({ _tag: 'PlainResponse' }, message))
    })
  })

  describe('LOGIN', () => {
    it('prompts Username: then Password: when there is no initial response', () => {
      const first = expectChallenge(saslServerStart('LOGIN', undefined, cram), 'Username:')
      const second = expectChallenge(saslServerNext(first, utf8('tim')), 'Password:')
      expect(saslServerNext(second, utf8('tanstaaf'))).toEqual({
        _tag: 'Done',
        credentials: { mechanism: 'LOGIN', username: 'tim', password: 'tanstaaf' },
      })
    })
    it('takes an initial response as the user name and asks only for the password', () => {
      const state = expectChallenge(saslServerStart('LOGIN', utf8('tïm'), cram), 'Password:')
      expect(saslServerNext(state, utf8('p'))).toMatchObject({ credentials: { username: 'tïm', password: 'p' } })
    })
    it.each([
      ['empty', new Uint8Array(0)],
      ['invalid UTF-8', Uint8Array.from([0x74, 0xff])],
      ['holding NUL', utf8('t\0m')],
    ])('refuses a user name that is %s', (_name, username) => {
      expectFailed(saslServerStart('LOGIN', username, cram))
      expectFailed(saslServerNext({ _tag: 'LoginUsername' }, username))
    })
    it.each([
      ['empty', new Uint8Array(0)],
      ['invalid UTF-8', Uint8Array.from([0xed, 0xa0, 0x80])],
      ['holding NUL', utf8('pass\0')],
    ])('refuses a password that is %s', (_name, password) => {
      expectFailed(saslServerNext({ _tag: 'LoginPassword', username: 'tim' }, password))
    })
  })

  describe('CRAM-MD5', () => {
    it('sends the chosen challenge and reads the RFC 2195 example answer', () => {
      const state = expectChallenge(saslServerStart('CRAM-MD5', undefined, cram), cram)
      expect(saslServerNext(state, utf8('tim b913a602c7eda7a495b4e6e7334d3890'))).toEqual({
        _tag: 'Done',
        credentials: {
          mechanism: 'CRAM-MD5',
          username: 'tim',
          challenge: cram,
          digest: 'b913a602c7eda7a495b4e6e7334d3890',
        },
      })
    })
    it.each([
      ['an initial response', utf8('tim b913a602c7eda7a495b4e6e7334d3890')],
      ['an empty initial response', new Uint8Array(0)],
    ])('refuses %s: the server speaks first (RFC 4954 4)', (_name, initial) => {
      expectFailed(saslServerStart('CRAM-MD5', initial, cram))
    })
    it('accepts uppercase hex but hands back lowercase', () => {
      const step = saslServerNext(
        { _tag: 'CramMd5Response', challenge: cram },
        utf8('tim B913A602C7EDA7A495B4E6E7334D3890'),
      )
      expect(step).toMatchObject({ credentials: { digest: 'b913a602c7eda7a495b4e6e7334d3890' } })
    })
    it('splits at the last space, so a user name may hold spaces (RFC 2195 2)', () => {
      const step = saslServerNext(
        { _tag: 'CramMd5Response', challenge: cram },
        utf8('tim o 00112233445566778899aabbccddeeff'),
      )
      expect(step).toMatchObject({ credentials: { username: 'tim o' } })
    })
    it.each([
      ['no space', 'timb913a602c7eda7a495b4e6e7334d3890'],
      ['an empty user name', ' b913a602c7eda7a495b4e6e7334d3890'],
      ['a short digest', 'tim b913a602c7eda7a495b4e6e7334d389'],
      ['a long digest', 'tim b913a602c7eda7a495b4e6e7334d38900'],
      ['a non-hex digit', 'tim g913a602c7eda7a495b4e6e7334d3890'],
      ['a trailing space', 'tim b913a602c7eda7a495b4e6e7334d3890 '],
      ['a NUL in the user name', 't\0m b913a602c7eda7a495b4e6e7334d3890'],
      ['nothing', ''],
    ])('refuses an answer with %s (RFC 2195 2)', (_name, answer) => {
      expectFailed(saslServerNext({ _tag: 'CramMd5Response', challenge: cram }, utf8(answer)))
    })
    it('refuses an answer that is not UTF-8', () => {
      const answer = Uint8Array.from([0xff, ...utf8(' b913a602c7eda7a495b4e6e7334d3890')])
      expectFailed(saslServerNext({ _tag: 'CramMd5Response', challenge: cram }, answer))
    })
  })

  describe('verifyCramMd5', () => {
    it('checks the RFC 2195 example', () => {
      expect(verifyCramMd5('tanstaaftanstaaf', cram, 'b913a602c7eda7a495b4e6e7334d3890')).toBe(true)
      expect(verifyCramMd5('tanstaaftanstaaf', cram, 'B913A602C7EDA7A495B4E6E7334D3890')).toBe(true)
    })
    it.each([
      ['another password', 'tanstaaf', cram, 'b913a602c7eda7a495b4e6e7334d3890'],
      ['another challenge', 'tanstaaftanstaaf', '<1@x>', 'b913a602c7eda7a495b4e6e7334d3890'],
      ['a changed last digit', 'tanstaaftanstaaf', cram, 'b913a602c7eda7a495b4e6e7334d3891'],
      ['a truncated digest', 'tanstaaftanstaaf', cram, 'b913a602c7eda7a495b4e6e7334d389'],
      ['the right digest with a digit more', 'tanstaaftanstaaf', cram, 'b913a602c7eda7a495b4e6e7334d38900'],
      ['an empty digest', 'tanstaaftanstaaf', cram, ''],
    ])('refuses %s (RFC 2195 2)', (_name, password, challenge, digest) => {
      expect(verifyCramMd5(password, challenge, digest)).toBe(false)
    })
    test.prop([fc.string(), fc.string({ minLength: 1 })])(
      'agrees with node:crypto HMAC-MD5 (RFC 2104 2)',
      (password, challenge) => {
        const digest = createHmac('md5', Buffer.from(password, 'utf8')).update(challenge, 'utf8').digest('hex')
        expect(verifyCramMd5(password, challenge, digest)).toBe(true)
        expect(verifyCramMd5(password + 'x', challenge, digest)).toBe(false)
      },
    )
  })

  describe('XOAUTH2', () => {
    const token = 'ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg'
    it('reads the documented initial response', () => {
      expect(
        saslServerStart('XOAUTH2', utf8(`user=someuser@example.com\x01auth=Bearer ${token}\x01\x01`), cram),
      ).toEqual({
        _tag: 'Done',
        credentials: { mechanism: 'XOAUTH2', username: 'someuser@example.com', token },
      })
    })
    it('sends an empty challenge when the initial response is absent (RFC 4954 4)', () => {
      const state = expectChallenge(saslServerStart('XOAUTH2', undefined, cram), '')
      expect(saslServerNext(state, utf8(`user=u\x01auth=bearer ${token}=\x01\x01`))).toMatchObject({
        credentials: { username: 'u', token: `${token}=` },
      })
    })
    it.each([
      ['no trailing ^A^A', `user=u\x01auth=Bearer ${token}\x01`],
      ['fields in the wrong order', `auth=Bearer ${token}\x01user=u\x01\x01`],
      ['an extra field', `user=u\x01host=x\x01auth=Bearer ${token}\x01\x01`],
      ['no auth field', 'user=u\x01\x01'],
      ['an empty user', `user=\x01auth=Bearer ${token}\x01\x01`],
      ['a NUL in the user', `user=u\0\x01auth=Bearer ${token}\x01\x01`],
      ['another scheme (RFC 6750 2.1)', 'user=u\x01auth=Basic dTpw\x01\x01'],
      ['no space after Bearer (RFC 6750 2.1)', `user=u\x01auth=Bearer${token}\x01\x01`],
      ['an empty token (RFC 6750 2.1)', 'user=u\x01auth=Bearer \x01\x01'],
      ['a space in the token (RFC 6750 2.1)', 'user=u\x01auth=Bearer ab cd\x01\x01'],
      ['padding inside the token (RFC 6750 2.1)', 'user=u\x01auth=Bearer ab=cd\x01\x01'],
      ['an empty response', ''],
    ])('refuses %s', (_name, response) => {
      expectFailed(saslServerStart('XOAUTH2', utf8(response), cram))
      expectFailed(saslServerNext({ _tag: 'XOAuth2Response' }, utf8(response)))
    })
    it('refuses invalid UTF-8', () => {
      expectFailed(saslServerNext({ _tag: 'XOAuth2Response' }, Uint8Array.from([0x75, 0xc3])))
    })
  })

  describe('xoauth2ErrorChallenge', () => {
    it('is the JSON error a server sends after refusing a token', () => {
      expect(JSON.parse(text(xoauth2ErrorChallenge('401')))).toEqual({ status: '401', schemes: 'Bearer' })
      expect(JSON.parse(text(xoauth2ErrorChallenge('400', 'https://mail.google.com/')))).toEqual({
        status: '400',
        schemes: 'Bearer',
        scope: 'https://mail.google.com/',
      })
    })
  })
})
