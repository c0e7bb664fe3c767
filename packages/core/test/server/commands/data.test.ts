import { describe, expect, it } from 'vitest'
import { Harness, bodyText } from '../harness.js'

const inData = (options = {}) => {
  const h = new Harness({ hostname: 'mx.example.com', ...options })
  h.feed('EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nDATA\r\n')
  expect(h.read()).toMatch(/354 End data with <CR><LF>\.<CR><LF>\r\n$/)
  return h
}

describe('server session', () => {
  describe('DATA (RFC 5321 4.1.1.4)', () => {
    it('503 for DATA before RCPT; 554 when every RCPT was refused (RFC 5321 3.3)', () => {
      const h = new Harness({}, (q) =>
        q._tag === 'Rcpt' ? { _tag: 'Reject', reply: { code: 550, lines: ['no'] } } : { _tag: 'Accept' },
      )
      h.feed('EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nDATA\r\nRCPT TO:<x@y.example>\r\nDATA\r\n')
      expect(h.read()).toMatch(
        /503 5\.5\.1 Need RCPT command\r\n550 5\.0\.0 no\r\n554 5\.5\.1 No valid recipients\r\n$/,
      )
    })
    it('501 for DATA with an argument (RFC 5321 4.3.2)', () => {
      const h = new Harness({})
      h.feed('EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nDATA now\r\n')
      expect(h.read()).toMatch(/501 5\.5\.4 This command takes no arguments\r\n$/)
    })
    it('removes one leading dot from each line that has one (RFC 5321 4.5.2)', () => {
      const h = inData()
      h.feed('..hidden\r\n.\tx\r\n...\r\nnot.a.dot\r\n.\r\n')
      expect(bodyText(h.delivered[0]!)).toBe('.hidden\r\n\tx\r\n..\r\nnot.a.dot\r\n')
    })
    it('an immediate terminator is an empty message', () => {
      const h = inData()
      h.feed('.\r\n')
      expect(h.read()).toBe('250 2.0.0 Ok\r\n')
      expect(bodyText(h.delivered[0]!)).toBe('')
    })
    it('keeps the final CRLF of the last line and never the terminator', () => {
      const h = inData()
      h.feed('a\r\nb\r\n.\r\n')
      expect(bodyText(h.delivered[0]!)).toBe('a\r\nb\r\n')
    })
    it('finds the terminator split across inputs at every point', () => {
      const text = 'line one\r\n..two\r\n.\r\n'
      for (let cut = 0; cut <= text.length; cut++) {
        const h = inData()
        h.feed(text.slice(0, cut)).feed(text.slice(cut))
        expect(h.delivered.map(bodyText)).toEqual(['line one\r\n.two\r\n'])
      }
    })
    it('goes on with commands pipelined after the terminator (RFC 2920 3.1)', () => {
      const h = inData()
      h.feed('x\r\n.\r\nMAIL FROM:<b@b.example>\r\nQUIT\r\n')
      expect(h.read()).toBe('250 2.0.0 Ok\r\n250 2.1.0 Ok\r\n221 2.0.0 Bye\r\n')
      expect(h.closed).toBe(true)
    })
    it('552 after the data when the message outgrows the limit, and nothing is handed over (RFC 1870 6.3)', () => {
      const h = inData({ maxMessageSize: 10 })
      h.feed('0123456789\r\n.\r\n')
      expect(h.read()).toBe('552 5.3.4 Message size exceeds fixed maximum message size\r\n')
      expect(h.delivered).toHaveLength(0)
      expect(h.aborted).toEqual(['tooBig'])
    })
    it('a message exactly at the limit is accepted (RFC 1870 6.3)', () => {
      const h = inData({ maxMessageSize: 10 })
      h.feed('01234567\r\n.\r\n')
      expect(h.read()).toBe('250 2.0.0 Ok\r\n')
    })
    it('500 after the data for a text line over the limit (RFC 5321 4.5.3.1.6)', () => {
      const h = inData({ maxTextLineLength: 1000 })
      h.feed(`${'a'.repeat(998)}\r\n${'b'.repeat(999)}\r\n.\r\n`)
      expect(h.read()).toBe('500 5.5.2 Line too long in message data\r\n')
      expect(h.aborted).toEqual(['lineTooLong'])
    })
    it('a text line of exactly 1000 octets with CRLF is fine (RFC 5321 4.5.3.1.6)', () => {
      const h = inData()
      h.feed(`${'a'.repeat(998)}\r\n.\r\n`)
      expect(h.read()).toBe('250 2.0.0 Ok\r\n')
    })
    it('streams the body as views of the input, not copies', () => {
      const h = new Harness({})
      h.feed('EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nDATA\r\n')
      const input = new TextEncoder().encode('hello world\r\n')
      h.feed(input)
      const chunk = [...h.outputs].reverse().find((o) => o._tag === 'MessageChunk')
      expect(chunk?._tag === 'MessageChunk' && chunk.bytes.buffer).toBe(input.buffer)
    })
  })

  describe('SMTP smuggling: only CRLF.CRLF ends the data (RFC 5321 4.1.1.4, 2.3.8; CVE-2023-51764)', () => {
    const vectors = [
      ['LF.LF', '\n.\n'],
      ['CR.CR', '\r.\r'],
      ['LF.CRLF', '\n.\r\n'],
      ['CRLF.LF', '\r\n.\n'],
      ['CRLF.CR', '\r\n.\r'],
      ['CR.LF', '\r.\n'],
      ['CR.CRLF', '\r.\r\n'],
    ] as const
    const smuggled = 'MAIL FROM:<evil@attacker.example>\r\nRCPT TO:<victim@y.example>\r\nDATA\r\nforged\r\n'
    it.each(vectors)('%s does not end the message; with bare line endings refused, it is refused (554)', (_n, v) => {
      const h = inData()
      h.feed(`hello${v}${smuggled}`)
      expect(h.read()).toBe('')
      expect(h.questions.filter((q) => q._tag === 'Mail')).toHaveLength(1)
      h.feed('\r\n.\r\n')
      expect(h.read()).toBe('554 5.6.0 Message refused: bare CR or LF in message data\r\n')
      expect(h.delivered).toHaveLength(0)
    })
    it.each(vectors)('%s does not end the message; with bare line endings kept, it is message text', (_n, v) => {
      const h = inData({ bareLineEndings: 'keep' })
      h.feed(`hello${v}${smuggled}`)
      expect(h.read()).toBe('')
      h.feed('.\r\n')
      expect(h.read()).toBe('250 2.0.0 Ok\r\n')
      expect(h.questions.filter((q) => q._tag === 'Mail')).toHaveLength(1)
      // The dot after CRLF in CRLF.LF / CRLF.CR starts a line, so it is removed as stuffing.
      const expected = `hello${v}${smuggled}`.replace(/\r\n\./g, '\r\n')
      expect(bodyText(h.delivered[0]!)).toBe(expected)
    })
  })
})
