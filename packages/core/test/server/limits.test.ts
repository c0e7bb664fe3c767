// Limits that keep a hostile client from holding a session: failed AUTH (counted, delayed, capped),
// deadlines that trickled bytes cannot extend (RFC 5321 4.5.3.2.7), junk commands and messages per session.
import { describe, expect, it } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import type { ServerOptions } from '../../src/Config.js'
import { reply } from '../../src/Reply.js'
import { type Question, accept, reject, stopRequested, timerFired } from '../../src/server/index.js'
import { encode } from '../../src/wire/bytes.js'
import { Harness } from './harness.js'
import { type Arrival, closesAt, tightBound, tightLimits } from './virtual.js'

const b64 = (s: string) => Buffer.from(s, 'latin1').toString('base64')
const wrong = (q: Question) =>
  q._tag === 'Auth' ? reject(reply(535, '5.7.8', 'Authentication credentials invalid')) : accept()
const authServer = (options: ServerOptions, answerer = wrong) => {
  const h = new Harness({ authMechanisms: ['PLAIN'], ...options }, answerer, { tls: true })
  h.feed('EHLO c.example\r\n').read()
  return h
}
const plain = `AUTH PLAIN ${b64('\u0000alice\u0000guess')}\r\n`

describe('failed AUTH (RFC 4954 4)', () => {
  it('counts each 5yz refusal; the last allowed one is followed by 421 and close', () => {
    const h = authServer({ maxAuthFailures: 3, authFailureDelayMs: 0 })
    h.feed(plain + plain)
    expect(h.read()).toBe('535 5.7.8 Authentication credentials invalid\r\n'.repeat(2))
    expect(h.closed).toBe(false)
    h.feed(plain)
    expect(h.read()).toBe(
      '535 5.7.8 Authentication credentials invalid\r\n' +
        '421 4.7.0 Too many failed authentication attempts, closing transmission channel\r\n',
    )
    expect(h.closed).toBe(true)
    expect(h.questions.filter((q) => q._tag === 'Auth').map((q) => q.session.authFailures)).toEqual([0, 1, 2])
  })

  it('an XOAUTH2 refusal with an error challenge counts at once, and its challenge waits for authDelay, as any refusal', () => {
    const withChallenge = (q: Question) =>
      q._tag === 'Auth' ? reject(reply(535, '5.7.8', 'Bad token'), '{"status":"401"}') : accept()
    const h = authServer({ authMechanisms: ['XOAUTH2'], maxAuthFailures: 2, authFailureDelayMs: 1500 }, withChallenge)
    const xoauth2 = `AUTH XOAUTH2 ${b64('user=a@b.example\u0001auth=Bearer guess\u0001\u0001')}\r\n`
    const challenge = `334 ${b64('{"status":"401"}')}\r\n`
    h.feed(xoauth2)
    expect(h.read()).toBe('') // the challenge says "refused": it is held as the refusal would be
    expect(h.state.authFailures).toBe(1) // counted now: a client that hangs up on the challenge was still refused
    h.input(timerFired('authDelay'))
    expect(h.read()).toBe(challenge)
    h.feed('\r\n') // the client's answer: the 535 follows at once
    expect(h.read()).toBe('535 5.7.8 Bad token\r\n')
    h.feed(xoauth2)
    h.input(timerFired('authDelay'))
    expect(h.read()).toBe(challenge)
    h.feed('\r\n')
    expect(h.read()).toBe(
      '535 5.7.8 Bad token\r\n421 4.7.0 Too many failed authentication attempts, closing transmission channel\r\n',
    )
    expect(h.closed).toBe(true)
  })

  it('a 454 (the server cannot check now) does not count', () => {
    const tempFail = (q: Question) => (q._tag === 'Auth' ? reject(reply(454, '4.7.0', 'Try later')) : accept())
    const h = authServer({ maxAuthFailures: 1, authFailureDelayMs: 0 }, tempFail)
    h.feed(plain + plain)
    expect(h.read()).toBe('454 4.7.0 Try later\r\n454 4.7.0 Try later\r\n')
    expect(h.closed).toBe(false)
  })

  it('the refusal waits for the authDelay timer, and pipelined input waits behind it', () => {
    const h = authServer({ authFailureDelayMs: 1500 })
    h.feed(plain + 'NOOP\r\n')
    expect(h.read()).toBe('')
    expect(h.outputs.filter((o) => o._tag === 'SetTimer' && o.timer === 'authDelay')).toEqual([
      { _tag: 'SetTimer', timer: 'authDelay', ms: 1500 },
    ])
    h.input(timerFired('idle')) // the command deadline does not run while the reply is held
    expect(h.closed).toBe(false)
    h.input(timerFired('authDelay'))
    expect(h.read()).toBe('535 5.7.8 Authentication credentials invalid\r\n250 2.0.0 Ok\r\n')
  })
})

