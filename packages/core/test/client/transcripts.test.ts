// Golden transcripts: the client's bytes, byte for byte, for a given server script. PIPELINING (RFC 2920),
// the HELO fallback (RFC 5321 3.2), STARTTLS (RFC 3207), AUTH (RFC 4954), BDAT (RFC 3030), LMTP (RFC 2033).
import { describe, expect, it } from 'vitest'
import { latin1 } from '../../src/wire/bytes.js'
import { ClientHarness, type Message, resultsOf, transcript } from './harness.js'

const helo = 'client.example.org'
const simple = (to: string[], body: string[] = ['hello\r\n'], extra: Partial<Message['envelope']> = {}): Message => ({
  envelope: { from: 'bob@example.org', to, ...extra },
  body,
})
const writes = (h: ClientHarness) => h.of('Send').map((s) => latin1(s.bytes))

describe('client session', () => {
  describe('PIPELINING across transactions (RFC 2920 3.1)', () => {
    const two = [simple(['alice@example.com'], ['one\r\n']), simple(['carol@example.com'], ['two\r\n'])]
    it('sends the next MAIL, RCPT and DATA behind the end of data, before its reply', () => {
      const h = new ClientHarness({ helo }, two)
      transcript(h, [
        'S: 220 mx.example.com ESMTP',
        `C: EHLO ${helo}`,
        'S: 250-mx.example.com',
        'S: 250 PIPELINING',
        'C: MAIL FROM:<bob@example.org>',
        'C: RCPT TO:<alice@example.com>',
        'C: DATA',
        'S: 250 Ok',
        'S: 250 Ok',
        'S: 354 Go',
        'C: one',
        'C: .',
        'C: MAIL FROM:<bob@example.org>',
        'C: RCPT TO:<carol@example.com>',
        'C: DATA',
        'S: 250 first queued',
        'S: 250 Ok',
        'S: 250 Ok',
        'S: 354 Go',
        'C: two',
        'C: .',
        'S: 250 second queued',
        'C: QUIT',
        'S: 221 Bye',
      ])
      expect(resultsOf(h)).toEqual([
        { status: 'accepted', code: 250, recipients: ['alice@example.com accepted 250'] },
        { status: 'accepted', code: 250, recipients: ['carol@example.com accepted 250'] },
      ])
      expect(h.of('MessageResult').map((m) => m.reply?.lines[0])).toEqual(['first queued', 'second queued'])
    })
    it('a 421 after the first end of data ends both: the first temporary, the second never sent its data', () => {
      const h = new ClientHarness({ helo }, two)
      h.feed('220 mx ESMTP\r\n').feed('250-mx\r\n250 PIPELINING\r\n').feed('250 Ok\r\n250 Ok\r\n354 Go\r\n')
      expect(h.read()).toMatch(/one\r\n\.\r\nMAIL FROM:<bob@example\.org>\r\nRCPT TO:<carol@example\.com>\r\nDATA\r\n$/)
      h.feed('421 4.3.2 Shutting down\r\n')
      expect(h.of('MessageResult').map((m) => [m.status, m.reply?.code])).toEqual([
        ['temporary', 421],
        ['temporary', undefined],
      ])
      expect(h.closed).toBe(true)
    })
    it('without PIPELINING the next transaction waits for the final reply', () => {
      const h = new ClientHarness({ helo, pipelining: false }, two)
      h.feed('220 mx ESMTP\r\n').feed('250 mx\r\n').feed('250 Ok\r\n').feed('250 Ok\r\n').feed('354 Go\r\n')
      expect(h.read()).toMatch(/one\r\n\.\r\n$/)
      h.feed('250 first\r\n')
      expect(h.read()).toBe('MAIL FROM:<bob@example.org>\r\n')
    })
  })

  describe('PIPELINING (RFC 2920 3.1)', () => {
    const script = [
      'S: 220 mx.example.com ESMTP',
      `C: EHLO ${helo}`,
      'S: 250-mx.example.com',
      'S: 250-PIPELINING',
      'S: 250-SIZE 10000',
      'S: 250 8BITMIME',
      'C: MAIL FROM:<bob@example.org> SIZE=31',
      'C: RCPT TO:<alice@example.com>',
      'C: RCPT TO:<carol@example.com>',
      'C: DATA',
      'S: 250 2.1.0 Ok',
      'S: 250 2.1.5 Ok',
      'S: 250 2.1.5 Ok',
      'S: 354 Go ahead',
      'C: Subject: hi',
      'C: ',
      'C: ..leading dot',
      'C: .',
      'S: 250 2.0.0 Queued',
      'C: QUIT',
      'S: 221 2.0.0 Bye',
    ]
    const message = simple(['alice@example.com', 'carol@example.com'], ['Subject: hi\r\n\r\n.leading dot\r\n'], {
      params: { size: 31 },
    })
    it('sends MAIL with SIZE=, every RCPT and DATA in one write, then the stuffed body', () => {
      const h = new ClientHarness({ helo }, [message])
      transcript(h, script)
      expect(writes(h)).toContain(
        'MAIL FROM:<bob@example.org> SIZE=31\r\nRCPT TO:<alice@example.com>\r\nRCPT TO:<carol@example.com>\r\nDATA\r\n',
      )
      expect(h.closed).toBe(true)
      expect(resultsOf(h)).toEqual([
        {
          status: 'accepted',
          code: 250,
          recipients: ['alice@example.com accepted 250', 'carol@example.com accepted 250'],
        },
      ])
    })
    it('reads the replies of a group however they are cut, one byte at a time included', () => {
      const h = new ClientHarness({ helo }, [message])
      const server = script.filter((l) => l.startsWith('S:')).map((l) => `${l.slice(3)}\r\n`)
      for (const ch of server.join('')) h.feed(ch)
      expect(h.sent).toBe(
        script
          .filter((l) => l.startsWith('C:'))
          .map((l) => `${l.slice(3)}\r\n`)
          .join(''),
      )
    })
    it('reports one refused recipient among three and still sends the message (RFC 5321 3.3)', () => {
      const h = new ClientHarness({ helo }, [simple(['a@example.com', 'nobody@example.com', 'c@example.com'])])
      transcript(h, [
        'S: 220 mx.example.com ESMTP',
        `C: EHLO ${helo}`,
        'S: 250-mx.example.com',
        'S: 250 PIPELINING',
        'C: MAIL FROM:<bob@example.org>',
        'C: RCPT TO:<a@example.com>',
        'C: RCPT TO:<nobody@example.com>',
        'C: RCPT TO:<c@example.com>',
        'C: DATA',
        'S: 250 2.1.0 Ok',
        'S: 250 2.1.5 Ok',
        'S: 550 5.1.1 No such user here',
        'S: 250 2.1.5 Ok',
        'S: 354 Go ahead',
        'C: hello',
        'C: .',
        'S: 250 2.0.0 Queued',
        'C: QUIT',
        'S: 221 2.0.0 Bye',
      ])
      expect(resultsOf(h)).toEqual([
        {
          status: 'accepted',
          code: 250,
          recipients: ['a@example.com accepted 250', 'nobody@example.com permanent 550', 'c@example.com accepted 250'],
        },
      ])
      expect(h.of('RecipientResult')[1]!.reply).toEqual({ code: 550, enhanced: '5.1.1', lines: ['No such user here'] })
    })
    it('sends RSET after a failed transaction and then the next one (RFC 5321 4.1.1.5)', () => {
      const h = new ClientHarness({ helo }, [simple(['nobody@example.com']), simple(['alice@example.com'])])
      transcript(h, [
        'S: 220 mx.example.com ESMTP',
        `C: EHLO ${helo}`,
        'S: 250-mx.example.com',
        'S: 250 PIPELINING',
        'C: MAIL FROM:<bob@example.org>',
        'C: RCPT TO:<nobody@example.com>',
        'C: DATA',
        'S: 250 2.1.0 Ok',
        'S: 550 5.1.1 No such user here',
        'S: 554 5.5.1 No valid recipients',
        'C: RSET',
        'S: 250 2.0.0 Ok',
        'C: MAIL FROM:<bob@example.org>',
        'C: RCPT TO:<alice@example.com>',
        'C: DATA',
        'S: 250 2.1.0 Ok',
        'S: 250 2.1.5 Ok',
        'S: 354 Go ahead',
        'C: hello',
        'C: .',
        'S: 250 2.0.0 Queued',
        'C: QUIT',
        'S: 221 2.0.0 Bye',
      ])
      expect(resultsOf(h)).toEqual([
        { status: 'permanent', code: undefined, recipients: ['nobody@example.com permanent 550'] },
        { status: 'accepted', code: 250, recipients: ['alice@example.com accepted 250'] },
      ])
    })
    it('answers a 354 that came although no recipient was accepted with just the dot, then RSET (RFC 2920 3.1)', () => {
      const h = new ClientHarness({ helo }, [simple(['nobody@example.com'])])
      transcript(h, [
        'S: 220 mx.example.com ESMTP',
        `C: EHLO ${helo}`,
        'S: 250-mx.example.com',
        'S: 250 PIPELINING',
        'C: MAIL FROM:<bob@example.org>',
        'C: RCPT TO:<nobody@example.com>',
        'C: DATA',
        'S: 250 2.1.0 Ok',
        'S: 550 5.1.1 No such user here',
        'S: 354 Go ahead',
        'C: .',
        'C: RSET',
        'S: 554 5.5.1 No valid recipients',
        'S: 250 2.0.0 Ok',
        'C: QUIT',
        'S: 221 2.0.0 Bye',
      ])
      expect(h.of('BodyWanted')).toEqual([])
      expect(resultsOf(h)).toEqual([
        { status: 'permanent', code: undefined, recipients: ['nobody@example.com permanent 550'] },
      ])
    })
  })

  describe('EHLO and HELO (RFC 5321 3.2, 4.1.4)', () => {
    it.each([[502], [500]])('falls back to HELO when EHLO gets %d, and then uses no extension', (code) => {
      const h = new ClientHarness({ helo }, [simple(['alice@example.com'], ['hello\r\n'], { params: { size: 6 } })])
      transcript(h, [
        'S: 220 old.example.com',
        `C: EHLO ${helo}`,
        `S: ${code} Command not recognized`,
        `C: HELO ${helo}`,
        'S: 250 old.example.com',
        'C: MAIL FROM:<bob@example.org>',
        'S: 250 Ok',
        'C: RCPT TO:<alice@example.com>',
        'S: 250 Ok',
        'C: DATA',
        'S: 354 Go ahead',
        'C: hello',
        'C: .',
        'S: 250 Ok',
        'C: QUIT',
        'S: 221 Bye',
      ])
      expect(h.of('Ready')[0]!.capabilities.pipelining).toBe(false)
    })
  })

  describe('STARTTLS (RFC 3207 4)', () => {
    it('upgrades, drops the bytes injected after the 220, forgets the old capabilities and greets again', () => {
      const h = new ClientHarness({ helo, allowInsecureAuth: true })
      transcript(h, [
        'S: 220 mx.example.com ESMTP',
        `C: EHLO ${helo}`,
        'S: 250-mx.example.com',
        'S: 250-SIZE 100',
        'S: 250 STARTTLS',
        'C: STARTTLS',
        'S: 220 2.0.0 Ready to start TLS',
        'S: 250-injected.example',
        'S: 250 AUTH PLAIN',
        '-- tls',
        `C: EHLO ${helo}`,
        'S: 250-mx.example.com',
        'S: 250 PIPELINING',
        'C: QUIT',
        'S: 221 2.0.0 Bye',
      ])
      expect(h.startTls).toBe(1)
      const [ready] = h.of('Ready')
      expect(ready).toMatchObject({ tls: true, capabilities: { pipelining: true, size: undefined, auth: [] } })
    })
    it('drops server bytes that arrive in later inputs before TlsStarted (CVE-2011-1575)', () => {
      const h = new ClientHarness({ helo })
      h.feed('220 mx.example.com ESMTP\r\n')
      h.feed('250-mx.example.com\r\n250 STARTTLS\r\n')
      h.read()
      h.feed('220 go ahead\r\n')
      h.feed('250 forged\r\n554 forged too\r\n2')
      expect(h.read()).toBe('')
      h.input({ _tag: 'TlsStarted' })
      expect(h.read()).toBe(`EHLO ${helo}\r\n`)
      h.feed('250 mx.example.com\r\n')
      expect(h.of('Ready')).toHaveLength(1)
      expect(h.of('Failed')).toEqual([])
    })
  })

  describe('AUTH (RFC 4954 4)', () => {
    const greet = (offer: string) => [
      'S: 220 mx.example.com ESMTP',
      `C: EHLO ${helo}`,
      'S: 250-mx.example.com',
      `S: 250 AUTH ${offer}`,
    ]
    const end = ['C: QUIT', 'S: 221 2.0.0 Bye']
    it.each([
      [
        'PLAIN with its initial response on the AUTH line (RFC 4616 2)',
        { username: 'tim', password: 'tanstaaf' },
        'LOGIN PLAIN',
        ['C: AUTH PLAIN AHRpbQB0YW5zdGFhZg==', 'S: 235 2.7.0 Authentication successful'],
      ],
      [
        'LOGIN, user name then password',
        { username: 'tim', password: 'tanstaaf' },
        'LOGIN',
        [
          'C: AUTH LOGIN',
          'S: 334 VXNlcm5hbWU6',
          'C: dGlt',
          'S: 334 UGFzc3dvcmQ6',
          'C: dGFuc3RhYWY=',
          'S: 235 2.7.0 Authentication successful',
        ],
      ],
      [
        'CRAM-MD5 with the challenge of RFC 2195 2',
        { username: 'tim', password: 'tanstaaftanstaaf' },
        'PLAIN LOGIN CRAM-MD5',
        [
          'C: AUTH CRAM-MD5',
          'S: 334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+',
          'C: dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw',
          'S: 235 2.7.0 Authentication successful',
        ],
      ],
      [
        'XOAUTH2 with the bearer token',
        { username: 'tim', token: 'ya29.token' },
        'PLAIN XOAUTH2',
        ['C: AUTH XOAUTH2 dXNlcj10aW0BYXV0aD1CZWFyZXIgeWEyOS50b2tlbgEB', 'S: 235 2.7.0 Authentication successful'],
      ],
    ])('%s', (_name, auth, offer, exchange) => {
      const h = new ClientHarness({ helo, implicitTls: true, auth })
      transcript(h, [...greet(offer), ...exchange, ...end])
      expect(h.of('Ready')).toMatchObject([{ authenticated: true, tls: true }])
    })
    it('leaves out an initial response that would pass 512 octets and answers the empty 334 (RFC 4954 4)', () => {
      const password = 'x'.repeat(400)
      const response = Buffer.from(`\0tim\0${password}`).toString('base64')
      const h = new ClientHarness({ helo, implicitTls: true, auth: { username: 'tim', password } })
      transcript(h, [...greet('PLAIN'), 'C: AUTH PLAIN', 'S: 334 ', `C: ${response}`, 'S: 235 2.7.0 Ok', ...end])
      expect(h.of('Ready')).toMatchObject([{ authenticated: true }])
    })
    it('acknowledges an XOAUTH2 error challenge with an empty line, then fails with the 535 and quits', () => {
      const h = new ClientHarness({ helo, implicitTls: true, auth: { username: 'tim', token: 'expired' } })
      transcript(h, [
        ...greet('XOAUTH2'),
        'C: AUTH XOAUTH2 dXNlcj10aW0BYXV0aD1CZWFyZXIgZXhwaXJlZAEB',
        'S: 334 eyJzdGF0dXMiOiI0MDEifQ==',
        'C: ',
        'S: 535 5.7.8 Username and Password not accepted',
        ...end,
      ])
      expect(h.of('Failed')).toMatchObject([{ error: { _tag: 'AuthFailed', reply: { code: 535 } } }])
      expect(h.of('Ready')).toEqual([])
    })
  })

  describe('BDAT (RFC 3030 2)', () => {
    const body = ['Subject: x\r\n', '\r\n.hi\r\n']
    it('sends each chunk as BDAT with its exact size and no stuffing, then BDAT 0 LAST, a reply at a time', () => {
      const h = new ClientHarness({ helo }, [simple(['alice@example.com'], body)])
      transcript(h, [
        'S: 220 mx.example.com ESMTP',
        `C: EHLO ${helo}`,
        'S: 250-mx.example.com',
        'S: 250 CHUNKING',
        'C: MAIL FROM:<bob@example.org>',
        'S: 250 2.1.0 Ok',
        'C: RCPT TO:<alice@example.com>',
        'S: 250 2.1.5 Ok',
        'C: BDAT 12',
        'C: Subject: x',
        'S: 250 2.0.0 12 octets received',
        'C: BDAT 7',
        'C: ',
        'C: .hi',
        'S: 250 2.0.0 19 octets received',
        'C: BDAT 0 LAST',
        'S: 250 2.0.0 Message OK',
        'C: QUIT',
        'S: 221 2.0.0 Bye',
      ])
      expect(resultsOf(h)).toEqual([{ status: 'accepted', code: 250, recipients: ['alice@example.com accepted 250'] }])
    })
    it('with PIPELINING, sends the chunks without waiting and reads their replies as they come (RFC 3030 4.2)', () => {
      const h = new ClientHarness({ helo }, [simple(['alice@example.com'], body)])
      transcript(h, [
        'S: 220 mx.example.com ESMTP',
        `C: EHLO ${helo}`,
        'S: 250-mx.example.com',
        'S: 250-PIPELINING',
        'S: 250 CHUNKING',
        'C: MAIL FROM:<bob@example.org>',
        'C: RCPT TO:<alice@example.com>',
        'S: 250 2.1.0 Ok',
        'S: 250 2.1.5 Ok',
        'C: BDAT 12',
        'C: Subject: x',
        'C: BDAT 7',
        'C: ',
        'C: .hi',
        'C: BDAT 0 LAST',
        'S: 250 2.0.0 12 octets received',
        'S: 250 2.0.0 19 octets received',
        'S: 250 2.0.0 Message OK',
        'C: QUIT',
        'S: 221 2.0.0 Bye',
      ])
      expect(resultsOf(h)).toEqual([{ status: 'accepted', code: 250, recipients: ['alice@example.com accepted 250'] }])
    })
  })

  describe('LMTP (RFC 2033 4.2)', () => {
    it('greets with LHLO and reads one reply per accepted recipient after the data, in RCPT order', () => {
      const to = ['alice@example.com', 'nobody@example.com', 'carol@example.com']
      const h = new ClientHarness({ helo, lmtp: true }, [simple(to, ['hi\r\n'])])
      transcript(h, [
        'S: 220 lmtp.example.com LMTP',
        `C: LHLO ${helo}`,
        'S: 250-lmtp.example.com',
        'S: 250-PIPELINING',
        'S: 250 ENHANCEDSTATUSCODES',
        'C: MAIL FROM:<bob@example.org>',
        'C: RCPT TO:<alice@example.com>',
        'C: RCPT TO:<nobody@example.com>',
        'C: RCPT TO:<carol@example.com>',
        'C: DATA',
        'S: 250 2.1.0 Ok',
        'S: 250 2.1.5 Ok',
        'S: 550 5.1.1 No such user',
        'S: 250 2.1.5 Ok',
        'S: 354 Go ahead',
        'C: hi',
        'C: .',
        'S: 250 2.0.0 Delivered to alice',
        'S: 452 4.2.2 Carol is over quota',
        'C: QUIT',
        'S: 221 2.0.0 Bye',
      ])
      expect(resultsOf(h)).toEqual([
        {
          status: 'accepted',
          code: undefined,
          recipients: [
            'alice@example.com accepted 250',
            'nobody@example.com permanent 550',
            'carol@example.com temporary 452',
          ],
        },
      ])
      expect(h.of('RecipientResult').map((r) => r.reply?.lines[0])).toEqual([
        'Delivered to alice',
        'No such user',
        'Carol is over quota',
      ])
    })
    it('with CHUNKING, sends no BDAT at all when no RCPT succeeded: such a BDAT LAST would get no reply (RFC 2033 4.3)', () => {
      const h = new ClientHarness({ helo, lmtp: true }, [
        simple(['nobody@example.com', 'gone@example.com']),
        simple(['alice@example.com']),
      ])
      transcript(h, [
        'S: 220 lmtp.example.com LMTP',
        `C: LHLO ${helo}`,
        'S: 250-lmtp.example.com',
        'S: 250-PIPELINING',
        'S: 250-ENHANCEDSTATUSCODES',
        'S: 250 CHUNKING',
        'C: MAIL FROM:<bob@example.org>',
        'C: RCPT TO:<nobody@example.com>',
        'C: RCPT TO:<gone@example.com>',
        'S: 250 2.1.0 Ok',
        'S: 550 5.1.1 No such user',
        'S: 550 5.1.1 No such user',
        'C: RSET',
        'S: 250 2.0.0 Ok',
        'C: MAIL FROM:<bob@example.org>',
        'C: RCPT TO:<alice@example.com>',
        'S: 250 2.1.0 Ok',
        'S: 250 2.1.5 Ok',
        'C: BDAT 7',
        'C: hello',
        'C: BDAT 0 LAST',
        'S: 250 2.0.0 7 octets received',
        'S: 250 2.0.0 Delivered to alice',
        'C: QUIT',
        'S: 221 2.0.0 Bye',
      ])
      expect(resultsOf(h)).toEqual([
        {
          status: 'permanent',
          code: undefined,
          recipients: ['nobody@example.com permanent 550', 'gone@example.com permanent 550'],
        },
        { status: 'accepted', code: undefined, recipients: ['alice@example.com accepted 250'] },
      ])
    })
  })
})
