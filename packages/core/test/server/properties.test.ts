import { describe, expect } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import { serverConfig } from '../../src/Config.js'
import { reply } from '../../src/Reply.js'
import { encode, latin1 } from '../../src/wire/bytes.js'
import {
  type Answer,
  type ServerInput,
  accept,
  answered,
  init,
  peerClosed,
  received,
  reject,
  shutdown,
  step,
  timerFired,
  tlsStarted,
} from '../../src/server/index.js'
import { Harness } from './harness.js'
import { cut } from '../arb/chunks.js'
import { deepFreeze } from '../arb/frozen.js'
import { weight } from '../arb/weight.js'

// Commands a client might send, good and bad, including message data with dots and bare line ends.
const command = fc.oneof(
  fc.constantFrom(
    'EHLO c.example\r\n',
    'HELO c.example\r\n',
    'MAIL FROM:<a@b.example>\r\n',
    'MAIL FROM:<> SIZE=20\r\n',
    'RCPT TO:<x@y.example>\r\n',
    'RCPT TO:<refuse@y.example>\r\n',
    'DATA\r\n',
    'RSET\r\n',
    'NOOP\r\n',
    'VRFY x\r\n',
    'BDAT 3\r\nabc',
    'BDAT 2 LAST\r\n.\n',
    'STARTTLS\r\n',
    'QUIT\r\n',
    'GARBAGE\r\n',
    'NOOP\n',
  ),
  fc
    .array(fc.constantFrom('line\r\n', '..dot\r\n', '.\r\n', 'x\ny', 'bare\r', '\r\n', 'MAIL FROM:<e@v.il>\r\n'), {
      maxLength: 6,
    })
    .map((lines) => lines.join('')),
  fc.string({ maxLength: 20 }).map((s) => `${s}\r\n`),
)
const session = fc.array(command, { maxLength: 25 }).map((cmds) => encode(cmds.join('')))

const answerer = (q: { _tag: string; to?: { localPart: string } }): Answer =>
  q._tag === 'Rcpt' && q.to?.localPart === 'refuse' ? reject(reply(550, '5.1.1', 'No such user here')) : accept()

const options = { startTls: true, maxMessageSize: 200, maxRecipients: 3, maxBadCommands: 0 }

const run = (chunks: ReadonlyArray<Uint8Array>) => {
  const h = new Harness(options, answerer)
  for (const c of chunks) h.feed(c)
  return {
    sent: h.sent,
    messages: h.delivered.map((d) => latin1(d.body)),
    questions: h.questions.map((q) => q._tag),
    aborted: h.aborted,
    closed: h.closed,
  }
}

const config = serverConfig({ ...options, maxHeldBytes: 1024 })
if (config._tag === 'Left') throw new Error('bad config')

const anyAnswer: fc.Arbitrary<Answer> = fc.oneof(
  fc.constant(accept()),
  fc.constant(reject(reply(550, '5.0.0', 'no'))),
  fc
    .record({ code: fc.integer({ min: 0, max: 700 }), text: fc.string() })
    .map((r) => accept(reply(r.code, undefined, r.text))),
  fc.constant({ _tag: 'PerRecipient', decisions: [] } as Answer),
)

const anyInput: fc.Arbitrary<ServerInput> = fc.oneof(
  { weight: 6, arbitrary: fc.uint8Array({ maxLength: 300 }).map(received) },
  { weight: 4, arbitrary: session.map(received) },
  { weight: 3, arbitrary: fc.tuple(fc.integer({ min: 0, max: 40 }), anyAnswer).map(([id, a]) => answered(id, a)) },
  { weight: 1, arbitrary: fc.constantFrom(tlsStarted, timerFired('idle'), peerClosed, shutdown) },
)

describe('server session', () => {
  describe('properties', () => {
    test.prop([session, fc.array(fc.nat(), { maxLength: 12 })])(
      'any chunking of the same input gives the same replies and messages (split invariance)',
      (bytes, cuts) => {
        expect(run(cut(bytes, cuts))).toEqual(run([bytes]))
      },
    )
    test.prop([session, fc.array(fc.nat(), { maxLength: 12 }), fc.array(fc.nat(3), { maxLength: 40 })])(
      'answers that come late, after more input was held, give the same replies and messages',
      (bytes, cuts, waits) => {
        // no answer at once: after each piece, up to `waits[i]` pending questions are answered, the rest later
        const h = new Harness(options, () => undefined)
        const answerOne = () => {
          const q = h.pending!
          h.answer(answerer(q as Parameters<typeof answerer>[0]))
        }
        cut(bytes, cuts).forEach((piece, i) => {
          h.feed(piece)
          for (let n = waits[i] ?? 0; n > 0 && h.pending !== undefined; n--) answerOne()
        })
        while (h.pending !== undefined) answerOne()
        expect({
          sent: h.sent,
          messages: h.delivered.map((d) => latin1(d.body)),
          questions: h.questions.map((q) => q._tag),
          aborted: h.aborted,
          closed: h.closed,
        }).toEqual(run([bytes]))
      },
    )
    test.prop([session])('one byte at a time gives the same replies and messages', (bytes) => {
      expect(run(cut(bytes, [...bytes.keys()]))).toEqual(run([bytes]))
    })
    test.prop([fc.array(anyInput, { maxLength: 60 })])('step never throws, whatever the inputs', (inputs) => {
      let [s] = init(config.right, { nonce: 'n' })
      for (const i of inputs) {
        const [next, outs] = step(s, i)
        expect(Array.isArray(outs)).toBe(true)
        s = next
      }
    })
    test.prop([fc.array(anyInput, { maxLength: 60 })])('step never changes the state it is given', (inputs) => {
      let [s] = init(config.right, { nonce: 'n' })
      // a frozen state throws at the first assignment to it, or to anything it holds
      for (const i of inputs) s = step(deepFreeze(s), i)[0]
    })
    test.prop([fc.array(anyInput, { maxLength: 200 })], { numRuns: 50 })(
      'state stays under a fixed bound for any input stream',
      (inputs) => {
        let [s] = init(config.right, { nonce: 'n' })
        // held input (2 x maxHeldBytes: the pieces here are smaller than the limit), a partial line (maxAuthLineLength), a bounded envelope
        const bound = 2 * 1024 + 12288 + 3 * 200 + 2000
        for (const i of inputs) {
          s = step(s, i)[0]
          expect(weight(s)).toBeLessThan(bound)
        }
      },
    )
    test.prop([fc.uint8Array({ maxLength: 2000 })])(
      'after arbitrary bytes, the end of data and QUIT still end the session',
      (bytes) => {
        const h = new Harness({ maxBadCommands: 0, chunking: false, binaryMime: false })
        h.feed(bytes)
        h.feed('\r\n.\r\nQUIT\r\n')
        expect(h.closed).toBe(true)
      },
    )
  })
})
