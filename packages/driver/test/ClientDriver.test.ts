import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { clientConfig, serverConfig, type ClientOptions, type ServerOptions } from '@smtpure/core'
import {
  type ServerHooks,
  SmtpClientError,
  SmtpError,
  type Transport,
  startClientSession,
  startServerSession,
} from '../src/index.js'
import { testRuntime } from './MemoryTransport.js'
import { memoryPair } from './pair.js'

const connect = (
  client: Partial<ClientOptions>,
  server: ServerOptions,
  hooks: ServerHooks = {},
  onError?: (e: unknown) => void,
) => {
  const c = clientConfig({ helo: 'client.example', ...client })
  const s = serverConfig({ hostname: 'mx.example.com', ...server })
  if (c._tag === 'Left' || s._tag === 'Left') throw new Error('bad config')
  const pair = memoryPair()
  const serverSession = startServerSession(pair.server, { config: s.right, hooks, runtime: testRuntime() })
  const session = startClientSession(pair.client, {
    config: c.right,
    runtime: testRuntime(),
    ...(onError ? { onError } : {}),
  })
  return { session, serverSession }
}

async function* slowly(parts: string[]): AsyncIterable<Uint8Array> {
  for (const p of parts) {
    await new Promise((r) => setImmediate(r))
    yield new TextEncoder().encode(p)
  }
}

/** Hooks that record the SIZE each MAIL announced and the octets each message brought. */
const sizes = () => {
  const announced: Array<number | undefined> = []
  const received: number[] = []
  const hooks: ServerHooks = {
    onMailFrom: (_f, params) => void announced.push(params.size),
    onMessage: async (m) => {
      let n = 0
      for await (const c of m.chunks) n += c.length
      received.push(n)
    },
  }
  return { announced, received, hooks }
}

