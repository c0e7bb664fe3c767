// What the driver tells hooks beyond the protocol: both ends of the connection, TLS details, the user
// onAuth kept, an AbortSignal per call that aborts when the session stops waiting, and onSecure.
import { describe, expect, it } from 'vitest'
import { type ServerOptions, serverConfig } from '@smtpure/core'
import { type ServerHooks, type SessionInfo, SmtpError, loggedHooks, startServerSession } from '../src/index.js'
import { MemoryTransport, testRuntime } from './MemoryTransport.js'

const start = (options: ServerOptions, hooks: ServerHooks = {}, setup?: (t: MemoryTransport) => void) => {
  const config = serverConfig({ hostname: 'mx.example.com', ...options })
  if (config._tag === 'Left') throw new Error(config.left.errors.join())
  const transport = new MemoryTransport()
  setup?.(transport)
  const runtime = testRuntime()
  const errors: unknown[] = []
  const session = startServerSession(transport, {
    config: config.right,
    hooks,
    runtime,
    onError: (e) => errors.push(e),
    xclient: true,
  })
  return { transport, runtime, session, done: session.done, errors }
}
const tick = () => new Promise((r) => setTimeout(r, 10))
const never = () => new Promise<never>(() => undefined)
const tx = 'MAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nDATA\r\nhi\r\n.\r\n'

