// Client faults from field reports: failure classes (only a 5yz reply makes a failure permanent, RFC 5321
// 4.2.1), the server's text kept in errors, a bounded wait for the reply to QUIT once every result is final
// (RFC 5321 4.1.1.10), one fallback to the next AUTH mechanism (RFC 4954 4), and error texts in the user's
// terms rather than the session's inputs.
import { describe, expect, it } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import { ClientInput, defaultClientTimeouts } from '../../src/client/index.js'
import { encodeBase64 } from '../../src/sasl/index.js'
import { encode } from '../../src/wire/bytes.js'
import { ClientHarness, greet, manual } from './harness.js'

const helo = 'client.example.org'
const message = { envelope: { from: 'bob@example.org', to: ['alice@example.com'] }, body: ['hi\r\n'] }

describe('client failure classes (RFC 5321 4.2.1)', () => {
  it('a 421 that changes its code in a multi-line reply is a protocol error that keeps the server text', () => {
    const h = greet(new ClientHarness({ helo }, [message]), [])
    h.feed('421-4.3.2 System going down\r\n250 Ok\r\n')
    const [failed] = h.of('Failed')
    expect(failed?.error).toMatchObject({
      _tag: 'ProtocolError',
      reply: { code: 421, enhanced: '4.3.2', lines: ['System going down'] },
    })
    expect(h.of('MessageResult').map((m) => m.status)).toEqual(['temporary'])
  })

  it('a reply of endless lines keeps the first lines it read', () => {
    const h = greet(new ClientHarness({ helo, maxReplyLines: 3 }, [message]), [])
    h.feed('250-a\r\n250-b\r\n250-c\r\n250-d\r\n')
    expect(h.of('Failed')[0]?.error).toMatchObject({
      _tag: 'ProtocolError',
      reply: { code: 250, lines: ['a', 'b', 'c'] },
    })
    expect(h.of('MessageResult').map((m) => m.status)).toEqual(['temporary'])
  })

  const anyReply = fc.oneof(
    fc
      .tuple(fc.integer({ min: 200, max: 599 }), fc.constantFrom(' ', '-'), fc.string({ maxLength: 5 }))
      .map(([code, sep, text]) => `${code}${sep}${text.replace(/[\r\n]/g, '')}\r\n`),
    fc.string({ maxLength: 8 }).map((s) => `${s}\r\n`),
  )
  test.prop([fc.array(anyReply, { minLength: 1, maxLength: 8 })])(
    'a transaction is permanent only when a 5yz reply decided it',
    (replies) => {
      const h = greet(new ClientHarness({ helo }, [message]), ['PIPELINING'])
      for (const r of replies) h.feed(r)
      h.input(ClientInput.peerClosed)
      for (const m of h.of('MessageResult')) {
        for (const r of m.recipients)
          if (r.status === 'permanent') expect(r.reply?.code ?? 0).toBeGreaterThanOrEqual(500)
        if (m.status === 'permanent') expect(m.recipients.some((r) => (r.reply?.code ?? 0) >= 500)).toBe(true)
      }
    },
  )
})

describe('QUIT after the results are final (RFC 5321 4.1.1.10)', () => {
  it('waits for 221 only a short time by default', () => {
    expect(defaultClientTimeouts.quit).toBeLessThanOrEqual(10_000)
    const h = greet(manual({ helo }), [])
    h.input(ClientInput.quitRequested)
    expect(h.of('SetTimer').at(-1)?.ms).toBe(defaultClientTimeouts.quit)
  })
  it('the quit timeout is an option, and its firing changes no result', () => {
    const h = greet(new ClientHarness({ helo, timeouts: { quit: 1234 } }, [message]), [])
    h.feed('250 Ok\r\n250 Ok\r\n354 Go\r\n')
    h.feed('250 2.0.0 Queued\r\n')
    expect(h.read()).toMatch(/QUIT\r\n$/)
    expect(h.of('SetTimer').at(-1)?.ms).toBe(1234)
    h.input(ClientInput.timerFired('reply'))
    expect(h.closed).toBe(true)
    expect(h.of('Failed')).toEqual([])
    expect(h.of('MessageResult').map((m) => m.status)).toEqual(['accepted'])
  })
})

