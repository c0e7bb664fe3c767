// Tests for the trace header fields: the Received stamp, its date-time and "with" word, and Return-Path.
// Covers RFC 5321 4.4, RFC 5322 3.3, 3.6.7 and 2.2.3, RFC 3848 and RFC 6531 3.7.3.
import { describe, expect, it } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import {
  formatDate,
  formatReceived,
  formatReturnPath,
  protocolWord,
  type Protocol,
  type ReceivedFields,
} from '../../src/trace/index.js'

const classicDate = { epochMs: Date.UTC(2008, 0, 15, 21, 2, 43), offsetMinutes: -300 }

/** Oracle zone text, the obvious way. */
const zoneOf = (offset: number) => {
  const abs = Math.abs(offset)
  return `${offset < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`
}

/** RFC 5322 2.2.3 unfolding: a CRLF followed by white space goes away. */
const unfold = (field: string) => field.replace(/\r\n(?=[ \t])/g, '')
/** Unfolds, then turns the TABs of the folds back into spaces (the inputs' own TABs are dropped as controls). */
const flat = (field: string) => unfold(field).replace(/\t/g, ' ')

const ALL_PROTOCOLS: ReadonlyArray<Protocol> = [
  'SMTP',
  'ESMTP',
  'ESMTPA',
  'ESMTPS',
  'ESMTPSA',
  'LMTP',
  'LMTPA',
  'LMTPS',
  'LMTPSA',
  'UTF8SMTP',
  'UTF8SMTPA',
  'UTF8SMTPS',
  'UTF8SMTPSA',
  'UTF8LMTP',
  'UTF8LMTPA',
  'UTF8LMTPS',
  'UTF8LMTPSA',
]

/** Space-free words such as domains and ids, sometimes longer than a whole line. */
const wordArb = fc.oneof(
  fc.stringMatching(/^[a-z0-9.-]{1,20}$/),
  fc.stringMatching(/^[a-z0-9.-]{1,100}$/, { size: 'max' }),
)
const dateArb = fc.record({
  epochMs: fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(2201, 0, 1) - 1 }),
  offsetMinutes: fc.integer({ min: -720, max: 840 }),
})
const cleanFieldsArb: fc.Arbitrary<ReceivedFields> = fc.record(
  {
    from: fc.record({ helo: wordArb, address: fc.ipV4(), hostname: wordArb }, { requiredKeys: ['helo'] }),
    by: wordArb,
    via: wordArb,
    with: fc.constantFrom(...ALL_PROTOCOLS),
    id: wordArb,
    for: fc.emailAddress(),
    tls: fc.array(wordArb, { minLength: 1, maxLength: 4 }).map((ws) => ws.join(' ')),
    date: dateArb,
  },
  { requiredKeys: ['from', 'by', 'with', 'date'] },
)

/** Reference one-line layout of a field made of clean inputs, written independently of the folder. */
const oneLine = (r: ReceivedFields) => {
  const tcp = [r.from.hostname, r.from.address && `[${r.from.address}]`].filter((x) => x).join(' ')
  return (
    `Received: from ${r.from.helo}${tcp ? ` (${tcp})` : ''} by ${r.by}` +
    `${r.via ? ` via ${r.via}` : ''} with ${r.with}${r.tls ? ` (${r.tls})` : ''}` +
    `${r.id ? ` id ${r.id}` : ''}${r.for ? ` for <${r.for}>` : ''}; ${formatDate(r.date)}\r\n`
  )
}

/** Any string, with the characters that could break a header field well represented. */
const nastyArb = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc
    .array(
      fc.constantFrom(
        '\r',
        '\n',
        '\r\n',
        '\0',
        '\t',
        '\x7f',
        '\x85',
        '\u2028',
        '(',
        ')',
        '\\',
        ';',
        '<',
        '>',
        ' ',
        'x',
      ),
    )
    .map((cs) => cs.join('')),
)
const nastyFieldsArb: fc.Arbitrary<ReceivedFields> = fc.record({
  from: fc.record({ helo: nastyArb, address: nastyArb, hostname: nastyArb }),
  by: nastyArb,
  via: nastyArb,
  with: nastyArb.map((s) => s as Protocol),
  id: nastyArb,
  for: nastyArb,
  tls: nastyArb,
  date: dateArb,
})

/** True when the text holds a control character, DEL, a C1 control or a Unicode line separator. */
const hasControl = (s: string) =>
  [...s].some((c) => c < ' ' || (c >= '\x7f' && c <= '\x9f') || c === '\u2028' || c === '\u2029')