describe('SessionInfo', () => {
  describe('the connection', () => {
    it('has both ends as the transport reports them', async () => {
      let s: SessionInfo | undefined
      const { transport } = start({}, { onConnect: (x) => void (s = x) })
      await transport.until(/^220 /)
      expect(s).toMatchObject({
        remoteAddress: '192.0.2.1',
        remotePort: 40001,
        localAddress: '192.0.2.25',
        localPort: 25,
        tls: false,
        tlsInfo: undefined,
        user: undefined,
      })
    })

    it('XCLIENT ADDR, PORT, DESTADDR and DESTPORT describe the client in their place', async () => {
      let s: SessionInfo | undefined
      const { transport } = start({}, { onMailFrom: (_f, _p, x) => void (s = x) })
      transport.send('EHLO proxy.example\r\nXCLIENT ADDR=198.51.100.7 PORT=5123 DESTADDR=203.0.113.1 DESTPORT=587\r\n')
      await transport.until(/220 [^\r\n]*\r\n$/)
      transport.send('EHLO c.example\r\nMAIL FROM:<a@b.example>\r\n')
      await transport.until(/250 2\.1\.0 [^\r\n]*\r\n$/)
      expect(s).toMatchObject({
        remoteAddress: '198.51.100.7',
        remotePort: 5123,
        localAddress: '203.0.113.1',
        localPort: 587,
      })
    })

    it('XCLIENT ADDR alone leaves the port unknown rather than the proxy port', async () => {
      let s: SessionInfo | undefined
      const { transport } = start({}, { onMailFrom: (_f, _p, x) => void (s = x) })
      transport.send('EHLO proxy.example\r\nXCLIENT ADDR=198.51.100.7\r\n')
      await transport.until(/220 [^\r\n]*\r\n$/)
      transport.send('EHLO c.example\r\nMAIL FROM:<a@b.example>\r\n')
      await transport.until(/250 2\.1\.0 [^\r\n]*\r\n$/)
      expect([s?.remoteAddress, s?.remotePort, s?.localAddress, s?.localPort]).toEqual([
        '198.51.100.7',
        undefined,
        '192.0.2.25',
        25,
      ])
    })
  })

  describe('user', () => {
    it('what onAuth returns as user is session.user for the hooks after it (RFC 4954 4)', async () => {
      const account = { id: 42 }
      const users: unknown[] = []
      const { transport } = start(
        { authMechanisms: ['PLAIN'], allowInsecureAuth: true },
        {
          onAuth: (_c, s) => {
            users.push(s.user)
            return { user: account }
          },
          onMailFrom: (_f, _p, s) => void users.push(s.user),
        },
      )
      transport.send('EHLO c.example\r\nAUTH PLAIN AGFsaWNlAHMzY3JldA==\r\nMAIL FROM:<a@b.example>\r\n')
      await transport.until(/235 2\.7\.0 [^\r\n]*\r\n250 2\.1\.0 /)
      expect(users).toEqual([undefined, account])
    })

    it('an XCLIENT after AUTH starts the session over: its LOGIN is authenticated, with no user of the AUTH before', async () => {
      const seen: Array<readonly [string | undefined, unknown, unknown]> = []
      const { transport } = start(
        { authMechanisms: ['PLAIN'], allowInsecureAuth: true },
        {
          onAuth: () => ({ user: { account: 'alice' } }),
          onMailFrom: (_f, _p, s) => void seen.push([s.authenticated, s.user, s.xclient]),
        },
      )
      transport.send('EHLO c.example\r\nAUTH PLAIN AGFsaWNlAHMzY3JldA==\r\nMAIL FROM:<a@b.example>\r\nRSET\r\n')
      await transport.until(/250 2\.1\.0 [^\r\n]*\r\n250 2\.0\.0 [^\r\n]*\r\n$/)
      transport.send('XCLIENT LOGIN=bob NAME=c.example\r\n')
      await transport.until(/220 [^\r\n]*\r\n$/)
      transport.send('EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRSET\r\nXCLIENT ADDR=192.0.2.9\r\n')
      await transport.until(/220 [^\r\n]*\r\n$/)
      transport.send('EHLO c.example\r\nMAIL FROM:<a@b.example>\r\n')
      await transport.until(/250 2\.1\.0 [^\r\n]*\r\n$/)
      expect(seen).toEqual([
        ['alice', { account: 'alice' }, undefined],
        ['bob', undefined, { login: 'bob', name: 'c.example' }],
        ['bob', undefined, { login: 'bob', name: 'c.example', address: '192.0.2.9' }],
      ])
    })

    it('{ user, reply } refusing keeps no user and counts as a failure', async () => {
      let s: SessionInfo | undefined
      const { transport, runtime } = start(
        { authMechanisms: ['PLAIN'], allowInsecureAuth: true },
        {
          onAuth: () => ({ user: 'x', reply: { code: 535, enhanced: '5.7.8', lines: ['No'] } }),
          onMailFrom: (_f, _p, x) => void (s = x),
        },
      )
      transport.send('EHLO c.example\r\nAUTH PLAIN AGFsaWNlAHMzY3JldA==\r\n')
      await tick()
      runtime.fire() // the delay before a failed AUTH is answered
      await transport.until(/535 5\.7\.8 No\r\n$/)
      transport.send('MAIL FROM:<a@b.example>\r\n')
      await transport.until(/250 2\.1\.0 /)
      expect([s?.authenticated, s?.user, s?.authFailures]).toEqual([undefined, undefined, 1])
    })
  })

  describe('signal', () => {
    it('aborts when the hook timeout answers 451 in the hook’s place', async () => {
      let signal: SessionInfo['signal'] | undefined
      let session: SessionInfo | undefined
      const { transport, runtime } = start(
        {},
        {
          onMailFrom: (_f, _p, s) => {
            session = s
            signal = s.signal
            return never()
          },
        },
      )
      transport.send('EHLO c.example\r\nMAIL FROM:<a@b.example>\r\n')
      await tick()
      expect([signal?.aborted, session?.aborted]).toEqual([false, false])
      runtime.fire()
      await transport.until(/451 4\.3\.0 Local error in processing\r\n$/)
      expect([signal?.aborted, session?.aborted]).toEqual([true, true])
      expect(String(signal?.reason)).toMatch(/hookTimeoutMs.*451/)
    })

    it('an onMessage slower than the hook timeout: its signal aborts as the client hears 451', async () => {
      let session: SessionInfo | undefined
      const { transport, runtime } = start(
        {},
        {
          onMessage: async (m, s) => {
            session = s // the signal is not read before the abort: it is made aborted when read
            for await (const _ of m.chunks) void _
            return never()
          },
        },
      )
      transport.send(`EHLO c.example\r\n${tx}`)
      await tick()
      expect(session?.aborted).toBe(false)
      runtime.fire()
      await transport.until(/451 4\.3\.0 [^\r\n]*\r\n$/)
      expect(session?.aborted).toBe(true)
      expect(session?.signal.aborted).toBe(true)
      expect(String(session?.signal.reason)).toMatch(/hookTimeoutMs/)
    })

    it('aborts when the session is stopped at the deadline (421) while onMessage runs', async () => {
      let signal: SessionInfo['signal'] | undefined
      const { transport, session, done } = start(
        {},
        {
          onMessage: async (m, s) => {
            signal = s.signal
            for await (const _ of m.chunks) void _
            return never()
          },
        },
      )
      transport.send(`EHLO c.example\r\n${tx}`)
      await tick()
      session.stop(true)
      await done
      expect(transport.text()).toMatch(/421 [^\r\n]*\r\n$/)
      expect(signal?.aborted).toBe(true)
    })

    it('aborts when the client leaves while a hook runs', async () => {
      let signal: SessionInfo['signal'] | undefined
      const { transport, done } = start(
        {},
        {
          onRcptTo: (_t, _p, _e, s) => {
            signal = s.signal
            return never()
          },
        },
      )
      transport.send('EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\n')
      await tick()
      transport.events!.closed()
      await done
      expect(signal?.aborted).toBe(true)
    })

    it('never aborts for a hook that answered, and is aborted already in onClose', async () => {
      const signals: Array<[string, SessionInfo['signal']]> = []
      const { transport, done } = start(
        {},
        {
          onConnect: (s) => void signals.push(['connect', s.signal]),
          onHello: (_h, s) => void signals.push(['hello', s.signal]),
          onMessage: async (m, s) => {
            for await (const _ of m.chunks) void _
            signals.push(['message', s.signal])
          },
          onClose: (s) => void signals.push(['close', s.signal]),
        },
      )
      transport.send(`EHLO c.example\r\n${tx}QUIT\r\n`)
      await done
      expect(signals.map(([n, s]) => [n, s.aborted])).toEqual([
        ['connect', false],
        ['hello', false],
        ['message', false],
        ['close', true],
      ])
      expect(new Set(signals.map(([, s]) => s)).size).toBe(4) // one per call
    })
  })
})

