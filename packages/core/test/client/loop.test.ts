// The client against the real server reducer, with no I/O (test/client/loop.ts): random chunking, random
// server configurations and decisions, random envelopes and bodies. Every message the server accepts must
// arrive as the client's normalised body (RFC 5321 4.5.2, 2.3.8; BINARYMIME bodies exactly, RFC 3030 2), every
// decision must reach the client with the server's code, and every session must end.
import { describe, expect, it } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import type { ClientOptions, MessageResult } from '../../src/client/index.js'
import type { ServerOptions } from '../../src/Config.js'
import { reply } from '../../src/Reply.js'
import { type Answer, type Question, accept, perRecipient, reject } from '../../src/server/index.js'
import { concat, latin1 } from '../../src/wire/bytes.js'
import { type LoopMessage, type LoopResult, runLoop } from './loop.js'

type Decision = 'ok' | 't450' | 'p550'
const decide = (d: string): Answer =>
  d === 't450'
    ? reject(reply(450, '4.2.1', 'Try later'))
    : d === 'p550'
      ? reject(reply(550, '5.1.1', 'No such user'))
      : accept()

/** Local parts carry the message index, the recipient index, the RCPT decision and the data decision. */
const addressPattern = /(\d+)-(\d+)-(\w+)-(\w+)@/
const parse = (localPart: string) => {
  const m = addressPattern.exec(`${localPart}@`)!
  return { i: Number(m[1]), j: Number(m[2]), rcpt: m[3]!, data: m[4]! }
}

/** The server application: decisions read from the addresses; SMTP messages decided by the first recipient. */
const policy = (q: Question): Answer => {
  switch (q._tag) {
    case 'Rcpt':
      return decide(parse(q.to.localPart).rcpt)
    case 'Message': {
      const data = q.recipients.map((r) => decide(parse(r.to.localPart).data) as Exclude<Answer, { _tag: 'Respond' }>)
      return q.session.hello?.verb === 'LHLO'
        ? perRecipient(data as ReadonlyArray<ReturnType<typeof accept>>)
        : data[0]!
    }
    default:
      return accept()
  }
}

const decision = fc.constantFrom<Decision>('ok', 'ok', 'ok', 't450', 'p550')
// Mostly 7-bit text rich in dots and line ends; 8-bit octets now and then.
const piece = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom('a', 'b c', '.', '\r', '\n', '\r\n', '\r\n.\r\n', '..', 'From: x\r\n') },
  { weight: 1, arbitrary: fc.constantFrom('\xe9', '\xc3\xa9') },
)
/** Mostly the first value: the others are the rarer cases. */
const mostly = <T>(usual: T, ...rare: T[]) =>
  fc.oneof({ weight: 4, arbitrary: fc.constant(usual) }, { weight: 1, arbitrary: fc.constantFrom(...rare) })
const body = fc.array(
  fc.array(piece, { maxLength: 12 }).map((ps) => ps.join('')),
  { maxLength: 4 },
)

const messageArb = fc.record({
  from: mostly<string | null>('bob@example.org', null, 'jörg@example.org'),
  recipients: fc.array(fc.record({ rcpt: decision, data: decision, utf8: mostly(false, true) }), {
    minLength: 1,
    maxLength: 4,
  }),
  body,
  bodyType: mostly<'8BITMIME' | 'BINARYMIME' | undefined>(undefined, '8BITMIME', 'BINARYMIME'),
  declareSize: fc.boolean(),
  dsn: mostly(false, true),
})
type MessageSpec = typeof messageArb extends fc.Arbitrary<infer T> ? T : never

const scenarioArb = fc.record({
  lmtp: fc.boolean(),
  pipelining: fc.boolean(),
  eightBitMime: mostly(true, false),
  smtpUtf8: mostly(true, false),
  chunking: fc.boolean(),
  binaryMime: fc.boolean(),
  dsn: fc.boolean(),
  startTls: fc.boolean(),
  maxMessageSize: mostly(100000, 0, 150),
  maxRecipients: fc.integer({ min: 1, max: 5 }),
  auth: fc.boolean(),
  requireAuth: fc.boolean(),
  clientPipelining: fc.boolean(),
  clientChunking: fc.boolean(),
  clientTls: fc.constantFrom('none' as const, 'opportunistic' as const, 'required' as const),
  implicitTls: fc.boolean(),
  messages: fc.array(messageArb, { minLength: 1, maxLength: 4 }),
  seed: fc.integer(),
})
type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never

