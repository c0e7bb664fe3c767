// Tests for the client side of SASL exchanges over SMTP AUTH (RFC 4954 4), for mechanism choice, and for
// client and server run against each other: PLAIN (RFC 4616 2), LOGIN, CRAM-MD5 (RFC 2195 2), XOAUTH2.

import { describe, expect, it } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import {
  chooseMechanism,
  saslClientNext,
  saslClientStart,
  secretProblem,
  type SaslClientState,
  type SaslClientStep,
  type SaslSecret,
} from '../../src/sasl/client.js'
import type { Mechanism } from '../../src/sasl/Mechanism.js'
import { saslServerNext, saslServerStart, verifyCramMd5, type SaslServerStep } from '../../src/sasl/server.js'

const utf8 = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'))
const text = (bytes: Uint8Array | undefined) => (bytes === undefined ? undefined : Buffer.from(bytes).toString('utf8'))
const empty = new Uint8Array(0)
const cram = '<1896.697170952@postoffice.reston.mci.net>'

/** The response and next state of a Respond step, failing the test on any other step. */
const expectRespond = (step: SaslClientStep): [string, SaslClientState] => {
  if (step._tag !== 'Respond') throw new Error(`expected a response, got ${JSON.stringify(step)}`)
  return [text(step.response)!, step.state]
}

