import { describe, expect, it } from 'vitest'
import { type Question, accept, reject, reply } from '../../../src/index.js'
import { Harness, bodyText, transcript } from '../harness.js'

const ehlo = (options = {}, answerer?: ConstructorParameters<typeof Harness>[1]) => {
  const h = new Harness({ hostname: 'mx.example.com', dsn: true, ...options }, answerer)
  h.feed('EHLO c.example\r\n')
  h.read()
  return h
}

describe('server session', () => {
  describe('MAIL (RFC 5321 4.1.1.2)', () => {
    it('503 for MAIL before EHLO (RFC 5321 4.1.4)', () => {
      const h = new Harness({})
      h.read()
      h.feed('MAIL FROM:<a@b.example>\r\n')
      expect(h.read()).toBe('503 5.5.1 Send HELO or EHLO first\r\n')
    })
    it('asks the application with the parsed path and parameters', () => {
      const h = ehlo()
      h.feed('MAIL FROM:<a@b.example> SIZE=1000 BODY=8BITMIME RET=HDRS ENVID=QQ+2B1\r\n')
      expect(h.read()).toBe('250 2.1.0 Ok\r\n')
      const q = h.questions.at(-1) as Extract<Question, { _tag: 'Mail' }>
      expect(q.from).toEqual({ localPart: 'a', domain: 'b.example', utf8: false })
      expect(q.params).toEqual({ size: 1000, body: '8BITMIME', ret: 'HDRS', envid: 'QQ+1' })
    })
    it('tolerates trailing spaces after the path and parameters', () => {
      const h = ehlo()
      h.feed('MAIL FROM:<a@b.example> SIZE=10  \r\nRCPT TO:<x@y.example> \r\n')
      expect(h.read()).toBe('250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n')
    })
    it('accepts the null reverse path <> (RFC 5321 4.5.5)', () => {
      const h = ehlo()
      h.feed('MAIL FROM:<>\r\n')
      expect(h.read()).toBe('250 2.1.0 Ok\r\n')
      expect((h.questions.at(-1) as Extract<Question, { _tag: 'Mail' }>).from).toBeNull()
    })
    it('503 for a nested MAIL (RFC 5321 4.1.4)', () => {
      const h = ehlo()
      h.feed('MAIL FROM:<a@b.example>\r\nMAIL FROM:<a@b.example>\r\n')
      expect(h.read()).toBe('250 2.1.0 Ok\r\n503 5.5.1 Nested MAIL command\r\n')
    })
    it.each([
      ['a missing colon', 'MAIL FROM <a@b.example>', /^501 5\.5\.2 /],
      ['no brackets', 'MAIL FROM:a@b.example', /^501 5\.1\.7 /],
      ['an unknown parameter', 'MAIL FROM:<a@b.example> XFOO=1', /^555 5\.5\.4 .*XFOO/],
      ['a bad SIZE value', 'MAIL FROM:<a@b.example> SIZE=abc', /^501 5\.5\.4 /],
    ])('refuses %s with the specific code (RFC 5321 4.1.2, 4.3.2)', (_name, line, expected) => {
      const h = ehlo()
      h.feed(`${line}\r\n`)
      expect(h.read()).toMatch(expected)
    })
    it('552 for a declared SIZE over the limit, before asking (RFC 1870 6.1)', () => {
      const h = ehlo({ maxMessageSize: 100 })
      h.feed('MAIL FROM:<a@b.example> SIZE=101\r\n')
      expect(h.read()).toBe('552 5.3.4 Message size exceeds fixed maximum message size\r\n')
      expect(h.questions.filter((q) => q._tag === 'Mail')).toHaveLength(0)
    })
    it('555 for a parameter of an extension that is off (RFC 5321 4.1.1.11)', () => {
      const h = ehlo({ dsn: false })
      h.feed('MAIL FROM:<a@b.example> RET=FULL\r\n')
      expect(h.read()).toMatch(/^555 5\.5\.4 /)
    })
    it('550 5.6.7 for a UTF-8 sender without the SMTPUTF8 parameter (RFC 6531 3.5)', () => {
      const h = ehlo()
      h.feed('MAIL FROM:<jösé@b.example>\r\n')
      expect(h.read()).toBe('550 5.6.7 Non-ASCII addresses not permitted for that sender\r\n')
      h.feed('MAIL FROM:<jösé@b.example> SMTPUTF8\r\n')
      expect(h.read()).toBe('250 2.1.0 Ok\r\n')
    })
    it('555 for SMTPUTF8 when the extension is off (RFC 6531 3.4)', () => {
      const h = ehlo({ smtpUtf8: false })
      h.feed('MAIL FROM:<jösé@b.example> SMTPUTF8\r\n')
      expect(h.read()).toMatch(/^555 5\.5\.4 /)
    })
    it('530 before AUTH when authentication is required (RFC 4954 6)', () => {
      const h = ehlo({ requireAuth: true })
      h.feed('MAIL FROM:<a@b.example>\r\n')
      expect(h.read()).toBe('530 5.7.0 Authentication required\r\n')
    })
    it('the application can refuse the sender', () => {
      const h = ehlo({}, (q) => (q._tag === 'Mail' ? reject(reply(550, '5.7.1', 'Sender blocked')) : accept()))
      h.feed('MAIL FROM:<spam@b.example>\r\nRCPT TO:<x@y.example>\r\n')
      expect(h.read()).toBe('550 5.7.1 Sender blocked\r\n503 5.5.1 Need MAIL command\r\n')
    })
  })

  describe('RCPT (RFC 5321 4.1.1.3)', () => {
    it('503 for RCPT before MAIL (RFC 5321 4.1.4)', () => {
      const h = ehlo()
      h.feed('RCPT TO:<x@y.example>\r\n')
      expect(h.read()).toBe('503 5.5.1 Need MAIL command\r\n')
    })
    it('one refused recipient among three: the other two still get the message (RFC 5321 3.3)', () => {
      const h = ehlo({}, (q) =>
        q._tag === 'Rcpt' && q.to.localPart === 'nobody' ? reject(reply(550, '5.1.1', 'No such user here')) : accept(),
      )
      transcript(
        h,
        `C: MAIL FROM:<a@b.example>
         S: 250 2.1.0 Ok
         C: RCPT TO:<one@y.example>
         S: 250 2.1.5 Ok
         C: RCPT TO:<nobody@y.example>
         S: 550 5.1.1 No such user here
         C: RCPT TO:<two@y.example>
         S: 250 2.1.5 Ok
         C: DATA
         S: 354 End data with <CR><LF>.<CR><LF>
         C: Hi
         C: .
         S: 250 2.0.0 Ok`,
      )
      expect(h.delivered).toHaveLength(1)
      expect(h.delivered[0]!.question.envelope.recipients.map((r) => r.to.localPart)).toEqual(['one', 'two'])
      expect(bodyText(h.delivered[0]!)).toBe('Hi\r\n')
    })
    it('251 and 551 with a forward-path are chosen by the application (RFC 5321 3.4)', () => {
      const h = ehlo({}, (q) => {
        if (q._tag !== 'Rcpt') return accept()
        if (q.to.localPart === 'moved')
          return reject(reply(551, '5.1.6', 'User not local; please try <moved@new.example>'))
        if (q.to.localPart === 'fwd')
          return accept(reply(251, '2.1.5', 'User not local; will forward to <f@o.example>'))
        return accept()
      })
      h.feed('MAIL FROM:<a@b.example>\r\nRCPT TO:<moved@y.example>\r\nRCPT TO:<fwd@y.example>\r\n')
      expect(h.read()).toBe(
        '250 2.1.0 Ok\r\n551 5.1.6 User not local; please try <moved@new.example>\r\n' +
          '251 2.1.5 User not local; will forward to <f@o.example>\r\n',
      )
    })
    it('accepts <Postmaster> without a domain (RFC 5321 4.1.1.3)', () => {
      const h = ehlo()
      h.feed('MAIL FROM:<a@b.example>\r\nRCPT TO:<Postmaster>\r\n')
      expect(h.read()).toBe('250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n')
    })
    it('parses DSN parameters and hands them over (RFC 3461 4.1, 4.2)', () => {
      const h = ehlo()
      h.feed('MAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;x+40y.example\r\n')
      const q = h.questions.at(-1) as Extract<Question, { _tag: 'Rcpt' }>
      expect(q.params).toEqual({
        notify: ['SUCCESS', 'FAILURE'],
        orcpt: { addrType: 'rfc822', address: 'x@y.example' },
      })
    })
    it('452 past the recipient limit, and the transaction goes on (RFC 5321 4.5.3.1.10)', () => {
      const h = ehlo({ maxRecipients: 2 })
      h.feed('MAIL FROM:<a@b.example>\r\nRCPT TO:<1@y.example>\r\nRCPT TO:<2@y.example>\r\nRCPT TO:<3@y.example>\r\n')
      expect(h.read()).toBe('250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n452 4.5.3 Too many recipients\r\n')
      h.feed('DATA\r\nx\r\n.\r\n')
      expect(h.read()).toMatch(/250 2\.0\.0 Ok\r\n$/)
      expect(h.delivered[0]!.question.envelope.recipients).toHaveLength(2)
    })
    it('553 5.6.7 for a UTF-8 recipient in a transaction without SMTPUTF8 (RFC 6531 3.5)', () => {
      const h = ehlo()
      h.feed('MAIL FROM:<a@b.example>\r\nRCPT TO:<ü@y.example>\r\n')
      expect(h.read()).toBe('250 2.1.0 Ok\r\n553 5.6.7 Non-ASCII addresses not permitted for that recipient\r\n')
    })
  })
})
