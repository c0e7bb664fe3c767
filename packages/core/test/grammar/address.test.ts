// Tests for src/grammar/address.ts: MAIL FROM and RCPT TO paths, <Postmaster>, source routes, lengths, formatting.
// RFC 5321 4.1.1.2, 4.1.1.3, 4.1.2, 4.1.3, 4.5.3.1; RFC 6531 3.3.

import { describe, expect, it } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import * as E from 'fp-ts/lib/Either.js'
import {
  formatPath,
  mailboxOfAnyForm,
  mailboxText,
  parseMailFrom,
  parseMailboxText,
  parseRcptTo,
  type ReversePath,
} from '../../src/grammar/address.js'

import { box, hasNonAscii, mailbox, octets } from '../arb/mailbox.js'
const hasControl = (s: string): boolean =>
  Array.from(s).some((ch) => (ch.codePointAt(0) ?? 0) < 0x20 || ch.codePointAt(0) === 0x7f)

const fromError = (enhanced: string, text: string) => E.left({ code: 501, enhanced, text })
const MAIL_HINT = 'Syntax: MAIL FROM:<address>'
const RCPT_HINT = 'Syntax: RCPT TO:<address>'

/** A domain of exactly `n` octets made of ASCII labels of at most 63 octets. */
const domainOf = (n: number): string => {
  const labels: string[] = []
  let left = n
  while (left > 63) {
    labels.push('d'.repeat(62))
    left -= 63
  }
  labels.push('d'.repeat(left))
  return labels.join('.')
}

