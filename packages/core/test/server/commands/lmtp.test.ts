import { describe, expect, it } from 'vitest'
import { accept, perRecipient, reject, reply } from '../../../src/index.js'
import { Harness, transcript } from '../harness.js'

describe('server session', () => {
  describe('LMTP (RFC 2033)', () => {
    it('one reply per accepted recipient after the data, in RCPT order (RFC 2033 4.2)', () => {
      const h = new Harness({ lmtp: true, hostname: 'lmtp.example' }, (q) => {
        if (q._tag === 'Rcpt' && q.to.localPart === 'gone') return reject(reply(550, '5.1.1', 'No such user'))
        if (q._tag === 'Message')
          return perRecipient([accept(reply(250, '2.1.5', 'a delivered')), reject(reply(452, '4.2.2', 'c over quota'))])
        return accept()
      })
      transcript(
        h,
        `S: 220 lmtp.example LMTP
         C: LHLO client.example
         S: 250-lmtp.example
         S: 250-PIPELINING
         S: 250-SIZE 26214400
         S: 250-8BITMIME
         S: 250-SMTPUTF8
         S: 250-ENHANCEDSTATUSCODES
         S: 250-CHUNKING
         S: 250 BINARYMIME
         C: MAIL FROM:<s@example.org>
         S: 250 2.1.0 Ok
         C: RCPT TO:<a@lmtp.example>
         S: 250 2.1.5 Ok
         C: RCPT TO:<gone@lmtp.example>
         S: 550 5.1.1 No such user
         C: RCPT TO:<c@lmtp.example>
         S: 250 2.1.5 Ok
         C: DATA
         S: 354 End data with <CR><LF>.<CR><LF>
         C: Subject: hi
         C:
         C: .
         S: 250 2.1.5 a delivered
         S: 452 4.2.2 c over quota`,
      )
      const q = h.delivered[0]!.question
      expect(q.recipients.map((r) => r.to.localPart)).toEqual(['a', 'c'])
    })
    it('a single decision applies to every recipient', () => {
      const h = new Harness({ lmtp: true })
      h.feed('LHLO c.example\r\nMAIL FROM:<>\r\nRCPT TO:<a@x.example>\r\nRCPT TO:<b@x.example>\r\nBDAT 2 LAST\r\nhi')
      expect(h.read()).toMatch(
        /250 2\.1\.0 Ok\r\n250 2\.1\.5 Ok\r\n250 2\.1\.5 Ok\r\n250 2\.0\.0 Ok\r\n250 2\.0\.0 Ok\r\n$/,
      )
    })
    it('a refusal found while the data streamed is given once per recipient', () => {
      const h = new Harness({ lmtp: true, maxMessageSize: 3 })
      h.feed(
        'LHLO c.example\r\nMAIL FROM:<>\r\nRCPT TO:<a@x.example>\r\nRCPT TO:<b@x.example>\r\nDATA\r\n12345\r\n.\r\n',
      )
      expect(h.read()).toMatch(/354 [^\r]*\r\n(552 5\.3\.4 [^\r]*\r\n){2}$/)
    })
    it.each([
      ['in its last chunk', 'BDAT 5 LAST\r\n12345', ''],
      ['across its chunks', 'BDAT 2\r\n12BDAT 3 LAST\r\n345', '250 2.0.0 2 octets received\r\n'],
    ])(
      'a message too big %s gets its 552 once per recipient after BDAT LAST, and the transaction is over',
      (_n, data, first) => {
        const h = new Harness({ lmtp: true, maxMessageSize: 4 })
        h.feed('LHLO c.example\r\nMAIL FROM:<>\r\nRCPT TO:<a@x.example>\r\nRCPT TO:<b@x.example>\r\n')
        h.read()
        h.feed(`${data}MAIL FROM:<>\r\n`)
        const tooBig = '552 5.3.4 Message size exceeds fixed maximum message size\r\n'
        expect(h.read()).toBe(`${first}${tooBig}${tooBig}250 2.1.0 Ok\r\n`)
        expect(h.delivered).toHaveLength(0)
      },
    )
    it.each([
      ['alone', 'BDAT 5 LAST\r\nhello', ''],
      ['with no chunk', 'BDAT 0 LAST\r\n', ''],
      [
        'after a chunk refused for want of recipients',
        'BDAT 3\r\nhelBDAT 2 LAST\r\nlo',
        '503 5.5.1 No valid recipients\r\n',
      ],
    ])(
      'a BDAT LAST after no successful RCPT gets no reply, and the transaction is over (RFC 2033 4.3): %s',
      (_n, bdat, first) => {
        const h = new Harness({ lmtp: true }, (q) =>
          q._tag === 'Rcpt' ? reject(reply(550, '5.1.1', 'No such user')) : accept(),
        )
        h.feed('LHLO c.example\r\nMAIL FROM:<>\r\nRCPT TO:<a@x.example>\r\n')
        h.read()
        h.feed(bdat)
        expect(h.read()).toBe(first) // a chunk without LAST still gets its one reply (RFC 2033 4.3)
        expect(h.state.phase._tag).toBe('Idle')
        // the next replies are the next commands': NOOP's 250, then MAIL's, as there is no transaction left
        h.feed('NOOP\r\nMAIL FROM:<>\r\n')
        expect(h.read()).toBe('250 2.0.0 Ok\r\n250 2.1.0 Ok\r\n')
        expect(h.delivered).toHaveLength(0)
        expect(h.state.badCommands).toBe(first === '' ? 0 : 1)
      },
    )
    it('the silent BDAT LAST counts as a command that brought no mail: a loop of them meets maxJunkCommands', () => {
      const h = new Harness({ lmtp: true, maxJunkCommands: 3, maxBadCommands: 3, maxMessagesPerSession: 0 })
      h.feed('LHLO c.example\r\n')
      h.read()
      for (let i = 0; i < 10 && !h.closed; i++) h.feed('MAIL FROM:<>\r\nBDAT 2 LAST\r\nhi')
      expect(h.closed).toBe(true)
      expect(h.read()).toMatch(/421 4\.7\.0 [^\r\n]*\r\n$/)
    })
    it('the silent BDAT LAST holds however its chunk is cut', () => {
      const h = new Harness({ lmtp: true }, (q) => (q._tag === 'Rcpt' ? reject(reply(550, '5.1.1', 'No')) : accept()))
      h.feed('LHLO c.example\r\nMAIL FROM:<>\r\nRCPT TO:<a@x.example>\r\n')
      h.read()
      for (const piece of ['BDAT 12 LA', 'ST\r\nRSET\r\n', 'NOOP', '\r\n', 'QUIT\r\n']) h.feed(piece)
      expect(h.read()).toBe('221 2.0.0 Bye\r\n')
    })
    it.each([
      [
        'a message too big',
        { maxMessageSize: 4 },
        'BDAT 5\r\n12345',
        '552 5.3.4 Message size exceeds fixed maximum message size',
      ],
      ['a line that does not parse', {}, 'BDAT  5\r\n12345', '501 5.5.4 Syntax: BDAT chunk-size [LAST]'],
    ])(
      'after a chunk that failed (%s), BDAT LAST gets one reply per accepted recipient and ends the transaction (RFC 2033 4.3)',
      (_n, options, chunk, refusal) => {
        const h = new Harness({ lmtp: true, ...options }, (q) =>
          q._tag === 'Rcpt' && q.to.localPart === 'gone' ? reject(reply(550, '5.1.1', 'No such user')) : accept(),
        )
        h.feed('LHLO c.example\r\nMAIL FROM:<>\r\n')
        h.feed('RCPT TO:<a@x.example>\r\nRCPT TO:<gone@x.example>\r\nRCPT TO:<b@x.example>\r\n')
        h.read()
        h.feed(`${chunk}BDAT 3 LAST\r\nabc`)
        const failed = '503 5.5.1 Transaction failed; send RSET\r\n'
        expect(h.read()).toBe(`${refusal}\r\n${failed}${failed}`)
        expect(h.state.phase._tag).toBe('Idle')
        h.feed('RSET\r\nMAIL FROM:<>\r\n')
        expect(h.read()).toBe('250 2.0.0 Ok\r\n250 2.1.0 Ok\r\n')
        expect(h.delivered).toHaveLength(0)
      },
    )
    it('in SMTP a BDAT LAST after a failed chunk is still one 503, and the transaction waits for RSET (RFC 3030 2)', () => {
      const h = new Harness({ maxMessageSize: 4 })
      h.feed('EHLO c.example\r\nMAIL FROM:<>\r\nRCPT TO:<a@x.example>\r\nRCPT TO:<b@x.example>\r\n')
      h.read()
      h.feed('BDAT 5\r\n12345BDAT 3 LAST\r\nabc')
      expect(h.read()).toMatch(/^552 [^\r]*\r\n503 5\.5\.1 Transaction failed; send RSET\r\n$/)
      expect(h.state.phase._tag).toBe('Envelope')
    })
    it('per-recipient decisions must match the recipients in number', () => {
      const h = new Harness({ lmtp: true }, (q) => (q._tag === 'Message' ? undefined : accept()))
      h.feed('LHLO c.example\r\nMAIL FROM:<>\r\nRCPT TO:<a@x.example>\r\nDATA\r\nx\r\n.\r\n')
      h.answer(perRecipient([accept(), accept()]))
      expect(h.outputs.at(-1)).toMatchObject({ _tag: 'Misuse' })
      h.answer(perRecipient([accept()]))
      expect(h.read()).toMatch(/250 2\.0\.0 Ok\r\n$/)
    })
  })
})
