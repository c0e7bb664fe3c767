// Tests for src/grammar/params.ts: esmtp-param syntax, the MAIL and RCPT parameter checks, client-side formatting.
// RFC 5321 4.1.2, 4.1.1.11; RFC 1870; RFC 6152; RFC 3030; RFC 6531 3.4; RFC 3461 4; RFC 4954 5; RFC 8689 2.

import { describe, expect, it } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import * as E from 'fp-ts/lib/Either.js'
import { parseMailFrom, parseRcptTo } from '../../src/grammar/address.js'
import {
  everyParam as all,
  formatMailParams,
  formatRcptParams,
  mailParams,
  parseParams,
  rcptParams,
  type EsmtpParam,
  type MailParams,
  type ParamSupport,
  type RcptParams,
} from '../../src/grammar/params.js'

const none: ParamSupport = {
  size: false,
  eightBitMime: false,
  binaryMime: false,
  smtpUtf8: false,
  dsn: false,
  auth: false,
  requireTls: false,
}
const only = (key: keyof ParamSupport): ParamSupport => ({ ...none, [key]: true })
const without = (key: keyof ParamSupport): ParamSupport => ({ ...all, [key]: false })

it('everyParam, the support the cases below start from, takes every extension', () => {
  expect(Object.values(all)).toEqual(Object.values(all).map(() => true))
  expect(Object.keys(all).sort()).toEqual([
    'auth',
    'binaryMime',
    'dsn',
    'eightBitMime',
    'requireTls',
    'size',
    'smtpUtf8',
  ])
})

/** The parameters of a well-formed parameter text; fails the test if the text is malformed. */
const paramsOf = (text: string): ReadonlyArray<EsmtpParam> => {
  const parsed = parseParams(text)
  if (E.isLeft(parsed)) throw new Error(`test input does not parse: ${parsed.left.text}`)
  return parsed.right
}

const err501 = (text: string) => E.left({ code: 501, enhanced: '5.5.4', text })
const err555 = (text: string) => E.left({ code: 555, enhanced: '5.5.4', text })

