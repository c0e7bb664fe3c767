import { describe, expect, it } from 'vitest'
import {
  accept,
  answered,
  peerClosed,
  perRecipient,
  reject,
  reply,
  respond,
  shutdown,
  timerFired,
} from '../../../src/index.js'
import { Harness } from '../harness.js'

const greeted = (options = {}, answerer?: ConstructorParameters<typeof Harness>[1]) => {
  const h = new Harness({ hostname: 'mx.example.com', ...options })
  h.feed('EHLO c.example\r\n')
  h.read()
  if (answerer !== undefined) h.answerer = answerer
  return h
}

describe('server session', () => {
  describe('RSET, NOOP, QUIT, HELP (RFC 5321 4.1.1.5, 4.1.1.8-10)', () => {
    it('RSET clears the transaction and keeps the greeting', () => {
      const h = greeted()
      h.feed('MAIL FROM:<a@b.example>\r\nRSET\r\nRCPT TO:<x@y.example>\r\nMAIL FROM:<a@b.example>\r\n')
      expect(h.read()).toBe('250 2.1.0 Ok\r\n250 2.0.0 Ok\r\n503 5.5.1 Need MAIL command\r\n250 2.1.0 Ok\r\n')
    })
    it('verbs are case-blind in ASCII only (RFC 5321 2.4): a dotless ı or a long ſ makes no verb', () => {
      const h = greeted()
      // toUpperCase would turn these into QUIT and RSET
      h.feed('QU\u0131T\r\nR\u017fET\r\nquit\r\n')
      expect(h.read()).toMatch(/^500 5\.5\.1 [^\r]*\r\n500 5\.5\.1 [^\r]*\r\n221 /)
    })
    it('NOOP ignores its argument; RSET and QUIT with one get 501 (RFC 5321 4.3.2)', () => {
      const h = greeted()
      h.feed('NOOP anything\r\nRSET x\r\nQUIT x\r\n')
      expect(h.read()).toBe(
        '250 2.0.0 Ok\r\n501 5.5.4 This command takes no arguments\r\n'.repeat(1) +
          '501 5.5.4 This command takes no arguments\r\n',
      )
      expect(h.closed).toBe(false)
    })
    it('HELP replies 214 with the configured lines', () => {
      const h = greeted({ helpText: ['Commands:', 'EHLO MAIL RCPT DATA'] })
      h.feed('HELP\r\n')
      expect(h.read()).toBe('214-2.0.0 Commands:\r\n214 2.0.0 EHLO MAIL RCPT DATA\r\n')
    })
    it('QUIT during a BDAT transaction aborts the message', () => {
      const h = greeted()
      h.feed('MAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nBDAT 1\r\nxQUIT\r\n')
      expect(h.read()).toMatch(/221 2\.0\.0 Bye\r\n$/)
      expect(h.aborted).toEqual(['closed'])
    })
  })

  describe('VRFY and EXPN (RFC 5321 3.5)', () => {
    it.each([
      [250, '2.1.5', 'Fred Smith <Smith@USC-ISIF.ARPA>'],
      [251, '2.1.5', 'User not local; will forward to <Postel@USC-ISIF.ARPA>'],
      [550, '5.1.1', 'String does not match anything.'],
      [551, '5.1.6', 'User not local; please try <Mockapetris@USC-ISIF.ARPA>'],
      [553, '5.1.4', 'User ambiguous.'],
    ])('VRFY answered %i by the application', (code, enhanced, text) => {
      const h = greeted({}, (q) => (q._tag === 'Vrfy' ? respond(reply(code, enhanced, text)) : accept()))
      h.feed('VRFY Smith\r\n')
      expect(h.read()).toBe(`${code} ${enhanced} ${text}\r\n`)
      expect(h.questions.at(-1)).toMatchObject({ _tag: 'Vrfy', argument: 'Smith' })
    })
    it('an accept without a reply is 252 (RFC 5321 3.5.3)', () => {
      const h = greeted()
      h.feed('EXPN staff\r\n')
      expect(h.read()).toMatch(/^252 2\.5\.0 /)
    })
    it('501 without an argument', () => {
      const h = greeted()
      h.feed('VRFY\r\n')
      expect(h.read()).toBe('501 5.5.4 Syntax: VRFY string\r\n')
    })
  })

  describe('errors (RFC 5321 4.2.4, 4.3.2, 4.5.3.1.4)', () => {
    it('500 for an unknown verb', () => {
      const h = greeted()
      h.feed('XYZZY\r\n')
      expect(h.read()).toBe('500 5.5.1 Command unrecognized\r\n')
    })
    it('a 512-octet command line is fine; 513 gets 500 and the session goes on (RFC 5321 4.5.3.1.4)', () => {
      const h = greeted()
      const line = (n: number) => `NOOP ${'x'.repeat(n - 7)}\r\n`
      expect(line(512)).toHaveLength(512)
      h.feed(line(512))
      expect(h.read()).toBe('250 2.0.0 Ok\r\n')
      h.feed(line(513))
      expect(h.read()).toBe('500 5.5.2 Line too long\r\n')
      h.feed('NOOP\r\n')
      expect(h.read()).toBe('250 2.0.0 Ok\r\n')
    })
    it('the extensions offered lengthen MAIL and RCPT lines by what their RFCs add (RFC 5321 4.5.3.1.4)', () => {
      const path = `<${'a'.repeat(64)}@${Array.from({ length: 3 }, () => 'd'.repeat(59)).join('.')}.example>` // 254 octets
      // RCPT: 512, and 530 for NOTIFY and ORCPT (RFC 3461 5); a whole ORCPT (500) on a 254-octet path is 794
      const rcpt = (n: number) => {
        const head = `RCPT TO:${path} NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;`
        return `${head}${'b'.repeat(n - head.length - '@x.example\r\n'.length)}@x.example\r\n`
      }
      // MAIL: 512, and 26 for SIZE (RFC 1870), 16 for BODY (RFC 3030), 10 for SMTPUTF8 (RFC 6531), 116 for
      // RET and ENVID (RFC 3461), 500 for AUTH= (RFC 4954): 1180
      const mail = (n: number) => {
        const head = `MAIL FROM:${path} SIZE=1000 AUTH=`
        return `${head}${'c'.repeat(n - head.length - '@x.example\r\n'.length)}@x.example\r\n`
      }
      expect(rcpt(794)).toHaveLength(794)
      expect(mail(1180)).toHaveLength(1180)
      const h = greeted({ dsn: true, authMechanisms: ['PLAIN'], allowInsecureAuth: true })
      h.feed(mail(1181))
      expect(h.read()).toBe('500 5.5.2 Line too long\r\n')
      h.feed(mail(1180))
      expect(h.read()).toBe('250 2.1.0 Ok\r\n')
      h.feed(rcpt(1043))
      expect(h.read()).toBe('500 5.5.2 Line too long\r\n')
      h.feed(rcpt(794))
      expect(h.read()).toBe('250 2.1.5 Ok\r\n')
      // AUTH's own limit does not cut them short
      const tight = greeted({ dsn: true, authMechanisms: ['PLAIN'], allowInsecureAuth: true, maxAuthLineLength: 512 })
      tight.feed(mail(1180))
      expect(tight.read()).toBe('250 2.1.0 Ok\r\n')
      // without the extensions, 512 is the limit
      const plain = greeted()
      plain.feed('MAIL FROM:<a@b.example>\r\n')
      plain.read()
      plain.feed(rcpt(513))
      expect(plain.read()).toBe('500 5.5.2 Line too long\r\n')
    })
    it('an endless line is dropped as it streams and answered with one 500 at its end', () => {
      const h = greeted()
      for (let i = 0; i < 100; i++) h.feed('x'.repeat(10000))
      expect(h.state.partial?.length ?? 0).toBeLessThanOrEqual(12288)
      h.feed('\r\nNOOP\r\n')
      expect(h.read()).toBe('500 5.5.2 Line too long\r\n250 2.0.0 Ok\r\n')
    })
    it('500 for a bare LF ending a command when bare line endings are refused (RFC 5321 2.3.8)', () => {
      const h = greeted()
      h.feed('NOOP\n')
      expect(h.read()).toBe('500 5.5.2 Bare LF in command line\r\n')
      const keep = greeted({ bareLineEndings: 'keep' })
      keep.feed('NOOP\n')
      expect(keep.read()).toBe('250 2.0.0 Ok\r\n')
    })
    it('501 for control characters in a command', () => {
      const h = greeted()
      h.feed('NOOP a\u0000b\r\nNOOP a\rb\r\n')
      expect(h.read()).toBe('501 5.5.2 Control characters are not allowed in commands\r\n'.repeat(2))
    })
    it('501 for a command that is not UTF-8 (RFC 6531 3.3), whether its verb is known or not', () => {
      const h = greeted()
      const line = (text: string) => Uint8Array.from([...Buffer.from(text, 'latin1'), 0xc3, 0x28, 13, 10])
      h.feed(line('NOOP ')).feed(line('FROB ')).feed(line(''))
      expect(h.read()).toBe('501 5.5.2 Command is not valid UTF-8\r\n'.repeat(3))
      h.feed(Uint8Array.from([...Buffer.from('NOOP \u00e9', 'utf8'), 13, 10]))
      expect(h.read()).toBe('250 2.0.0 Ok\r\n')
    })
    it('421 and close after too many bad commands', () => {
      const h = greeted({ maxBadCommands: 3 })
      h.feed('GET / HTTP/1.1\r\nHost: x\r\nAccept: */*\r\nNOOP\r\n')
      expect(h.read()).toBe(
        '500 5.5.1 Command unrecognized\r\n500 5.5.1 Command unrecognized\r\n500 5.5.1 Command unrecognized\r\n' +
          '421 4.7.0 Too many errors, closing transmission channel\r\n',
      )
      expect(h.closed).toBe(true)
    })
  })

  describe('timers, shutdown and the peer going away (RFC 5321 4.5.3.2)', () => {
    it('sets a 5-minute idle timer by default and restarts it on input (RFC 5321 4.5.3.2.7)', () => {
      const h = new Harness({})
      expect(h.outputs).toContainEqual({ _tag: 'SetTimer', timer: 'idle', ms: 300000 })
      const before = h.outputs.length
      h.feed('NOOP\r\n')
      expect(h.outputs.slice(before)).toContainEqual({ _tag: 'SetTimer', timer: 'idle', ms: 300000 })
    })
    it('421 and close when the idle timer fires', () => {
      const h = greeted()
      h.feed('MAIL FROM:<a@b.example>\r\n')
      h.read()
      h.input(timerFired('idle'))
      expect(h.read()).toBe('421 4.4.2 Timeout, closing transmission channel\r\n')
      expect(h.closed).toBe(true)
    })
    it('421 and close when a data window ends with too little data, aborting the message in flight', () => {
      const h = greeted()
      h.feed('MAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nDATA\r\n')
      expect(h.outputs.at(-1)).toEqual({ _tag: 'SetTimer', timer: 'data', ms: 300000 })
      h.feed('partial')
      h.read()
      h.input(timerFired('data'))
      expect(h.read()).toBe('421 4.4.2 Message data arrives too slowly, closing transmission channel\r\n')
      expect(h.closed).toBe(true)
      expect(h.aborted).toEqual(['timeout'])
    })
    it('the timer stops while the application decides, and restarts after', () => {
      const h = greeted({}, () => undefined)
      h.feed('MAIL FROM:<a@b.example>\r\n')
      expect(h.outputs.at(-1)).toEqual({ _tag: 'ClearTimer', timer: 'idle' })
      h.input(timerFired('idle'))
      expect(h.closed).toBe(false)
      h.answer(accept())
      expect(h.outputs.at(-1)).toEqual({ _tag: 'SetTimer', timer: 'idle', ms: 300000 })
    })
    it('Shutdown says 421 and closes', () => {
      const h = greeted()
      h.input(shutdown)
      expect(h.read()).toBe('421 4.3.2 Service shutting down, closing transmission channel\r\n')
      expect(h.closed).toBe(true)
    })
    it('a peer that vanishes mid-DATA gets no message delivered', () => {
      const h = greeted()
      h.feed('MAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nDATA\r\nhalf a mess')
      h.input(peerClosed)
      expect(h.delivered).toHaveLength(0)
      expect(h.aborted).toEqual(['closed'])
      expect(h.closed).toBe(true)
    })
  })

  describe("an application's 421 (RFC 5321 3.8: closing transmission channel)", () => {
    it('a 421 to MAIL is sent and the session closes: nothing pipelined behind it runs', () => {
      const h = greeted({}, (q) => (q._tag === 'Mail' ? reject(reply(421, '4.7.0', 'go away')) : accept()))
      h.feed('MAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nDATA\r\n')
      expect(h.read()).toBe('421 4.7.0 go away\r\n')
      expect(h.closed).toBe(true)
      h.feed('MAIL FROM:<a@b.example>\r\n')
      expect(h.read()).toBe('')
    })
    it('a 421 after the data is sent, and the session closes', () => {
      const h = greeted({}, (q) => (q._tag === 'Message' ? reject(reply(421, '4.3.2', 'shutting down')) : accept()))
      h.feed('MAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nDATA\r\nhi\r\n.\r\nNOOP\r\n')
      expect(h.read()).toMatch(/354 [^\r]*\r\n421 4\.3\.2 shutting down\r\n$/)
      expect(h.closed).toBe(true)
    })
    it('in LMTP, a 421 for one recipient: every recipient gets its reply, then the session closes', () => {
      const h = new Harness({ lmtp: true }, (q) =>
        q._tag === 'Message' ? perRecipient([accept(), reject(reply(421, '4.3.2', 'going down'))]) : accept(),
      )
      h.feed('LHLO c.example\r\nMAIL FROM:<>\r\nRCPT TO:<a@x.example>\r\nRCPT TO:<b@x.example>\r\n')
      h.read()
      h.feed('DATA\r\nhi\r\n.\r\nNOOP\r\n')
      expect(h.read()).toMatch(/354 [^\r]*\r\n250 2\.0\.0 Ok\r\n421 4\.3\.2 going down\r\n$/)
      expect(h.closed).toBe(true)
    })
    it('a 450 to MAIL keeps the session', () => {
      const h = greeted({}, (q) => (q._tag === 'Mail' ? reject(reply(450, '4.7.1', 'later')) : accept()))
      h.feed('MAIL FROM:<a@b.example>\r\nNOOP\r\n')
      expect(h.read()).toBe('450 4.7.1 later\r\n250 2.0.0 Ok\r\n')
      expect(h.closed).toBe(false)
    })
  })

  describe('enhanced status codes of application replies (RFC 2034 4)', () => {
    it.each([
      ['MAIL refused', 'Mail', reject(reply(550, undefined, 'no')), '550 5.0.0 no'],
      ['MAIL taken', 'Mail', accept(reply(250, undefined, 'fine')), '250 2.0.0 fine'],
      ['MAIL put off', 'Mail', reject(reply(451, undefined, 'later')), '451 4.0.0 later'],
      ['VRFY answered', 'Vrfy', respond(reply(252, undefined, 'try')), '252 2.0.0 try'],
    ] as const)('%s without one gets its class, X.0.0 (RFC 3463 3.1)', (_n, tag, answer, line) => {
      const h = greeted({}, (q) => (q._tag === tag ? answer : accept()))
      h.feed(tag === 'Vrfy' ? 'VRFY bob\r\n' : 'MAIL FROM:<a@b.example>\r\n')
      expect(h.read()).toBe(`${line}\r\n`)
    })
    it('one given is kept, and none is added without ENHANCEDSTATUSCODES', () => {
      const given = greeted({}, (q) => (q._tag === 'Mail' ? reject(reply(550, '5.7.1', 'no')) : accept()))
      given.feed('MAIL FROM:<a@b.example>\r\n')
      expect(given.read()).toBe('550 5.7.1 no\r\n')
      const off = greeted({ enhancedStatusCodes: false }, (q) =>
        q._tag === 'Mail' ? reject(reply(550, undefined, 'no')) : accept(),
      )
      off.feed('MAIL FROM:<a@b.example>\r\n')
      expect(off.read()).toBe('550 no\r\n')
    })
    it('the reply to EHLO gets none (RFC 2034 3)', () => {
      const h = new Harness({ hostname: 'mx.example.com' }, (q) =>
        q._tag === 'Hello' ? reject(reply(550, undefined, 'not you')) : accept(),
      )
      h.feed('EHLO c.example\r\n')
      expect(h.read()).toMatch(/\r\n550 not you\r\n$/)
    })
  })

  describe('pipelining and answers (RFC 2920 3)', () => {
    it('holds input while a question is pending and replies in order', () => {
      const h = greeted({}, () => undefined)
      h.feed('MAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nRCPT TO:<z@y.example>\r\nDATA\r\n')
      expect(h.read()).toBe('')
      h.answer(accept())
      expect(h.read()).toBe('250 2.1.0 Ok\r\n')
      h.answer(accept())
      h.answer(accept())
      expect(h.read()).toBe('250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n')
    })
    it('pauses reading past maxHeldBytes and resumes once the held input is used', () => {
      const h = greeted({ maxHeldBytes: 100 }, () => undefined)
      h.feed('MAIL FROM:<a@b.example>\r\n')
      h.feed(`NOOP ${'x'.repeat(120)}\r\n`)
      expect(h.outputs.at(-1)).toEqual({ _tag: 'PauseReading' })
      h.answer(accept())
      expect(h.outputs.map((o) => o._tag)).toContain('ResumeReading')
      expect(h.read()).toBe('250 2.1.0 Ok\r\n250 2.0.0 Ok\r\n')
    })
    it('a piece larger than twice the limit, read before the pause, is held whole: no 421', () => {
      const h = greeted({ maxHeldBytes: 100 }, () => undefined)
      h.feed('MAIL FROM:<a@b.example>\r\n')
      h.feed(`NOOP ${'x'.repeat(500)}\r\nNOOP\r\n`)
      expect(h.outputs.at(-1)).toEqual({ _tag: 'PauseReading' })
      h.answer(accept())
      expect(h.read()).toBe('250 2.1.0 Ok\r\n250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n')
      expect(h.closed).toBe(false)
    })
    it('421 when held input passes twice the limit (the driver did not pause)', () => {
      const h = greeted({ maxHeldBytes: 100 }, () => undefined)
      h.feed('MAIL FROM:<a@b.example>\r\n')
      h.feed('x'.repeat(150))
      h.feed('x'.repeat(100))
      expect(h.read()).toBe('421 4.7.0 Too much pipelined input, closing transmission channel\r\n')
      expect(h.closed).toBe(true)
    })
    it('an answer to a question that was not asked is misuse; the state is unchanged', () => {
      const h = greeted({}, () => undefined)
      const before = h.state
      h.input(answered(99, accept()))
      expect(h.state).toBe(before)
      expect(h.outputs.at(-1)).toMatchObject({ _tag: 'Misuse' })
    })
    it.each([
      ['an Accept with a 5yz reply', accept(reply(550, '5.0.0', 'no'))],
      ['a reply code out of range', accept(reply(600, undefined, 'x'))],
      ['a second digit above 5 (RFC 5321 4.2)', accept(reply(260, '2.0.0', 'x'))],
      ['an enhanced code of the wrong class', accept(reply(250, '5.1.0', 'x'))],
      ['per-recipient decisions outside LMTP', perRecipient([accept()])],
    ])('%s is misuse and the question stays pending', (_name, a) => {
      const h = greeted({}, () => undefined)
      h.feed('MAIL FROM:<a@b.example>\r\n')
      const q = h.pending!
      h.input(answered(q.id, a))
      expect(h.outputs.at(-1)).toMatchObject({ _tag: 'Misuse' })
      expect(h.pending).toBe(q)
    })
    it('reply text from the application cannot inject lines', () => {
      const h = greeted({}, () => undefined)
      h.feed('MAIL FROM:<a@b.example>\r\n')
      h.answer(accept(reply(250, '2.1.0', 'Ok\r\n250 injected')))
      expect(h.read()).toBe('250 2.1.0 Ok  250 injected\r\n')
    })
    it('reply text from the application is ASCII: other characters become "?" (RFC 5321 4.2, RFC 6531 3.7.4)', () => {
      const h = greeted({}, () => undefined)
      h.feed('MAIL FROM:<a@b.example>\r\n')
      h.answer(accept(reply(250, '2.1.0', 'naïve ✓ 😀')))
      expect(h.read()).toBe('250 2.1.0 na?ve ? ?\r\n')
    })
    it('UTF-8 only where RFC 6531 3.7.4 allows it: a 551 in an SMTPUTF8 transaction, a VRFY with SMTPUTF8', () => {
      const h = greeted({}, (q) =>
        q._tag === 'Rcpt'
          ? reject(reply(551, '5.1.6', 'User not local; please try <jö@example.org>'))
          : q._tag === 'Vrfy'
            ? respond(reply(250, '2.1.5', 'Jö <jö@example.org>'))
            : accept(),
      )
      const utf8 = (t: string): string => Buffer.from(t, 'utf8').toString('latin1')
      h.feed('MAIL FROM:<a@b.example> SMTPUTF8\r\nRCPT TO:<x@y.example>\r\nRSET\r\n')
      expect(h.read()).toContain(utf8('551 5.1.6 User not local; please try <jö@example.org>\r\n'))
      h.feed('MAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nRSET\r\n')
      expect(h.read()).toContain('551 5.1.6 User not local; please try <j?@example.org>\r\n')
      h.feed('VRFY jo SMTPUTF8\r\nVRFY jo\r\nVRFY jo\u3000SMTPUTF8\r\n') // RFC 6531 3.7.4.2: SP "SMTPUTF8", no other space
      expect(h.read()).toBe(utf8('250 2.1.5 Jö <jö@example.org>\r\n') + '250 2.1.5 J? <j?@example.org>\r\n'.repeat(2))
    })
    it('a reply with no text has no space after its enhanced code', () => {
      const h = greeted({}, () => undefined)
      h.feed('MAIL FROM:<a@b.example>\r\n')
      h.answer(accept({ code: 250, lines: [] }))
      expect(h.read()).toBe('250 2.0.0\r\n')
    })
  })
})
