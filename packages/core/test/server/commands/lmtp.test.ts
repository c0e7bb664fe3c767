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