describe('address', () => {
  describe('MAIL FROM paths (RFC 5321 4.1.1.2, 4.1.2)', () => {
    it.each<[string, ReversePath, string]>([
      [' FROM:<bob@example.org>', box('bob', 'example.org'), 'a plain mailbox (RFC 5321 4.1.2)'],
      [' from:<bob@example.org>', box('bob', 'example.org'), 'FROM: in lower case (RFC 5321 2.4)'],
      [' FrOm:<bob@example.org>', box('bob', 'example.org'), 'FROM: in mixed case (RFC 5321 2.4)'],
      [
        ' FROM: <bob@example.org>',
        box('bob', 'example.org'),
        'a space after the colon (leniency beyond RFC 5321 4.1.2)',
      ],
      [
        ' FROM:   <bob@example.org>',
        box('bob', 'example.org'),
        'several spaces after the colon (leniency beyond RFC 5321 4.1.2)',
      ],
      [' FROM:<>', null, 'the null reverse-path (RFC 5321 4.1.2)'],
      [' FROM:<a.b.c+tag@example.org>', box('a.b.c+tag', 'example.org'), 'a dot-string (RFC 5321 4.1.2)'],
      [
        " FROM:<!#$%&'*+-/=?^_`{|}~@example.org>",
        box("!#$%&'*+-/=?^_`{|}~", 'example.org'),
        'all atext specials (RFC 5322 3.2.3)',
      ],
      [' FROM:<"john smith"@example.org>', box('"john smith"', 'example.org'), 'a quoted local part (RFC 5321 4.1.2)'],
      [
        ' FROM:<"a\\"b"@example.org>',
        box('"a\\"b"', 'example.org'),
        'an escaped quote (quoted-pairSMTP) (RFC 5321 4.1.2)',
      ],
      [
        ' FROM:<"a\\\\b"@example.org>',
        box('"a\\\\b"', 'example.org'),
        'an escaped backslash (quoted-pairSMTP) (RFC 5321 4.1.2)',
      ],
      [
        ' FROM:<"a\\ b"@example.org>',
        box('"a\\ b"', 'example.org'),
        'an escaped space (quoted-pairSMTP) (RFC 5321 4.1.2)',
      ],
      [
        ' FROM:<"a>b@c,d:e"@example.org>',
        box('"a>b@c,d:e"', 'example.org'),
        'specials inside quotes (qtextSMTP) (RFC 5321 4.1.2)',
      ],
      [' FROM:<""@example.org>', box('""', 'example.org'), 'an empty quoted string (RFC 5321 4.1.2)'],
      [' FROM:<bob@[192.0.2.1]>', box('bob', '[192.0.2.1]'), 'an IPv4 literal (RFC 5321 4.1.3)'],
      [' FROM:<bob@[IPv6:2001:db8::1]>', box('bob', '[IPv6:2001:db8::1]'), 'an IPv6 literal (RFC 5321 4.1.3)'],
      [' FROM:<bob@[IPv6:::ffff:192.0.2.1]>', box('bob', '[IPv6:::ffff:192.0.2.1]'), 'IPv6v4 (RFC 5321 4.1.3)'],
      [' FROM:<bob@[x-tag:a>b]>', box('bob', '[x-tag:a>b]'), 'a general literal holding > (RFC 5321 4.1.3)'],
      [
        ' FROM:<@a.example,@b.example:bob@c.example>',
        box('bob', 'c.example'),
        'a source route, dropped (RFC 5321 4.1.1.3)',
      ],
      [
        ' FROM:<@a.example:"x:y"@c.example>',
        box('"x:y"', 'c.example'),
        'a source route and a quoted local part (RFC 5321 4.1.1.3)',
      ],
      [
        ' FROM:<Postmaster@example.org>',
        box('Postmaster', 'example.org'),
        'postmaster with a domain (RFC 5321 4.1.1.3)',
      ],
      [' FROM:<δοκιμή@παράδειγμα.δοκιμή>', box('δοκιμή', 'παράδειγμα.δοκιμή', true), 'UTF-8 (RFC 6531 3.3)'],
      [' FROM:<bob@bücher.example>', box('bob', 'bücher.example', true), 'a U-label domain (RFC 6531 3.3)'],
      [' FROM:<"ü ser"@example.org>', box('"ü ser"', 'example.org', true), 'UTF-8 qtextSMTP (RFC 6531 3.3)'],
      [' FROM:<😀@example.org>', box('😀', 'example.org', true), 'an astral-plane character (RFC 6531 3.3)'],
    ])('accepts %j: %s', (arg, path) => {
      expect(parseMailFrom(arg)).toEqual(E.right({ path, params: [] }))
    })

    it.each([
      ['', '5.5.2', MAIL_HINT, 'no argument (RFC 5321 4.1.1.2)'],
      [' FROM', '5.5.2', MAIL_HINT, 'no colon (RFC 5321 4.1.1.2)'],
      [' FROM <bob@example.org>', '5.5.2', MAIL_HINT, 'a space before the colon (RFC 5321 4.1.1.2)'],
      ['FROM:<bob@example.org>', '5.5.2', MAIL_HINT, 'no space after the verb (RFC 5321 4.1.1.2)'],
      ['  FROM:<bob@example.org>', '5.5.2', MAIL_HINT, 'two spaces after the verb (RFC 5321 4.1.1.2)'],
      [' TO:<bob@example.org>', '5.5.2', MAIL_HINT, 'TO: in a MAIL command (RFC 5321 4.1.1.2)'],
      [' FROM:bob@example.org', '5.1.7', MAIL_HINT, 'no angle brackets (RFC 5321 4.1.2)'],
      [' FROM:<bob@example.org', '5.1.7', MAIL_HINT, 'no closing bracket (RFC 5321 4.1.2)'],
      [' FROM:bob@example.org>', '5.1.7', MAIL_HINT, 'no opening bracket (RFC 5321 4.1.2)'],
      [' FROM:\t<bob@example.org>', '5.1.7', MAIL_HINT, 'a tab after the colon (RFC 5321 4.1.1.2)'],
      [' FROM:<"bob@example.org>', '5.1.7', MAIL_HINT, 'an unterminated quote (RFC 5321 4.1.2)'],
      [' FROM:<Postmaster>', '5.1.7', 'Missing @domain in address', '<Postmaster> as a sender (RFC 5321 4.1.1.3)'],
      [' FROM:<bob>', '5.1.7', 'Missing @domain in address', 'no domain (RFC 5321 4.1.2)'],
      [' FROM:<bob@>', '5.1.7', 'Bad domain in address', 'an empty domain (RFC 5321 4.1.2)'],
      [' FROM:<bob@@example.org>', '5.1.7', 'Bad domain in address', 'two @ (RFC 5321 4.1.2)'],
      [' FROM:<bob@a_b.example>', '5.1.7', 'Bad domain in address', 'an underscore in the domain (RFC 5321 4.1.2)'],
      [' FROM:<bob@example.org.>', '5.1.7', 'Bad domain in address', 'a trailing dot (RFC 5321 4.1.1.2)'],
      [' FROM:<bob@[300.1.1.1]>', '5.1.7', 'Bad address literal in address', 'a bad IPv4 literal (RFC 5321 4.1.3)'],
      [' FROM:<bob@[IPv6:1::2::3]>', '5.1.7', 'Bad address literal in address', 'a bad IPv6 literal (RFC 5321 4.1.3)'],
      [' FROM:<bob..x@example.org>', '5.1.7', 'Bad local part in address', 'two dots in a row (RFC 5321 4.1.2)'],
      [' FROM:<.bob@example.org>', '5.1.7', 'Bad local part in address', 'a leading dot (RFC 5321 4.1.2)'],
      [' FROM:<bob.@example.org>', '5.1.7', 'Bad local part in address', 'a trailing dot (RFC 5321 4.1.1.2)'],
      [' FROM:<bo b@example.org>', '5.1.7', 'Bad local part in address', 'a space outside quotes (RFC 5321 4.1.2)'],
      [' FROM:<bo(b)@example.org>', '5.1.7', 'Bad local part in address', 'a special outside quotes (RFC 5321 4.1.2)'],
      [' FROM:<<bob@example.org>>', '5.1.7', 'Bad local part in address', 'doubled brackets (RFC 5321 4.1.2)'],
      [' FROM:<"a"b@example.org>', '5.1.7', 'Bad local part in address', 'text after a quoted string (RFC 5321 4.1.2)'],
      [
        ' FROM:<"a\\é"@example.org>',
        '5.1.7',
        'Bad quoted local part in address',
        'a quoted-pair of non-ASCII (RFC 6531 3.3)',
      ],
      [' FROM:<\ud800@example.org>', '5.1.7', 'Bad local part in address', 'a lone surrogate (RFC 6531 3.3)'],
      [' FROM:<@example.org>', '5.1.7', 'Bad source route in address', 'an @ with no mailbox (RFC 5321 4.1.2)'],
      [' FROM:<@a_b:bob@c.example>', '5.1.7', 'Bad source route in address', 'a bad route domain (RFC 5321 4.1.1.3)'],
      [
        ' FROM:<@a.example,b.example:bob@c.example>',
        '5.1.7',
        'Bad source route in address',
        'a hop without @ (RFC 5321 4.1.2)',
      ],
      [
        ' FROM:<@[192.0.2.1]:bob@c.example>',
        '5.1.7',
        'Bad source route in address',
        'a literal in a route (RFC 5321 4.1.1.3)',
      ],
      [' FROM:<@a.example:bob>', '5.1.7', 'Missing @domain in address', 'a route to no domain (RFC 5321 4.1.1.3)'],
      [' FROM:<bob@example.org>x', '5.1.7', 'Unexpected text after address', 'trailing garbage (RFC 5321 4.1.1.2)'],
      [' FROM:<bob@example.org><x@y>', '5.1.7', 'Unexpected text after address', 'two paths (RFC 5321 4.1.1.2)'],
      [
        ' FROM:<bob@example.org> ',
        '5.5.4',
        'Syntax: trailing space after address',
        'a trailing space (RFC 5321 4.1.1.2)',
      ],
      [' FROM:<bob\u0000@example.org>', '5.1.7', 'Control character in address', 'NUL (RFC 5321 4.1.2)'],
      [' FROM:<bob@example.org\r>', '5.1.7', 'Control character in address', 'CR (RFC 5321 4.1.2)'],
      [' FROM:<bob@example.org\n>', '5.1.7', 'Control character in address', 'LF (RFC 5321 4.1.2)'],
      [' FROM:<"bo\tb"@example.org>', '5.1.7', 'Control character in address', 'TAB in quotes (RFC 5321 4.1.2)'],
      [
        ' FROM:<"bo\\\u0001"@example.org>',
        '5.1.7',
        'Control character in address',
        'an escaped control (RFC 5321 4.1.2)',
      ],
      [' FROM:<bob\u007f@example.org>', '5.1.7', 'Control character in address', 'DEL (RFC 5321 4.1.2)'],
      [' FROM:<bob\u0085@example.org>', '5.1.7', 'Control character in address', 'a C1 control (RFC 5321 4.1.2)'],
      [' FROM:<bob@[tag:\u0001]>', '5.1.7', 'Control character in address', 'a control in a literal (RFC 5321 4.1.3)'],
    ])('refuses %j with %s %j: %s', (arg, enhanced, text) => {
      expect(parseMailFrom(arg)).toEqual(fromError(enhanced, text))
    })
  })

  describe('RCPT TO paths (RFC 5321 4.1.1.3, 4.1.2)', () => {
    it.each([
      [' TO:<bob@example.org>', box('bob', 'example.org'), 'a plain mailbox (RFC 5321 4.1.2)'],
      [' to:<bob@example.org>', box('bob', 'example.org'), 'TO: in lower case (RFC 5321 2.4)'],
      [' TO: <bob@example.org>', box('bob', 'example.org'), 'a space after the colon (leniency beyond RFC 5321 4.1.2)'],
      [' TO:<Postmaster>', box('Postmaster', ''), '<Postmaster> without a domain (RFC 5321 4.1.1.3)'],
      [' TO:<postmaster>', box('postmaster', ''), '<postmaster>, case-insensitive (RFC 5321 4.1.1.3)'],
      [' TO:<POSTMASTER>', box('POSTMASTER', ''), '<POSTMASTER>, case-insensitive (RFC 5321 4.1.1.3)'],
      [' TO:<Postmaster@example.org>', box('Postmaster', 'example.org'), '<Postmaster@domain> (RFC 5321 4.1.1.3)'],
      [' TO:<@hosta.int,@jkl.org:userc@d.bar.org>', box('userc', 'd.bar.org'), 'the RFC 5321 4.1.1.3 route example'],
      [' TO:<"x y"@[IPv6:::1]>', box('"x y"', '[IPv6:::1]'), 'a quoted local part at an IPv6 literal (RFC 5321 4.1.3)'],
      [' TO:<用户@例子.广告>', box('用户', '例子.广告', true), 'a UTF-8 mailbox (RFC 6531 3.3)'],
    ])('accepts %j: %s', (arg, path) => {
      expect(parseRcptTo(arg)).toEqual(E.right({ path, params: [] }))
    })

    it.each([
      [' TO:<>', '5.1.3', 'Null path not allowed in RCPT TO', 'the null path (RFC 5321 4.1.2)'],
      [' FROM:<bob@example.org>', '5.5.2', RCPT_HINT, 'FROM: in a RCPT command (RFC 5321 4.1.1.3)'],
      ['', '5.5.2', RCPT_HINT, 'no argument (RFC 5321 4.1.1.3)'],
      [' TO:bob@example.org', '5.1.3', RCPT_HINT, 'no angle brackets (RFC 5321 4.1.2)'],
      [' TO:<bob@example.org', '5.1.3', RCPT_HINT, 'no closing bracket (RFC 5321 4.1.2)'],
      [
        ' TO:<Po\u017ftmaster>',
        '5.1.3',
        'Missing @domain in address',
        'a look-alike of Postmaster (ASCII case only) (RFC 5321 4.1.1.3)',
      ],
      [' TO:<@a.example:Postmaster>', '5.1.3', 'Missing @domain in address', 'a routed Postmaster (RFC 5321 4.1.1.3)'],
      [' TO:<"Postmaster">', '5.1.3', 'Missing @domain in address', 'a quoted Postmaster (RFC 5321 4.1.1.3)'],
      [' TO:<bob@example.org>junk', '5.1.3', 'Unexpected text after address', 'trailing garbage (RFC 5321 4.1.1.3)'],
      [' TO:<bob\r\n@example.org>', '5.1.3', 'Control character in address', 'CRLF in the path (RFC 5321 4.1.2)'],
    ])('refuses %j with %s %j: %s', (arg, enhanced, text) => {
      expect(parseRcptTo(arg)).toEqual(fromError(enhanced, text))
    })
  })

  describe('length limits (RFC 5321 4.5.3.1)', () => {
    const cases: ReadonlyArray<readonly [string, string, string | undefined]> = [
      ['a 64-octet local part', `${'a'.repeat(64)}@example.org`, undefined],
      ['a 65-octet local part', `${'a'.repeat(65)}@example.org`, 'Local part too long (max 64 octets)'],
      ['a 64-octet quoted local part', `"${'a'.repeat(62)}"@example.org`, undefined],
      ['a 65-octet quoted local part', `"${'a'.repeat(63)}"@example.org`, 'Local part too long (max 64 octets)'],
      ['32 two-octet characters (64 octets)', `${'é'.repeat(32)}@example.org`, undefined],
      ['33 two-octet characters (66 octets)', `${'é'.repeat(33)}@example.org`, 'Local part too long (max 64 octets)'],
      ['a 255-octet domain', `a@${domainOf(255)}`, 'Path too long (max 256 octets)'],
      ['a 256-octet domain', `a@${domainOf(256)}`, 'Domain too long (max 255 octets)'],
      ['a 256-octet path', `${'a'.repeat(64)}@${domainOf(189)}`, undefined],
      ['a 257-octet path', `${'a'.repeat(64)}@${domainOf(190)}`, 'Path too long (max 256 octets)'],
      [
        'a route that makes the path too long',
        `@${domainOf(100)}:${'a'.repeat(60)}@${domainOf(100)}`,
        'Path too long (max 256 octets)',
      ],
    ]
    it.each(cases)('checks %s (RFC 5321 4.5.3.1)', (_name, inner, problem) => {
      const result = parseRcptTo(` TO:<${inner}>`)
      if (problem === undefined) expect(E.isRight(result)).toBe(true)
      else expect(result).toEqual(fromError('5.1.3', problem))
    })

    it('counts octets, not characters, in the path (RFC 5321 4.5.3.1.3)', () => {
      const inner = `${'ü'.repeat(32)}@${domainOf(190)}` // 225 characters, 257 octets with the brackets
      expect(octets(`<${inner}>`)).toBeGreaterThan(256)
      expect(`<${inner}>`.length).toBeLessThanOrEqual(256)
      expect(parseMailFrom(` FROM:<${inner}>`)).toEqual(fromError('5.1.7', 'Path too long (max 256 octets)'))
    })
  })

  describe('parameters after the path (RFC 5321 4.1.2)', () => {
    it.each([
      [' FROM:<bob@example.org> SIZE=100', [{ keyword: 'SIZE', value: '100' }]],
      [
        ' FROM:<> BODY=8bitmime smtputf8',
        [
          { keyword: 'BODY', value: '8bitmime' },
          { keyword: 'SMTPUTF8', value: undefined },
        ],
      ],
      [' FROM:<"a b"@example.org> AUTH=<>', [{ keyword: 'AUTH', value: '<>' }]],
      [' FROM: <bob@[x:y]> X-Y=z', [{ keyword: 'X-Y', value: 'z' }]],
    ])('splits the parameters of %j (RFC 5321 4.1.2 Mail-parameters)', (arg, params) => {
      const result = parseMailFrom(arg)
      expect(E.isRight(result) && result.right.params).toEqual(params)
    })

    it.each([
      [' FROM:<bob@example.org> SIZE=1=2'],
      [' FROM:<bob@example.org>  SIZE=1'],
      [' FROM:<bob@example.org> SIZE=1 '],
      [' FROM:<bob@example.org> -X'],
      [' FROM:<bob@example.org> X=\u0001'],
    ])('refuses the malformed parameters of %j with 501 5.5.4 (RFC 5321 4.1.2)', (arg) => {
      const result = parseMailFrom(arg)
      expect(E.isLeft(result) && [result.left.code, result.left.enhanced]).toEqual([501, '5.5.4'])
    })

    it('returns the RCPT parameters (RFC 5321 4.1.1.3)', () => {
      expect(parseRcptTo(' TO:<Postmaster> NOTIFY=NEVER')).toEqual(
        E.right({ path: box('Postmaster', ''), params: [{ keyword: 'NOTIFY', value: 'NEVER' }] }),
      )
    })
  })

  describe('formatting (RFC 5321 4.1.2)', () => {
    it.each([
      [null, '<>'],
      [box('bob', 'example.org'), '<bob@example.org>'],
      [box('Postmaster', ''), '<Postmaster>'],
      [box('"a b"', '[192.0.2.1]'), '<"a b"@[192.0.2.1]>'],
    ])('formats %j as %s (RFC 5321 4.1.2)', (path, text) => {
      expect(formatPath(path)).toBe(text)
    })

    it('gives local@domain, or the bare local part without a domain (RFC 5321 4.1.2, 4.1.1.3)', () => {
      expect(mailboxText(box('bob', 'example.org'))).toBe('bob@example.org')
      expect(mailboxText(box('postmaster', ''))).toBe('postmaster')
    })
  })

  describe('properties', () => {
    test.prop([mailbox])('a formatted path parses back to the same mailbox (RFC 5321 4.1.2)', (m) => {
      expect(parseMailFrom(` FROM:${formatPath(m)}`)).toEqual(E.right({ path: m, params: [] }))
      expect(parseRcptTo(` TO:${formatPath(m)}`)).toEqual(E.right({ path: m, params: [] }))
    })

    const anyText = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.string({ unit: fc.constantFrom(...'<>@"\\[]:,. a.b\u0000é') }),
    )
    const parsers = [
      { prefix: ' FROM:', parse: parseMailFrom },
      { prefix: ' TO:', parse: parseRcptTo },
    ] as const

    test.prop([anyText])('never throw, and what parses is stable under formatting (RFC 5321 4.1.2)', (tail) => {
      for (const { prefix, parse } of parsers) {
        for (const arg of [tail, prefix + tail, `${prefix}<${tail}`, `${prefix}<${tail}>`]) {
          const result = parse(arg)
          if (E.isLeft(result)) {
            expect(result.left.text).toMatch(/^[\x20-\x7e]+$/)
            continue
          }
          const text = formatPath(result.right.path)
          expect(hasControl(text)).toBe(false)
          expect(parse(prefix + text)).toEqual(E.right({ path: result.right.path, params: [] }))
        }
      }
    })

    test.prop([mailbox])('sets utf8 exactly when a part is non-ASCII (RFC 6531 3.3)', (m) => {
      const result = parseRcptTo(` TO:${formatPath(m)}`)
      expect(E.isRight(result) && result.right.path.utf8).toBe(hasNonAscii(mailboxText(m)))
    })
  })

  describe('the plain ASCII shortcut', () => {
    // A mailbox made of the characters and lengths where the shortcut has to decide: atext and its neighbours,
    // dots and hyphens at label ends, local parts near 64 octets, labels near 63 and domains near 255.
    const piece = fc.oneof(
      fc.constantFrom(
        'a',
        'Z',
        '0',
        '-',
        '.',
        '@',
        '_',
        '!',
        '~',
        '"',
        '\\',
        '[',
        ']',
        ' ',
        ',',
        '\u00e9',
        '\u4e0d',
        '\t',
      ),
      fc.integer({ min: 60, max: 66 }).map((n) => 'x'.repeat(n)),
    )
    const tricky = fc.array(piece, { maxLength: 12 }).map((p) => p.join(''))
    const labels = fc
      .array(
        fc.tuple(
          fc.oneof(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 61, max: 64 })),
          fc.constantFrom('', 'head', 'tail', 'inner'),
        ),
        {
          minLength: 1,
          maxLength: 6,
        },
      )
      .map((ls) =>
        ls
          .map(([n, h]) => {
            const d = 'd'.repeat(n)
            return h === 'head' ? `-${d}` : h === 'tail' ? `${d}-` : h === 'inner' ? `${d}-${d}` : d
          })
          .join('.'),
      )
    const structured = fc
      .tuple(fc.integer({ min: 0, max: 66 }), fc.constantFrom('', '.', '..'), labels, fc.integer({ min: 0, max: 3 }))
      .map(
        ([n, dots, domain, copies]) =>
          `${'l'.repeat(n)}${dots}@${Array(copies + 1)
            .fill(domain)
            .join('.')}`,
      )

    test.prop([fc.oneof(tricky, structured, mailbox.map(mailboxText))], { numRuns: 3000 })(
      'gives what the general parse gives, for every text',
      (text) => {
        expect(parseMailboxText(text)).toEqual(mailboxOfAnyForm(text))
      },
    )
  })
})