const toLoop = (sc: Scenario) => {
  const server: ServerOptions = {
    hostname: 'mx.example.com',
    lmtp: sc.lmtp,
    pipelining: sc.pipelining,
    eightBitMime: sc.eightBitMime,
    smtpUtf8: sc.smtpUtf8,
    chunking: sc.chunking,
    binaryMime: sc.binaryMime && sc.chunking,
    dsn: sc.dsn,
    startTls: sc.startTls,
    maxMessageSize: sc.maxMessageSize,
    maxRecipients: sc.maxRecipients,
    authMechanisms: sc.auth ? ['PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2'] : [],
    allowInsecureAuth: true,
    requireAuth: sc.requireAuth,
    maxBadCommands: 0,
  }
  const client: ClientOptions = {
    helo: 'client.example.org',
    lmtp: sc.lmtp,
    pipelining: sc.clientPipelining,
    chunking: sc.clientChunking,
    // TLS required only where the server can give it, so that every session can get going.
    tls: sc.clientTls === 'required' && !sc.startTls && !sc.implicitTls ? 'opportunistic' : sc.clientTls,
    implicitTls: sc.implicitTls,
    allowInsecureAuth: true,
    ...(sc.auth ? { auth: { username: 'user', password: 'pass', token: 'tok' } } : {}),
  }
  const messages: LoopMessage[] = sc.messages.map((m, i) => ({
    id: `m${i}`,
    envelope: {
      from: m.from,
      to: m.recipients.map((r, j) => ({
        address: `${r.utf8 ? 'ü' : 'r'}${i}-${j}-${r.rcpt}-${r.data}@example.com`,
        ...(m.dsn ? { params: { notify: 'NEVER' as const } } : {}),
      })),
      params: {
        ...(m.bodyType === undefined ? {} : { body: m.bodyType }),
        ...(m.declareSize ? { size: normalised(m).length } : {}),
        ...(m.dsn ? { ret: 'HDRS' as const } : {}),
      },
    },
    body: m.body.map((c) => Uint8Array.from(c, (ch) => ch.charCodeAt(0))),
  }))
  return { server, client, messages }
}

const raw = (m: MessageSpec): string => m.body.join('')
/** The body as DATA delivers it: CRLF line ends, a final CRLF when missing (RFC 5321 2.3.8, 4.1.1.4). */
const normalised = (m: MessageSpec): string => {
  const n = raw(m).replace(/\r\n|\r|\n/g, '\r\n')
  return n === '' || n.endsWith('\r\n') ? n : `${n}\r\n`
}
const utf8Used = (m: MessageSpec): boolean => m.from === 'jörg@example.org' || m.recipients.some((r) => r.utf8)

