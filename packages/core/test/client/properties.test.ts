// Properties of the client reducer: the same server bytes in any chunking give the same session (split
// invariance), clientStep never throws whatever the inputs, and the state stays under a fixed bound.
import { describe, expect } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import { type ClientEnvelope, type ClientOutput, ClientInput, clientInit, clientStep } from '../../src/client/index.js'
import { encode, latin1 } from '../../src/wire/bytes.js'
import { configOf, manual } from './harness.js'
import { cut } from '../arb/chunks.js'
import { weight } from '../arb/weight.js'

// Replies a server might send, good and bad, in an order that may or may not make sense.
const serverReply = fc.oneof(
  fc.constantFrom(
    '220 mx.example.com ESMTP\r\n',
    '250-mx.example.com\r\n250-PIPELINING\r\n250-SIZE 100\r\n250-8BITMIME\r\n250 CHUNKING\r\n',
    '250-mx.example.com\r\n250 STARTTLS\r\n',
    '250-mx.example.com\r\n250 AUTH LOGIN PLAIN\r\n',
    '250 2.0.0 Ok\r\n',
    '354 Go ahead\r\n',
    '550 5.1.1 No\r\n',
    '452 4.5.3 Later\r\n',
    '502 What\r\n',
    '334 VXNlcm5hbWU6\r\n',
    '235 2.7.0 Ok\r\n',
    '220 2.0.0 TLS go\r\n',
    '221 Bye\r\n',
    '421 4.4.2 Closing\r\n',
    '250-a\r\n251 b\r\n',
    'garbage\r\n',
    '250 bare LF\n',
  ),
  fc.string({ maxLength: 12 }).map((s) => `250 ${s}\r\n`),
)
const serverStream = fc.array(serverReply, { maxLength: 20 }).map((rs) => encode(rs.join('')))
const opening = encode('220 mx.example.com\r\n250-mx.example.com\r\n250-PIPELINING\r\n250 AUTH PLAIN\r\n235 Ok\r\n')

const options = { helo: 'client.example.org', allowInsecureAuth: true, auth: { username: 'tim', password: 'secret' } }

// The application's inputs, in any order: split invariance is about the server bytes between them.
const appInput = fc.constantFrom(
  ClientInput.submitted({ from: 'bob@example.org', to: ['a@example.com', 'b@example.com'] }),
  ClientInput.submitted({ from: null, to: ['c@example.com'], params: { size: 20 } }),
  ClientInput.bodyChunk(encode('line\r\n.dot\n')),
  ClientInput.bodyChunk(encode('end')),
  ClientInput.bodyEnd,
  ClientInput.quitRequested,
  ClientInput.tlsStarted,
)
type Event = { readonly bytes: Uint8Array } | { readonly input: ClientInput }
// Half the sessions start with a proper greeting, EHLO reply and AUTH success, so that they get deep.
const events: fc.Arbitrary<ReadonlyArray<Event>> = fc
  .tuple(
    fc.boolean(),
    fc.array(
      fc.oneof(
        { weight: 3, arbitrary: serverStream.map((bytes): Event => ({ bytes })) },
        { weight: 2, arbitrary: appInput.map((input): Event => ({ input })) },
      ),
      { maxLength: 12 },
    ),
  )
  .map(([open, es]) => (open ? [{ bytes: opening }, ...es] : es))

/** Feed the events, server bytes cut by `split`; the outputs with Sends joined and timer outputs left out. */
const run = (es: ReadonlyArray<Event>, split: (b: Uint8Array) => ReadonlyArray<Uint8Array>) => {
  const h = manual(options)
  for (const e of es) {
    if ('bytes' in e) for (const c of split(e.bytes)) h.feed(c)
    else h.input(e.input)
  }
  const outputs: Array<ClientOutput | string> = []
  for (const o of h.outputs) {
    if (o._tag === 'SetTimer' || o._tag === 'ClearTimer') continue
    const last = outputs[outputs.length - 1]
    if (o._tag === 'Send' && typeof last === 'string') outputs[outputs.length - 1] = last + latin1(o.bytes)
    else outputs.push(o._tag === 'Send' ? latin1(o.bytes) : o)
  }
  return { outputs, phase: h.state.phase._tag, timer: h.state.timer }
}

const envelope: fc.Arbitrary<ClientEnvelope> = fc.record({
  from: fc.option(fc.constantFrom('bob@example.org', 'jörg@example.org', 'bad address', 'x@y.example>\r\nDATA')),
  to: fc.array(fc.constantFrom('a@example.com', 'ñ@例え.jp', 'bad', 'b@example.com'), { maxLength: 4 }),
  params: fc.record(
    {
      size: fc.integer({ min: -5, max: 500 }),
      body: fc.constantFrom('7BIT' as const, '8BITMIME' as const, 'BINARYMIME' as const),
    },
    { requiredKeys: [] },
  ),
})

const anyInput: fc.Arbitrary<ClientInput> = fc.oneof(
  { weight: 5, arbitrary: fc.uint8Array({ maxLength: 300 }).map(ClientInput.received) },
  { weight: 6, arbitrary: serverStream.map(ClientInput.received) },
  { weight: 3, arbitrary: envelope.map((e) => ClientInput.submitted(e)) },
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 100 }).map(ClientInput.bodyChunk) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      ClientInput.bodyEnd,
      ClientInput.tlsStarted,
      ClientInput.timerFired('reply'),
      ClientInput.peerClosed,
      ClientInput.quitRequested,
    ),
  },
)

describe('client session', () => {
  describe('properties', () => {
    test.prop([events, fc.array(fc.nat(), { maxLength: 15 })])(
      'any chunking of the server bytes gives the same outputs and end state (split invariance)',
      (es, cuts) => {
        expect(run(es, (b) => cut(b, cuts))).toEqual(run(es, (b) => [b]))
      },
    )
    test.prop([events])('one byte at a time gives the same outputs', (es) => {
      expect(run(es, (b) => cut(b, [...b.keys()]))).toEqual(run(es, (b) => [b]))
    })
    const config = configOf({ ...options, maxReplyLine: 512, maxReplyLines: 10 })
    test.prop([fc.array(anyInput, { maxLength: 80 })])('clientStep never throws, whatever the inputs', (inputs) => {
      let [s] = clientInit(config)
      for (const i of inputs) {
        const [next, outs] = clientStep(s, i)
        expect(Array.isArray(outs)).toBe(true)
        s = next
      }
    })
    test.prop([fc.array(anyInput, { maxLength: 200 })], { numRuns: 50 })(
      'the state stays under a fixed bound for any input stream',
      (inputs) => {
        let [s] = clientInit(config)
        // a partial line, the lines of one reply, one transaction of at most four short recipients
        const bound = 512 + 10 * 512 + 2000
        for (const i of inputs) {
          s = clientStep(s, i)[0]
          expect(weight(s)).toBeLessThan(bound)
        }
      },
    )
  })
})
