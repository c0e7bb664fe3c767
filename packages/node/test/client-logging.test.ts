// The client's logger over real sockets: one session's JSON events against npm smtp-server (a server we
// did not write), the transcript of both sides against our own server, and no AUTH secret in any line
// of either side, whatever the mechanism, user name and password.
import { createHmac } from 'node:crypto'
import { fc, test } from '@fast-check/vitest'
import { SMTPServer } from 'smtp-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Logger, clientEvents, serverEvents } from '@smtpure/driver'
import { type SmtpServer, connectSmtp, createSmtpServer } from '../src/index.js'
import { makeCerts } from './certs.js'

const certs = makeCerts()

/** A pino-shaped logger that keeps each event as pino would write it (level, fields, msg). */
const capture = (): { events: Array<Record<string, unknown>>; logger: Logger } => {
  const events: Array<Record<string, unknown>> = []
  const at = (level: string) => (fields: Readonly<Record<string, unknown>>, msg: string) =>
    void events.push(JSON.parse(JSON.stringify({ level, ...fields, msg })) as Record<string, unknown>)
  return { events, logger: { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') } }
}

const body = 'Subject: logged\r\n\r\nthe secret plans are in the body\r\n'

describe('client logger', () => {
  it('writes connection, TLS, greeting and capabilities, auth, each transaction and close (npm smtp-server)', async () => {
    let queued = 0
    const peer = new SMTPServer({
      key: certs.key,
      cert: certs.cert,
      name: 'peer.example',
      authMethods: ['PLAIN'],
      banner: 'peer ready',
      onAuth: (auth, _s, cb) =>
        auth.username === 'alice' && auth.password === 'pw-of-alice'
          ? cb(null, { user: auth.username })
          : cb(new Error('Invalid username or password')),
      onRcptTo: (a, _s, cb) =>
        a.address.startsWith('nobody@') ? cb(Object.assign(new Error('No such user'), { responseCode: 550 })) : cb(),
      onData: (stream, _s, cb) => {
        stream.resume()
        stream.on('end', () => cb(null, `Ok: queued as Q${++queued}X`))
      },
    })
    await new Promise<void>((r) => peer.listen(0, '127.0.0.1', r))
    const port = (peer.server.address() as { port: number }).port
    try {
      const { events, logger } = capture()
      const session = await connectSmtp({
        host: '127.0.0.1',
        port,
        security: 'starttls',
        servername: 'localhost',
        ca: certs.ca,
        logger,
        smtp: { helo: 'client.example', auth: { username: 'alice', password: 'pw-of-alice' } },
      })
      await session.ready
      await session.send({
        envelope: { from: 'alice@example.com', to: ['bob@example.org', 'nobody@example.org'] },
        body,
      })
      await session.send({ envelope: { from: 'alice@example.com', to: ['nobody@example.org'] }, body: 'x\r\n' })
      await session.quit()
      const id = events[0]!.session as string
      expect(id).toMatch(/./)
      expect(events.every((e) => e.session === id)).toBe(true)
      expect(events.every((e) => (clientEvents as ReadonlyArray<unknown>).includes(e.event))).toBe(true)
      const plain = events.map(({ session: _, ...e }) => e)
      expect(plain).toEqual([
        { level: 'info', event: 'connection', host: '127.0.0.1', port, tls: false, msg: 'connected' },
        {
          level: 'info',
          event: 'hello',
          greeting: expect.stringMatching(/^220 peer\.example .*peer ready/),
          verb: 'EHLO',
          tls: false,
          capabilities: expect.arrayContaining(['PIPELINING', 'STARTTLS']),
          msg: 'server greeted',
        },
        {
          level: 'info',
          event: 'tls',
          protocol: expect.stringMatching(/^TLSv1\.[23]$/),
          cipher: expect.stringMatching(/^TLS_|^ECDHE/),
          msg: 'TLS started',
        },
        {
          level: 'info',
          event: 'hello',
          greeting: expect.stringMatching(/^220 peer\.example/),
          verb: 'EHLO',
          tls: true,
          capabilities: expect.arrayContaining(['AUTH PLAIN', 'PIPELINING']),
          msg: 'server greeted',
        },
        { level: 'info', event: 'auth', mechanism: 'PLAIN', result: 'accepted', code: 235, msg: 'auth accepted' },
        {
          level: 'info',
          event: 'message',
          transaction: `${id}.1`,
          id: 'Q1X',
          octets: Buffer.byteLength(body),
          recipients: 2,
          accepted: 1,
          refused: 1,
          verdict: 'accepted',
          code: 250,
          reply: '250 Ok: queued as Q1X',
          msg: 'message accepted',
        },
        {
          level: 'warn',
          event: 'message',
          transaction: `${id}.2`,
          octets: 0, // every recipient refused: no data sent
          recipients: 1,
          accepted: 0,
          refused: 1,
          verdict: 'permanent',
          msg: 'message permanent',
        },
        { level: 'info', event: 'close', cause: 'quit', messages: 1, msg: 'connection closed' },
      ])
      expect(JSON.stringify(events)).not.toContain('pw-of-alice')
      expect(JSON.stringify(events)).not.toContain('secret plans')
    } finally {
      await new Promise<void>((r) => peer.close(() => r()))
    }
  })

  it('says why the session ended: the credentials were refused, with the reply', async () => {
    const server = createSmtpServer({
      smtp: {
        hostname: 'mx.example',
        authMechanisms: ['PLAIN', 'LOGIN'],
        allowInsecureAuth: true,
        authFailureDelayMs: 0,
      },
      hooks: { onAuth: () => ({ code: 535, enhanced: '5.7.8', lines: ['No'] }) },
    })
    const { port } = await server.listen(0, '127.0.0.1')
    const { events, logger } = capture()
    const session = await connectSmtp({
      host: '127.0.0.1',
      port,
      logger,
      smtp: {
        helo: 'c.example',
        allowInsecureAuth: true,
        auth: { username: 'u', password: 'nope-nope', mechanisms: ['LOGIN'] },
      },
    })
    await expect(session.ready).rejects.toMatchObject({ error: { _tag: 'AuthFailed' } })
    await session.closed
    await server.close(1000)
    expect(events.filter((e) => e.event === 'auth' || e.event === 'close')).toMatchObject([
      { level: 'warn', event: 'auth', mechanism: 'LOGIN', result: 'refused', code: 535 },
      {
        level: 'warn',
        event: 'close',
        cause: 'error',
        error: 'AuthFailed',
        reason: 'the server refused the credentials: 535 5.7.8 No',
        reply: '535 5.7.8 No',
      },
    ])
  })
})

describe('transcript', () => {
  it('both sides write each command and reply line; message content only as its size', async () => {
    const server = capture()
    const client = capture()
    const mx = createSmtpServer({
      smtp: {
        hostname: 'mx.example',
        authMechanisms: ['PLAIN'],
        allowInsecureAuth: true,
        chunking: false,
        binaryMime: false,
      },
      logger: server.logger,
      transcript: true,
      hooks: { onAuth: () => undefined },
    })
    const { port } = await mx.listen(0, '127.0.0.1')
    const session = await connectSmtp({
      host: '127.0.0.1',
      port,
      logger: client.logger,
      transcript: true,
      smtp: { helo: 'c.example', allowInsecureAuth: true, auth: { username: 'u', password: 'pw-1234567' } },
    })
    await session.ready
    await session.send({ envelope: { from: 'a@example.com', to: ['b@example.org'] }, body })
    await session.quit()
    await expect.poll(() => server.events.some((e) => e.event === 'close'), { timeout: 10000 }).toBe(true)
    await mx.close(1000)
    const lines = (events: Array<Record<string, unknown>>) =>
      events.filter((e) => e.event === 'transcript').map((e) => `${e.dir as string}: ${e.line as string}`)
    const seen = lines(client.events)
    expect(seen.slice(0, 3)).toEqual([
      expect.stringMatching(/^S: 220 mx\.example /),
      'C: EHLO c.example',
      expect.stringMatching(/^S: 250-mx\.example/),
    ])
    expect(seen).toContain('C: AUTH PLAIN ***')
    expect(seen).toContain('S: 235 2.7.0 Authentication successful')
    expect(seen).toContain(`C: MAIL FROM:<a@example.com> SIZE=${Buffer.byteLength(body)}`) // a whole body's size (RFC 1870 6)
    const data = seen.indexOf('C: DATA')
    expect(seen.slice(data, data + 5)).toEqual([
      'C: DATA',
      'S: 250 2.1.0 Ok',
      'S: 250 2.1.5 Ok',
      expect.stringMatching(/^S: 354 /),
      `C: [${Buffer.byteLength(body)} octets of message content]`,
    ])
    expect(seen[data + 5]).toBe('C: .')
    expect(seen.slice(-2)).toEqual(['C: QUIT', expect.stringMatching(/^S: 221 /)])
    // the server saw the same conversation, line for line, under the id of its other events
    // (each direction in the same order: how the two interleave depends on timing)
    for (const dir of ['C:', 'S:'])
      expect(lines(server.events).filter((l) => l.startsWith(dir))).toEqual(seen.filter((l) => l.startsWith(dir)))
    expect(new Set(server.events.map((e) => e.session)).size).toBe(1)
    expect(new Set(client.events.map((e) => e.session)).size).toBe(1)
    for (const e of [...server.events, ...client.events]) {
      expect(serverEvents.includes(e.event as never) || clientEvents.includes(e.event as never)).toBe(true)
      expect(JSON.stringify(e)).not.toContain('secret plans')
    }
    const transcript = client.events.find((e) => e.event === 'transcript')!
    expect(transcript).toMatchObject({ level: 'debug', dir: 'S' })
  })
})

describe('no AUTH secret in any line of either side, transcript on', () => {
  const server = capture()
  let mx: SmtpServer
  let port = 0
  beforeAll(async () => {
    mx = createSmtpServer({
      smtp: {
        hostname: 'localhost',
        authMechanisms: ['PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2'],
        allowInsecureAuth: true,
        authFailureDelayMs: 0,
      },
      logger: server.logger,
      transcript: true,
      // accepts the users whose name ends in 1, so both outcomes are logged
      hooks: {
        onAuth: (c) => (c.username.endsWith('1') ? undefined : { code: 535, enhanced: '5.7.8', lines: ['No'] }),
      },
    })
    port = (await mx.listen(0, '127.0.0.1')).port
  })
  afterAll(() => mx.close(1000))

  const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64')
  /** Every form a secret could leak in: itself, its base64 at each alignment, the SASL responses. */
  const forms = (mechanism: string, user: string, password: string): string[] => {
    const shifted = [0, 1, 2].map((n) => b64(`${'\0'.repeat(n)}${password}`).slice(Math.ceil((n * 4) / 3) + 1, -4))
    const responses: Record<string, string[]> = {
      PLAIN: [b64(`\0${user}\0${password}`)],
      LOGIN: [b64(password)],
      'CRAM-MD5': [],
      XOAUTH2: [b64(`user=${user}\x01auth=Bearer ${password}\x01\x01`)],
    }
    return [password, b64(password), ...shifted.filter((s) => s.length >= 8), ...responses[mechanism]!]
  }

  // printable text, some of it shaped like base64 itself, some with spaces and quotes
  const secret = fc.oneof(
    fc.string({
      unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/='),
      minLength: 10,
      maxLength: 80,
    }),
    fc.string({
      unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
      minLength: 10,
      maxLength: 80,
    }),
    fc.string({ unit: 'grapheme', minLength: 10, maxLength: 40 }),
  )
  const user = fc.string({ unit: fc.constantFrom(...'abcdefxyz0123456789.@_-'), minLength: 1, maxLength: 30 })

  test.prop([fc.constantFrom('PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2' as const), user, secret, fc.boolean()], {
    numRuns: 40,
  })('passwords, tokens and their base64 forms appear in no line', async (mechanism, name, password, accept) => {
    const username = `${name}${accept ? '1' : '0'}`
    fc.pre(!username.includes(password) && password.trim().length >= 8)
    const client = capture()
    const before = server.events.length
    const session = await connectSmtp({
      host: '127.0.0.1',
      port,
      logger: client.logger,
      transcript: true,
      smtp: {
        helo: 'client.example',
        allowInsecureAuth: true,
        auth: {
          username,
          ...(mechanism === 'XOAUTH2' ? { token: password } : { password }),
          mechanisms: [mechanism],
        },
      },
    })
    await session.ready.then(
      () => session.quit(),
      () => session.closed,
    )
    await expect.poll(() => server.events.slice(before).some((e) => e.event === 'close'), { timeout: 10000 }).toBe(true)
    const written = [...server.events.slice(before), ...client.events]
    // the exchange happened and was written: AUTH redacted on both sides
    const auth = written.filter((e) => e.event === 'transcript' && String(e.line).startsWith('AUTH '))
    expect(auth.map((e) => e.line)).toEqual(
      mechanism === 'PLAIN' || mechanism === 'XOAUTH2'
        ? [`AUTH ${mechanism} ***`, `AUTH ${mechanism} ***`]
        : [`AUTH ${mechanism}`, `AUTH ${mechanism}`],
    )
    const text = written.map((e) => Object.values(e).map(String).join(' ')).join('\n')
    for (const form of forms(mechanism, username, password)) expect(text).not.toContain(form)
    if (mechanism === 'CRAM-MD5') {
      // the response is the user name and a keyed digest of the challenge: never written either
      const challenge = written.find((e) => e.dir === 'S' && String(e.line).startsWith('334 '))!.line as string
      const digest = createHmac('md5', password)
        .update(Buffer.from(challenge.slice(4), 'base64'))
        .digest('hex')
      expect(text).not.toContain(b64(`${username} ${digest}`))
      expect(text).not.toContain(digest)
    }
  })
})
