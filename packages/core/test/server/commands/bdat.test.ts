import { describe, expect, it } from 'vitest'
import { accept, reject, reply } from '../../../src/index.js'
import { Harness, bodyText } from '../harness.js'

const envelope = (options = {}, answerer?: ConstructorParameters<typeof Harness>[1]) => {
  const h = new Harness({ hostname: 'mx.example.com', ...options }, answerer)
  h.feed('EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\n')
  h.read()
  return h
}

describe('server session', () => {
  describe('BDAT (RFC 3030 2)', () => {
    it('takes exactly the declared octets, 250 per chunk, and asks at LAST', () => {
      const h = envelope()
      h.feed('BDAT 5\r\nab\r\nc')
      expect(h.read()).toBe('250 2.0.0 5 octets received\r\n')
      h.feed('BDAT 3 LAST\r\n.\r\n')
      expect(h.read()).toBe('250 2.0.0 Ok\r\n')
      expect(bodyText(h.delivered[0]!)).toBe('ab\r\nc.\r\n') // no unstuffing: octets as sent
    })
    it('BDAT 0 LAST ends the message (RFC 3030 2)', () => {
      const h = envelope()
      h.feed('BDAT 4\r\nabcd')
      h.feed('bdat 0 last\r\n')
      expect(h.read()).toBe('250 2.0.0 4 octets received\r\n250 2.0.0 Ok\r\n')
      expect(bodyText(h.delivered[0]!)).toBe('abcd')
    })
    it('a chunk may hold binary octets and command-like lines', () => {
      const h = envelope()
      const chunk = 'QUIT\r\n\u0000\u00ff\r.\n'
      h.feed(`BDAT ${chunk.length} LAST\r\n`)
      h.feed(Uint8Array.from(chunk, (c) => c.charCodeAt(0)))
      expect(h.read()).toBe('250 2.0.0 Ok\r\n')
      expect(h.closed).toBe(false)
      expect(bodyText(h.delivered[0]!)).toBe(chunk)
    })
    it('a refused BDAT still has its chunk read and dropped (RFC 3030 2)', () => {
      const h = new Harness({})
      h.feed('EHLO c.example\r\n')
      h.read()
      h.feed('BDAT 6\r\nQUIT\r\nNOOP\r\n')
      expect(h.read()).toBe('503 5.5.1 Need MAIL command\r\n250 2.0.0 Ok\r\n')
      expect(h.closed).toBe(false)
    })
    it('502 when CHUNKING is off, and the chunk is still consumed', () => {
      const h = new Harness({ chunking: false, binaryMime: false })
      h.feed('EHLO c.example\r\n')
      h.read()
      h.feed('BDAT 6\r\nQUIT\r\nNOOP\r\n')
      expect(h.read()).toBe('502 5.5.1 Command not implemented\r\n250 2.0.0 Ok\r\n')
    })
    it('after a failed chunk, pipelined chunks are read and refused with 503 until RSET (RFC 3030 2)', () => {
      const h = envelope({ maxMessageSize: 4 })
      h.feed('BDAT 5\r\n12345BDAT 2 LAST\r\nabRSET\r\n')
      expect(h.read()).toBe(
        '552 5.3.4 Message size exceeds fixed maximum message size\r\n503 5.5.1 Transaction failed; send RSET\r\n250 2.0.0 Ok\r\n',
      )
      expect(h.delivered).toHaveLength(0)
      expect(h.aborted).toEqual(['tooBig'])
    })
    it.each([
      ['a line that parses only for its white space', 'BDAT 5  ', '501 5.5.4 Syntax: BDAT chunk-size [LAST]'],
      ['a bare LF ending the line', 'BDAT 5\n', '500 5.5.2'],
      ['no argument (no chunk follows)', 'BDAT', '501 5.5.4 Syntax: BDAT chunk-size [LAST]'],
      ['no argument and a bare LF', 'BDAT\n', '500 5.5.2'],
    ])(
      'a chunk refused for %s fails the transaction: later chunks get 503, no message is made of the others (RFC 3030 2)',
      (_n, refused, reply) => {
        const h = envelope()
        const chunk = refused.startsWith('BDAT 5') ? 'part2' : ''
        h.feed(`BDAT 5\r\npart1${refused}${refused.endsWith('\n') ? '' : '\r\n'}${chunk}BDAT 5 LAST\r\npart3`)
        const replies = h.read().split('\r\n')
        expect(replies[0]).toBe('250 2.0.0 5 octets received')
        expect(replies[1]!.startsWith(reply)).toBe(true)
        expect(replies[2]).toBe('503 5.5.1 Transaction failed; send RSET')
        expect(h.questions.filter((q) => q._tag === 'Message')).toHaveLength(0)
        expect(h.delivered).toHaveLength(0)
        expect(h.aborted).toEqual(['chunkRefused'])
        // RSET ends the failed transaction; the next one is whole
        h.feed('RSET\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nBDAT 3 LAST\r\nabc')
        expect(h.read()).toBe('250 2.0.0 Ok\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.0.0 Ok\r\n')
        expect(bodyText(h.delivered[0]!)).toBe('abc')
      },
    )
    it.each([
      ['NUL', '\u0000'],
      ['a vertical tab', '\u000b'],
    ])(
      'a BDAT with %s where its space should be loses the framing within a transaction: reply, close, nothing delivered',
      (_n, control) => {
        const h = envelope()
        h.feed(`BDAT 4\r\nAAAABDAT${control}3\r\nBBBBDAT 3 LAST\r\nCCC`)
        const replies = h.read().split('\r\n')
        expect(replies[0]).toBe('250 2.0.0 4 octets received')
        expect(replies[1]).toMatch(/^501 5\.5\.4 /)
        expect(replies).toHaveLength(3) // nothing more: the chunk bytes never run as commands
        expect(h.closed).toBe(true)
        expect(h.delivered).toHaveLength(0)
      },
    )
    it('a first chunk refused (no recipient yet) fails the transaction too: a RCPT after it cannot start a message without it', () => {
      const h = new Harness({}, (q) =>
        q._tag === 'Rcpt' && q.to.localPart === 'no' ? reject(reply(550, '5.1.1', 'No')) : accept(),
      )
      h.feed('EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<no@y.example>\r\n')
      h.read()
      h.feed('BDAT 5\r\npart1RCPT TO:<x@y.example>\r\nBDAT 5 LAST\r\npart2')
      const replies = h.read().split('\r\n')
      expect(replies[0]).toMatch(/^5\d\d /) // no valid recipients
      expect(replies.slice(1)).toEqual([
        '503 5.5.1 Bad sequence of commands',
        '503 5.5.1 Transaction failed; send RSET',
        '',
      ])
      expect(h.delivered).toHaveLength(0)
    })
    it.each([
      ['502', 'BDAT 3\r\n', '502 5.5.1 Command not implemented'],
      ['a bare LF', 'BDAT 3\n', '500 5.5.2'],
    ])('with CHUNKING off, a BDAT refused (%s) leaves the transaction to DATA', (_n, line, reply) => {
      const h = envelope({ chunking: false, binaryMime: false })
      h.feed(`${line}abcDATA\r\nxyz\r\n.\r\n`)
      const replies = h.read().split('\r\n')
      expect(replies[0]!.startsWith(reply)).toBe(true)
      expect(replies.slice(1)).toEqual(['354 End data with <CR><LF>.<CR><LF>', '250 2.0.0 Ok', ''])
      expect(bodyText(h.delivered[0]!)).toBe('xyz\r\n')
    })
    it('503 for DATA after BDAT in one transaction (RFC 3030 2)', () => {
      const h = envelope()
      h.feed('BDAT 1\r\nxDATA\r\n')
      expect(h.read()).toBe(
        '250 2.0.0 1 octets received\r\n503 5.5.1 DATA and BDAT cannot be mixed in one transaction\r\n',
      )
    })
    it('503 for DATA with BODY=BINARYMIME (RFC 3030 3)', () => {
      const h = new Harness({})
      h.feed('EHLO c.example\r\nMAIL FROM:<a@b.example> BODY=BINARYMIME\r\nRCPT TO:<x@y.example>\r\nDATA\r\n')
      expect(h.read()).toMatch(/503 5\.5\.1 BODY=BINARYMIME requires BDAT\r\n$/)
    })
    it('a last chunk that makes the message too big gets 552 and ends the transaction; RSET after it is 250', () => {
      const h = envelope({ maxMessageSize: 4 })
      h.feed('BDAT 3\r\n123BDAT 2 LAST\r\n45MAIL FROM:<c@d.example>\r\nRSET\r\n')
      expect(h.read()).toBe(
        '250 2.0.0 3 octets received\r\n552 5.3.4 Message size exceeds fixed maximum message size\r\n' +
          '250 2.1.0 Ok\r\n250 2.0.0 Ok\r\n',
      )
      expect(h.delivered).toHaveLength(0)
      expect(h.aborted).toEqual(['tooBig'])
    })
    it('RSET between chunks drops the partial message', () => {
      const h = envelope()
      h.feed('BDAT 2\r\nabRSET\r\n')
      expect(h.read()).toBe('250 2.0.0 2 octets received\r\n250 2.0.0 Ok\r\n')
      expect(h.aborted).toEqual(['reset'])
    })
    it('501 for a BDAT without an argument: no chunk follows, the session goes on', () => {
      const h = envelope()
      h.feed('BDAT\r\nNOOP\r\n')
      expect(h.read()).toBe('501 5.5.4 Syntax: BDAT chunk-size [LAST]\r\n250 2.0.0 Ok\r\n')
    })
    it.each([
      ['a size that is no number', 'BDAT x', '501 5.5.4 Syntax: BDAT chunk-size [LAST]; the chunk cannot be framed'],
      ['a signed size', 'BDAT +3 LAST', '501 5.5.4 Syntax: BDAT chunk-size [LAST]; the chunk cannot be framed'],
      ['a size past any octet count', 'BDAT 99999999999999999999', '552 5.3.4 Chunk size exceeds any message size'],
      [
        'a BDAT line too long to read',
        `BDAT 3${' '.repeat(13000)}`,
        '501 5.5.4 Syntax: BDAT chunk-size [LAST]; the chunk',
      ],
    ])('%s loses the framing: reply, then close; the chunk never runs as commands (RFC 3030 2)', (_n, line, text) => {
      const h = envelope()
      h.feed(`${line}\r\nRSET\r\nMAIL FROM:<evil@example.com>\r\n`)
      const sent = h.read()
      expect(sent.startsWith(text)).toBe(true)
      expect(sent.split('\r\n')).toHaveLength(2) // one reply, nothing for the would-be commands
      expect(h.closed).toBe(true)
    })
    it('the long line is caught even when it arrives in pieces', () => {
      const h = envelope()
      h.feed('BD').feed('AT 5 ').feed(' '.repeat(20000))
      expect(h.read()).toMatch(/^501 5\.5\.4 .*closing connection\r\n$/)
      expect(h.closed).toBe(true)
    })
    it('the application refuses the message at LAST', () => {
      const h = envelope({}, (q) => (q._tag === 'Message' ? reject(reply(554, '5.7.1', 'Spam')) : accept()))
      h.feed('BDAT 1 LAST\r\nx')
      expect(h.read()).toBe('554 5.7.1 Spam\r\n')
    })

    it('takes chunk sizes with leading zeros (RFC 3030 2: 1*DIGIT)', () => {
      const h = envelope()
      h.feed('BDAT 0000000000000000004 LAST\r\nabcd')
      expect(h.read()).toBe('250 2.0.0 Ok\r\n')
      expect(bodyText(h.delivered[0]!)).toBe('abcd')
    })
    const chunk = 'RSET\r\nMAIL FROM:<evil@x.example>\r\n'
    it.each([
      ['a trailing space', `BDAT ${chunk.length} LAST \r\n`],
      ['a bare LF', `BDAT ${chunk.length} LAST\n`],
      ['two spaces', `BDAT  ${chunk.length}\r\n`],
      ['a tab', `BDAT\t${chunk.length}\r\n`],
    ])('a BDAT line refused for %s still has its chunk read as data, never as commands', (_n, line) => {
      const h = envelope()
      h.feed(line + chunk + 'NOOP\r\n')
      expect(h.questions.filter((q) => q._tag === 'Mail')).toHaveLength(1) // only the envelope's own MAIL
      expect(h.read()).toMatch(/^5\d\d [^\r]*\r\n250 2\.0\.0 Ok\r\n$/)
    })
  })
})
