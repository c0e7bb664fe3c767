// Tests for the client's reply reader: RFC 5321 4.2 and 4.2.1 (reply lines, multi-line replies), RFC 3463 2
// and RFC 2034 4 (enhanced status codes), the caps on line length and line count, and split invariance.
import { describe, expect, it } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import { type ReadResult, type ReplyParser, readReply, replyParserInit } from '../../src/client/replyParser.js'
import { type Reply, formatReply, reply } from '../../src/Reply.js'
import { encode } from '../../src/wire/bytes.js'
import { cut } from '../arb/chunks.js'

const limits = { maxLine: 2048, maxLines: 200 }

/** Read every reply from a sequence of inputs; stop at the first fault. */
const readAll = (inputs: ReadonlyArray<Uint8Array>) => {
  let p: ReplyParser = replyParserInit
  const replies: Reply[] = []
  for (const bytes of inputs) {
    let pos = 0
    while (pos < bytes.length) {
      const r: ReadResult = readReply(p, bytes, pos, limits)
      if (r._tag === 'Fault') return { replies, fault: r.fault._tag, partial: undefined }
      if (r._tag === 'More') {
        p = r.parser
        break
      }
      replies.push(r.reply)
      p = r.parser
      pos = r.pos
    }
  }
  return { replies, fault: undefined, partial: p.partial?.length ?? 0 }
}
const read = (text: string) => readAll([encode(text)])

describe('replyParser', () => {
  describe('reply lines (RFC 5321 4.2)', () => {
    it.each([
      ['a single line', '250 Ok\r\n', reply(250, undefined, 'Ok')],
      ['a bare code with no text and no space (RFC 5321 4.2.1)', '250\r\n', reply(250, undefined, '')],
      ['a code and a space but no text', '354 \r\n', reply(354, undefined, '')],
      [
        'a multi-line reply',
        '250-mx.example\r\n250-SIZE 10\r\n250 HELP\r\n',
        reply(250, undefined, 'mx.example', 'SIZE 10', 'HELP'),
      ],
      ['a continuation line with no text', '250-\r\n250 last\r\n', reply(250, undefined, '', 'last')],
      ['a bare LF as the line end (liberal)', '221 Bye\n', reply(221, undefined, 'Bye')],
      ['text with UTF-8 (RFC 6531 3.7.4)', '550 Unbekannt: jörg\r\n', reply(550, undefined, 'Unbekannt: jörg')],
      ['an unknown code read by its first digit (RFC 5321 4.2.1)', '299 odd\r\n', reply(299, undefined, 'odd')],
    ])('reads %s', (_name, text, expected) => {
      expect(read(text)).toEqual({ replies: [expected], fault: undefined, partial: 0 })
    })
    it('reads replies one after another and keeps a cut line for the next input', () => {
      expect(readAll([encode('250 a\r\n251 b\r\n25'), encode('2 c\r\n')]).replies.map((r) => r.code)).toEqual([
        250, 251, 252,
      ])
      expect(read('250 a\r\n220 par').partial).toBe(7)
    })
  })

  describe('enhanced status codes (RFC 3463 2, RFC 2034 4)', () => {
    it.each([
      ['split off when its class matches the code', '250 2.1.0 Ok\r\n', reply(250, '2.1.0', 'Ok')],
      ['split off every line that carries it', '550-5.7.1 no\r\n550 5.7.1 way\r\n', reply(550, '5.7.1', 'no', 'way')],
      ['alone on a line, leaving no text', '250 2.0.0\r\n', reply(250, '2.0.0', '')],
      ['kept as text when the class differs', '250 5.1.1 odd\r\n', reply(250, undefined, '5.1.1 odd')],
      ['kept as text when not followed by a space', '250 2.0.0x\r\n', reply(250, undefined, '2.0.0x')],
      ['never read from a 334 challenge', '334 2.0.0\r\n', reply(334, undefined, '2.0.0')],
    ])('is %s', (_name, text, expected) => {
      expect(read(text).replies).toEqual([expected])
    })
  })

  describe('faults', () => {
    it.each([
      ['no code', 'hello\r\n', 'Malformed'],
      ['a first digit of 1 (RFC 5321 4.2.1)', '150 x\r\n', 'Malformed'],
      ['a first digit of 6', '650 x\r\n', 'Malformed'],
      ['two digits', '25 x\r\n', 'Malformed'],
      ['a letter after the code', '250x\r\n', 'Malformed'],
      ['an HTTP status line', 'HTTP/1.1 400 Bad Request\r\n', 'Malformed'],
      ['a code that changes inside a reply (RFC 5321 4.2.1)', '250-a\r\n251 b\r\n', 'CodeChanged'],
      ['a line over 2048 octets', `250 ${'x'.repeat(2044)}\r\n`, 'LineTooLong'],
      ['more than 200 lines', `${'250-x\r\n'.repeat(200)}250 x\r\n`, 'TooManyLines'],
    ])('refuses %s', (_name, text, fault) => {
      expect(read(text).fault).toBe(fault)
    })
    it('takes a line of exactly 2048 octets and 200 lines exactly', () => {
      expect(read(`250 ${'x'.repeat(2042)}\r\n`).fault).toBeUndefined()
      expect(read(`${'250-x\r\n'.repeat(199)}250 x\r\n`).replies[0]!.lines).toHaveLength(200)
    })
    it('refuses an over-long line before its end arrives, so the state stays bounded', () => {
      expect(readAll([encode('250 '), encode('x'.repeat(3000))]).fault).toBe('LineTooLong')
    })
  })

  describe('properties', () => {
    const line = fc.string({ unit: fc.constantFrom('a', ' ', '-', '.', '2', 'é'), maxLength: 30 })
    const anyReply = fc
      .record({
        code: fc.integer({ min: 200, max: 599 }),
        enhanced: fc.option(fc.tuple(fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: 999 }))),
        lines: fc.array(
          line.filter((l) => l !== '' && !/^\d\.\d+\.\d+( |$)/.test(l)),
          { minLength: 1, maxLength: 5 },
        ),
      })
      .map(({ code, enhanced, lines }) =>
        enhanced === null || code < 400
          ? reply(code, undefined, ...lines)
          : reply(code, `${Math.floor(code / 100)}.${enhanced[0]}.${enhanced[1]}`, ...lines),
      )
    const stream = fc.array(anyReply, { maxLength: 8 })
    test.prop([stream, fc.array(fc.nat(), { maxLength: 20 })])(
      'any chunking of a reply stream gives the same replies (split invariance)',
      (replies, cuts) => {
        const bytes = encode(replies.map((r) => formatReply(r, true, true)).join(''))
        expect(readAll(cut(bytes, cuts))).toEqual(readAll([bytes]))
      },
    )
    test.prop([stream])('reads back what formatReply writes, enhanced code included', (replies) => {
      const bytes = encode(replies.map((r) => formatReply(r, true, true)).join(''))
      expect(readAll([bytes]).replies).toEqual(replies)
    })
    test.prop([fc.uint8Array({ maxLength: 3000 }), fc.array(fc.nat(), { maxLength: 10 })])(
      'never throws and never keeps more than a line on arbitrary bytes, in any chunking',
      (bytes, cuts) => {
        const whole = readAll([bytes])
        expect(readAll(cut(bytes, cuts))).toEqual(whole)
        expect(whole.partial ?? 0).toBeLessThan(limits.maxLine)
      },
    )
  })
})