describe('received', () => {
  describe('formatDate (RFC 5322 3.3)', () => {
    test.prop([dateArb])('agrees with the runtime calendar for 1970 to 2200', ({ epochMs, offsetMinutes }) => {
      const local = new Date(epochMs + offsetMinutes * 60000).toUTCString().replace(' GMT', '')
      expect(formatDate({ epochMs, offsetMinutes })).toBe(`${local} ${zoneOf(offsetMinutes)}`)
    })

    // formatDate keeps the text of the last second it formatted: readings drawn from a few seconds and zones, in
    // any order, must each get their own text (the same second in another zone, another second in the same zone)
    test.prop([
      fc.array(
        fc.record({
          second: fc.integer({ min: 0, max: 2 }),
          ms: fc.integer({ min: 0, max: 999 }),
          offsetMinutes: fc.constantFrom(0, -0, 60, -300, 330),
        }),
        { minLength: 2, maxLength: 30 },
      ),
    ])('gives each reading its own text when readings share a second or a zone', (readings) => {
      const base = Date.UTC(2026, 11, 2, 12, 0, 59)
      for (const { second, ms, offsetMinutes } of readings) {
        const epochMs = base + second * 1000 + ms
        const local = new Date(Math.floor(epochMs / 1000) * 1000 + offsetMinutes * 60000)
        expect(formatDate({ epochMs, offsetMinutes })).toBe(
          `${local.toUTCString().replace(' GMT', '')} ${zoneOf(offsetMinutes)}`,
        )
      }
    })

    it.each([
      ['the epoch', 0, 0, 'Thu, 01 Jan 1970 00:00:00 +0000'],
      ['the classic example, local time west of UT', classicDate.epochMs, -300, 'Tue, 15 Jan 2008 16:02:43 -0500'],
      ['a leap day of a 400-year leap year', Date.UTC(2000, 1, 29, 12), 0, 'Tue, 29 Feb 2000 12:00:00 +0000'],
      ['1 March of 2100, which is no leap year', Date.UTC(2100, 1, 28, 23, 30), 60, 'Mon, 01 Mar 2100 00:30:00 +0100'],
      [
        'a new year reached by an eastern offset',
        Date.UTC(2024, 11, 31, 23, 30),
        60,
        'Wed, 01 Jan 2025 00:30:00 +0100',
      ],
      ['a day before the epoch', -1, 0, 'Wed, 31 Dec 1969 23:59:59 +0000'],
      ['a year past 9999 with five digits', Date.UTC(10000, 0, 1), 0, 'Sat, 01 Jan 10000 00:00:00 +0000'],
    ])('writes %s', (_case, epochMs, offsetMinutes, expected) => {
      expect(formatDate({ epochMs, offsetMinutes })).toBe(expected)
    })

    it.each([
      ['UT as +0000', 0, '+0000'],
      ['negative zero as +0000', -0, '+0000'],
      ['a half-hour zone east', 330, '+0530'],
      ['a half-hour zone west', -570, '-0930'],
      ['a zone beyond +12', 845, '+1405'],
      ['a fractional offset rounded to the minute', 59.6, '+0100'],
      ['an offset too large for two hour digits clamped to +9959', 10000, '+9959'],
      ['an offset too small clamped to -9959', -10000, '-9959'],
      ['a non-finite offset as +0000', Number.NaN, '+0000'],
    ])('writes the zone of %s (RFC 5322 3.3)', (_case, offsetMinutes, zone) => {
      expect(formatDate({ epochMs: 0, offsetMinutes }).slice(-5)).toBe(zone)
    })

    it.each([
      ['drops fractions of a second', 999.9, 'Thu, 01 Jan 1970 00:00:00 +0000'],
      ['rounds times before the epoch down, not towards zero', -0.5, 'Wed, 31 Dec 1969 23:59:59 +0000'],
      ['rounds the smallest reading before the epoch down too', -Number.MIN_VALUE, 'Wed, 31 Dec 1969 23:59:59 +0000'],
      ['treats a non-finite clock as the epoch', Number.POSITIVE_INFINITY, 'Thu, 01 Jan 1970 00:00:00 +0000'],
      ['writes the last moment a Date can hold', 8.64e15, 'Sat, 13 Sep 275760 00:00:00 +0000'],
      ['treats a clock past the range of a Date as the epoch', 8.64e15 + 1000, 'Thu, 01 Jan 1970 00:00:00 +0000'],
      ['treats a clock far before it as the epoch', -4.5e282, 'Thu, 01 Jan 1970 00:00:00 +0000'],
      ['writes the first moment of the year 0000', -62167219200000, 'Sat, 01 Jan 0000 00:00:00 +0000'],
      ['treats a clock in the year before 0000 as the epoch', -62167219200001, 'Thu, 01 Jan 1970 00:00:00 +0000'],
    ])('%s', (_case, epochMs, expected) => {
      expect(formatDate({ epochMs, offsetMinutes: 0 })).toBe(expected)
    })

    it("judges the year in the reading's own zone: a year before 0000 there is the epoch in that zone", () => {
      // 0000-01-02T06:45:59.999Z is 23:59:59 on 31 December of the year before in a zone 30:46 west
      expect(formatDate({ epochMs: -62167108440001, offsetMinutes: -1846 })).toBe('Tue, 30 Dec 1969 17:14:00 -3046')
      expect(formatDate({ epochMs: -62167108440001, offsetMinutes: 0 })).toBe('Sun, 02 Jan 0000 06:45:59 +0000')
    })
  })

  describe('protocolWord (RFC 3848, RFC 6531 3.7.3)', () => {
    it.each([
      // lmtp, extended, tls, authenticated, utf8
      [false, false, false, false, false, 'SMTP'],
      [false, false, true, true, true, 'SMTP'],
      [false, false, true, false, false, 'SMTP'],
      [false, true, false, false, false, 'ESMTP'],
      [false, true, false, true, false, 'ESMTPA'],
      [false, true, true, false, false, 'ESMTPS'],
      [false, true, true, true, false, 'ESMTPSA'],
      [false, true, false, false, true, 'UTF8SMTP'],
      [false, true, false, true, true, 'UTF8SMTPA'],
      [false, true, true, false, true, 'UTF8SMTPS'],
      [false, true, true, true, true, 'UTF8SMTPSA'],
      [true, true, false, false, false, 'LMTP'],
      [true, true, false, true, false, 'LMTPA'],
      [true, true, true, false, false, 'LMTPS'],
      [true, true, true, true, false, 'LMTPSA'],
      [true, true, false, false, true, 'UTF8LMTP'],
      [true, true, false, true, true, 'UTF8LMTPA'],
      [true, true, true, false, true, 'UTF8LMTPS'],
      [true, true, true, true, true, 'UTF8LMTPSA'],
      [true, false, true, true, true, 'UTF8LMTPSA'],
    ])('lmtp=%s extended=%s tls=%s auth=%s utf8=%s gives %s', (lmtp, extended, tls, authenticated, utf8, word) => {
      expect(protocolWord({ lmtp, extended, tls, authenticated, utf8 })).toBe(word)
    })

    test.prop([fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean()])(
      'always gives a registered word',
      (lmtp, extended, tls, authenticated, utf8) => {
        expect(ALL_PROTOCOLS).toContain(protocolWord({ lmtp, extended, tls, authenticated, utf8 }))
      },
    )
  })

  describe('formatReceived: clauses (RFC 5321 4.4)', () => {
    it('reproduces the classic example, folded before the id clause', () => {
      const field = formatReceived({
        from: { helo: 'relay.example.org', address: '192.0.2.1' },
        by: 'smtp.example.com',
        with: 'ESMTP',
        id: '12345',
        for: 'alice@example.com',
        date: classicDate,
      })
      expect(field).toBe(
        'Received: from relay.example.org ([192.0.2.1]) by smtp.example.com with ESMTP\r\n' +
          '\tid 12345 for <alice@example.com>; Tue, 15 Jan 2008 16:02:43 -0500\r\n',
      )
    })

    it('writes reverse DNS, an IPv6 literal and the TLS comment after with', () => {
      const field = formatReceived({
        from: { helo: 'mail.example.org', address: '2001:db8::25', hostname: 'mail.example.org' },
        by: 'mx.example.com',
        via: 'TCP',
        with: 'ESMTPSA',
        id: '4F9a8b7C6d',
        for: 'bob@example.com',
        tls: 'TLSv1.3:TLS_AES_256_GCM_SHA384',
        date: classicDate,
      })
      expect(field).toBe(
        'Received: from mail.example.org (mail.example.org [IPv6:2001:db8::25])\r\n' +
          '\tby mx.example.com via TCP with ESMTPSA (TLSv1.3:TLS_AES_256_GCM_SHA384)\r\n' +
          '\tid 4F9a8b7C6d for <bob@example.com>; Tue, 15 Jan 2008 16:02:43 -0500\r\n',
      )
    })

    it.each([
      ['an address alone', { address: '192.0.2.1' }, 'from h ([192.0.2.1]) by'],
      ['reverse DNS and address', { address: '192.0.2.1', hostname: 'r.example' }, 'from h (r.example [192.0.2.1]) by'],
      ['an IPv6 address tagged IPv6:', { address: '::1' }, 'from h ([IPv6:::1]) by'],
      ['an IPv6 address already tagged', { address: 'IPv6:::1' }, 'from h ([IPv6:::1]) by'],
      ['an address given in brackets', { address: '[192.0.2.1]' }, 'from h ([192.0.2.1]) by'],
      ['a name without an address', { hostname: 'r.example' }, 'from h (r.example) by'],
      ['no TCP information', {}, 'from h by'],
      ['an address that cleans down to nothing', { address: '\r\n' }, 'from h by'],
    ])('writes the TCP-info for %s (RFC 5321 4.4)', (_case, tcp, expected) => {
      const field = formatReceived({ from: { helo: 'h', ...tcp }, by: 'b', with: 'SMTP', date: classicDate })
      expect(field).toContain(expected)
    })

    it('keeps only from, by, with and the date when nothing else is given (RFC 5321 4.4)', () => {
      const field = formatReceived({ from: { helo: 'h' }, by: 'b', with: 'SMTP', date: classicDate })
      expect(field).toBe('Received: from h by b with SMTP; Tue, 15 Jan 2008 16:02:43 -0500\r\n')
    })

    it('leaves out optional clauses that clean down to nothing', () => {
      const field = formatReceived({
        from: { helo: 'h' },
        by: 'b',
        via: ' ',
        with: 'SMTP',
        id: '\r\n',
        for: ' <\r\n> ',
        tls: '()',
        date: classicDate,
      })
      expect(field).toBe('Received: from h by b with SMTP; Tue, 15 Jan 2008 16:02:43 -0500\r\n')
    })

    it('supplies the required from and by domains when they are empty (RFC 5321 4.4)', () => {
      const field = formatReceived({ from: { helo: '' }, by: '\0', with: 'SMTP', date: classicDate })
      expect(field).toMatch(/^Received: from unknown by unknown with SMTP;/)
    })

    it('writes exactly one pair of brackets around the for path (RFC 5321 4.4)', () => {
      const field = formatReceived({ from: { helo: 'h' }, by: 'b', with: 'SMTP', for: '<a@b>', date: classicDate })
      expect(field).toContain(' for <a@b>;')
    })

    test.prop([cleanFieldsArb])('only folds: unfolded, it is the one-line stamp in RFC 5321 4.4 order', (r) => {
      expect(flat(formatReceived(r))).toBe(oneLine(r))
    })
  })

  describe('formatReceived: folding (RFC 5322 2.2.3)', () => {
    test.prop([cleanFieldsArb])('no line passes 78 characters unless it is a single word', (r) => {
      const lines = formatReceived(r).split('\r\n')
      expect(lines.pop()).toBe('')
      for (const line of lines) if (line.length > 78) expect(line).toMatch(/^\t\S+$/)
    })

    test.prop([
      cleanFieldsArb,
      fc.oneof(fc.double(), fc.integer({ min: -8.64e15, max: 8.64e15 })),
      fc.integer({ min: -10000, max: 10000 }),
    ])('keeps that rule whatever the clock reads, the date never growing past a line', (r, epochMs, offsetMinutes) => {
      const lines = formatReceived({ ...r, date: { epochMs, offsetMinutes } }).split('\r\n')
      expect(lines.pop()).toBe('')
      for (const line of lines) if (line.length > 78) expect(line).toMatch(/^\t\S+$/)
      expect(formatDate({ epochMs, offsetMinutes })).toMatch(
        /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d [A-Z][a-z]{2} \d{4,6} \d\d:\d\d:\d\d [+-]\d{4}$/,
      )
    })

    test.prop([cleanFieldsArb])('folds with CRLF TAB and never leaves a line of white space only', (r) => {
      const lines = formatReceived(r).split('\r\n').slice(0, -1)
      expect(lines[0]).toMatch(/^Received: /)
      for (const line of lines.slice(1)) expect(line).toMatch(/^\t\S/)
      for (const line of lines) expect(line).not.toMatch(/ $/)
    })

    it('puts a word longer than a line on a line of its own', () => {
      const helo = 'h'.repeat(100)
      const field = formatReceived({ from: { helo, address: '192.0.2.1' }, by: 'b', with: 'SMTP', date: classicDate })
      expect(field.split('\r\n')).toEqual([
        'Received: from',
        `\t${helo}`,
        '\t([192.0.2.1]) by b with SMTP; Tue, 15 Jan 2008 16:02:43 -0500',
        '',
      ])
    })

    it('breaks a long TLS comment at its spaces, inside the parentheses', () => {
      const tls = Array.from({ length: 16 }, (_, k) => `word${k}`).join(' ')
      const field = formatReceived({ from: { helo: 'h' }, by: 'b', with: 'ESMTPS', tls, date: classicDate })
      const lines = field.split('\r\n')
      expect(lines.every((l) => l.length <= 78)).toBe(true)
      expect(lines[0]).toBe('Received: from h by b with ESMTPS (word0 word1 word2 word3 word4 word5 word6')
      expect(lines.slice(1)).toEqual([
        '\tword7 word8 word9 word10 word11 word12 word13 word14 word15);',
        '\tTue, 15 Jan 2008 16:02:43 -0500',
        '',
      ])
    })
  })

  describe('formatReceived: sanitising', () => {
    it('keeps a CRLF in the HELO name from starting a new header field', () => {
      const field = formatReceived({
        from: { helo: 'evil\r\nX-Injected: yes' },
        by: 'b',
        with: 'SMTP',
        date: classicDate,
      })
      expect(field.split('\r\n').filter((line) => !line.startsWith('\t'))).toEqual([
        'Received: from evilX-Injected:yes by b with SMTP;',
        '',
      ])
      expect(flat(field)).toBe('Received: from evilX-Injected:yes by b with SMTP; Tue, 15 Jan 2008 16:02:43 -0500\r\n')
    })

    it('keeps a crafted for path from closing its brackets early', () => {
      const field = formatReceived({ from: { helo: 'h' }, by: 'b', with: 'SMTP', for: 'a@b> by x', date: classicDate })
      expect(field).toContain(' for <a@b by x>;')
    })

    it('keeps parentheses and ";" out of the comments and tokens', () => {
      const field = formatReceived({
        from: { helo: 'h(x;)', hostname: 'r)(', address: '1.2.3.4)' },
        by: 'b;c',
        with: 'SMTP',
        tls: 'TLS) by evil (x;',
        date: classicDate,
      })
      expect(flat(field)).toBe(
        'Received: from hx (r [1.2.3.4]) by bc with SMTP (TLS by evil x); Tue, 15 Jan 2008 16:02:43 -0500\r\n',
      )
    })

    test.prop([nastyFieldsArb])('whatever the input, the result is one well-formed field', (r) => {
      const field = formatReceived(r)
      expect(field.startsWith('Received: from ')).toBe(true)
      expect(field.endsWith('\r\n')).toBe(true)
      const body = field.slice(0, -2)
      // The only CRs and LFs left are fold points, each followed by a TAB (RFC 5322 2.2.3).
      expect(body.replace(/\r\n\t/g, '')).not.toMatch(/[\r\n]/)
      expect(hasControl(flat(body))).toBe(false)
      // The date still comes last, after the only ";" outside the for path (RFC 5321 4.4).
      const withoutPath = flat(body).replace(/ for <[^>]*>/, '')
      expect(withoutPath.split(';')).toHaveLength(2)
      expect(withoutPath.endsWith(`; ${formatDate(r.date)}`)).toBe(true)
    })
  })

  describe('formatReturnPath (RFC 5321 4.4)', () => {
    it.each([
      ['a null reverse-path', null, 'Return-Path: <>\r\n'],
      ['an empty reverse-path', '', 'Return-Path: <>\r\n'],
      ['a mailbox', 'alice@example.com', 'Return-Path: <alice@example.com>\r\n'],
      ['a mailbox given in brackets', '<alice@example.com>', 'Return-Path: <alice@example.com>\r\n'],
      ['a mailbox with spaces around it', ' alice@example.com ', 'Return-Path: <alice@example.com>\r\n'],
      ['a UTF-8 mailbox (RFC 6531 3.7.3)', 'élise@exemple.fr', 'Return-Path: <élise@exemple.fr>\r\n'],
      ['an injection attempt', 'a@b>\r\nBcc: x@y', 'Return-Path: <a@bBcc: x@y>\r\n'],
    ])('writes %s', (_case, path, expected) => {
      expect(formatReturnPath(path)).toBe(expected)
    })

    test.prop([nastyArb])('is always one line holding one bracketed path', (path) => {
      const field = formatReturnPath(path)
      expect(field).toMatch(/^Return-Path: <[^<>]*>\r\n$/)
      expect(hasControl(field.slice(0, -2))).toBe(false)
    })
  })
})
