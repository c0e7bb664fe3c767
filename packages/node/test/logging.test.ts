// The server's logger option over real sockets: one session's events as JSON lines, and no AUTH
// secret in any line whatever the password is.
import * as net from 'node:net'
import { fc, test } from '@fast-check/vitest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SmtpError } from '@smtpure/driver'
import { type SmtpServer, connectSmtp, createSmtpServer } from '../src/index.js'
import { makeCerts } from './certs.js'

const certs = makeCerts()

/** A pino-shaped logger that keeps each event as the JSON line pino would write. */
const capture = () => {
  const lines: string[] = []
  const at = (level: string) => (fields: Readonly<Record<string, unknown>>, msg: string) =>
    void lines.push(JSON.stringify({ level, ...fields, msg }))
  return { lines, logger: { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') } }
}

const closed = (lines: string[], n: number): Promise<void> =>
  expect.poll(() => lines.filter((l) => l.includes('"event":"close"')).length, { timeout: 10000 }).toBe(n)

describe('logger', () => {
  it('writes connection, TLS, auth, each transaction and close of one session', async () => {
    const { lines, logger } = capture()
    const server = createSmtpServer({
      smtp: { hostname: 'localhost', authMechanisms: ['PLAIN'] },
      tls: { key: certs.key, cert: certs.cert },
      logger,
      hooks: {
        onAuth: (c) => {
          if (c.username !== 'alice' || !('password' in c) || c.password !== 's3cret-pw')
            throw new SmtpError(535, '5.7.8', 'Authentication credentials invalid')
        },
        onMessage: async (m) => {
          for await (const chunk of m.chunks) void chunk
          if (m.envelope.recipients[0]?.to.localPart === 'full')
            return { code: 452, enhanced: '4.2.2', lines: ['Full'] }
        },
      },
    })
    const { port } = await server.listen(0, '127.0.0.1')
    const session = await connectSmtp({
      host: '127.0.0.1',
      port,
      security: 'starttls',
      servername: 'localhost',
      ca: certs.ca,
      smtp: { helo: 'client.example', auth: { username: 'alice', password: 's3cret-pw' } },
    })
    await session.ready
    await session.send({
      envelope: { from: 'alice@example.com', to: ['bob@example.org'] },
      body: 'Subject: a\r\n\r\nhi\r\n',
    })
    await session.send({ envelope: { from: 'alice@example.com', to: ['full@example.org'] }, body: 'x\r\n' })
    await session.quit()
    await closed(lines, 1)
    await server.close(1000)
    const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
    const id = events[0]!.session as string
    expect(events.every((e) => e.session === id)).toBe(true)
    expect(events.filter((e) => e.level !== 'debug').map(({ session: _, ...e }) => e)).toEqual([
      { level: 'info', event: 'connection', remoteAddress: '127.0.0.1', tls: false, msg: 'connection' },
      {
        level: 'info',
        event: 'tls',
        protocol: expect.stringMatching(/^TLSv1\.[23]$/),
        cipher: expect.stringMatching(/^TLS_/),
        servername: 'localhost',
        msg: 'TLS started',
      },
      { level: 'info', event: 'auth', username: 'alice', mechanism: 'PLAIN', result: 'accepted', msg: 'auth accepted' },
      {
        level: 'info',
        event: 'message',
        transaction: `${id}.1`,
        from: 'alice@example.com',
        recipients: 1,
        octets: 18,
        verdict: 'accepted',
        code: 250,
        msg: 'message accepted',
      },
      {
        level: 'info',
        event: 'message',
        transaction: `${id}.2`,
        from: 'alice@example.com',
        recipients: 1,
        octets: 3,
        verdict: 'refused',
        code: 452,
        msg: 'message refused',
      },
      { level: 'info', event: 'close', cause: 'quit', messages: 1, authFailures: 0, msg: 'connection closed' },
    ])
    expect(lines.join('\n')).not.toContain('s3cret-pw')
  })

  it('logs an onAuth { user, reply } with a refusal as refused, as the session answers it', async () => {
    const { lines, logger } = capture()
    const server = createSmtpServer({
      smtp: { hostname: 'localhost', authMechanisms: ['PLAIN'], allowInsecureAuth: true },
      logger,
      hooks: { onAuth: () => ({ user: { id: 7 }, reply: { code: 535, enhanced: '5.7.8', lines: ['No'] } }) },
    })
    const { port } = await server.listen(0, '127.0.0.1')
    const session = await connectSmtp({
      host: '127.0.0.1',
      port,
      smtp: { helo: 'client.example', allowInsecureAuth: true, auth: { username: 'mallory', password: 'pw' } },
    })
    await session.ready.catch(() => undefined)
    await closed(lines, 1)
    await server.close(1000)
    const auth = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((e) => e.event === 'auth')
    expect(auth).toMatchObject({ level: 'warn', result: 'refused', code: 535, msg: 'auth refused' })
  })

  it('logs an onAuth that answers past its deadline as abandoned, not as the acceptance no client heard', async () => {
    const { lines, logger } = capture()
    let late: () => void = () => undefined
    const answered = new Promise<void>((resolve) => (late = resolve))
    const server = createSmtpServer({
      smtp: { hostname: 'localhost', authMechanisms: ['PLAIN'], allowInsecureAuth: true },
      hookTimeoutMs: 200,
      logger,
      hooks: {
        // accepts, but only once the session has answered 454 in its place
        onAuth: async (_c, s) => {
          await new Promise<void>((resolve) => s.signal.addEventListener('abort', () => resolve()))
          late()
        },
      },
    })
    const { port } = await server.listen(0, '127.0.0.1')
    const session = await connectSmtp({
      host: '127.0.0.1',
      port,
      smtp: { helo: 'client.example', allowInsecureAuth: true, auth: { username: 'slow', password: 'pw' } },
    })
    await expect(session.ready).rejects.toThrow(/454/)
    await answered
    await expect.poll(() => lines.some((l) => l.includes('"event":"auth"')), { timeout: 10000 }).toBe(true)
    await server.close(1000)
    const auth = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.event === 'auth')
    expect(auth).toEqual([
      {
        level: 'info',
        event: 'auth',
        session: expect.any(String),
        username: 'slow',
        mechanism: 'PLAIN',
        result: 'abandoned',
        reason: expect.stringContaining('hookTimeoutMs'),
        msg: 'auth abandoned',
      },
    ])
  })

  it('says why a session closed: the client hung up, or the server closed with a reply', async () => {
    const { lines, logger } = capture()
    const server = createSmtpServer({ smtp: { hostname: 'mx.example.com', idleTimeoutMs: 300 }, logger })
    const { port } = await server.listen(0, '127.0.0.1')
    const hangUp = net.connect(port, '127.0.0.1')
    hangUp.once('data', () => hangUp.destroy())
    await closed(lines, 1)
    const idle = net.connect(port, '127.0.0.1')
    idle.resume()
    await closed(lines, 2)
    idle.destroy()
    await server.close(1000)
    const causes = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((e) => e.event === 'close')
      .map((e) => [e.cause, e.reply])
    expect(causes).toEqual([
      ['client', undefined],
      ['server', expect.stringMatching(/^421 .*Timeout/)],
    ])
  })

  it('logs a message whose client left mid-data as abandoned, with no hook error and no reply code', async () => {
    const { lines, logger } = capture()
    const server = createSmtpServer({
      smtp: { hostname: 'localhost' },
      logger,
      hooks: {
        // the store of a real server: it reads to the end, so the stream's early end is what it throws
        onMessage: async (m) => {
          for await (const chunk of m.chunks) void chunk
        },
      },
    })
    const { port } = await server.listen(0, '127.0.0.1')
    const client = net.connect(port, '127.0.0.1')
    let heard = ''
    client.on('data', (d) => {
      heard += d.toString('latin1')
      // the 354 heard: part of a message, then gone
      if (heard.includes('354 ')) client.end('Subject: x\r\n\r\npart of a body\r\n')
    })
    client.write('HELO client.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n')
    await closed(lines, 1)
    await expect.poll(() => lines.some((l) => l.includes('"event":"message"')), { timeout: 10000 }).toBe(true)
    await server.close(1000)
    const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(events.filter((e) => e.level === 'error')).toEqual([])
    expect(events.find((e) => e.event === 'message')).toEqual({
      level: 'info',
      event: 'message',
      session: expect.any(String),
      transaction: expect.stringMatching(/\.1$/),
      from: 'a@example.com',
      recipients: 1,
      octets: expect.any(Number),
      verdict: 'abandoned',
      reason: 'the message was aborted',
      msg: 'message abandoned',
    })
    expect(events.find((e) => e.event === 'hook-error')).toMatchObject({
      level: 'debug',
      hook: 'onMessage',
      abandoned: 'the message was aborted',
    })
  })

  describe('never writes an AUTH secret', () => {
    const { lines, logger } = capture()
    let server: SmtpServer
    let port = 0
    beforeAll(async () => {
      server = createSmtpServer({
        smtp: {
          hostname: 'localhost',
          authMechanisms: ['PLAIN', 'LOGIN'],
          allowInsecureAuth: true,
          authFailureDelayMs: 0,
        },
        logger,
        // accepts every other attempt, so both outcomes are logged
        hooks: {
          onAuth: (c) => (c.username.endsWith('1') ? undefined : { code: 535, enhanced: '5.7.8', lines: ['No'] }),
        },
      })
      port = (await server.listen(0, '127.0.0.1')).port
    })
    afterAll(() => server.close(1000))

    const secret = fc.string({
      unit: fc.constantFrom(...'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789!#%+'),
      minLength: 10,
    })
    test.prop([secret, fc.constantFrom('PLAIN', 'LOGIN' as const), fc.boolean()], { numRuns: 15 })(
      'passwords (and their base64) appear in no line',
      async (password, mechanism, accept) => {
        const before = lines.length
        const session = await connectSmtp({
          host: '127.0.0.1',
          port,
          smtp: {
            helo: 'client.example',
            allowInsecureAuth: true,
            auth: { username: accept ? 'user1' : 'user0', password, mechanisms: [mechanism] },
          },
        })
        await session.ready.then(
          () => session.quit(),
          () => undefined,
        )
        await closed(lines.slice(before), 1)
        const written = lines.slice(before).join('\n')
        expect(written).toContain(`"result":"${accept ? 'accepted' : 'refused'}"`)
        expect(written).not.toContain(password)
        expect(written).not.toContain(Buffer.from(password).toString('base64'))
        expect(written).not.toContain(Buffer.from(`\0user1\0${password}`).toString('base64'))
      },
    )
  })
})
