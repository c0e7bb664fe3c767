// Tests for SASL mechanism names as used by EHLO AUTH and the AUTH command (RFC 4954 3 and 4).

import { describe, expect, it } from 'vitest'
import { mechanisms, parseMechanism } from '../../src/sasl/Mechanism.js'

describe('Mechanism', () => {
  describe('mechanisms', () => {
    it('lists each supported mechanism once', () => {
      expect([...mechanisms].sort()).toEqual(['CRAM-MD5', 'LOGIN', 'PLAIN', 'XOAUTH2'])
    })
  })

  describe('parseMechanism', () => {
    it.each([
      ['PLAIN', 'PLAIN'],
      ['plain', 'PLAIN'],
      ['Login', 'LOGIN'],
      ['cram-md5', 'CRAM-MD5'],
      ['xoauth2', 'XOAUTH2'],
    ] as const)('reads %j as %s, ignoring case (RFC 4422 3.1)', (name, mechanism) => {
      expect(parseMechanism(name)).toBe(mechanism)
    })
    it.each(['', 'GSSAPI', 'SCRAM-SHA-256', 'PLAIN ', ' PLAIN', 'CRAM_MD5', 'plaın', 'logın'])(
      'refuses %j: unknown, padded, or only equal under Unicode case mapping',
      (name) => {
        expect(parseMechanism(name)).toBeUndefined()
      },
    )
  })
})