describe('params', () => {
  describe('parseParams (RFC 5321 4.1.2 esmtp-param)', () => {
    it.each([
      ['', []],
      ['SIZE=100', [{ keyword: 'SIZE', value: '100' }]],
      ['size=100', [{ keyword: 'SIZE', value: '100' }]],
      ['SMTPUTF8', [{ keyword: 'SMTPUTF8', value: undefined }]],
      ['9X-y=a', [{ keyword: '9X-Y', value: 'a' }]],
      ['AUTH=<>', [{ keyword: 'AUTH', value: '<>' }]],
      ['X=é', [{ keyword: 'X', value: 'é' }]],
      [
        'A=b C D-E=f~!',
        [
          { keyword: 'A', value: 'b' },
          { keyword: 'C', value: undefined },
          { keyword: 'D-E', value: 'f~!' },
        ],
      ],
    ])('splits %j into keywords, upper-cased, and values as written (RFC 5321 4.1.2)', (text, expected) => {
      expect(parseParams(text)).toEqual(E.right(expected))
    })

    it.each([
      [' SIZE=1', 'Syntax: parameters are separated by single spaces', 'a leading space'],
      ['SIZE=1 ', 'Syntax: parameters are separated by single spaces', 'a trailing space'],
      ['SIZE=1  BODY=7BIT', 'Syntax: parameters are separated by single spaces', 'two spaces'],
      ['-X', 'Syntax: bad parameter keyword', 'a keyword starting with a hyphen'],
      ['X_Y=1', 'Syntax: bad parameter keyword', 'an underscore in the keyword'],
      ['=1', 'Syntax: bad parameter keyword', 'no keyword'],
      ['é=1', 'Syntax: bad parameter keyword', 'a non-ASCII keyword'],
      ['SIZE=', 'Syntax: bad value for parameter SIZE', 'an empty value'],
      ['SIZE=1=2', 'Syntax: bad value for parameter SIZE', 'an = in the value'],
      ['X=a\tb', 'Syntax: bad value for parameter X', 'a tab in the value'],
      ['X=\u0000', 'Syntax: bad value for parameter X', 'NUL in the value'],
      ['X=\u007f', 'Syntax: bad value for parameter X', 'DEL in the value'],
      ['X=\u0085', 'Syntax: bad value for parameter X', 'a C1 control in the value'],
      ['X=\ud800', 'Syntax: bad value for parameter X', 'a lone surrogate in the value'],
    ])('refuses %j with 501 5.5.4: %s (RFC 5321 4.1.2)', (text, message) => {
      expect(parseParams(text)).toEqual(err501(message))
    })

    test.prop([fc.string({ unit: 'binary' })])('never throws (RFC 5321 4.1.2)', (text) => {
      const parsed = parseParams(text)
      if (E.isRight(parsed)) for (const p of parsed.right) expect(p.keyword).toMatch(/^[A-Z0-9][A-Z0-9-]*$/)
    })
  })

  describe('mailParams: accepted values', () => {
    it.each<[string, ParamSupport, MailParams]>([
      ['', none, {}],
      ['SIZE=0', only('size'), { size: 0 }],
      ['SIZE=12345678', only('size'), { size: 12345678 }],
      ['SIZE=00000000000000000001', only('size'), { size: 1 }],
      ['SIZE=9007199254740991', only('size'), { size: Number.MAX_SAFE_INTEGER }],
      ['BODY=7BIT', only('eightBitMime'), { body: '7BIT' }],
      ['BODY=7bit', only('binaryMime'), { body: '7BIT' }],
      ['BODY=8bitmime', only('eightBitMime'), { body: '8BITMIME' }],
      ['BODY=BinaryMime', only('binaryMime'), { body: 'BINARYMIME' }],
      ['SMTPUTF8', only('smtpUtf8'), { smtpUtf8: true }],
      ['RET=full', only('dsn'), { ret: 'FULL' }],
      ['RET=HDRS', only('dsn'), { ret: 'HDRS' }],
      ['ENVID=QQ314159', only('dsn'), { envid: 'QQ314159' }],
      ['ENVID=a+20b+2B', only('dsn'), { envid: 'a b+' }],
      [`ENVID=${'x'.repeat(100)}`, only('dsn'), { envid: 'x'.repeat(100) }],
      ['AUTH=e+3Dmc2@example.com', only('auth'), { auth: 'e=mc2@example.com' }],
      ['AUTH=<>', only('auth'), { auth: null }],
      ['AUTH=+C3+BC@example.org', only('auth'), { auth: 'ü@example.org' }],
      ['REQUIRETLS', only('requireTls'), { requireTls: true }],
      [
        'SIZE=10 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=id AUTH=<> REQUIRETLS',
        all,
        { size: 10, body: '8BITMIME', smtpUtf8: true, ret: 'HDRS', envid: 'id', auth: null, requireTls: true },
      ],
    ])(
      'accepts %j when its extension is enabled (RFC 1870, 6152, 3030, 6531 3.4, 3461 4, 4954 5, 8689 2)',
      (text, support, expected) => {
        expect(mailParams(paramsOf(text), support)).toEqual(E.right(expected))
      },
    )
  })

  describe('mailParams: unknown or disabled parameters give 555 (RFC 5321 4.1.1.11)', () => {
    it.each<[string, ParamSupport, string]>([
      ['XFOO', all, 'MAIL parameter XFOO not recognized'],
      ['xfoo=1', all, 'MAIL parameter XFOO not recognized'],
      ['NOTIFY=NEVER', all, 'MAIL parameter NOTIFY not recognized'],
      ['SIZE=1', without('size'), 'MAIL parameter SIZE not recognized'],
      ['BODY=7BIT', { ...all, eightBitMime: false, binaryMime: false }, 'MAIL parameter BODY not recognized'],
      ['BODY=8BITMIME', only('binaryMime'), 'MAIL parameter BODY=8BITMIME not recognized'],
      ['BODY=BINARYMIME', only('eightBitMime'), 'MAIL parameter BODY=BINARYMIME not recognized'],
      ['SMTPUTF8', without('smtpUtf8'), 'MAIL parameter SMTPUTF8 not recognized'],
      ['RET=FULL', without('dsn'), 'MAIL parameter RET not recognized'],
      ['ENVID=x', without('dsn'), 'MAIL parameter ENVID not recognized'],
      ['AUTH=<>', without('auth'), 'MAIL parameter AUTH not recognized'],
      ['REQUIRETLS', without('requireTls'), 'MAIL parameter REQUIRETLS not recognized'],
      ['XFOO XFOO', all, 'MAIL parameter XFOO not recognized'],
      ['X'.repeat(100), all, `MAIL parameter ${'X'.repeat(40)}... not recognized`],
    ])('refuses %j with 555 5.5.4 (RFC 5321 4.1.1.11)', (text, support, message) => {
      expect(mailParams(paramsOf(text), support)).toEqual(err555(message))
    })
  })

  describe('mailParams: bad values and repeats give 501 (RFC 3461 5.1, RFC 1870, RFC 6152)', () => {
    it.each([
      ['SIZE', 'Syntax: SIZE=<decimal number of octets>', 'SIZE without a value (RFC 1870)'],
      ['SIZE=abc', 'Syntax: SIZE=<decimal number of octets>', 'a non-numeric SIZE (RFC 1870)'],
      ['SIZE=-1', 'Syntax: SIZE=<decimal number of octets>', 'a negative SIZE (RFC 1870)'],
      ['SIZE=1.5', 'Syntax: SIZE=<decimal number of octets>', 'a fractional SIZE (RFC 1870)'],
      ['SIZE=１', 'Syntax: SIZE=<decimal number of octets>', 'a full-width digit (RFC 1870)'],
      ['BODY', 'Syntax: BODY=7BIT, BODY=8BITMIME or BODY=BINARYMIME', 'BODY without a value (RFC 6152 2)'],
      ['BODY=9BIT', 'Syntax: BODY=7BIT, BODY=8BITMIME or BODY=BINARYMIME', 'an unknown body type (RFC 6152 2)'],
      ['SMTPUTF8=yes', 'Syntax: SMTPUTF8 takes no value', 'SMTPUTF8 with a value (RFC 6531 3.4)'],
      ['REQUIRETLS=yes', 'Syntax: REQUIRETLS takes no value', 'REQUIRETLS with a value (RFC 8689 2)'],
      ['RET', 'Syntax: RET=FULL or RET=HDRS', 'RET without a value (RFC 3461 4.3)'],
      ['RET=ALL', 'Syntax: RET=FULL or RET=HDRS', 'an unknown RET value (RFC 3461 4.3)'],
      ['ENVID', 'Syntax: ENVID=<xtext>', 'ENVID without a value (RFC 3461 4.4)'],
      ['ENVID=a+2', 'Syntax: ENVID must be xtext', 'ENVID with a short hexchar (RFC 3461 4)'],
      ['ENVID=a+2b', 'Syntax: ENVID must be xtext', 'ENVID with lower-case hex (RFC 3461 4)'],
      [`ENVID=${'x'.repeat(101)}`, 'ENVID too long (max 100 characters)', 'a 101-character ENVID (RFC 3461 4.4)'],
      ['ENVID=+00', 'ENVID must decode to printable ASCII', 'ENVID holding NUL (RFC 3461 4.4)'],
      ['ENVID=+C3+A9', 'ENVID must decode to printable ASCII', 'ENVID holding non-ASCII (RFC 3461 4.4)'],
      ['ENVID=é', 'Syntax: ENVID must be xtext', 'raw UTF-8 in ENVID (RFC 3461 4)'],
      ['AUTH', 'Syntax: AUTH=<xtext mailbox> or AUTH=<>', 'AUTH without a value (RFC 4954 5)'],
      ['AUTH=a+zz', 'Syntax: AUTH value must be xtext', 'AUTH that is not xtext (RFC 4954 5)'],
      ['SIZE=1 SIZE=2', 'Duplicate MAIL parameter SIZE', 'SIZE twice (RFC 1870 6)'],
      ['BODY=7BIT body=8BITMIME', 'Duplicate MAIL parameter BODY', 'BODY twice (RFC 6152 3)'],
      ['RET=FULL RET=HDRS', 'Duplicate MAIL parameter RET', 'RET twice (RFC 3461 4.5)'],
      ['ENVID=a ENVID=b', 'Duplicate MAIL parameter ENVID', 'ENVID twice (RFC 3461 4.5)'],
      ['SMTPUTF8 SMTPUTF8', 'Duplicate MAIL parameter SMTPUTF8', 'SMTPUTF8 twice (RFC 5321 4.1.1.11)'],
      ['AUTH=<> AUTH=<>', 'Duplicate MAIL parameter AUTH', 'AUTH twice (RFC 5321 4.1.1.11)'],
      ['REQUIRETLS REQUIRETLS', 'Duplicate MAIL parameter REQUIRETLS', 'REQUIRETLS twice (RFC 5321 4.1.1.11)'],
    ])('refuses %j with 501 5.5.4 %j: %s', (text, message) => {
      expect(mailParams(paramsOf(text), all)).toEqual(err501(message))
    })
  })

  describe('mailParams: a SIZE too big to count is a limit, 552 5.3.4 (RFC 1870 6.1)', () => {
    it.each([
      ['SIZE=123456789012345678901', '21 digits'],
      ['SIZE=9007199254740992', 'above 2^53 - 1, which cannot be kept exact'],
      ['SIZE=99999999999999999999', '20 digits'],
    ])('refuses %j (%s)', (text) => {
      expect(mailParams(paramsOf(text), all)).toEqual(
        E.left({ code: 552, enhanced: '5.3.4', text: 'Message size exceeds fixed maximum message size' }),
      )
    })
    it('leading zeros do not make a size big', () => {
      expect(mailParams(paramsOf(`SIZE=${'0'.repeat(30)}42`), all)).toEqual(E.right({ size: 42 }))
    })
  })

  describe('rcptParams (RFC 3461 4.1, 4.2)', () => {
    it.each<[string, RcptParams]>([
      ['', {}],
      ['NOTIFY=NEVER', { notify: 'NEVER' }],
      ['NOTIFY=never', { notify: 'NEVER' }],
      ['NOTIFY=SUCCESS,FAILURE,DELAY', { notify: ['SUCCESS', 'FAILURE', 'DELAY'] }],
      ['NOTIFY=delay', { notify: ['DELAY'] }],
      ['NOTIFY=Failure,sUCCESS', { notify: ['FAILURE', 'SUCCESS'] }],
      ['ORCPT=rfc822;bob@example.org', { orcpt: { addrType: 'rfc822', address: 'bob@example.org' } }],
      ['ORCPT=RFC822;e+3Dmc2+20x@example.com', { orcpt: { addrType: 'RFC822', address: 'e=mc2 x@example.com' } }],
      ['ORCPT=utf-8;caf\\x{E9}@example.org', { orcpt: { addrType: 'utf-8', address: 'caf\\x{E9}@example.org' } }],
      ['ORCPT=rfc822;a;b', { orcpt: { addrType: 'rfc822', address: 'a;b' } }],
      ['ORCPT=rfc822;', { orcpt: { addrType: 'rfc822', address: '' } }],
      ['NOTIFY=SUCCESS ORCPT=rfc822;x@y', { notify: ['SUCCESS'], orcpt: { addrType: 'rfc822', address: 'x@y' } }],
    ])('accepts %j (RFC 3461 4.1, 4.2)', (text, expected) => {
      expect(rcptParams(paramsOf(text), only('dsn'))).toEqual(E.right(expected))
    })

    it.each([
      ['NOTIFY', 'Syntax: NOTIFY=NEVER or NOTIFY=SUCCESS,FAILURE,DELAY', 'NOTIFY without a value (RFC 3461 4.1)'],
      [
        'NOTIFY=NEVER,SUCCESS',
        'Syntax: NOTIFY=NEVER or NOTIFY=SUCCESS,FAILURE,DELAY',
        'NEVER in a list (RFC 3461 4.1)',
      ],
      ['NOTIFY=NEVER,NEVER', 'Syntax: NOTIFY=NEVER or NOTIFY=SUCCESS,FAILURE,DELAY', 'NEVER twice (RFC 3461 4.1)'],
      ['NOTIFY=SUCCESS,success', 'Syntax: NOTIFY=NEVER or NOTIFY=SUCCESS,FAILURE,DELAY', 'a repeat (RFC 3461 4.1)'],
      ['NOTIFY=SUCCESS,', 'Syntax: NOTIFY=NEVER or NOTIFY=SUCCESS,FAILURE,DELAY', 'a trailing comma (RFC 3461 4.1)'],
      ['NOTIFY=ALWAYS', 'Syntax: NOTIFY=NEVER or NOTIFY=SUCCESS,FAILURE,DELAY', 'an unknown condition (RFC 3461 4.1)'],
      [
        'NOTIFY=\u017fuccess',
        'Syntax: NOTIFY=NEVER or NOTIFY=SUCCESS,FAILURE,DELAY',
        'a non-ASCII look-alike (RFC 3461 4.1)',
      ],
      ['ORCPT', 'Syntax: ORCPT=addr-type;xtext', 'ORCPT without a value (RFC 3461 4.2)'],
      ['ORCPT=bob@example.org', 'Syntax: ORCPT=addr-type;xtext', 'no addr-type (RFC 3461 4.2)'],
      ['ORCPT=;bob@example.org', 'Syntax: ORCPT=addr-type;xtext', 'an empty addr-type (RFC 3461 4.2)'],
      ['ORCPT=rf(c;bob', 'Syntax: ORCPT=addr-type;xtext', 'an addr-type that is not an atom (RFC 3461 4.2)'],
      ['ORCPT=rfé;bob', 'Syntax: ORCPT=addr-type;xtext', 'a non-ASCII addr-type (RFC 3461 4.2)'],
      ['ORCPT=rfc822;a+2', 'Syntax: ORCPT=addr-type;xtext', 'an address that is not xtext (RFC 3461 4.2)'],
      ['ORCPT=rfc822;+C3+A9', 'ORCPT must decode to printable ASCII', 'a non-ASCII address (RFC 3461 4.2)'],
      [
        `ORCPT=rfc822;${'a'.repeat(494)}`,
        'ORCPT too long (max 500 characters)',
        'a 501-character value (RFC 3461 4.2)',
      ],
      ['NOTIFY=NEVER NOTIFY=NEVER', 'Duplicate RCPT parameter NOTIFY', 'NOTIFY twice (RFC 3461 4.5)'],
      ['ORCPT=rfc822;a ORCPT=rfc822;b', 'Duplicate RCPT parameter ORCPT', 'ORCPT twice (RFC 3461 4.5)'],
    ])('refuses %j with 501 5.5.4 %j: %s', (text, message) => {
      expect(rcptParams(paramsOf(text), all)).toEqual(err501(message))
    })

    it('accepts a 500-character ORCPT value (RFC 3461 4.2)', () => {
      const value = `rfc822;${'a'.repeat(493)}`
      expect(value.length).toBe(500)
      expect(rcptParams(paramsOf(`ORCPT=${value}`), all)).toEqual(
        E.right({ orcpt: { addrType: 'rfc822', address: 'a'.repeat(493) } }),
      )
    })

    it.each<[string, ParamSupport, string]>([
      ['NOTIFY=NEVER', without('dsn'), 'RCPT parameter NOTIFY not recognized'],
      ['ORCPT=rfc822;x', without('dsn'), 'RCPT parameter ORCPT not recognized'],
      ['SIZE=1', all, 'RCPT parameter SIZE not recognized'],
      ['XFOO=bar', all, 'RCPT parameter XFOO not recognized'],
    ])('refuses %j with 555 5.5.4 (RFC 5321 4.1.1.11)', (text, support, message) => {
      expect(rcptParams(paramsOf(text), support)).toEqual(err555(message))
    })
  })

  describe('formatting for clients (RFC 5321 4.1.2, RFC 3461 4)', () => {
    it.each<[MailParams, string]>([
      [{}, ''],
      [{ size: 100, body: '8BITMIME' }, ' SIZE=100 BODY=8BITMIME'],
      [{ requireTls: true, smtpUtf8: true }, ' SMTPUTF8 REQUIRETLS'],
      [{ ret: 'HDRS', envid: 'a b' }, ' RET=HDRS ENVID=a+20b'],
      [{ auth: null }, ' AUTH=<>'],
      [{ auth: 'e=mc2@example.com' }, ' AUTH=e+3Dmc2@example.com'],
      [{ auth: '<>' }, ' AUTH=+3C+3E'],
      [{ auth: '' }, ' AUTH=<>'],
      [{ envid: '' }, ''],
    ])('formats MAIL parameters %j as %j (RFC 5321 4.1.2, RFC 3461 4)', (params, text) => {
      expect(formatMailParams(params)).toBe(text)
    })

    it.each<[RcptParams, string]>([
      [{}, ''],
      [{ notify: 'NEVER' }, ' NOTIFY=NEVER'],
      [{ notify: [] }, ''],
      [
        { notify: ['SUCCESS', 'DELAY'], orcpt: { addrType: 'rfc822', address: 'a+b@example.org' } },
        ' NOTIFY=SUCCESS,DELAY ORCPT=rfc822;a+2Bb@example.org',
      ],
    ])('formats RCPT parameters %j as %j (RFC 5321 4.1.2, RFC 3461 4)', (params, text) => {
      expect(formatRcptParams(params)).toBe(text)
    })
  })

  describe('properties', () => {
    const printableChar = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c))
    const printableAscii = fc.string({ unit: printableChar, maxLength: 30 })
    const mailArb: fc.Arbitrary<MailParams> = fc.record(
      {
        size: fc.maxSafeNat(),
        body: fc.constantFrom('7BIT', '8BITMIME', 'BINARYMIME'),
        smtpUtf8: fc.constant(true),
        ret: fc.constantFrom('FULL', 'HDRS'),
        envid: fc.oneof(fc.string({ unit: printableChar, minLength: 1, maxLength: 30 }), fc.constant('\t')),
        auth: fc.oneof(
          fc.constant(null),
          fc.constant('<>'),
          fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
        ),
        requireTls: fc.constant(true),
      },
      { requiredKeys: [] },
    )
    // RFC 5322 atext without "=", which no esmtp-value may hold (RFC 5321 4.1.2).
    const atext = fc.constantFrom(...'abcRFC0-9!#$%&*+/?^_`{|}~')
    const rcptArb: fc.Arbitrary<RcptParams> = fc.record(
      {
        notify: fc.oneof(
          fc.constant('NEVER' as const),
          fc.shuffledSubarray(['SUCCESS', 'FAILURE', 'DELAY'] as const, { minLength: 1 }),
        ),
        orcpt: fc.record({
          addrType: fc.string({ unit: atext, minLength: 1, maxLength: 10 }),
          address: printableAscii,
        }),
      },
      { requiredKeys: [] },
    )

    test.prop([mailArb])('MAIL parameters survive format then parse (RFC 5321 4.1.2, RFC 3461 4)', (p) => {
      const parsed = parseMailFrom(` FROM:<a@example.org>${formatMailParams(p)}`)
      expect(E.isRight(parsed)).toBe(true)
      if (E.isRight(parsed)) expect(mailParams(parsed.right.params, all)).toEqual(E.right(p))
    })

    test.prop([rcptArb])('RCPT parameters survive format then parse (RFC 5321 4.1.2, RFC 3461 4)', (p) => {
      const parsed = parseRcptTo(` TO:<a@example.org>${formatRcptParams(p)}`)
      expect(E.isRight(parsed)).toBe(true)
      if (E.isRight(parsed)) expect(rcptParams(parsed.right.params, all)).toEqual(E.right(p))
    })

    const supportArb: fc.Arbitrary<ParamSupport> = fc.record({
      size: fc.boolean(),
      eightBitMime: fc.boolean(),
      binaryMime: fc.boolean(),
      smtpUtf8: fc.boolean(),
      dsn: fc.boolean(),
      auth: fc.boolean(),
      requireTls: fc.boolean(),
    })
    const words = ['SIZE', 'BODY', 'SMTPUTF8', 'RET', 'ENVID', 'AUTH', 'REQUIRETLS', 'NOTIFY', 'ORCPT', 'X']
    const paramText = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc
        .array(fc.tuple(fc.constantFrom(...words), fc.option(fc.string({ unit: 'binary', minLength: 1 }))), {
          maxLength: 4,
        })
        .map((ps) => ps.map(([k, v]) => (v === null ? k : `${k}=${v}`)).join(' ')),
    )

    test.prop([paramText, supportArb])('checkers never throw and reply in ASCII (RFC 5321 4.1.1.11)', (text, s) => {
      const parsed = parseParams(text)
      if (E.isLeft(parsed)) return
      for (const result of [mailParams(parsed.right, s), rcptParams(parsed.right, s)]) {
        if (E.isLeft(result)) {
          expect([501, 555]).toContain(result.left.code)
          expect(result.left.text).toMatch(/^[\x20-\x7e]+$/)
        }
      }
    })
  })
})
