// Faults found by trying the session limits and BDAT framing as a hostile client would.
// Each test states the promised behaviour and fails while the fault is there.
import { describe, expect, it } from 'vitest'
import { type ServerOptions, serverConfig } from '../../src/Config.js'
import {
  type ServerOutput,
  type TimerName,
  accept,
  answered,
  init,
  received,
  step,
  timerFired,
} from '../../src/server/index.js'
import { encode } from '../../src/wire/bytes.js'
import { Harness } from './harness.js'

/**
 * Sends `prefix` at once, then `tail` again and again, one whole piece every `gapMs` of virtual time (each
 * piece well inside the command deadline), firing timers as they fall due and accepting every question.
 * Returns the virtual time at which the session closed, or undefined if it was still open at `until`.
 */
const slowRepeat = (options: ServerOptions, prefix: string, tail: string, gapMs: number, until: number) => {
  const config = serverConfig(options)
  if (config._tag === 'Left') throw new Error(config.left.errors.join())
  let [state, outputs] = init(config.right)
  const timers = new Map<TimerName, number>()
  const queue: number[] = []
  let now = 0
  let closedAt: number | undefined
  const take = (outs: ReadonlyArray<ServerOutput>): void => {
    for (const o of outs) {
      if (o._tag === 'SetTimer') timers.set(o.timer, now + o.ms)
      if (o._tag === 'ClearTimer') timers.delete(o.timer)
      if (o._tag === 'Close') closedAt ??= now
      if (o._tag === 'Ask') queue.push(o.question.id)
    }
    while (queue.length > 0) {
      ;[state, outputs] = step(state, answered(queue.shift()!, accept()))
      take(outputs)
    }
  }
  take(outputs)
  ;[state, outputs] = step(state, received(encode(prefix)))
  take(outputs)
  while (closedAt === undefined && now <= until) {
    const at = now + gapMs
    for (;;) {
      const due = [...timers].sort((a, b) => a[1] - b[1]).find(([, t]) => t <= at)
      if (due === undefined || closedAt !== undefined) break
      now = due[1]
      timers.delete(due[0])
      ;[state, outputs] = step(state, timerFired(due[0]))
      take(outputs)
    }
    if (closedAt !== undefined) break
    now = at
    ;[state, outputs] = step(state, received(encode(tail)))
    take(outputs)
  }
  return closedAt
}

describe('a session ends within a bounded time (docs/security.md, "Deadlines a trickle cannot extend")', () => {
  // The same limits as the property in test/server/limits.test.ts.
  const options: ServerOptions = {
    idleTimeoutMs: 5000,
    minDataRate: 10,
    maxJunkCommands: 5,
    maxBadCommands: 5,
    maxMessagesPerSession: 2,
    maxRecipients: 2,
  }
  const bound = 300_000
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
