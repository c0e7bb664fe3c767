// Our client over real sockets: against our own server, and against the npm smtp-server (a peer we
// did not write).
import { afterEach, describe, expect, it } from 'vitest'
import { SMTPServer } from 'smtp-server'
import { connectSmtp } from '../src/index.js'
import { makeCerts } from './certs.js'
import { startServer } from './helpers.js'

const certs = makeCerts()
const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()))
})
const ours = async (options: Parameters<typeof startServer>[0]) => {
  const s = await startServer(options)
  cleanups.push(() => s.server.close(500))
  return s
}

const body = 'Subject: hello\r\n\r\n.a line with a dot\r\nlast line'

describe('connectSmtp against our server', () => {
  it.each([
    ['pipelined', {}],
    ['one command at a time', { pipelining: false }],
    ['with CHUNKING off', { chunking: false }],
  ])('sends two messages on one connection, %s', async (_n, smtp) => {
    const { port, stored } = await ours({ smtp: { hostname: 'mx.example.com' } })
    const session = await connectSmtp({ host: '127.0.0.1', port, smtp: { helo: 'client.example', ...smtp } })
    await session.ready
    const a = await session.send({ envelope: { from: 'bob@example.org', to: ['alice@example.com'] }, body })
    const b = await session.send({ envelope: { from: null, to: ['carol@example.com', 'dave@example.com'] }, body: 'x' })
    await session.quit()
    expect([a.status, b.status]).toEqual(['accepted', 'accepted'])
    expect(stored.map((s) => s.body)).toEqual([`${body}\r\n`, 'x\r\n'])
    expect(stored[1]!.to).toEqual(['carol@example.com', 'dave@example.com'])
  })

  it('STARTTLS (verified) and AUTH, required', async () => {
    const { port, stored } = await ours({
      smtp: { hostname: 'localhost', authMechanisms: ['PLAIN', 'LOGIN'], requireAuth: true },
      tls: { key: certs.key, cert: certs.cert },
      users: { alice: 's3cret' },
    })
    const session = await connectSmtp({
      host: '127.0.0.1',
      port,
      security: 'starttls',
      servername: 'localhost',
      ca: certs.ca,
      smtp: { helo: 'client.example', auth: { username: 'alice', password: 's3cret' } },
    })
    expect(await session.ready).toMatchObject({ tls: true, authenticated: true })
    const r = await session.send({ envelope: { from: 'alice@example.com', to: ['bob@example.org'] }, body })
    await session.quit()
    expect(r.status).toBe('accepted')
    expect(stored).toHaveLength(1)
  })

  it('a certificate from an unknown CA fails the session before anything is sent in clear', async () => {
    const { port, stored } = await ours({ smtp: { hostname: 'localhost' }, tls: { key: certs.key, cert: certs.cert } })
    const session = await connectSmtp({
      host: '127.0.0.1',
      port,
      security: 'starttls',
      servername: 'localhost',
      smtp: { helo: 'c.example' },
    })
    await expect(session.ready).rejects.toThrow(/TLS handshake failed/)
    expect(stored).toHaveLength(0)
  })

  it('wrong credentials are a typed AuthFailed with the 535', async () => {
    const { port } = await ours({
      smtp: { authMechanisms: ['PLAIN'], allowInsecureAuth: true },
      users: { alice: 's3cret' },
    })
    const session = await connectSmtp({
      host: '127.0.0.1',
      port,
      smtp: { helo: 'c.example', allowInsecureAuth: true, auth: { username: 'alice', password: 'nope' } },
    })
    await expect(session.ready).rejects.toMatchObject({ error: { _tag: 'AuthFailed', reply: { code: 535 } } })
  })

  it('LMTP: one result per recipient after the data', async () => {
    const { port } = await ours({ smtp: { lmtp: true } })
    const session = await connectSmtp({ host: '127.0.0.1', port, smtp: { helo: 'c.example', lmtp: true } })
    await session.ready
    const r = await session.send({ envelope: { from: 'a@b.example', to: ['x@y.example', 'z@y.example'] }, body })
    await session.quit()
    expect(r.recipients.map((x) => [x.address, x.status])).toEqual([
      ['x@y.example', 'accepted'],
      ['z@y.example', 'accepted'],
    ])
  })

  it('implicit TLS', async () => {
    const { port, stored } = await ours({
      smtp: { hostname: 'localhost' },
      tls: { key: certs.key, cert: certs.cert },
      implicitTls: true,
    })
    const session = await connectSmtp({
      host: '127.0.0.1',
      port,
      security: 'implicit',
      servername: 'localhost',
      ca: certs.ca,
      smtp: { helo: 'c.example' },
    })
    expect(await session.ready).toMatchObject({ tls: true })
    await session.send({ envelope: { from: 'a@b.example', to: ['c@d.example'] }, body: 'hi' })
    await session.quit()
    expect(stored).toHaveLength(1)
  })
})