describe('onSecure', () => {
  it('after STARTTLS: sees TLS on with the handshake’s facts; the session goes on when it accepts (RFC 3207)', async () => {
    let s: SessionInfo | undefined
    const { transport } = start(
      { startTls: true },
      {
        onSecure: (x) => void (s = x),
      },
    )
    transport.send('EHLO c.example\r\nSTARTTLS\r\n')
    await transport.until(/220 2\.0\.0 [^\r\n]*\r\n$/)
    await tick()
    expect(s?.tls).toBe(true)
    expect(s?.tlsInfo).toEqual({
      protocol: 'TLSv1.3',
      cipher: 'TLS_AES_128_GCM_SHA256',
      servername: 'mx.example.com',
      authorized: false,
    })
    transport.send('EHLO c.example\r\n')
    await transport.until(/250 [^\r\n]*\r\n$/)
  })

  it('a refusal is sent and the connection closes; the client’s next command is never read', async () => {
    const reasons: unknown[] = []
    let mail = 0
    const { transport, done } = start(
      { startTls: true },
      {
        onSecure: () => ({ code: 554, enhanced: '5.7.0', lines: ['Command refused due to lack of security'] }),
        onMailFrom: () => void mail++,
        onClose: (_s, r) => void reasons.push(r),
      },
    )
    transport.send('EHLO c.example\r\nSTARTTLS\r\n')
    await transport.until(/220 2\.0\.0 [^\r\n]*\r\n$/)
    transport.send('EHLO c.example\r\nMAIL FROM:<a@b.example>\r\n') // comes during the handshake and the hook
    await done
    expect(transport.text()).toMatch(/220 2\.0\.0 [^\r\n]*\r\n554 5\.7\.0 Command refused due to lack of security\r\n$/)
    expect(mail).toBe(0)
    expect(reasons).toEqual([{ cause: 'server', reply: '554 5.7.0 Command refused due to lack of security' }])
  })

  it('a refusal the session cannot send (a 560, a fraction, an enhanced code with a line in it) is 421 4.3.0', async () => {
    for (const verdict of [
      { code: 560, lines: ['no'] },
      { code: 450.5, lines: ['half'] },
      { code: 554, enhanced: '5.7.0 x\r\n250 2.0.0 injected', lines: ['no'] },
    ]) {
      const { transport, done } = start({ startTls: true }, { onSecure: () => verdict })
      transport.send('EHLO c.example\r\nSTARTTLS\r\n')
      await done
      expect(transport.text()).toMatch(/220 2\.0\.0 [^\r\n]*\r\n421 4\.3\.0 [^\r\n]*\r\n$/)
    }
  })

  it('the close tells the last line the server wrote: quit after a 221, else that reply', async () => {
    // replies of one turn leave in one write: the reason is read from its last line, not its first
    const cases = [
      ['NOOP\r\nNOOP\r\nQUIT\r\n', { cause: 'quit' }],
      [
        'NOOP\r\nXYZZY\r\nXYZZY\r\n',
        { cause: 'server', reply: '421 4.7.0 Too many errors, closing transmission channel' },
      ],
    ] as const
    for (const [input, reason] of cases) {
      const reasons: unknown[] = []
      const { transport, done } = start({ maxBadCommands: 2 }, { onClose: (_s, r) => void reasons.push(r) })
      await transport.until(/^220 /)
      transport.send(input)
      await done
      expect(reasons).toEqual([reason])
    }
  })

  it('SmtpError refuses with its reply; any other exception closes with 421', async () => {
    for (const [thrown, expected] of [
      [new SmtpError(530, '5.7.0', 'Client certificate required'), /530 5\.7\.0 Client certificate required\r\n$/],
      [new Error('bug'), /421 4\.3\.0 [^\r\n]*\r\n$/],
    ] as const) {
      const { transport, done, errors } = start(
        { startTls: true },
        {
          onSecure: () => {
            throw thrown
          },
        },
      )
      transport.send('EHLO c.example\r\nSTARTTLS\r\n')
      await done
      expect(transport.text()).toMatch(expected)
      expect(errors.includes(thrown)).toBe(!(thrown instanceof SmtpError))
    }
  })

  it('no answer within hookTimeoutMs: 421, the signal aborts, the close says hook-timeout', async () => {
    let signal: SessionInfo['signal'] | undefined
    const reasons: unknown[] = []
    const { transport, runtime, done } = start(
      { startTls: true },
      {
        onSecure: (s) => {
          signal = s.signal
          return never()
        },
        onClose: (_s, r) => void reasons.push(r),
      },
    )
    transport.send('EHLO c.example\r\nSTARTTLS\r\n')
    await transport.until(/220 2\.0\.0 [^\r\n]*\r\n$/)
    await tick()
    runtime.fire()
    await done
    expect(transport.text()).toMatch(/421 4\.3\.0 [^\r\n]*\r\n$/)
    expect(signal?.aborted).toBe(true)
    expect(reasons).toEqual([{ cause: 'hook-timeout' }])
  })

  it('after STARTTLS a refusal without an enhanced code gets its class, 5.0.0 (RFC 2034 4)', async () => {
    const { transport, done } = start({ startTls: true }, { onSecure: () => ({ code: 554, lines: ['Not with that'] }) })
    transport.send('EHLO c.example\r\nSTARTTLS\r\n')
    await done
    expect(transport.text()).toMatch(/220 2\.0\.0 [^\r\n]*\r\n554 5\.0\.0 Not with that\r\n$/)
  })

  it('implicit TLS: a refusal without an enhanced code stands in for the greeting, which has none (RFC 2034 3)', async () => {
    const { transport, done } = start(
      {},
      { onSecure: () => ({ code: 554, lines: ['Not with that'] }) },
      (t) => (t.tls = { protocol: 'TLSv1.2' }),
    )
    await done
    expect(transport.text()).toBe('554 Not with that\r\n')
  })

  it('implicit TLS: onSecure before onConnect; a refusal comes instead of the greeting (RFC 8314 3.3)', async () => {
    const calls: string[] = []
    const { transport, done } = start(
      {},
      {
        onSecure: (s) => {
          calls.push(`secure ${s.tls} ${s.tlsInfo?.protocol}`)
          return { code: 554, enhanced: '5.7.0', lines: ['No service for you'] }
        },
        onConnect: () => void calls.push('connect'),
      },
      (t) => (t.tls = { protocol: 'TLSv1.2' }),
    )
    await done
    expect(calls).toEqual(['secure true TLSv1.2'])
    expect(transport.text()).toBe('554 5.7.0 No service for you\r\n')
  })

  it('implicit TLS accepted: the greeting follows, and hooks after it see the facts', async () => {
    const calls: string[] = []
    const { transport } = start(
      {},
      {
        onSecure: () => void calls.push('secure'),
        onConnect: (s) => void calls.push(`connect ${s.tlsInfo?.protocol}`),
      },
      (t) => (t.tls = { protocol: 'TLSv1.2' }),
    )
    await transport.until(/^220 /)
    expect(calls).toEqual(['secure', 'connect TLSv1.2'])
  })
})

