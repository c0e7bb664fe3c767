import { describe, expect, it } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import {
  type ServerInput,
  accept,
  answered,
  peerClosed,
  received,
  shutdown,
  stopRequested,
  timerFired,
  tlsStarted,
} from '../../../src/index.js'
import { Harness } from '../harness.js'

/** A session that has just said 220 to STARTTLS: the next octets on the wire are the TLS handshake. */
const afterStartTls = (): Harness => {
  const h = new Harness({ startTls: true, idleTimeoutMs: 1000 })
  h.feed('EHLO c.example\r\n')
  h.feed('STARTTLS\r\n')
  expect(h.read()).toMatch(/\r\n220 2\.0\.0 Ready to start TLS\r\n$/)
  return h
}

// Whatever may happen to a session before its handshake is done, other than the handshake itself.
const beforeHandshake: fc.Arbitrary<ServerInput> = fc.oneof(
  fc.uint8Array({ maxLength: 64 }).map(received),
  fc
    .constantFrom('EHLO c.example\r\n', 'QUIT\r\n', 'NOOP\r\n', 'MAIL FROM:<a@b.example>\r\n')
    .map((c) => received(new TextEncoder().encode(c))),
  fc.constantFrom('idle' as const, 'data' as const, 'authDelay' as const).map(timerFired),
  fc.constantFrom(shutdown, stopRequested, peerClosed),
  fc.nat({ max: 5 }).map((id) => answered(id, accept())),
)