describe('connectSmtp against the npm smtp-server', () => {
  const peer = async (options: ConstructorParameters<typeof SMTPServer>[0]) => {
    const messages: Array<{ from: string; to: string[]; body: string }> = []
    const server = new SMTPServer({
      logger: false,
      ...options,
      onData(stream, session, callback) {
        const parts: Buffer[] = []
        stream.on('data', (d: Buffer) => parts.push(d))
        stream.on('end', () => {
          messages.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            body: Buffer.concat(parts).toString('latin1'),
          })
          callback()
        })
      },
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())))
    const port = (server.server.address() as { port: number }).port
    return { port, messages }
  }

  it('sends a message plain, pipelined', async () => {
    const { port, messages } = await peer({ authOptional: true, disabledCommands: ['STARTTLS'] })
    const session = await connectSmtp({ host: '127.0.0.1', port, smtp: { helo: 'c.example' } })
    await session.ready
    const r = await session.send({
      envelope: { from: 'bob@example.org', to: ['alice@example.com', 'carol@example.com'] },
      body,
    })
    await session.quit()
    expect(r.status).toBe('accepted')
    expect(messages).toEqual([
      { from: 'bob@example.org', to: ['alice@example.com', 'carol@example.com'], body: `${body}\r\n` },
    ])
  })

  it('STARTTLS and AUTH LOGIN against smtp-server', async () => {
    const { port, messages } = await peer({
      key: certs.key,
      cert: certs.cert,
      authMethods: ['LOGIN'],
      onAuth(auth, _session, callback) {
        if (auth.username === 'bob' && auth.password === 'pw') callback(null, { user: 'bob' })
        else callback(new Error('Invalid username or password'))
      },
    })
    const session = await connectSmtp({
      host: '127.0.0.1',
      port,
      security: 'starttls',
      servername: 'localhost',
      ca: certs.ca,
      smtp: { helo: 'c.example', auth: { username: 'bob', password: 'pw', mechanisms: ['LOGIN'] } },
    })
    expect(await session.ready).toMatchObject({ tls: true, authenticated: true })
    await session.send({ envelope: { from: 'bob@example.org', to: ['alice@example.com'] }, body })
    await session.quit()
    expect(messages).toHaveLength(1)
  })

  it('a recipient smtp-server refuses comes back permanent with its code', async () => {
    const { port } = await peer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onRcptTo(address, _session, callback) {
        if (address.address.startsWith('nobody')) {
          const e = new Error('No such user') as Error & { responseCode: number }
          e.responseCode = 550
          callback(e)
        } else callback()
      },
    })
    const session = await connectSmtp({ host: '127.0.0.1', port, smtp: { helo: 'c.example' } })
    await session.ready
    const r = await session.send({ envelope: { from: 'a@b.example', to: ['nobody@x.example', 'yes@x.example'] }, body })
    await session.quit()
    expect(r.recipients.map((x) => [x.status, x.reply?.code])).toEqual([
      ['permanent', 550],
      ['accepted', 250],
    ])
  })
})

describe('connectSmtp with bad options of its own', () => {
  it('throws OptionsError before connecting, and no socket error is left unheard', async () => {
    const uncaught: unknown[] = []
    const hear = (e: unknown): void => void uncaught.push(e)
    process.on('uncaughtException', hear)
    try {
      // port 1 on loopback refuses: a socket opened before the check would emit ECONNREFUSED with no listener
      const options: unknown = { host: '127.0.0.1', port: 1, connectTimeoutMs: -5 }
      await expect(connectSmtp(options as Parameters<typeof connectSmtp>[0])).rejects.toThrow(
        /^invalid client options:\nconnectTimeoutMs: .*given -5$/,
      )
      const typo: unknown = { host: '127.0.0.1', port: 1, security: 'tls' }
      await expect(connectSmtp(typo as Parameters<typeof connectSmtp>[0])).rejects.toThrow(/security: .*given "tls"/)
      await new Promise((resolve) => setTimeout(resolve, 200))
      expect(uncaught).toEqual([])
    } finally {
      process.off('uncaughtException', hear)
    }
  })
})