const mulberry = (seed: number) => () => {
  let t = (seed += 0x6d2b79f5)
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const run = (sc: Scenario): LoopResult => runLoop({ ...toLoop(sc), answer: policy, random: mulberry(sc.seed) })

/** Check everything the brief promises about one run. */
const check = (sc: Scenario, r: LoopResult): void => {
  expect(r.misuse).toEqual([])
  expect(r.ended).toBe(true)
  expect(r.timeouts).toBe(0)
  // The only way a session may end early: a 7-bit body with 8-bit octets after DATA (RFC 6152 3). That message
  // fails as Unsupported; the session as ConnectionLost, which is what messages queued behind it hear.
  for (const f of r.failures) expect(f).toEqual({ _tag: 'ConnectionLost' })
  if (r.failures.length > 0)
    expect(r.results.some((m) => m.error?._tag === 'Unsupported' && m.error.extension === '8BITMIME')).toBe(true)
  expect(r.results).toHaveLength(r.submitted)
  if (r.failures.length === 0) expect(r.submitted).toBe(sc.messages.length)
  const byId = new Map<string, MessageResult>(r.results.map((m) => [m.id!, m]))
  const delivered = new Map<number, (typeof r.deliveries)[number]>()
  for (const d of r.deliveries) {
    const i = parse(d.question.envelope.recipients[0]!.to.localPart).i
    expect(delivered.has(i)).toBe(false) // never twice
    delivered.set(i, d)
  }
  sc.messages.forEach((m, i) => {
    const res = byId.get(`m${i}`)
    if (res === undefined) return
    const d = delivered.get(i)
    if (d !== undefined) {
      const expected = m.bodyType === 'BINARYMIME' ? raw(m) : normalised(m) // BDAT text is canonical too
      expect(latin1(d.body)).toBe(expected)
      // 8-bit octets arrive only in a message declared for them (RFC 6152 3, RFC 3030 3)
      if (/[\x80-\xff]/.test(raw(m))) expect(['8BITMIME', 'BINARYMIME']).toContain(d.question.envelope.params.body)
    }
    if (res.error?._tag === 'InvalidEnvelope') throw new Error(`unexpected ${JSON.stringify(res.error)}`)
    if (res.error?._tag === 'Unsupported' && r.failures.length === 0 && d === undefined) {
      const size = sc.maxMessageSize > 0 && m.declareSize && normalised(m).length > sc.maxMessageSize
      const binary = m.bodyType === 'BINARYMIME' && !(sc.binaryMime && sc.chunking && sc.clientChunking)
      const eight = m.bodyType === '8BITMIME' && !sc.eightBitMime
      const utf8 = utf8Used(m) && !sc.smtpUtf8
      const dsn = m.dsn && !sc.dsn
      const body8 = /[\x80-\xff]/.test(raw(m)) && m.bodyType === undefined // RFC 6152 3: 7BIT unless declared
      expect(size || binary || eight || utf8 || dsn || body8).toBe(true)
    }
    res.recipients.forEach((rec, j) => {
      const asked = r.questions.find(
        (x) =>
          x.question._tag === 'Rcpt' &&
          x.question.to.localPart.startsWith(`${m.recipients[j]!.utf8 ? 'ü' : 'r'}${i}-${j}-`),
      )
      if (asked === undefined || res.error !== undefined) return expect(rec.status).not.toBe('accepted')
      if (asked.answer._tag === 'Reject') return expect(rec.reply?.code).toBe(asked.answer.reply.code)
      if (d === undefined) return expect(rec.status).not.toBe('accepted')
      const k = d.question.recipients.findIndex((x) => parse(x.to.localPart).j === j)
      const a = d.answer._tag === 'PerRecipient' ? d.answer.decisions[k]! : d.answer
      if (a._tag === 'Accept') expect(rec).toMatchObject({ status: 'accepted', reply: { code: 250 } })
      else if (a._tag === 'Reject') expect(rec.reply?.code).toBe(a.reply.code)
    })
    expect(res.status === 'accepted').toBe(res.recipients.some((x) => x.status === 'accepted'))
  })
  const acceptedByServer = [...delivered.values()].filter((d) =>
    d.answer._tag === 'PerRecipient' ? d.answer.decisions.some((x) => x._tag === 'Accept') : d.answer._tag === 'Accept',
  ).length
  expect(r.results.filter((x) => x.status === 'accepted')).toHaveLength(acceptedByServer)
}

describe('client against the server (pure loop)', () => {
  test.prop([scenarioArb], { numRuns: 300 })(
    'accepted messages arrive intact, decisions reach the client with their codes, every session ends',
    (sc) => check(sc, run(sc)),
    60_000, // 300 whole sessions: generous on a busy machine
  )

  test.prop([scenarioArb, fc.nat({ max: 2500 })], { numRuns: 300 })(
    'a connection broken at any octet never makes a message accepted that the server did not accept, nor failed one it did (RFC 5321 6.1)',
    (sc, cutAt) => {
      const r = runLoop({ ...toLoop(sc), answer: policy, random: mulberry(sc.seed), cutAt })
      expect(r.misuse).toEqual([])
      expect(r.ended).toBe(true)
      expect(r.timeouts).toBe(0)
      expect(r.results).toHaveLength(r.submitted)
      for (const res of r.results) {
        const i = Number(res.id!.slice(1))
        const d = r.deliveries.find((x) => parse(x.question.envelope.recipients[0]!.to.localPart).i === i)
        res.recipients.forEach((rec, j) => {
          const k = d?.question.recipients.findIndex((x) => parse(x.to.localPart).j === j) ?? -1
          const a =
            d === undefined || k < 0 ? undefined : d.answer._tag === 'PerRecipient' ? d.answer.decisions[k] : d.answer
          if (a?._tag === 'Accept') expect(['accepted', 'unknown']).toContain(rec.status)
          else expect(rec.status).not.toBe('accepted')
        })
      }
    },
    60_000,
  )

  it('runs STARTTLS, AUTH, LMTP and BDAT together, delivering to the accepted recipients only', () => {
    const m = {
      from: 'bob@example.org',
      recipients: [
        { rcpt: 'ok' as const, data: 'ok' as const, utf8: false },
        { rcpt: 'p550' as const, data: 'ok' as const, utf8: false },
        { rcpt: 'ok' as const, data: 't450' as const, utf8: true },
      ],
      body: ['.line\r\n', 'bare\nend'],
      bodyType: undefined,
      declareSize: true,
      dsn: false,
    }
    const sc: Scenario = {
      lmtp: true,
      pipelining: true,
      eightBitMime: true,
      smtpUtf8: true,
      chunking: true,
      binaryMime: true,
      dsn: false,
      startTls: true,
      maxMessageSize: 100000,
      maxRecipients: 5,
      auth: true,
      requireAuth: true,
      clientPipelining: true,
      clientChunking: true,
      clientTls: 'required',
      implicitTls: false,
      messages: [m, { ...m, body: [] }],
      seed: 42,
    }
    const r = run(sc)
    check(sc, r)
    expect(r.results.map((x) => x.recipients.map((y) => y.status))).toEqual([
      ['accepted', 'permanent', 'temporary'],
      ['accepted', 'permanent', 'temporary'],
    ])
    expect(r.deliveries.map((d) => latin1(d.body))).toEqual(['.line\r\nbare\r\nend\r\n', '']) // BDAT text goes canonical (RFC 3030 2)
    expect(r.serverOutputs.filter((o) => o._tag === 'StartTls')).toHaveLength(1)
  })

  it('LMTP: after a chunk refused as too big, the pipelined BDAT LAST is answered per recipient and the next message goes through (RFC 2033 4.3)', () => {
    const to = ['a@example.com', 'b@example.com']
    const text = (t: string) => Uint8Array.from(t, (c) => c.charCodeAt(0))
    const r = runLoop({
      server: { hostname: 'mx.example.com', lmtp: true, maxMessageSize: 100 },
      client: { helo: 'client.example.org', lmtp: true },
      messages: [
        { id: 'big', envelope: { from: 'bob@example.org', to }, body: [text('x'.repeat(200)), text('y\r\n')] },
        { id: 'small', envelope: { from: 'bob@example.org', to }, body: [text('hi\r\n')] },
      ],
      answer: () => accept(),
    })
    expect(r.misuse).toEqual([])
    expect(r.failures).toEqual([])
    expect(r.ended).toBe(true)
    expect(r.timeouts).toBe(0)
    expect(r.results.map((m) => [m.id, m.recipients.map((x) => `${x.status} ${x.reply?.code}`)])).toEqual([
      ['big', ['permanent 552', 'permanent 552']],
      ['small', ['accepted 250', 'accepted 250']],
    ])
    expect(r.deliveries.map((d) => latin1(d.body))).toEqual(['hi\r\n'])
  })

  it('moves the same bytes whatever the chunking', () => {
    const sc = { ...fc.sample(scenarioArb, { seed: 1, numRuns: 1 })[0]!, seed: 7 }
    const whole = runLoop({ ...toLoop(sc), answer: policy })
    const cut = run(sc)
    const sent = (x: LoopResult) => concat(x.clientOutputs.flatMap((o) => (o._tag === 'Send' ? [o.bytes] : [])))
    expect(latin1(sent(cut))).toBe(latin1(sent(whole)))
  })
})