describe('server session', () => {
  describe('STARTTLS (RFC 3207 4)', () => {
    it('220, a StartTls output, then a fresh session after the handshake (RFC 3207 4.2)', () => {
      const h = new Harness({ startTls: true })
      h.feed('EHLO c.example\r\n')
      h.read()
      h.feed('STARTTLS\r\n')
      expect(h.read()).toBe('220 2.0.0 Ready to start TLS\r\n')
      expect(h.startTls).toBe(1)
      h.input(tlsStarted)
      h.feed('MAIL FROM:<a@b.example>\r\n')
      expect(h.read()).toBe('503 5.5.1 Send HELO or EHLO first\r\n')
      h.feed('EHLO c.example\r\n')
      expect(h.read()).not.toContain('STARTTLS') // not offered again (RFC 3207 4.2)
    })
    it('a MAIL pipelined behind STARTTLS in the same input never runs (RFC 3207 5.2)', () => {
      const h = new Harness({ startTls: true })
      h.feed('EHLO c.example\r\n')
      h.read()
      h.feed('STARTTLS\r\nMAIL FROM:<evil@attacker.example>\r\nRCPT TO:<x@y.example>\r\n')
      expect(h.read()).toBe('220 2.0.0 Ready to start TLS\r\n')
      h.feed('plaintext that arrived before the handshake\r\n')
      h.input(tlsStarted)
      expect(h.read()).toBe('')
      expect(h.questions.filter((q) => q._tag === 'Mail')).toHaveLength(0)
      h.feed('EHLO c.example\r\nMAIL FROM:<a@b.example>\r\n')
      expect(h.read()).toMatch(/250 2\.1\.0 Ok\r\n$/)
      expect(h.questions.filter((q) => q._tag === 'Mail')).toHaveLength(1)
    })
    it('input held behind a question and pipelined after STARTTLS is dropped whole, not kept (RFC 3207 5.2)', () => {
      const h = new Harness({ startTls: true }, () => undefined) // questions wait for a manual answer
      h.feed('EHLO c.example\r\n')
      h.answer(accept())
      h.read()
      h.feed('EHLO c.example\r\nSTARTTLS\r\nMAIL FROM:<evil@attacker.example>\r\n') // held behind the EHLO
      h.feed('RCPT TO:<x@y.example>\r\n') // held too
      expect(h.state.held).toHaveLength(2)
      h.answer(accept())
      expect(h.read()).toMatch(/^250-[\s\S]*\r\n220 2\.0\.0 Ready to start TLS\r\n$/)
      expect(h.state.held).toHaveLength(0)
      expect(h.state.heldBytes).toBe(0)
      expect(h.questions.filter((q) => q._tag === 'Mail')).toHaveLength(0)
    })
    it('503 before EHLO, 501 with an argument, 502 when not offered', () => {
      const h = new Harness({ startTls: true })
      h.read()
      h.feed('STARTTLS\r\nEHLO c.example\r\n')
      expect(h.read()).toMatch(/^503 5.5.1 Send HELO or EHLO first\r\n/)
      h.feed('STARTTLS now\r\n')
      expect(h.read()).toBe('501 5.5.4 This command takes no arguments\r\n')
      const off = new Harness({})
      off.feed('EHLO c.example\r\n')
      off.read()
      off.feed('STARTTLS\r\n')
      expect(off.read()).toBe('502 5.5.1 Command not implemented\r\n')
    })
    it('with TLS required, 530 to all but NOOP, EHLO, STARTTLS and QUIT (RFC 3207 4)', () => {
      const h = new Harness({ startTls: true, requireTls: true })
      h.feed('EHLO c.example\r\n')
      h.read()
      h.feed('MAIL FROM:<a@b.example>\r\nVRFY x\r\nNOOP\r\n')
      expect(h.read()).toBe(
        '530 5.7.0 Must issue a STARTTLS command first\r\n530 5.7.0 Must issue a STARTTLS command first\r\n250 2.0.0 Ok\r\n',
      )
    })
    it('TlsStarted without a StartTls output is misuse, and changes nothing', () => {
      const h = new Harness({ startTls: true })
      const before = h.state
      h.input(tlsStarted)
      expect(h.state).toBe(before)
      expect(h.outputs.at(-1)).toMatchObject({ _tag: 'Misuse' })
    })
  })

  describe('between the 220 to STARTTLS and the handshake (RFC 3207 4)', () => {
    // After the 220 the client's next octets are a TLS ClientHello: an SMTP reply in clear there is garbage
    // to its TLS layer, and RFC 3207 4 lets no SMTP be spoken until TLS is up.
    it('the command deadline closes the connection without a 421 in clear (RFC 5321 4.5.3.2.7)', () => {
      const h = afterStartTls()
      h.input(timerFired('idle'))
      expect(h.read()).toBe('')
      expect(h.closed).toBe(true)
      expect(h.state.phase._tag).toBe('Closed')
    })
    it('an immediate shutdown closes without a 421 in clear', () => {
      const h = afterStartTls()
      h.input(shutdown)
      expect(h.read()).toBe('')
      expect(h.closed).toBe(true)
    })
    it('a graceful stop waits for the handshake, then says 421 over TLS at once (RFC 5321 3.8)', () => {
      const h = afterStartTls()
      h.input(stopRequested)
      expect(h.read()).toBe('')
      expect(h.closed).toBe(false)
      h.input(tlsStarted)
      // no EHLO yet over TLS: the session writes no enhanced code before one (see usesEnhanced)
      expect(h.read()).toBe('421 4.3.2 Service shutting down, closing transmission channel\r\n')
      expect(h.closed).toBe(true)
    })
    it('a command pipelined behind STARTTLS, or sent in clear after it, gets no reply (RFC 3207 4, 5.2)', () => {
      const h = new Harness({ startTls: true })
      h.feed('EHLO c.example\r\n')
      h.read()
      h.feed('STARTTLS\r\nQUIT\r\n')
      expect(h.read()).toBe('220 2.0.0 Ready to start TLS\r\n')
      h.feed('NOOP\r\nQUIT\r\n')
      expect(h.read()).toBe('')
      expect(h.closed).toBe(false)
    })
    test.prop([fc.array(beforeHandshake, { maxLength: 12 })])(
      'no input but the handshake makes the server write anything (RFC 3207 4)',
      (inputs) => {
        const h = afterStartTls()
        for (const i of inputs) h.input(i)
        expect(h.read()).toBe('') // an answer nobody asked for is Misuse, which writes nothing either
      },
    )
  })
})
