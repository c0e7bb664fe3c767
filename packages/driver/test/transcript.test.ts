// The transcript reader on scripted conversations: which lines are written as they are, which are
// redacted (SASL data, RFC 4954 4) and which are only counted (message content, RFC 5321 4.1.1.4 and
// RFC 3030 2); the same lines however the bytes are cut.
import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { accept, answered, init, received, reject, reply, serverConfig, step, type ServerInput } from '@smtpure/core'
import { REDACTED, Transcript } from '../src/index.js'

type Turn = readonly ['C' | 'S', string]

/** The lines written for a conversation given as turns of raw text. */
const transcript = (turns: ReadonlyArray<Turn>): string[] => {
  const lines: string[] = []
  const t = new Transcript((dir, line) => lines.push(`${dir}: ${line}`))
  for (const [dir, text] of turns) {
    const bytes = new TextEncoder().encode(text)
    if (dir === 'C') t.client(bytes)
    else t.server(bytes)
  }
  return lines
}

const greeted: Turn[] = [
  ['S', '220 mx.example ESMTP\r\n'],
  ['C', 'EHLO c.example\r\n'],
  ['S', '250-mx.example\r\n250 AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2\r\n'],
]

describe('Transcript', () => {
  describe('AUTH (RFC 4954 4)', () => {
    it.each([
      ['a tab for its spaces', 'AUTH\tPLAIN\tAGFsaWNlAHMzY3JldA=='],
      ['a leading space', ' AUTH PLAIN AGFsaWNlAHMzY3JldA=='],
      ['a NUL before it', '\0AUTH PLAIN AGFsaWNlAHMzY3JldA=='],
      ['two spaces', 'AUTH  PLAIN  AGFsaWNlAHMzY3JldA=='],
    ])('masks the initial response of an AUTH line with %s, though a server may refuse the line', (_, line) => {
      const lines = transcript([...greeted, ['C', `${line}\r\n`], ['S', '501 5.5.2 Syntax error\r\n']])
      expect(lines.join('\n')).not.toContain('AGFsaWNlAHMzY3JldA')
      expect(lines).toContain('C: AUTH PLAIN ***')
    })
    it.each<[string, Turn[], string[]]>([
      [
        'the initial response on the AUTH line',
        [
          ['C', 'AUTH PLAIN AGFsaWNlAHMzY3JldA==\r\n'],
          ['S', '235 2.7.0 Ok\r\n'],
          ['C', 'MAIL FROM:<a@b.example>\r\n'],
        ],
        ['C: AUTH PLAIN ***', 'S: 235 2.7.0 Ok', 'C: MAIL FROM:<a@b.example>'],
      ],
      [
        'every client line until the final reply, the challenges kept',
        [
          ['C', 'AUTH LOGIN\r\n'],
          ['S', '334 VXNlcm5hbWU6\r\n'],
          ['C', 'YWxpY2U=\r\n'],
          ['S', '334 UGFzc3dvcmQ6\r\n'],
          ['C', 'czNjcmV0\r\n'],
          ['S', '535 5.7.8 No\r\n'],
          ['C', 'QUIT\r\n'],
        ],
        [
          'C: AUTH LOGIN',
          'S: 334 VXNlcm5hbWU6',
          'C: ***',
          'S: 334 UGFzc3dvcmQ6',
          'C: ***',
          'S: 535 5.7.8 No',
          'C: QUIT',
        ],
      ],
      [
        'credentials sent ahead of the 334, in the same write',
        [
          ['C', 'AUTH LOGIN\r\nYWxpY2U=\r\nczNjcmV0\r\n'],
          ['S', '334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n235 Ok\r\n'],
        ],
        ['C: AUTH LOGIN', 'C: ***', 'C: ***', 'S: 334 VXNlcm5hbWU6', 'S: 334 UGFzc3dvcmQ6', 'S: 235 Ok'],
      ],
      [
        'a cancelled exchange and an empty XOAUTH2 answer',
        [
          ['C', 'AUTH XOAUTH2 dXNlcj1hAWF1dGg9QmVhcmVyIHQBAQ==\r\n'],
          ['S', '334 eyJzdGF0dXMiOiI0MDEifQ==\r\n'],
          ['C', '\r\n'],
          ['S', '535 5.7.8 No\r\n'],
        ],
        ['C: AUTH XOAUTH2 ***', 'S: 334 eyJzdGF0dXMiOiI0MDEifQ==', 'C: ***', 'S: 535 5.7.8 No'],
      ],
      [
        'a second AUTH pipelined behind a refused one: its exchange goes on after the first one ends',
        [
          ['C', 'AUTH BOGUS\r\nAUTH PLAIN\r\n'],
          ['S', '504 5.5.4 Unrecognized authentication type\r\n334 \r\n'],
          ['C', 'AGFsaWNlAHMzY3JldA==\r\n'],
          ['S', '235 2.7.0 Ok\r\n'],
          ['C', 'NOOP\r\n'],
        ],
        [
          'C: AUTH BOGUS',
          'C: ***',
          'S: 504 5.5.4 Unrecognized authentication type',
          'S: 334 ',
          'C: ***',
          'S: 235 2.7.0 Ok',
          'C: NOOP',
        ],
      ],
      [
        'a command pipelined behind a refused AUTH, then another AUTH',
        [
          ['C', 'AUTH BOGUS\r\nNOOP\r\nAUTH LOGIN\r\n'],
          ['S', '504 5.5.4 Unrecognized authentication type\r\n250 2.0.0 Ok\r\n334 VXNlcm5hbWU6\r\n'],
          ['C', 'YWxpY2U=\r\n'],
          ['S', '334 UGFzc3dvcmQ6\r\n'],
          ['C', 'czNjcmV0\r\n'],
          ['S', '235 2.7.0 Ok\r\n'],
          ['C', 'QUIT\r\n'],
        ],
        [
          'C: AUTH BOGUS',
          'C: ***',
          'C: ***',
          'S: 504 5.5.4 Unrecognized authentication type',
          'S: 250 2.0.0 Ok',
          'S: 334 VXNlcm5hbWU6',
          'C: ***',
          'S: 334 UGFzc3dvcmQ6',
          'C: ***',
          'S: 235 2.7.0 Ok',
          'C: QUIT',
        ],
      ],
      [
        'something that is no mechanism name',
        [
          ['C', 'AUTH hunter2-is-my-password!\r\n'],
          ['S', '504 5.5.4 Unknown\r\n'],
        ],
        ['C: AUTH ***', 'S: 504 5.5.4 Unknown'],
      ],
    ])('redacts %s', (_, turns, lines) => {
      expect(transcript([...greeted, ...turns]).slice(4)).toEqual(lines)
    })
  })

  it('commands pipelined in clear behind STARTTLS wait for no reply once TLS starts (RFC 3207 5.2)', () => {
    const lines: string[] = []
    const t = new Transcript((dir, line) => lines.push(`${dir}: ${line}`))
    const say = (dir: 'C' | 'S', text: string) =>
      dir === 'C' ? t.client(new TextEncoder().encode(text)) : t.server(new TextEncoder().encode(text))
    say('S', '220 mx.example ESMTP\r\n')
    say('C', 'EHLO c.example\r\n')
    say('S', '250 STARTTLS\r\n')
    say('C', 'STARTTLS\r\nMAIL FROM:<x@y.example>\r\nRCPT TO:<z@y.example>\r\n')
    say('S', '220 2.0.0 Ready\r\n')
    t.restart()
    for (const [dir, text] of [
      ['C', 'EHLO c.example\r\n'],
      ['S', '250 AUTH LOGIN\r\n'],
      ['C', 'AUTH LOGIN\r\n'],
      ['S', '334 VXNlcm5hbWU6\r\n'],
      ['C', 'YWxpY2U=\r\n'],
      ['S', '334 UGFzc3dvcmQ6\r\n'],
      ['C', 'czNjcmV0\r\n'],
      ['S', '235 2.7.0 Ok\r\n'],
      ['C', 'MAIL FROM:<a@b.example>\r\n'],
    ] as const)
      say(dir, text)
    expect(lines.slice(-5)).toEqual([
      'C: ***',
      'S: 334 UGFzc3dvcmQ6',
      'C: ***',
      'S: 235 2.7.0 Ok',
      'C: MAIL FROM:<a@b.example>',
    ])
  })

  it('a client session in its AUTH exchange hides its lines whatever the server replied', () => {
    const lines: string[] = []
    let authenticating = false
    const t = new Transcript(
      (dir, line) => lines.push(`${dir}: ${line}`),
      () => authenticating,
    )
    t.server(new TextEncoder().encode('220 mx.example ESMTP\r\n'))
    authenticating = true
    t.client(new TextEncoder().encode('AUTH LOGIN\r\n'))
    // a server that answers too often: its 250 takes the place of AUTH's final reply
    t.server(new TextEncoder().encode('250 Ok\r\n334 VXNlcm5hbWU6\r\n'))
    t.client(new TextEncoder().encode('YWxpY2U=\r\n'))
    t.client(new TextEncoder().encode('AUTH\r\n'))
    authenticating = false
    t.client(new TextEncoder().encode('QUIT\r\n'))
    expect(lines).toEqual([
      'S: 220 mx.example ESMTP',
      'C: AUTH LOGIN',
      'S: 250 Ok',
      'S: 334 VXNlcm5hbWU6',
      'C: ***',
      'C: ***',
      'C: QUIT',
    ])
  })

  describe('message content (RFC 5321 4.1.1.4, RFC 3030 2)', () => {
    it('DATA: the content is one line with its size, whatever it holds', () => {
      const content = 'AUTH PLAIN c2VjcmV0\r\nMAIL FROM:<x@y>\r\n..dot\r\n'
      const lines = transcript([
        ...greeted,
        ['C', 'MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n'],
        ['S', '250 Ok\r\n250 Ok\r\n354 Go on\r\n'],
        ['C', content.slice(0, 7)],
        ['C', `${content.slice(7)}.`],
        ['C', '\r\nQUIT\r\n'],
        ['S', '250 Queued\r\n221 Bye\r\n'],
      ])
      expect(lines.slice(4)).toEqual([
        'C: MAIL FROM:<a@b.example>',
        'C: RCPT TO:<c@d.example>',
        'C: DATA',
        'S: 250 Ok',
        'S: 250 Ok',
        'S: 354 Go on',
        `C: [${content.length} octets of message content]`,
        'C: .',
        'C: QUIT',
        'S: 250 Queued',
        'S: 221 Bye',
      ])
    })

    it('DATA refused: no content follows, the next commands are written', () => {
      const lines = transcript([
        ...greeted,
        ['C', 'MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n'],
        ['S', '250 Ok\r\n550 No\r\n554 No valid recipients\r\n'],
        ['C', 'RSET\r\n'],
        ['S', '250 Ok\r\n'],
      ])
      expect(lines.slice(-2)).toEqual(['C: RSET', 'S: 250 Ok'])
    })

    it('commands pipelined behind a refused DATA are read as commands: an AUTH among them hides its exchange', () => {
      const lines = transcript([
        ...greeted,
        ['C', 'DATA\r\nAUTH PLAIN\r\n'],
        ['S', '503 5.5.1 Need MAIL\r\n334 \r\n'],
        ['C', 'AGFsaWNlAHMzY3JldA==\r\n'],
        ['S', '235 2.7.0 Ok\r\n'],
        ['C', 'QUIT\r\n'],
      ])
      expect(lines.slice(4)).toEqual([
        'C: DATA',
        'S: 503 5.5.1 Need MAIL',
        'C: AUTH PLAIN',
        'S: 334 ',
        'C: ***',
        'S: 235 2.7.0 Ok',
        'C: QUIT',
      ])
    })

    it('content sent before the 354 is still counted, not written', () => {
      const lines = transcript([
        ...greeted,
        ['C', 'MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\nSubject: x\r\n'],
        ['C', '\r\nprivate\r\n.\r\nQUIT\r\n'],
        ['S', '250 Ok\r\n250 Ok\r\n354 Go on\r\n250 Queued\r\n221 Bye\r\n'],
      ])
      expect(lines.slice(4)).toEqual([
        'C: MAIL FROM:<a@b.example>',
        'C: RCPT TO:<c@d.example>',
        'C: DATA',
        'S: 250 Ok',
        'S: 250 Ok',
        'S: 354 Go on',
        'C: [23 octets of message content]',
        'C: .',
        'C: QUIT',
        'S: 250 Queued',
        'S: 221 Bye',
      ])
    })

    it('content sent before the 354 past 8 KiB is taken for content at once, not held', () => {
      const content = 'x'.repeat(100) + '\r\n'
      const lines = transcript([
        ...greeted,
        ['C', `MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n${content.repeat(90)}.\r\n`],
      ])
      expect(lines.slice(-2)).toEqual([`C: [${content.length * 90} octets of message content]`, 'C: .'])
    })

    it('BDAT: each chunk is counted, CRLF "." CRLF inside it ends nothing', () => {
      const lines = transcript([
        ...greeted,
        ['C', 'MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nBDAT 12\r\nab\r\n.\r\nAUTH '],
        ['C', 'BDAT 3 LAST\r\nxyzNOOP\r\n'],
        ['S', '250 Ok\r\n250 Ok\r\n250 12 octets\r\n250 Queued\r\n250 Ok\r\n'],
      ])
      expect(lines.slice(4)).toEqual([
        'C: MAIL FROM:<a@b.example>',
        'C: RCPT TO:<c@d.example>',
        'C: BDAT 12',
        'C: [12 octets of message content]',
        'C: BDAT 3 LAST',
        'C: [3 octets of message content]',
        'C: NOOP',
        'S: 250 Ok',
        'S: 250 Ok',
        'S: 250 12 octets',
        'S: 250 Queued',
        'S: 250 Ok',
      ])
    })

    it('a transaction pipelined behind a refused AUTH: hidden, and its content counted once DATA has its 354', () => {
      const lines = transcript([
        ...greeted,
        ['C', 'AUTH BOGUS\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n'],
        ['S', '504 5.5.4 Unknown\r\n250 Ok\r\n250 Ok\r\n354 Go on\r\n'],
        ['C', 'Subject: private\r\n\r\nnot for the log\r\n.\r\n'],
        ['S', '250 Queued\r\n'],
        ['C', 'QUIT\r\n'],
      ])
      expect(lines.slice(4).filter((l) => l.startsWith('C: '))).toEqual([
        'C: AUTH BOGUS',
        'C: ***',
        'C: ***',
        'C: ***',
        'C: [37 octets of message content]',
        'C: .',
        'C: QUIT',
      ])
    })

    it.each([
      ['leading zeros past 15 digits', 'BDAT 0000000000000000005 LAST'],
      ['two spaces (refused, the chunk read all the same)', 'BDAT  5'],
      ['a tab (refused, the chunk read all the same)', 'BDAT\t5'],
    ])('BDAT with %s: the chunk is counted as the server frames it', (_, command) => {
      const lines = transcript([
        ...greeted,
        ['C', 'MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\n'],
        ['S', '250 Ok\r\n250 Ok\r\n'],
        ['C', `${command}\r\nhello`],
        ['C', 'NOOP\r\n'],
      ])
      expect(lines.slice(-3)).toEqual([`C: ${command}`, 'C: [5 octets of message content]', 'C: NOOP'])
    })

    it('LMTP: one reply per accepted recipient after the data (RFC 2033 4.2), then a refused DATA', () => {
      const lines = transcript([
        ['S', '220 lmtp.example LMTP\r\n'],
        ['C', 'LHLO c.example\r\n'],
        ['S', '250 lmtp.example\r\n'],
        ['C', 'MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nRCPT TO:<e@d.example>\r\nDATA\r\n'],
        ['S', '250 Ok\r\n250 Ok\r\n250 Ok\r\n354 Go on\r\n'],
        ['C', 'hello\r\n.\r\n'],
        ['S', '250 c delivered\r\n'],
        ['S', '452 e is full\r\n'],
        ['C', 'MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n'],
        ['S', '250 Ok\r\n550 No\r\n554 No valid recipients\r\n'],
        ['C', 'QUIT\r\n'],
      ])
      expect(lines.at(-1)).toBe('C: QUIT')
      expect(lines).toContain('C: [7 octets of message content]')
    })
  })

  // A DATA refused with "NOOP" pipelined behind it is a probe: the transcript holds the NOOP until DATA's own
  // reply comes, so the NOOP's line shows which reply the transcript took for DATA's.
  describe('LMTP BDAT LAST (RFC 2033 4.3)', () => {
    const lmtp: Turn[] = [
      ['S', '220 lmtp.example LMTP\r\n'],
      ['C', 'LHLO c.example\r\n'],
      ['S', '250-lmtp.example\r\n250-PIPELINING\r\n250 CHUNKING\r\n'],
    ]
    const refused: Turn[] = [
      ['C', 'MAIL FROM:<a@b.example>\r\nRCPT TO:<gone@d.example>\r\n'],
      ['S', '250 2.1.0 Ok\r\n550 5.1.1 No such user\r\n'],
      ['C', 'BDAT 10 LAST\r\nQUIT\r\nab\r\n'],
    ]
    const probe: Turn[] = [
      ['C', 'DATA\r\nNOOP\r\n'],
      ['S', '503 5.5.1 Need MAIL command\r\n'],
      ['S', '250 2.0.0 Ok\r\n'],
    ]
    const probed = ['C: DATA', 'S: 503 5.5.1 Need MAIL command', 'C: NOOP', 'S: 250 2.0.0 Ok']
    const silent = ['C: BDAT 10 LAST', 'C: [10 octets of message content]']

    it('after no successful RCPT it gets no reply: DATA after it gets its own, and content is never a command', () => {
      const lines = transcript([
        ...lmtp,
        ...refused,
        ...probe,
        ['C', 'MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n'],
        ['S', '250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 Go on\r\n'],
        ['C', 'Subject: private\r\nRSET\r\n.\r\n'],
        ['S', '250 2.0.0 Delivered\r\n'],
        ['C', 'QUIT\r\n'],
        ['S', '221 2.0.0 Bye\r\n'],
      ])
      expect(lines.slice(5)).toEqual([
        'C: MAIL FROM:<a@b.example>',
        'C: RCPT TO:<gone@d.example>',
        'S: 250 2.1.0 Ok',
        'S: 550 5.1.1 No such user',
        ...silent,
        ...probed,
        'C: MAIL FROM:<a@b.example>',
        'C: RCPT TO:<c@d.example>',
        'C: DATA',
        'S: 250 2.1.0 Ok',
        'S: 250 2.1.5 Ok',
        'S: 354 Go on',
        'C: [24 octets of message content]',
        'C: .',
        'S: 250 2.0.0 Delivered',
        'C: QUIT',
        'S: 221 2.0.0 Bye',
      ])
    })

    it('after no successful RCPT it gets no reply: the next transaction is read in step, per recipient', () => {
      const lines = transcript([
        ...lmtp,
        ...refused,
        ['C', 'MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nRCPT TO:<e@d.example>\r\nDATA\r\n'],
        ['S', '250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n354 Go on\r\n'],
        ['C', 'hello\r\n.\r\n'],
        ['S', '250 2.0.0 c delivered\r\n452 4.2.2 e is full\r\n'],
        ...probe,
      ])
      expect(lines.slice(9)).toEqual([
        ...silent,
        'C: MAIL FROM:<a@b.example>',
        'C: RCPT TO:<c@d.example>',
        'C: RCPT TO:<e@d.example>',
        'C: DATA',
        'S: 250 2.1.0 Ok',
        'S: 250 2.1.5 Ok',
        'S: 250 2.1.5 Ok',
        'S: 354 Go on',
        'C: [7 octets of message content]',
        'C: .',
        'S: 250 2.0.0 c delivered',
        'S: 452 4.2.2 e is full',
        ...probed,
      ])
    })

    // each row: the envelope after MAIL and its replies, then the BDAT and its replies, then what is shown of it
    it.each<[string, string, string, string, string, string[]]>([
      [
        'after successful RCPTs: one reply per recipient',
        'RCPT TO:<c@d.example>\r\nRCPT TO:<e@d.example>\r\n',
        '250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n',
        'BDAT 3 LAST\r\nabc',
        '250 2.0.0 c delivered\r\n250 2.0.0 e delivered\r\n',
        ['C: BDAT 3 LAST', 'C: [3 octets of message content]'],
      ],
      [
        'after refused RCPTs only: no reply',
        'RCPT TO:<gone@d.example>\r\n',
        '550 5.1.1 No such user\r\n',
        'BDAT 3 LAST\r\nabc',
        '',
        ['C: BDAT 3 LAST', 'C: [3 octets of message content]'],
      ],
      [
        'after a failed chunk: one reply per accepted recipient all the same',
        'RCPT TO:<c@d.example>\r\nRCPT TO:<e@d.example>\r\n',
        '250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n',
        'BDAT 3\r\nabcBDAT 3 LAST\r\ndef',
        '552 5.3.4 Too big\r\n503 5.5.1 Failed\r\n503 5.5.1 Failed\r\n',
        ['C: BDAT 3', 'C: [3 octets of message content]', 'C: BDAT 3 LAST', 'C: [3 octets of message content]'],
      ],
      [
        'with two spaces: refused once, as the line does not parse (RFC 3030 2)',
        'RCPT TO:<c@d.example>\r\nRCPT TO:<e@d.example>\r\n',
        '250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n',
        'BDAT 3  LAST\r\nabc',
        '501 5.5.4 Syntax: BDAT chunk-size [LAST]\r\n',
        ['C: BDAT 3  LAST', 'C: [3 octets of message content]'],
      ],
      [
        'after RSET, outside a transaction: refused once',
        'RCPT TO:<gone@d.example>\r\nRSET\r\n',
        '550 5.1.1 No such user\r\n250 2.0.0 Ok\r\n',
        'BDAT 3 LAST\r\nabc',
        '503 5.5.1 Need MAIL command\r\n',
        ['C: BDAT 3 LAST', 'C: [3 octets of message content]'],
      ],
      [
        'after a refused nested MAIL: the transaction and its recipients stay',
        'RCPT TO:<c@d.example>\r\nMAIL FROM:<x@y.example>\r\nRCPT TO:<e@d.example>\r\n',
        '250 2.1.5 Ok\r\n503 5.5.1 Nested MAIL command\r\n250 2.1.5 Ok\r\n',
        'BDAT 3 LAST\r\nabc',
        '250 2.0.0 c\r\n250 2.0.0 e\r\n',
        ['C: BDAT 3 LAST', 'C: [3 octets of message content]'],
      ],
    ])('%s, whether pipelined with its envelope or not', (_n, envelope, envelopeReplies, bdat, replies, shown) => {
      const probeReplies = '503 5.5.1 Bad sequence of commands\r\n250 2.0.0 Ok\r\n'
      const turns: Turn[][] = [
        // one write each way: every reply is read after every command was sent, the probe's included
        [
          ['C', `MAIL FROM:<a@b.example>\r\n${envelope}${bdat}DATA\r\nNOOP\r\n`],
          ['S', `250 2.1.0 Ok\r\n${envelopeReplies}${replies}${probeReplies}`],
        ],
        // the envelope's replies read before the BDAT is sent
        [
          ['C', `MAIL FROM:<a@b.example>\r\n${envelope}`],
          ['S', `250 2.1.0 Ok\r\n${envelopeReplies}`],
          ['C', `${bdat}DATA\r\nNOOP\r\n`],
          ['S', `${replies}${probeReplies}`],
        ],
      ]
      for (const conversation of turns) {
        const lines = transcript([...lmtp, ...conversation])
        const c = lines.slice(5).filter((l) => l.startsWith('C: '))
        expect(c.slice(-shown.length - 2, -1)).toEqual([...shown, 'C: DATA'])
        expect(lines.slice(-3)).toEqual(['S: 503 5.5.1 Bad sequence of commands', 'C: NOOP', 'S: 250 2.0.0 Ok'])
      }
    })

    it('in SMTP a BDAT LAST after refused recipients is answered, once (RFC 3030 2)', () => {
      const lines = transcript([
        ...greeted,
        ['C', 'MAIL FROM:<a@b.example>\r\nRCPT TO:<gone@d.example>\r\nBDAT 3 LAST\r\nabc'],
        ['S', '250 2.1.0 Ok\r\n550 5.1.1 No such user\r\n554 5.5.1 No valid recipients\r\n'],
        ...probe,
      ])
      expect(lines.slice(-4)).toEqual(probed)
    })

    it('a LHLO refused by an SMTP server does not make the session LMTP', () => {
      const lines = transcript([
        ['S', '220 mx.example ESMTP\r\n'],
        ['C', 'LHLO c.example\r\n'],
        ['S', '500 5.5.2 Command unrecognized\r\n'],
        ['C', 'EHLO c.example\r\n'],
        ['S', '250 CHUNKING\r\n'],
        ['C', 'MAIL FROM:<a@b.example>\r\nRCPT TO:<gone@d.example>\r\nBDAT 3 LAST\r\nabc'],
        ['S', '250 2.1.0 Ok\r\n550 5.1.1 No such user\r\n554 5.5.1 No valid recipients\r\n'],
        ...probe,
      ])
      expect(lines.slice(-4)).toEqual(probed)
    })
  })

  test.prop([
    fc.array(fc.string({ unit: fc.constantFrom('a', '.', '\n', '\r', ' '), maxLength: 30 }), { maxLength: 20 }),
    fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 20 }),
  ])('DATA: the content is counted to the octet, however it is made and cut (RFC 5321 4.5.2)', (lines, cuts) => {
    // dot-stuffed as a client sends it: a leading dot doubled; no CRLF inside a line
    const content = lines.map((l) => `${l.replace(/\r(?=\n)/g, '')}\r\n`.replace(/^\./, '..')).join('')
    fc.pre(!content.includes('\r\n.\r\n') && !content.startsWith('.\r\n'))
    const stream = `DATA\r\n${content}.\r\nQUIT\r\n`
    const turns: Turn[] = [['S', '220 mx.example ESMTP\r\n']]
    for (let i = 0, k = 0; i < stream.length; k++) {
      const n = cuts[k % cuts.length]!
      turns.push(['C', stream.slice(i, i + n)])
      // the server answers DATA once it has read the whole line
      if (i < 6 && i + n >= 6) turns.push(['S', '354 Go on\r\n'])
      i += n
    }
    expect(transcript(turns).filter((l) => l.startsWith('C: '))).toEqual([
      'C: DATA',
      `C: [${content.length} octets of message content]`,
      'C: .',
      'C: QUIT',
    ])
  })

  it('a very long line is cut, and says by how much', () => {
    const lines = transcript([['S', `220 ${'x'.repeat(3000)}\r\n`]])
    expect(lines).toEqual([`S: 220 ${'x'.repeat(2044)}... (956 more octets)`])
  })

  const conversation: Turn[] = [
    ...greeted,
    ['C', 'AUTH PLAIN\r\n'],
    ['S', '334 \r\n'],
    ['C', 'AGFsaWNlAHMzY3JldA==\r\n'],
    ['S', '235 Ok\r\n'],
    ['C', 'MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n'],
    ['S', '250 Ok\r\n250 Ok\r\n354 Go on\r\n'],
    ['C', 'line one\r\n..two\r\n\r\n.\r\n'],
    ['S', '250 Queued\r\n'],
    ['C', 'BDAT 5 LAST\r\n\r\n.\r\nQUIT\r\n'],
    ['S', '250 Queued\r\n221 Bye\r\n'],
  ]
  test.prop([fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 40 })])(
    'the same lines however each write is cut',
    (cuts) => {
      let k = 0
      const cut = conversation.flatMap(([dir, text]): Turn[] => {
        const parts: Turn[] = []
        for (let i = 0; i < text.length;) {
          const n = cuts[k++ % cuts.length]!
          parts.push([dir, text.slice(i, i + n)])
          i += n
        }
        return parts
      })
      expect(transcript(cut)).toEqual(transcript(conversation))
    },
  )

  describe('no secret in any line, however the exchange is cut (RFC 4954 4)', () => {
    const b64 = (text: string) => Buffer.from(text).toString('base64')
    /** The client's side of an AUTH exchange, as the mechanism sends it, and the server's replies. */
    const exchange = (mechanism: string, user: string, secret: string, initial: boolean): Turn[] => {
      switch (mechanism) {
        case 'PLAIN':
          return initial
            ? [['C', `AUTH PLAIN ${b64(`\0${user}\0${secret}`)}\r\n`]]
            : [
                ['C', 'AUTH PLAIN\r\n'],
                ['S', '334 \r\n'],
                ['C', `${b64(`\0${user}\0${secret}`)}\r\n`],
              ]
        case 'LOGIN':
          return [
            ['C', 'AUTH LOGIN\r\n'],
            ['S', '334 VXNlcm5hbWU6\r\n'],
            ['C', `${b64(user)}\r\n`],
            ['S', '334 UGFzc3dvcmQ6\r\n'],
            ['C', `${b64(secret)}\r\n`],
          ]
        case 'XOAUTH2':
          return [['C', `AUTH XOAUTH2 ${b64(`user=${user}\x01auth=Bearer ${secret}\x01\x01`)}\r\n`]]
        default:
          // CRAM-MD5: the digest stands in for the secret; a client that sends the secret itself is hidden too
          return [
            ['C', 'AUTH CRAM-MD5\r\n'],
            ['S', '334 PDEyMzQ1QG14LmV4YW1wbGU+\r\n'],
            ['C', `${b64(`${user} ${secret}`)}\r\n`],
          ]
      }
    }
    const text = fc.oneof(
      fc.string({ minLength: 8, maxLength: 60 }),
      fc.string({ unit: fc.constantFrom(...'AZaz09+/=\r\n '), minLength: 8, maxLength: 60 }),
      fc.string({ unit: 'grapheme', minLength: 8, maxLength: 30 }),
    )
    test.prop([
      fc.constantFrom('PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2'),
      fc.string({ unit: fc.constantFrom(...'abc.@19'), minLength: 1, maxLength: 12 }),
      text,
      fc.boolean(),
      fc.constantFrom('235 2.7.0 Ok\r\n', '535 5.7.8 No\r\n', '454 4.7.0 Later\r\n'),
      fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 20 }),
    ])(
      'the secret, its base64 and the SASL responses appear in no line',
      (mechanism, user, secret, initial, verdict, cuts) => {
        fc.pre(secret.trim().length >= 8 && !user.includes(secret))
        const turns: Turn[] = [
          ...greeted,
          ...exchange(mechanism, user, secret, initial),
          ['S', verdict],
          ['C', 'QUIT\r\n'],
        ]
        let k = 0
        const cut = turns.flatMap(([dir, t]): Turn[] => {
          const parts: Turn[] = []
          for (let i = 0; i < t.length;) {
            const n = cuts[k++ % cuts.length]!
            parts.push([dir, t.slice(i, i + n)])
            i += n
          }
          return parts
        })
        const written = transcript(cut).join('\n')
        const sent = turns.filter(([dir, t]) => dir === 'C' && !/^(EHLO|QUIT)/.test(t)).map(([, t]) => t.trim())
        for (const form of [secret, b64(secret), ...sent.map((t) => t.replace(/^AUTH \S+ ?/, ''))].filter(
          (f) => f.length >= 8,
        ))
          expect(written).not.toContain(form)
        expect(written).toContain('C: QUIT')
      },
    )
  })
})