describe('AUTH falls back once to the next mechanism (RFC 4954 4)', () => {
  const auth = { username: 'tim', password: 'tanstaaf' }
  const plain = `AUTH PLAIN ${encodeBase64(encode('\u0000tim\u0000tanstaaf'))}`
  it('CRAM-MD5 refused with 535: one try of PLAIN, which succeeds', () => {
    const h = greet(manual({ helo, implicitTls: true, auth }), ['AUTH CRAM-MD5 PLAIN'])
    expect(h.read()).toBe(`EHLO ${helo}\r\nAUTH CRAM-MD5\r\n`)
    h.feed(`334 ${encodeBase64(encode('<1.2@mx>'))}\r\n`)
    h.read()
    h.feed('535 5.7.8 Authentication credentials invalid\r\n')
    expect(h.read()).toBe(`${plain}\r\n`)
    h.feed('235 2.7.0 Ok\r\n')
    expect(h.of('Ready')).toMatchObject([{ authenticated: true }])
  })
  it('only once: a second refusal ends the session with AuthFailed and the last reply', () => {
    const h = greet(manual({ helo, implicitTls: true, auth }), ['AUTH CRAM-MD5 LOGIN PLAIN'])
    h.feed(`334 ${encodeBase64(encode('<1.2@mx>'))}\r\n`)
    h.feed('535 5.7.8 No\r\n')
    h.feed('535 5.7.8 Still no\r\n')
    expect(h.sent).toMatch(/AUTH CRAM-MD5\r\n[^\r]+\r\nAUTH PLAIN [^\r]+\r\nQUIT\r\n$/)
    expect(h.of('Failed')).toMatchObject([{ error: { _tag: 'AuthFailed', reply: { lines: ['Still no'] } } }])
  })
  it('without TLS a refused CRAM-MD5 never falls back to a mechanism that sends the password (RFC 4954 14)', () => {
    const h = greet(manual({ helo, auth, allowInsecureAuth: true }), ['AUTH CRAM-MD5 PLAIN LOGIN'])
    expect(h.read()).toBe(`EHLO ${helo}\r\nAUTH CRAM-MD5\r\n`)
    h.feed(`334 ${encodeBase64(encode('<1.2@mx>'))}\r\n`)
    h.read()
    h.feed('535 5.7.8 Authentication credentials invalid\r\n')
    expect(h.sent).not.toMatch(/AUTH PLAIN|AUTH LOGIN/)
    expect(h.of('Failed')).toMatchObject([{ error: { _tag: 'AuthFailed' } }])
  })
  it('no fallback after a temporary refusal (454), nor to a mechanism the user did not allow', () => {
    const t = greet(manual({ helo, implicitTls: true, auth }), ['AUTH CRAM-MD5 PLAIN'])
    t.feed('454 4.7.0 Try later\r\n')
    expect(t.sent).toMatch(/AUTH CRAM-MD5\r\nQUIT\r\n$/)
    const u = greet(manual({ helo, implicitTls: true, auth: { ...auth, mechanisms: ['CRAM-MD5'] } }), [
      'AUTH CRAM-MD5 PLAIN',
    ])
    u.feed('535 5.7.8 No\r\n')
    expect(u.sent).toMatch(/AUTH CRAM-MD5\r\nQUIT\r\n$/)
  })
})

describe('error texts speak of the message, not of session inputs', () => {
  it('a data timeout says what was being sent', () => {
    const h = greet(manual({ helo }), [])
    h.input(ClientInput.submitted(message.envelope, 'm1'))
    h.feed('250 Ok\r\n250 Ok\r\n354 Go\r\n')
    h.input(ClientInput.bodyChunk(encode('hello\r\n')))
    h.input(ClientInput.timerFired('reply'))
    const error = h.of('Failed')[0]?.error
    expect(error).toMatchObject({ _tag: 'Timeout' })
    const text = error?._tag === 'Timeout' ? error.waitingFor : ''
    expect(text).not.toMatch(/Body(Chunk|End|Wanted)|Submitted|Ready/)
    expect(text).toMatch(/message data/)
  })
})