describe('startClientSession', () => {
  it('sends messages over one connection and reports each recipient', async () => {
    const bodies: string[] = []
    const { session, serverSession } = connect(
      {},
      {},
      {
        onRcptTo: (to) => {
          if (to.localPart === 'nobody') throw new SmtpError(550, '5.1.1', 'No such user here')
        },
        onMessage: async (m) => {
          let s = ''
          for await (const c of m.chunks) s += Buffer.from(c).toString('latin1')
          bodies.push(s)
        },
      },
    )
    const ready = await session.ready
    expect(ready.capabilities.pipelining).toBe(true)
    const first = await session.send({
      envelope: { from: 'bob@example.org', to: ['alice@example.com', 'nobody@example.com', 'carol@example.com'] },
      body: 'Subject: one\n\n.leading dot\nlast line without break',
    })
    expect(first.status).toBe('accepted')
    expect(first.recipients.map((r) => [r.address, r.status, r.reply?.code])).toEqual([
      ['alice@example.com', 'accepted', 250],
      ['nobody@example.com', 'permanent', 550],
      ['carol@example.com', 'accepted', 250],
    ])
    const second = await session.send({
      envelope: { from: null, to: ['alice@example.com'] },
      body: slowly(['a\r\n', 'b\r\n']),
    })
    expect(second.status).toBe('accepted')
    await session.quit()
    await serverSession.done
    expect(bodies).toEqual(['Subject: one\r\n\r\n.leading dot\r\nlast line without break\r\n', 'a\r\nb\r\n'])
  })

  it('a body iterable that throws rejects send with its own error; the message is never completed (docs/api.md)', async () => {
    let completed = false
    const { session, serverSession } = connect(
      {},
      {},
      {
        onMessage: async (m) => {
          for await (const c of m.chunks) void c
          completed = true
        },
      },
    )
    await session.ready
    const failing = new Error('the disk went away')
    async function* body(): AsyncIterable<Uint8Array> {
      yield new TextEncoder().encode('Subject: cut\r\n\r\nhalf\r\n')
      throw failing
    }
    await expect(session.send({ envelope: { from: null, to: ['alice@example.com'] }, body: body() })).rejects.toBe(
      failing,
    )
    await session.closed
    await serverSession.done
    expect(completed).toBe(false) // the server never saw the message end: its chunks ended in an abort
  })

  it('a whole body with 8-bit octets is declared BODY=8BITMIME (RFC 6152 3)', async () => {
    const bodies: Array<string | undefined> = []
    const { session } = connect({}, {}, { onMailFrom: (_f, params) => void bodies.push(params.body) })
    await session.ready
    await session.send({ envelope: { from: 'a@b.example', to: ['c@d.example'] }, body: 'Subject: caf\u00e9\r\n\r\n' })
    await session.send({ envelope: { from: 'a@b.example', to: ['c@d.example'] }, body: 'plain ascii\r\n' })
    await session.quit()
    expect(bodies).toEqual(['8BITMIME', undefined])
  })

  it('a streamed body without a BODY of its own goes as BODY=8BITMIME to a server that offers it, and as 7BIT, its 8-bit octets refused, to one that does not (RFC 6152 3)', async () => {
    const bodies: Array<string | undefined> = []
    const onMailFrom: ServerHooks['onMailFrom'] = (_f, params) => void bodies.push(params.body)
    const envelope = { from: 'a@b.example', to: ['c@d.example'] }
    async function* stream(text: string): AsyncIterable<Uint8Array> {
      yield new TextEncoder().encode(text)
    }
    const { session } = connect({}, {}, { onMailFrom })
    expect(await session.send({ envelope, body: stream('Subject: caf\u00e9\r\n\r\n') })).toMatchObject({
      status: 'accepted',
    })
    expect(
      await session.send({ envelope: { ...envelope, params: { body: '7BIT' } }, body: stream('a\r\n') }),
    ).toMatchObject({ status: 'accepted' })
    await session.quit()
    expect(bodies).toEqual(['8BITMIME', '7BIT'])
    const plain = connect({}, { eightBitMime: false }, { onMailFrom })
    const refused = await plain.session.send({ envelope, body: stream('caf\u00e9\r\n') })
    await plain.session.quit()
    expect(refused).toMatchObject({ status: 'permanent', error: { _tag: 'Unsupported', extension: '8BITMIME' } })
    expect(bodies).toEqual(['8BITMIME', '7BIT', undefined])
  })

  it('relayDsn: a message asking for DSN goes to a server without DSN without its parameters, and says so, split or not (RFC 3461 5.2.2)', async () => {
    const lines: string[] = []
    const onRcptTo: ServerHooks['onRcptTo'] = (to, params) =>
      void lines.push(`${to.localPart} ${JSON.stringify(params)}`)
    const to = ['a', 'b', 'c'].map((l) => ({ address: `${l}@d.example`, params: { notify: ['FAILURE'] as const } }))
    const envelope = { from: 'x@y.example', to, params: { envid: 'q1' } }
    const { session } = connect({ relayDsn: true }, { dsn: false, maxRecipients: 2, limits: true }, { onRcptTo })
    const sent = await session.send({ envelope, body: 'hi\r\n' })
    await session.quit()
    expect(sent).toMatchObject({ status: 'accepted', dsnOmitted: true })
    expect(sent.transactions).toHaveLength(2) // LIMITS RCPTMAX=2 split it
    expect(lines).toEqual(['a {}', 'b {}', 'c {}'])
  })

  it('a whole body with UTF-8 in its header fields asks for SMTPUTF8, and is not sent to a server without it (RFC 6531 3.2)', async () => {
    const latin1Header = Uint8Array.from([...Buffer.from('Subject: caf', 'latin1'), 0xe9, 13, 10, 13, 10, 98, 13, 10])
    const seen: Array<[string | undefined, boolean | undefined]> = []
    const onMailFrom: ServerHooks['onMailFrom'] = (_f, params) => void seen.push([params.body, params.smtpUtf8])
    const envelope = { from: 'a@b.example', to: ['c@d.example'] }
    const { session } = connect({}, {}, { onMailFrom })
    await session.send({ envelope, body: 'Subject: caf\u00e9\r\n\r\nbody\r\n' })
    await session.send({ envelope, body: 'Subject: cafe\n\ncaf\u00e9 only in the body\r\n' })
    await session.send({ envelope, body: 'Subject: cafe\r\rcaf\u00e9 after an empty line of a bare CR\r\n' })
    await session.send({ envelope, body: 'Subject: cafe\r\nFrom: j\u00f6@d.example\r\n' }) // no body: all header
    await session.send({ envelope: { ...envelope, params: { smtpUtf8: false } }, body: 'Subject: caf\u00e9\r\n\r\n' })
    // a Latin-1 octet is no UTF-8: SMTPUTF8 would not make it lawful (RFC 6532 3.2), so it is not asked for
    await session.send({ envelope, body: latin1Header })
    await session.quit()
    expect(seen).toEqual([
      ['8BITMIME', true],
      ['8BITMIME', undefined],
      ['8BITMIME', undefined],
      ['8BITMIME', true],
      ['8BITMIME', undefined],
      ['8BITMIME', undefined],
    ])
    const plain = connect({}, { smtpUtf8: false }, { onMailFrom })
    const refused = await plain.session.send({ envelope, body: 'Subject: caf\u00e9\r\n\r\n' })
    const latin1 = await plain.session.send({ envelope, body: latin1Header })
    await plain.session.quit()
    expect(refused).toMatchObject({ status: 'permanent', error: { _tag: 'Unsupported' } })
    expect(latin1.status).toBe('accepted')
    expect(seen).toHaveLength(7) // the refused one's MAIL never reached that server
  })

  it('a whole body goes with its size as sent, bare LF and CR counted as CRLF (RFC 1870 5), and one over the limit is not sent', async () => {
    const { announced, received, hooks } = sizes()
    const envelope = { from: 'a@b.example', to: ['c@d.example'] }
    const { session } = connect({}, { maxMessageSize: 100 }, hooks)
    // a last line without its break gets one, a line's leading dot is no octet more; bare LF and CR leave as
    // CRLF, one octet more each
    for (const body of ['Subject: x\r\n\r\nbody\r\n', 'Subject: x\r\n\r\n.dot\r\nlast', '', 'Subject: x\n\nbare\rends'])
      expect((await session.send({ envelope, body })).status).toBe('accepted')
    const tooBig = await session.send({ envelope, body: 'x'.repeat(99) + '\r\n' })
    // 90 octets with LF line ends are 135 as sent: over the limit, so not sent either
    const tooBigWithLf = await session.send({ envelope, body: 'ab\n'.repeat(30) })
    await session.quit()
    expect(received).toEqual([20, 26, 0, 26])
    expect(announced).toEqual([20, 26, 0, 26])
    for (const refused of [tooBig, tooBigWithLf])
      expect(refused).toMatchObject({ status: 'permanent', error: { _tag: 'Unsupported', extension: 'SIZE' } })
  })

  it.each([
    ['stalls for good', 'stall'],
    ['fails once the refusal was seen (its upstream destroyed)', 'fail'],
  ])(
    'a body whose chunk was refused and that then %s holds up nothing: the next send and QUIT go on (RFC 3030 2)',
    async (_n, then) => {
      const errors: unknown[] = []
      const { session } = connect({ pipelining: true }, { maxMessageSize: 30 }, {}, (e) => void errors.push(e))
      const envelope = { from: 'a@b.example', to: ['c@d.example'] }
      let answer: (e?: Error) => void = () => undefined
      const second = new Promise<void>((resolve, reject) => {
        answer = (e) => (e === undefined ? resolve() : reject(e))
      })
      async function* upstream() {
        yield new TextEncoder().encode('Subject: x\r\n\r\nmore than the thirty octets the server takes\r\n')
        await second // a relay's inbound connection that goes quiet
      }
      const refused = await session.send({ envelope, body: upstream() })
      expect(refused).toMatchObject({ status: 'permanent', reply: { code: 552 } })
      if (then === 'fail') answer(new Error('premature close'))
      const next = await session.send({ envelope, body: 'Subject: y\r\n\r\n' })
      expect(next.status).toBe('accepted')
      await session.quit()
      answer() // a stalled read that answers late is dropped, not taken for the next message
      await new Promise((r) => setTimeout(r, 10))
      expect(errors.map(String)).toEqual(then === 'fail' ? ['Error: premature close'] : [])
    },
  )

  it('a streamed 7-bit body with 8-bit octets fails its own message; messages queued behind it hear a lost connection', async () => {
    // over DATA: once the 354 came and some of the body went, the message can only be taken back by closing
    const { session } = connect({}, { eightBitMime: false, chunking: false, binaryMime: false })
    const envelope = { from: 'a@b.example', to: ['c@d.example'] }
    async function* eightBit() {
      yield new TextEncoder().encode('Subject: x\r\n\r\nplain\r\n')
      yield new TextEncoder().encode('caf\u00e9\r\n')
    }
    const first = session.send({ envelope, body: eightBit() })
    const second = session.send({ envelope, body: 'Subject: y\r\n\r\nascii\r\n' })
    expect(await first).toMatchObject({ status: 'permanent', error: { _tag: 'Unsupported', extension: '8BITMIME' } })
    await expect(second).rejects.toMatchObject({ error: { _tag: 'ConnectionLost' } })
  })

  it('the size declared for any text body is the octets the server receives (property)', async () => {
    const { announced, received, hooks } = sizes()
    const envelope = { from: 'a@b.example', to: ['c@d.example'] }
    const { session } = connect({}, { smtpUtf8: true }, hooks)
    // pieces around the line ends, in a buffer at any offset (the scan reads aligned words in the middle)
    const piece = fc.constantFrom('a', 'word', '\r', '\n', '\r\n', '.', '\u00e9', 'line of text ')
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 40 }), fc.nat({ max: 7 }), async (pieces, offset) => {
        const text = new TextEncoder().encode(pieces.join(''))
        const body = new Uint8Array(text.length + offset)
        body.set(text, offset)
        announced.length = 0
        received.length = 0
        expect((await session.send({ envelope, body: body.subarray(offset) })).status).toBe('accepted')
        expect(announced).toEqual(received)
      }),
      { numRuns: 200 },
    )
    await session.quit()
  })

  it('close() ends a session at once: before the greeting, ready rejects; a message past its end of data is unknown', async () => {
    // a server that never greets
    const c = clientConfig({ helo: 'client.example' })
    if (c._tag === 'Left') throw new Error('bad config')
    const silent = startClientSession(memoryPair().client, { config: c.right, runtime: testRuntime() })
    const sent = silent.send({ envelope: { from: 'a@b.example', to: ['c@d.example'] }, body: 'x\r\n' })
    await silent.close()
    await expect(silent.ready).rejects.toMatchObject({ error: { _tag: 'ConnectionLost' } })
    await expect(sent).rejects.toMatchObject({ error: { _tag: 'ConnectionLost' } })
    // a server that takes the whole message and never answers it
    let taken: () => void = () => undefined
    const whole = new Promise<void>((resolve) => (taken = resolve))
    const { session } = connect(
      {},
      {},
      {
        onMessage: async (m) => {
          for await (const _ of m.chunks);
          taken()
          await new Promise(() => undefined)
        },
      },
    )
    const pending = session.send({ envelope: { from: 'a@b.example', to: ['c@d.example'] }, body: 'x\r\n' })
    await whole
    await session.close()
    expect(await pending).toMatchObject({ status: 'unknown' }) // delivered or not: RFC 5321 6.1
    await session.closed
  })

  it('a refused greeting rejects ready with a typed error', async () => {
    const { session } = connect({}, {}, { onConnect: () => ({ code: 554, lines: ['no service'] }) })
    await expect(session.ready).rejects.toBeInstanceOf(SmtpClientError)
    await expect(session.ready).rejects.toMatchObject({ error: { _tag: 'GreetingRefused' } })
  })

  it('required TLS that is not offered fails before anything is sent in clear', async () => {
    const { session } = connect({ tls: 'required' }, { startTls: false })
    await expect(session.ready).rejects.toMatchObject({ error: { _tag: 'TlsRequired' } })
  })

  it('reads nothing more in clear once it asks for TLS, and reads again after (RFC 3207 4)', async () => {
    const c = clientConfig({ helo: 'client.example', tls: 'required' })
    const s = serverConfig({ hostname: 'mx.example.com', startTls: true })
    if (c._tag === 'Left' || s._tag === 'Left') throw new Error('bad config')
    const pair = memoryPair()
    startServerSession(pair.server, { config: s.right, hooks: {}, runtime: testRuntime() })
    const client = pair.client as { -readonly [K in keyof Transport]: Transport[K] } & { paused: boolean }
    const upgrade = client.startTls.bind(client)
    const pausedAtUpgrade: boolean[] = []
    client.startTls = () => {
      pausedAtUpgrade.push(client.paused) // Deno.startTls needs no read in flight
      return upgrade()
    }
    const session = startClientSession(client, { config: c.right, runtime: testRuntime() })
    expect(await session.ready).toMatchObject({ tls: true })
    expect(pausedAtUpgrade).toEqual([true])
    expect(client.paused).toBe(false)
    await session.quit()
  })

  it('STARTTLS then AUTH, then the message', async () => {
    const users = new Map([['alice', 'pw']])
    const { session } = connect(
      { tls: 'required', auth: { username: 'alice', password: 'pw' } },
      { startTls: true, authMechanisms: ['PLAIN', 'LOGIN'], requireAuth: true },
      {
        onAuth: (c) => {
          if (c.mechanism !== 'PLAIN' || users.get(c.username) !== c.password)
            throw new SmtpError(535, '5.7.8', 'Bad credentials')
        },
      },
    )
    const ready = await session.ready
    expect(ready).toMatchObject({ tls: true, authenticated: true })
    const r = await session.send({ envelope: { from: 'alice@example.com', to: ['bob@example.org'] }, body: 'hi\r\n' })
    expect(r.status).toBe('accepted')
    await session.quit()
  })

  it('a message refused at the end of data is permanent, with the server reply', async () => {
    const { session } = connect(
      {},
      {},
      {
        onMessage: async () => {
          throw new SmtpError(554, '5.7.1', 'Message rejected as spam')
        },
      },
    )
    const r = await session.send({ envelope: { from: 'a@b.example', to: ['c@d.example'] }, body: 'x\r\n' })
    expect(r.status).toBe('permanent')
    expect(r.reply).toMatchObject({ code: 554, enhanced: '5.7.1' })
    await session.quit()
  })
})