describe('hooks nothing waits for', () => {
  it('an async onClose that rejects is reported to onError, not left unhandled', async () => {
    const { transport, done, errors } = start({}, { onClose: async () => Promise.reject(new Error('audit log down')) })
    await transport.until(/^220 /)
    transport.send('QUIT\r\n')
    await done
    await tick()
    expect(errors.map(String)).toEqual(['Error: audit log down'])
  })

  it('through loggedHooks too: the wrapper hands the rejection back to the driver', async () => {
    const logger = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined }
    const hooks = loggedHooks({ onClose: async () => Promise.reject(new Error('audit log down')) }, logger)
    const { transport, done, errors } = start({}, hooks)
    await transport.until(/^220 /)
    transport.send('QUIT\r\n')
    await done
    await tick()
    expect(errors.map(String)).toEqual(['Error: audit log down'])
  })

  it('an onError that throws or rejects does not break the session that reports to it', async () => {
    for (const onError of [
      () => {
        throw new Error('logger down')
      },
      async () => Promise.reject(new Error('logger down')),
    ]) {
      const config = serverConfig({ hostname: 'mx.example.com' })
      if (config._tag === 'Left') throw new Error(config.left.errors.join())
      const transport = new MemoryTransport()
      const session = startServerSession(transport, {
        config: config.right,
        hooks: { onClose: () => Promise.reject(new Error('audit log down')) },
        runtime: testRuntime(),
        onError,
      })
      await transport.until(/^220 /)
      transport.send('NOOP\r\nQUIT\r\n')
      await session.done
      await tick()
      expect(transport.text()).toMatch(/250 2\.0\.0 Ok\r\n221 2\.0\.0 [^\r\n]*\r\n$/)
    }
  })
})