// The real server session reads what a client pipelines around AUTH exchanges, and a second one is fed
// the same lines one at a time to tell which of them it took as SASL data: every such line is hidden.
// DATA comes without a transaction, so it is refused and the lines behind it are commands.
describe('Transcript against the server session', () => {
  const options = serverConfig({
    authMechanisms: ['PLAIN', 'LOGIN', 'CRAM-MD5'],
    allowInsecureAuth: true,
    maxBadCommands: 0,
    maxAuthFailures: 100,
  })
  if (options._tag === 'Left') throw new Error('bad options')
  const b64 = (n: number) => Buffer.from(`\0user\0s3cret-${n}`).toString('base64')
  /** A server session that answers each AUTH question with the next verdict, at once. */
  const server = (verdicts: readonly boolean[]) => {
    let [state, outs] = init(options.right, { nonce: 'n' })
    let asked = 0
    let sent = ''
    const take = (): void => {
      for (const o of outs) {
        if (o._tag === 'Send') sent += new TextDecoder().decode(o.bytes)
        if (o._tag === 'Ask') {
          const ok = o.question._tag !== 'Auth' || verdicts[asked++ % verdicts.length]!
          run(answered(o.question.id, ok ? accept() : reject(reply(535, '5.7.8', 'No'))))
        }
      }
    }
    const run = (input: ServerInput): void => {
      ;[state, outs] = step(state, input)
      take()
    }
    take() // the greeting
    return {
      feed: (text: string) => run(received(new TextEncoder().encode(text))),
      inSasl: () => state.phase._tag === 'Sasl',
      take: () => [sent, (sent = '')][0]!,
    }
  }
  const line = fc.oneof(
    fc.constantFrom('AUTH PLAIN', 'AUTH LOGIN', 'AUTH BOGUS', 'AUTH CRAM-MD5', 'NOOP', '*', 'EHLO c.example', 'DATA'),
    fc.nat(9).map(b64),
    fc.nat(9).map((n) => `AUTH PLAIN ${b64(n)}`),
  )
  test.prop(
    [
      fc.array(fc.array(line, { minLength: 1, maxLength: 4 }), { maxLength: 10 }),
      fc.array(fc.boolean(), { minLength: 1, maxLength: 4 }),
    ],
    { numRuns: 300 },
  )('every line the server takes as SASL data is hidden, however the client pipelines', (writes, verdicts) => {
    const written: string[] = []
    const t = new Transcript((dir, text) => dir === 'C' && written.push(text))
    const real = server(verdicts)
    const shadow = server(verdicts)
    const sasl: boolean[] = []
    t.server(new TextEncoder().encode(real.take()))
    for (const lines of [['EHLO c.example'], ...writes]) {
      for (const l of lines) {
        sasl.push(shadow.inSasl())
        shadow.feed(`${l}\r\n`)
      }
      const text = lines.map((l) => `${l}\r\n`).join('')
      t.client(new TextEncoder().encode(text))
      real.feed(text)
      t.server(new TextEncoder().encode(real.take()))
    }
    expect(written).toHaveLength(sasl.length)
    sasl.forEach((hidden, i) => hidden && expect(written[i]).toBe(REDACTED))
    expect(written.join('\n')).not.toMatch(/AUTH PLAIN [^*]/)
  })
})