describe('deadlines a trickle cannot extend (RFC 5321 4.5.3.2.7)', () => {
  const greeted = (options: ServerOptions = {}) => new Harness(options).feed('EHLO c.example\r\n')

  it('bytes of an unfinished line do not restart the command deadline; a finished line does', () => {
    const h = greeted()
    const before = h.outputs.length
    h.feed('NO').feed('O')
    expect(h.outputs.slice(before).filter((o) => o._tag === 'SetTimer')).toEqual([])
    h.feed('P\r\n')
    expect(h.outputs.at(-1)).toEqual({ _tag: 'SetTimer', timer: 'idle', ms: 300000 })
    h.feed('NO')
    h.input(timerFired('idle'))
    expect(h.read()).toMatch(/421 4\.4\.2 Timeout/)
  })

  it('a data window with enough octets starts the next window', () => {
    const h = greeted({ minDataRate: 1, idleTimeoutMs: 10000 })
    h.feed('MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n')
    h.feed('x'.repeat(10))
    h.input(timerFired('data'))
    expect(h.closed).toBe(false)
    expect(h.outputs.at(-1)).toEqual({ _tag: 'SetTimer', timer: 'data', ms: 10000 })
    h.feed('x'.repeat(9)) // 9 < 1 octet/s over 10 s
    h.input(timerFired('data'))
    expect(h.closed).toBe(true)
  })
})

describe('junk commands and messages per session', () => {
  it('past maxJunkCommands every junk command counts as an error, up to 421', () => {
    const h = new Harness({ maxJunkCommands: 2, maxBadCommands: 2 }).feed('EHLO c.example\r\n')
    h.read()
    h.feed('NOOP\r\nRSET\r\nHELP\r\n')
    expect(h.closed).toBe(false)
    h.feed('VRFY bob\r\n')
    expect(h.read()).toMatch(/421 4\.7\.0 Too many errors, closing transmission channel\r\n$/)
    expect(h.closed).toBe(true)
  })

  it('an accepted message starts the count of junk commands again', () => {
    const h = new Harness({ maxJunkCommands: 2, maxBadCommands: 1 }).feed('EHLO c.example\r\n')
    h.feed('NOOP\r\nNOOP\r\n')
    h.feed('MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\nx\r\n.\r\n')
    h.feed('NOOP\r\nNOOP\r\n')
    expect(h.closed).toBe(false)
  })

  it('refused recipients count as junk, so a client cannot probe addresses forever', () => {
    const refuse = (q: Question) => (q._tag === 'Rcpt' ? reject(reply(550, '5.1.1', 'No such user')) : accept())
    const h = new Harness({ maxJunkCommands: 3, maxBadCommands: 1 }, refuse).feed('EHLO c.example\r\n')
    h.feed('MAIL FROM:<a@b.example>\r\n' + 'RCPT TO:<c@d.example>\r\n'.repeat(3))
    expect(h.closed).toBe(false)
    h.feed('RCPT TO:<c@d.example>\r\n')
    expect(h.closed).toBe(true)
  })

  it('MAIL after maxMessagesPerSession messages gets 421 and the session closes', () => {
    const h = new Harness({ maxMessagesPerSession: 2 }).feed('EHLO c.example\r\n')
    const tx = 'MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\nx\r\n.\r\n'
    h.feed(tx + tx).read()
    h.feed('MAIL FROM:<a@b.example>\r\n')
    expect(h.read()).toBe('421 4.7.0 Too many messages in this session, closing transmission channel\r\n')
    expect(h.closed).toBe(true)
  })

  it('a message whose BDAT chunk was refused counts toward maxMessagesPerSession too', () => {
    const h = new Harness({ maxMessagesPerSession: 1 }).feed('EHLO c.example\r\n')
    h.feed('MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nBDAT 3\r\nabcBDAT 3  \r\ndefRSET\r\n')
    expect(h.read()).toMatch(/250 2\.0\.0 3 octets received\r\n501 5\.5\.4 .*\r\n250 2\.0\.0 Ok\r\n$/)
    h.feed('MAIL FROM:<a@b.example>\r\n')
    expect(h.read()).toBe('421 4.7.0 Too many messages in this session, closing transmission channel\r\n')
  })

  it('a message refused as too big counts toward maxMessagesPerSession, whether DATA or a BDAT chunk ended it', () => {
    // one message ended by its end of data, one refused at a chunk that is not its last (the client resets)
    const h = new Harness({ maxMessagesPerSession: 2, maxMessageSize: 4 }).feed('EHLO c.example\r\n')
    const envelope = 'MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\n'
    h.feed(envelope + 'DATA\r\n0123456789\r\n.\r\n' + envelope + 'BDAT 10\r\n0123456789RSET\r\n')
    expect(h.read()).toMatch(/552 5\.3\.4 .*\r\n.*552 5\.3\.4 .*\r\n250 2\.0\.0 .*\r\n$/s)
    h.feed('MAIL FROM:<a@b.example>\r\n')
    expect(h.read()).toBe('421 4.7.0 Too many messages in this session, closing transmission channel\r\n')
    expect(h.closed).toBe(true)
  })
})