describe('client', () => {
  describe('PLAIN', () => {
    it('puts authzid NUL authcid NUL passwd in the initial response (RFC 4616 2)', () => {
      expect(text(saslClientStart('PLAIN', { username: 'test', password: '1234' }).initial)).toBe('\0test\x001234')
      const withAuthzid = saslClientStart('PLAIN', { username: 'tim', password: 'p', authzid: 'admin' })
      expect(text(withAuthzid.initial)).toBe('admin\0tim\0p')
    })
    it('sends the initial response to an empty challenge if the AUTH line left it out (RFC 4954 4)', () => {
      const { state } = saslClientStart('PLAIN', { username: 'tim', password: 'pässword' })
      const [response, next] = expectRespond(saslClientNext(state, empty))
      expect(response).toBe('\0tim\0pässword')
      expect(saslClientNext(next, empty)._tag).toBe('Failed')
    })
    it('fails on a challenge with content: PLAIN expects none (RFC 4616 2)', () => {
      const { state } = saslClientStart('PLAIN', { username: 'tim', password: 'p' })
      expect(saslClientNext(state, utf8('what?'))._tag).toBe('Failed')
    })
  })

  describe('LOGIN', () => {
    it('has no initial response and answers the user name, then the password, then nothing more', () => {
      const start = saslClientStart('LOGIN', { username: 'tïm', password: 'tanstaaf' })
      expect(start.initial).toBeUndefined()
      const [first, s1] = expectRespond(saslClientNext(start.state, utf8('Username:')))
      const [second, s2] = expectRespond(saslClientNext(s1, utf8('Password:')))
      expect([first, second]).toEqual(['tïm', 'tanstaaf'])
      expect(saslClientNext(s2, utf8('Password:'))._tag).toBe('Failed')
    })
    it('goes by order, not by prompt text', () => {
      const { state } = saslClientStart('LOGIN', { username: 'tim', password: 'p' })
      expect(expectRespond(saslClientNext(state, utf8('User Name\0')))[0]).toBe('tim')
    })
  })

  describe('CRAM-MD5', () => {
    it('has no initial response and answers the RFC 2195 example', () => {
      const start = saslClientStart('CRAM-MD5', { username: 'tim', password: 'tanstaaftanstaaf' })
      expect(start.initial).toBeUndefined()
      const [response, next] = expectRespond(saslClientNext(start.state, utf8(cram)))
      expect(response).toBe('tim b913a602c7eda7a495b4e6e7334d3890')
      expect(saslClientNext(next, utf8(cram))._tag).toBe('Failed')
    })
    it('fails on an empty challenge (RFC 2195 2)', () => {
      const { state } = saslClientStart('CRAM-MD5', { username: 'tim', password: 'p' })
      expect(saslClientNext(state, empty)._tag).toBe('Failed')
    })
  })

  describe('XOAUTH2', () => {
    const secret = { username: 'someuser@example.com', token: 'ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg' }
    it('sends user=, auth=Bearer and ^A separators as the initial response', () => {
      const { initial } = saslClientStart('XOAUTH2', secret)
      expect(text(initial)).toBe(`user=${secret.username}\x01auth=Bearer ${secret.token}\x01\x01`)
    })
    it('answers the JSON error challenge with an empty response, once', () => {
      const { state } = saslClientStart('XOAUTH2', secret)
      const [response, next] = expectRespond(saslClientNext(state, utf8('{"status":"401","schemes":"Bearer"}')))
      expect(response).toBe('')
      expect(saslClientNext(next, utf8('{}'))._tag).toBe('Failed')
    })
    it('sends the token to an empty challenge, then acknowledges an error with an empty response', () => {
      const { state } = saslClientStart('XOAUTH2', secret)
      const [token, next] = expectRespond(saslClientNext(state, empty))
      expect(token).toContain('auth=Bearer ')
      expect(expectRespond(saslClientNext(next, utf8('{"status":"400"}')))[0]).toBe('')
    })
  })

  describe('secrets that cannot serve', () => {
    const unusable: ReadonlyArray<[Mechanism, SaslSecret, string]> = [
      ['PLAIN', { username: 'tim' }, 'no password'],
      ['PLAIN', { username: 'tim', password: '' }, 'an empty password (RFC 4616 2)'],
      ['PLAIN', { username: '', password: 'p' }, 'an empty username (RFC 4616 2)'],
      ['PLAIN', { username: 'tim', password: 'p\0q' }, 'a NUL in the password (RFC 4616 2)'],
      ['PLAIN', { username: 't\0m', password: 'p' }, 'a NUL in the username (RFC 4616 2)'],
      ['PLAIN', { username: 'tim', password: 'p', authzid: 'a\0' }, 'a NUL in the authzid (RFC 4616 2)'],
      ['LOGIN', { username: 'tim', token: 't' }, 'no password'],
      ['LOGIN', { username: 'tim', password: 'p', authzid: 'admin' }, 'an authzid LOGIN cannot carry'],
      ['CRAM-MD5', { username: 'tim' }, 'no password'],
      ['CRAM-MD5', { username: 'tim', password: 'p', authzid: 'admin' }, 'an authzid CRAM-MD5 cannot carry'],
      ['XOAUTH2', { username: 'tim', password: 'p' }, 'no token'],
      ['XOAUTH2', { username: 'tim', token: '' }, 'an empty token'],
      ['XOAUTH2', { username: 't\x01m', token: 't' }, 'a ^A in the username'],
      ['XOAUTH2', { username: 'tim', token: 't\x01' }, 'a ^A in the token'],
    ]
    it.each(unusable)('%s refuses a secret %j with %s and fails at the first step', (mechanism, secret) => {
      expect(secretProblem(mechanism, secret)).toMatch(/^[\x20-\x7e]+$/)
      const { initial, state } = saslClientStart(mechanism, secret)
      expect(initial).toBeUndefined()
      expect(saslClientNext(state, empty)._tag).toBe('Failed')
    })
    it('lets CRAM-MD5 keep a NUL in the password, since it only feeds the HMAC key (RFC 2104 2)', () => {
      expect(secretProblem('CRAM-MD5', { username: 'tim', password: 'p\0q' })).toBeUndefined()
    })
  })

  describe('chooseMechanism', () => {
    const all: ReadonlyArray<Mechanism> = ['PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2']
    const both = { username: 'tim', password: 'p', token: 't' }
    it.each([
      [['PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2'], all, both, 'XOAUTH2'],
      [['PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2'], all, { username: 'tim', password: 'p' }, 'CRAM-MD5'],
      [['PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2'], all, { username: 'tim', token: 't' }, 'XOAUTH2'],
      [['LOGIN', 'PLAIN'], all, both, 'PLAIN'],
      [['LOGIN'], all, both, 'LOGIN'],
      [['login', 'Plain', 'cram-md5'], all, both, 'CRAM-MD5'],
      [['PLAIN', 'LOGIN', 'CRAM-MD5'], ['LOGIN'], both, 'LOGIN'],
      [['GSSAPI', 'PLAIN'], all, both, 'PLAIN'],
      [['CRAM-MD5', 'PLAIN'], all, { username: 'tim', password: 'p', authzid: 'admin' }, 'PLAIN'],
      [['XOAUTH2'], all, { username: 'tim', password: 'p' }, undefined],
      [['PLAIN', 'LOGIN'], all, { username: 'tim', token: 't' }, undefined],
      [['PLAIN'], ['LOGIN'], both, undefined],
      [[], all, both, undefined],
    ] as const)('from %j allowing %j picks the strongest usable: %s', (offered, allowed, secret: SaslSecret, m) => {
      expect(chooseMechanism(offered, allowed, secret)).toBe(m)
    })
  })

  describe('against the server', () => {
    /** Run the exchange to the end: the server's last step, after at most a few rounds. */
    const run = (mechanism: Mechanism, secret: SaslSecret, sendInitial: boolean): SaslServerStep => {
      const client = saslClientStart(mechanism, secret)
      let server = saslServerStart(mechanism, sendInitial ? client.initial : undefined, cram)
      let state = client.state
      for (let round = 0; round < 4 && server._tag === 'Challenge'; round++) {
        const step = saslClientNext(state, server.challenge)
        if (step._tag === 'Failed') throw new Error(step.reason)
        state = step.state
        server = saslServerNext(server.state, step.response)
      }
      return server
    }
    const field = fc
      .string({ unit: 'grapheme', minLength: 1, maxLength: 20 })
      .filter((s) => !s.includes('\0') && !s.includes('\x01') && Buffer.byteLength(s) <= 255)
    const token = fc.stringMatching(/^[A-Za-z0-9\-._~+/]{1,60}={0,2}$/)

    test.prop([field, field, fc.option(field, { nil: undefined }), fc.boolean()])(
      'PLAIN yields the same identities and password, with or without the initial response (RFC 4616 2)',
      (username, password, authzid, sendInitial) => {
        const secret = authzid === undefined ? { username, password } : { username, password, authzid }
        expect(run('PLAIN', secret, sendInitial)).toEqual({
          _tag: 'Done',
          credentials: { mechanism: 'PLAIN', authzid: authzid ?? '', username, password },
        })
      },
    )
    test.prop([field, field])('LOGIN yields the same username and password', (username, password) => {
      expect(run('LOGIN', { username, password }, true)).toEqual({
        _tag: 'Done',
        credentials: { mechanism: 'LOGIN', username, password },
      })
    })
    test.prop([field, field, field])(
      'CRAM-MD5 yields a digest that verifies with the password and no other (RFC 2195 2)',
      (username, password, other) => {
        const step = run('CRAM-MD5', { username, password }, true)
        if (step._tag !== 'Done' || step.credentials.mechanism !== 'CRAM-MD5') throw new Error('not done')
        expect(step.credentials.username).toBe(username)
        expect(step.credentials.challenge).toBe(cram)
        expect(verifyCramMd5(password, cram, step.credentials.digest)).toBe(true)
        if (other !== password) expect(verifyCramMd5(other, cram, step.credentials.digest)).toBe(false)
      },
    )
    test.prop([field, token, fc.boolean()])(
      'XOAUTH2 yields the same username and token',
      (username, token, sendInitial) => {
        expect(run('XOAUTH2', { username, token }, sendInitial)).toEqual({
          _tag: 'Done',
          credentials: { mechanism: 'XOAUTH2', username, token },
        })
      },
    )
  })
})