// The real LMTP server session answers what a client pipelines: BDAT chunks (LAST or not) after accepted or
// refused recipients, chunks that fail (too big), RSET, DATA. The transcript must write every command as it was
// sent and every message content as its size. A write may end with the probe "DATA", "NOOP": refused, the NOOP
// is held until the reply the transcript takes for DATA's, so it must come right after DATA's own reply; taken
// (354), the NOOP is content. A transcript that counts one reply too many or too few for a command before it
// pairs DATA with another command's reply.
describe('Transcript against the LMTP server session (RFC 2033 4.2, 4.3)', () => {
  type Facts = { readonly chunking: boolean; readonly bareLineEndings: 'reject' | 'keep' }
  /** An LMTP server session that refuses the recipient `gone` and takes every message, at once. */
  const server = (facts: Facts) => {
    const options = serverConfig({
      ...{ lmtp: true, maxMessageSize: 10, maxBadCommands: 0, maxJunkCommands: 0 },
      ...{ ...facts, binaryMime: facts.chunking },
    })
    if (options._tag === 'Left') throw new Error('bad options')
    let [state, outs] = init(options.right, { nonce: 'n' })
    let sent = ''
    const take = (): void => {
      for (const o of outs) {
        if (o._tag === 'Send') sent += new TextDecoder().decode(o.bytes)
        if (o._tag === 'Ask') {
          const q = o.question
          const gone = q._tag === 'Rcpt' && q.to.localPart === 'gone'
          ;[state, outs] = step(state, answered(q.id, gone ? reject(reply(550, '5.1.1', 'No such user')) : accept()))
          take()
        }
      }
    }
    take() // the greeting
    return {
      feed: (text: string) => {
        ;[state, outs] = step(state, received(new TextEncoder().encode(text)))
        take()
      },
      take: () => [sent, (sent = '')][0]!,
    }
  }
  const inside = 'QUIT\r\nRSET\r\n' // chunk octets that would be commands if they were read as such
  type Action = string | { readonly bdat: number; readonly last: boolean; readonly bare: boolean }
  const action = fc.oneof(
    fc.constantFrom<Action>(
      'MAIL FROM:<a@b.example>',
      'RCPT TO:<c@d.example>',
      'RCPT TO:<gone@d.example>',
      'RSET',
      'NOOP',
    ),
    // a BDAT line may end in a bare LF, which a server refuses unless it keeps them (RFC 5321 2.3.8)
    fc.record({ bdat: fc.nat(inside.length), last: fc.boolean(), bare: fc.boolean() }),
  )
  const write = fc.record({ actions: fc.array(action, { maxLength: 6 }), probe: fc.boolean() })
  const facts = fc.record({
    chunking: fc.boolean(),
    bareLineEndings: fc.constantFrom('reject' as const, 'keep' as const),
  })
  test.prop([fc.array(write, { maxLength: 12 }), facts], { numRuns: 300 })(
    'every command is written as sent, every content as its size, and each reply goes to its command',
    (writes, given) => {
      const lines: string[] = []
      const t = new Transcript((dir, line) => lines.push(`${dir}: ${line}`), undefined, given)
      const real = server(given)
      const expected: string[] = []
      const exchange = (text: string): string => {
        t.client(new TextEncoder().encode(text))
        real.feed(text)
        const replies = real.take()
        t.server(new TextEncoder().encode(replies))
        return replies
      }
      exchange('LHLO c.example\r\n')
      expected.push('C: LHLO c.example')
      for (const { actions, probe } of [...writes, { actions: ['RSET'], probe: true }]) {
        let text = ''
        for (const a of actions) {
          if (typeof a === 'string') {
            text += `${a}\r\n`
            expected.push(`C: ${a}`)
            continue
          }
          const line = `BDAT ${a.bdat}${a.last ? ' LAST' : ''}`
          text += `${line}${a.bare ? '\n' : '\r\n'}${inside.slice(0, a.bdat)}`
          expected.push(`C: ${line}`)
          if (a.bdat > 0) expected.push(`C: [${a.bdat} octets of message content]`)
        }
        if (!probe) {
          if (text !== '') exchange(text)
          continue
        }
        const replies = exchange(`${text}DATA\r\nNOOP\r\n`).split('\r\n').slice(0, -1)
        expected.push('C: DATA')
        if (replies.at(-1)!.startsWith('354 ')) {
          exchange('.\r\n')
          expected.push('C: [6 octets of message content]', 'C: .')
        } else {
          expected.push('C: NOOP')
          expect(lines.slice(-3)).toEqual([`S: ${replies.at(-2)}`, 'C: NOOP', `S: ${replies.at(-1)}`])
        }
      }
      expect(lines.filter((l) => l.startsWith('C: '))).toEqual(expected)
    },
  )
})