/** `bytes` one octet at a time, cycled forever, each after the next of `gaps` (also cycled). */
function* trickled(bytes: Uint8Array, gaps: ReadonlyArray<number>): Generator<Arrival> {
  for (let i = 0; ; i++)
    yield { after: gaps[i % gaps.length]!, bytes: bytes.subarray(i % bytes.length, (i % bytes.length) + 1) }
}
const trickle = (options: ServerOptions, bytes: Uint8Array, gaps: ReadonlyArray<number>, until: number) =>
  closesAt(options, trickled(bytes, gaps), until)

describe('a trickle of input (property, virtual time)', () => {
  const pieces = [
    'EHLO c.example\r\n',
    'MAIL FROM:<a@b.example>\r\n',
    'RCPT TO:<c@d.example>\r\n',
    'DATA\r\n',
    'x\r\n',
    '.\r\n',
    'BDAT 3\r\nabc',
    'BDAT 2 LAST\r\nxy',
    'NOOP\r\n',
    'RSET\r\n',
    'VRFY x\r\n',
    'NO',
    'junk\r\n',
  ]
  const options = tightLimits
  const bound = tightBound
  test.prop([
    fc.array(fc.constantFrom(...pieces), { minLength: 1, maxLength: 20 }),
    fc.array(fc.integer({ min: 101, max: 2000 }), { minLength: 1, maxLength: 8 }),
  ])('the session ends within a fixed bound of virtual time, whatever is trickled in forever', (parts, gaps) => {
    const closedAt = trickle(options, encode(parts.join('')), gaps, 10 * bound)
    expect(closedAt).toBeDefined()
    expect(closedAt!).toBeLessThanOrEqual(bound)
  })

  it('without the limits a NOOP trickle lives forever (the property can fail)', () => {
    const forever = { ...options, maxJunkCommands: 0 }
    expect(trickle(forever, encode('EHLO c.example\r\nNOOP\r\n'), [101], 10 * bound)).toBeUndefined()
  })
})

describe('a graceful stop (RFC 5321 3.8)', () => {
  it('between transactions: 421 at once', () => {
    const h = new Harness({}).feed('EHLO c.example\r\n')
    h.read()
    h.input(stopRequested)
    expect(h.read()).toBe('421 4.3.2 Service shutting down, closing transmission channel\r\n')
    expect(h.closed).toBe(true)
  })

  it('during a transaction: it finishes, then 421 before any command pipelined behind it', () => {
    const h = new Harness({}, () => undefined).feed('EHLO c.example\r\n')
    h.answer(accept())
    h.feed('MAIL FROM:<a@b.example>\r\n').answer(accept())
    h.feed('RCPT TO:<c@d.example>\r\n').answer(accept())
    h.feed('DATA\r\nhi\r\n.\r\nMAIL FROM:<e@f.example>\r\n')
    h.read()
    h.input(stopRequested)
    expect(h.closed).toBe(false)
    h.answer(accept())
    expect(h.read()).toBe('250 2.0.0 Ok\r\n421 4.3.2 Service shutting down, closing transmission channel\r\n')
    expect(h.closed).toBe(true)
    expect(h.questions.filter((q) => q._tag === 'Mail')).toHaveLength(1)
  })

  it.each<[string, ServerOptions, string, string]>([
    [
      'an LMTP BDAT LAST after no successful RCPT, which has no reply (RFC 2033 4.3)',
      { lmtp: true },
      'BDAT 2 LAST\r\nhi',
      '',
    ],
    [
      'a message refused while it streamed, which asks the application nothing',
      { maxMessageSize: 1 },
      'BDAT 2 LAST\r\nhi',
      '552 5.3.4 Message size exceeds fixed maximum message size\r\n',
    ],
    ['a RSET', {}, 'RSET\r\n', '250 2.0.0 Ok\r\n'],
  ])('a transaction that ends with %s: 421 at once, not at the next command', (_n, options, end, replies) => {
    const h = new Harness(options, (q) =>
      q._tag === 'Rcpt' && options.lmtp ? reject(reply(550, '5.1.1', 'No')) : accept(),
    )
    const hello = options.lmtp === true ? 'LHLO' : 'EHLO'
    h.feed(`${hello} c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\n`)
    h.read()
    h.input(stopRequested)
    expect(h.closed).toBe(false)
    h.feed(end)
    expect(h.read()).toBe(`${replies}421 4.3.2 Service shutting down, closing transmission channel\r\n`)
    expect(h.closed).toBe(true)
  })
})
