// A hostile client against the session limits and BDAT framing: a stream of tiny BDAT chunks cannot hold a
// session open, and a chunk size that cannot be trusted never lets the chunk run as commands.
import { describe, expect, it } from 'vitest'
import type { ServerOptions } from '../../src/Config.js'
import { encode } from '../../src/wire/bytes.js'
import { Harness } from './harness.js'
import { type Arrival, closesAt, tightBound, tightLimits } from './virtual.js'

/** `prefix` at once, then `tail` again and again, one whole piece every `gapMs` of virtual time. */
function* repeated(prefix: string, tail: string, gapMs: number): Generator<Arrival> {
  yield { after: 0, bytes: encode(prefix) }
  for (;;) yield { after: gapMs, bytes: encode(tail) }
}
const slowRepeat = (options: ServerOptions, prefix: string, tail: string, gapMs: number, until: number) =>
  closesAt(options, repeated(prefix, tail, gapMs), until)

describe('a session ends within a bounded time (docs/security.md, "Deadlines a trickle cannot extend")', () => {
  const options = tightLimits // the limits of the property in test/server/limits.test.ts
  const bound = tightBound
  const start = 'EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\n'

  it('an empty non-LAST BDAT chunk every 4.9 s does not keep the session open forever', () => {
    // Each `BDAT 0` is answered 250 and restarts the command deadline; it is neither junk nor an error, and
    // adds nothing to the message size, so no limit ever ends the session.
    expect(slowRepeat(options, start, 'BDAT 0\r\n', 4900, 10 * bound)).toBeDefined()
  })

  it('a one-octet BDAT chunk every 4.9 s does not outlive the bound', () => {
    const closedAt = slowRepeat(options, start, 'BDAT 1\r\nx', 4900, 10 * bound)
    expect(closedAt).toBeDefined()
    expect(closedAt!).toBeLessThanOrEqual(bound)
  })
})

describe('BDAT framing (RFC 3030 2; docs/security.md "Framing": any loss of framing closes the session)', () => {
  const ready = () => {
    const h = new Harness({}).feed('EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\n')
    h.read()
    return h
  }
  // A chunk of 12 octets that, run as commands, gives two replies of its own.
  const chunk = 'NOOP\r\nNOOP\r\n'
  for (const size of ['0x0c', '1.2e1', '1\uff12', '12abc']) {
    it(`BDAT ${JSON.stringify(size)} never runs the chunk's octets as commands`, () => {
      const h = ready()
      h.feed(`BDAT ${size}\r\n${chunk}`)
      const replies = h.read()
      // Either the session closed after one reply, or the 12 octets were read as data: never two NOOP replies.
      expect(replies.match(/^250 2\.0\.0 Ok\r\n/gm) ?? []).toHaveLength(0)
    })
  }
})