describe('startClientSession: requests and their order', () => {
  /** A scripted server on the other end of a memory pair: `reply(line)` answers each command line. */
  const scripted = (reply: (line: string) => string | undefined | 'close') => {
    const c = clientConfig({ helo: 'client.example', chunking: false })
    if (c._tag === 'Left') throw new Error('bad config')
    const pair = memoryPair()
    const runtime = testRuntime()
    let buffer = ''
    let inData = false
    pair.server.start({
      data: (bytes) => {
        buffer += Buffer.from(bytes).toString('latin1')
        let i: number
        while ((i = buffer.indexOf('\r\n')) !== -1) {
          const line = buffer.slice(0, i)
          buffer = buffer.slice(i + 2)
          if (inData) {
            if (line === '.') inData = false
            else continue
          }
          const r = line === '.' ? reply('.') : reply(line)
          if (r === 'close') return pair.server.close()
          if (r !== undefined) void pair.server.write(new TextEncoder().encode(r))
          if (line === 'DATA' && r?.startsWith('354')) inData = true
        }
      },
      closed: () => undefined,
    })
    void pair.server.write(new TextEncoder().encode('220 fake ESMTP\r\n'))
    const session = startClientSession(pair.client, { config: c.right, runtime })
    return { session, runtime }
  }
  const ok = (line: string): string | undefined => {
    if (line.startsWith('EHLO')) return '250-fake\r\n250 PIPELINING\r\n'
    if (line === 'DATA') return '354 go\r\n'
    if (line === 'QUIT') return '221 bye\r\n'
    return '250 ok\r\n'
  }
  const msg = { envelope: { from: 'a@b.example', to: ['c@d.example'] }, body: 'hi\r\n' }

  it('send() then quit() without awaiting: the message goes first, then QUIT', async () => {
    const { session } = scripted(ok)
    const p = session.send(msg)
    await session.quit()
    await expect(p).resolves.toMatchObject({ status: 'accepted' })
  })

  it('a send queued behind another gets its own reply timer (RFC 5321 4.5.3.2)', async () => {
    let mails = 0
    const { session, runtime } = scripted((line) => {
      if (line.startsWith('MAIL')) mails++
      return mails >= 2 ? undefined : ok(line) // from the second MAIL on, silence
    })
    const first = session.send(msg)
    const second = session.send(msg)
    await expect(first).resolves.toMatchObject({ status: 'accepted' })
    await new Promise((r) => setTimeout(r, 10))
    runtime.fire() // the second MAIL is never answered: only its timer can end the wait
    await expect(second).resolves.toMatchObject({ status: 'temporary', error: { _tag: 'Timeout' } })
  })

  it('sends still queued when the connection goes are rejected, not left pending', async () => {
    const { session } = scripted((line) => (line.startsWith('MAIL') ? 'close' : ok(line)))
    const results = await Promise.allSettled([session.send(msg), session.send(msg), session.send(msg)])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected'])
    expect((results[0] as PromiseFulfilledResult<{ status: string }>).value.status).toBe('temporary')
  })
  it('a send asked for once the session has ended rejects with ConnectionLost, however the end came', async () => {
    const { session } = scripted((line) => (line.startsWith('MAIL') ? 'close' : ok(line)))
    expect((await session.send(msg)).status).toBe('temporary')
    await session.closed
    const late = await Promise.race([
      session.send(msg).then(
        () => 'resolved',
        (e: unknown) => (e instanceof SmtpClientError ? e.error._tag : 'other'),
      ),
      new Promise((r) => setTimeout(() => r('pending'), 1000)),
    ])
    expect(late).toBe('ConnectionLost')
    await session.quit() // settles too
  })
  it('recipients split by LIMITS RCPTMAX: a connection lost after the data of the first part leaves that part unknown, the rest temporary', async () => {
    // no PIPELINING: the second part is queued, not under way, when the connection goes (RFC 9422 4.2)
    let dots = 0
    const { session } = scripted((line) => {
      if (line.startsWith('EHLO')) return '250-fake\r\n250 LIMITS RCPTMAX=1\r\n'
      if (line === '.') return ++dots === 1 ? 'close' : '250 ok\r\n'
      return ok(line)
    })
    const result = await session.send({
      envelope: { from: 'a@b.example', to: ['c@d.example', 'e@f.example'] },
      body: 'hi\r\n',
    })
    expect(result.status).toBe('unknown') // the first part may have been delivered (RFC 5321 6.1)
    expect(result.recipients.map((r) => [r.address, r.status])).toEqual([
      ['c@d.example', 'unknown'],
      ['e@f.example', 'temporary'],
    ])
    expect(result.transactions?.map((t) => t.status)).toEqual(['unknown', 'temporary'])
    expect(result.transactions?.[1]?.error).toEqual({ _tag: 'ConnectionLost' })
    expect(result.dataSent).toBe(true)
  })
})
