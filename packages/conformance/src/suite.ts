// The adapter conformance suite, written once: every case runs an adapter's server against its own
// client or a raw peer over real sockets. Node (vitest), Bun (bun test) and Deno (deno test) each
// turn the cases into tests of their runner (test/node.test.ts, packages/bun/test, packages/deno/test).
import * as assert from 'node:assert/strict'
import process from 'node:process'
import type { Reply } from '@smtpure/core'
import {
  type ClientSession,
  type ConnectOptions,
  type ServerHooks,
  SmtpClientError,
  type SmtpServer,
  type SmtpServerOptions,
} from '@smtpure/driver'
import { type TestCerts, makeCerts } from './certs.ts'
import { RawPeer } from './peer.ts'

/** What a runtime adapter offers; `@smtpure/node`, `@smtpure/bun` and `@smtpure/deno` all fit. */
export interface Adapter {
  readonly name: string
  createSmtpServer(options: SmtpServerOptions): SmtpServer
  connectSmtp(options: ConnectOptions): Promise<ClientSession>
}

/** One conformance case: a name citing its rule and a run that throws when the adapter fails it. */
export interface Case {
  readonly name: string
  readonly run: () => Promise<void>
}

interface Stored {
  readonly from: string | null
  readonly to: ReadonlyArray<string>
  readonly body: string
  readonly tls: boolean
  readonly authenticated: string | undefined
}

const text = new TextDecoder('latin1')
const ok = (n: number): Reply => ({ code: 250, enhanced: '2.0.0', lines: [`Ok: queued as ${n}`] })
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
const MiB = 1024 * 1024

/** The lines of a small message, CRLF each, one starting with a dot (stuffed on the wire). */
const message = (subject: string): string =>
  [`Subject: ${subject}`, 'From: bob@example.org', '', 'Hello Alice.', '.A line with a leading dot.', 'Bob', ''].join(
    '\r\n',
  )

/** A server that keeps what it accepted; `hooks` are merged over the keeping ones. */
const serve = async (
  adapter: Adapter,
  options: SmtpServerOptions = {},
  hooks: ServerHooks = {},
): Promise<{ server: SmtpServer; port: number; stored: Stored[]; errors: unknown[] }> => {
  const stored: Stored[] = []
  const errors: unknown[] = []
  const server = adapter.createSmtpServer({
    ...options,
    onError: (e) => errors.push(e),
    hooks: {
      onMessage: async (m, session) => {
        const parts: string[] = []
        for await (const c of m.chunks) parts.push(text.decode(c))
        stored.push({
          from: m.envelope.from === null ? null : `${m.envelope.from.localPart}@${m.envelope.from.domain}`,
          to: m.envelope.recipients.map((r) => `${r.to.localPart}@${r.to.domain}`),
          body: parts.join(''),
          tls: session.tls,
          authenticated: session.authenticated,
        })
        return ok(stored.length)
      },
      ...hooks,
    },
  })
  const { port } = await server.listen(0, '127.0.0.1')
  return { server, port, stored, errors }
}

/** Run `body` with a server, and close the server however `body` ends. */
const withServer = async (
  adapter: Adapter,
  options: SmtpServerOptions,
  hooks: ServerHooks,
  body: (s: Awaited<ReturnType<typeof serve>>) => Promise<void>,
): Promise<void> => {
  const s = await serve(adapter, options, hooks)
  try {
    await body(s)
  } finally {
    await s.server.close(1000)
  }
}

/** Resident set size of this process in MiB. */
const rssMiB = (): number => process.memoryUsage().rss / MiB

/**
 * `count` chunks of `size` octets of message lines, made one at a time as the client pulls them.
 * Chunk `i` is lines of one letter (`a` + i mod 26), so a chunk delivered twice, lost or overwritten
 * changes the checksum.
 */
async function* lines(count: number, size: number, pulled?: (octets: number) => void): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < count; i++) {
    const chunk = new Uint8Array(size).fill(0x61 + (i % 26))
    for (let o = 76; o < size; o += 78) chunk.set([13, 10], o)
    chunk.set([13, 10], size - 2)
    pulled?.((i + 1) * size)
    yield chunk
  }
}

/** A running checksum of octets in order (FNV-1a, 32 bits). */
const checksum = (h: number, bytes: Uint8Array): number => {
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 16777619) >>> 0
  return h
}
const FNV_START = 2166136261

/** The checksum of what `lines(count, size)` yields. */
const linesChecksum = async (count: number, size: number): Promise<number> => {
  let h = FNV_START
  for await (const c of lines(count, size)) h = checksum(h, c)
  return h
}

export const conformanceCases = (adapter: Adapter): ReadonlyArray<Case> => {
  let certs: TestCerts | undefined
  const tlsFiles = () => {
    certs ??= makeCerts()
    return { key: certs.key, cert: certs.cert, ca: certs.ca }
  }
  const client = (port: number, options: Partial<ConnectOptions> = {}) =>
    adapter.connectSmtp({ host: '127.0.0.1', port, smtp: { helo: 'client.example.org' }, ...options })

  const cases: Case[] = [
    {
      name: 'greets with 220 and answers EHLO with its extensions (RFC 5321 4.2, 4.1.1.1)',
      run: () =>
        withServer(adapter, { smtp: { hostname: 'mx.example.com' } }, {}, async ({ port }) => {
          const peer = await RawPeer.connect(port)
          await peer.until(/^220 mx\.example\.com .*\r\n/)
          peer.write('EHLO client.example.org\r\n')
          const said = await peer.until(/\r\n250 [^\r\n]*\r\n$/)
          assert.match(said, /250-mx\.example\.com/)
          assert.match(said, /250[- ]PIPELINING\r\n/)
          peer.write('QUIT\r\n')
          await peer.until(/221 2\.0\.0 /)
          await peer.closed
        }),
    },
    {
      name: 'a whole transaction: the message arrives as sent, dots unstuffed (RFC 5321 3.3, 4.5.2)',
      run: () =>
        withServer(adapter, {}, {}, async ({ port, stored }) => {
          const session = await client(port)
          await session.ready
          const result = await session.send({
            envelope: { from: 'bob@example.org', to: ['alice@example.com', 'carol@example.com'] },
            body: message('whole'),
          })
          assert.equal(result.status, 'accepted')
          assert.deepEqual(
            result.recipients.map((r) => r.status),
            ['accepted', 'accepted'],
          )
          assert.deepEqual(result.reply?.lines, ['Ok: queued as 1'])
          await session.quit()
          assert.deepEqual(stored, [
            {
              from: 'bob@example.org',
              to: ['alice@example.com', 'carol@example.com'],
              body: message('whole'),
              tls: false,
              authenticated: undefined,
            },
          ])
        }),
    },
    {
      name: 'pipelining: one write of commands gets its replies in order (RFC 2920 3.1)',
      run: () =>
        withServer(adapter, {}, {}, async ({ port, stored }) => {
          const peer = await RawPeer.connect(port)
          await peer.until(/^220 /)
          peer.write(
            'EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nRCPT TO:<bad address>\r\n' +
              'DATA\r\nSubject: p\r\n\r\nhi\r\n.\r\nRSET\r\nQUIT\r\n',
          )
          const said = await peer.until(/221 [^\r\n]*\r\n$/)
          const codes = said
            .split('\r\n')
            .filter((l) => /^\d{3} /.test(l))
            .map((l) => l.slice(0, 3))
          assert.deepEqual(codes, ['220', '250', '250', '250', '501', '354', '250', '250', '221'])
          assert.deepEqual(
            stored.map((m) => [m.to, m.body]),
            [[['x@y.example'], 'Subject: p\r\n\r\nhi\r\n']],
          )
        }),
    },
    {
      name: 'pipelining: two messages from the client over one connection, in order',
      run: () =>
        withServer(adapter, {}, {}, async ({ port, stored }) => {
          const session = await client(port)
          const [a, b] = await Promise.all([
            session.send({ envelope: { from: 'a@example.org', to: ['x@example.com'] }, body: message('one') }),
            session.send({ envelope: { from: 'a@example.org', to: ['y@example.com'] }, body: message('two') }),
          ])
          assert.deepEqual([a.reply?.lines, b.reply?.lines], [['Ok: queued as 1'], ['Ok: queued as 2']])
          assert.deepEqual(
            stored.map((m) => m.body),
            [message('one'), message('two')],
          )
          await session.quit()
        }),
    },
    {
      name: 'STARTTLS both ways, the server certificate verified against the test CA (RFC 3207 4)',
      run: () => {
        const files = tlsFiles()
        return withServer(adapter, { tls: files }, {}, async ({ port, stored }) => {
          const session = await client(port, { security: 'starttls', ca: files.ca, servername: 'localhost' })
          const ready = await session.ready
          assert.equal(ready.tls, true)
          const r = await session.send({ envelope: { from: 'a@example.org', to: ['x@example.com'] }, body: 'hi\r\n' })
          assert.equal(r.status, 'accepted')
          await session.quit()
          assert.deepEqual(
            stored.map((m) => [m.tls, m.body]),
            [[true, 'hi\r\n']],
          )
        })
      },
    },
    {
      name: 'STARTTLS: a certificate from an unknown CA fails the client before anything is sent (RFC 3207 4.1)',
      run: () => {
        const files = tlsFiles()
        const other = makeCerts()
        return withServer(adapter, { tls: files }, {}, async ({ port, stored }) => {
          const session = await client(port, { security: 'starttls', ca: other.ca, servername: 'localhost' })
          await assert.rejects(session.ready, SmtpClientError)
          await session.closed
          assert.deepEqual(stored, [])
        })
      },
    },
    {
      name: 'STARTTLS: plaintext pipelined behind the command is discarded (RFC 3207 4)',
      run: () =>
        withServer(adapter, { tls: tlsFiles() }, {}, async ({ port }) => {
          const peer = await RawPeer.connect(port)
          await peer.until(/^220 /)
          peer.write('EHLO c.example\r\n')
          assert.match(await peer.until(/\r\n250 [^\r\n]*\r\n$/), /250[- ]STARTTLS\r\n/)
          peer.write('STARTTLS\r\nMAIL FROM:<injected@example.org>\r\n')
          await peer.until(/220 2\.0\.0 [^\r\n]*\r\n$/)
          await sleep(200)
          assert.doesNotMatch(peer.received, /2\.1\.0/)
          peer.vanish()
        }),
    },
    {
      name: 'implicit TLS: TLS from the first byte, verified (RFC 8314 3.3)',
      run: () => {
        const files = tlsFiles()
        return withServer(adapter, { tls: files, implicitTls: true }, {}, async ({ port, stored }) => {
          const session = await client(port, { security: 'implicit', ca: files.ca, servername: 'localhost' })
          const ready = await session.ready
          assert.equal(ready.tls, true)
          assert.equal(ready.capabilities.startTls, false)
          await session.send({ envelope: { from: 'a@example.org', to: ['x@example.com'] }, body: 'tls\r\n' })
          await session.quit()
          assert.deepEqual(
            stored.map((m) => [m.tls, m.body]),
            [[true, 'tls\r\n']],
          )
        })
      },
    },
    {
      name: 'AUTH after STARTTLS: the right password gets in, a wrong one gets 535 (RFC 4954 4, 6)',
      run: () => {
        const files = tlsFiles()
        const smtp = { authMechanisms: ['PLAIN', 'LOGIN'], requireAuth: true }
        const hooks: ServerHooks = {
          onAuth: (c) =>
            c.username === 'alice' && 'password' in c && c.password === 's3cret'
              ? undefined
              : { code: 535, enhanced: '5.7.8', lines: ['Authentication credentials invalid'] },
        }
        return withServer(adapter, { tls: files, smtp }, hooks, async ({ port, stored }) => {
          const tls = { security: 'starttls', ca: files.ca, servername: 'localhost' } as const
          const good = await client(port, {
            ...tls,
            smtp: { helo: 'c.example', auth: { username: 'alice', password: 's3cret' } },
          })
          assert.equal((await good.ready).authenticated, true)
          await good.send({ envelope: { from: 'alice@example.org', to: ['x@example.com'] }, body: 'auth\r\n' })
          await good.quit()
          const bad = await client(port, {
            ...tls,
            smtp: { helo: 'c.example', auth: { username: 'alice', password: 'no' } },
          })
          const failure = await bad.ready.then(
            () => undefined,
            (e: unknown) => e,
          )
          assert.ok(failure instanceof SmtpClientError)
          assert.equal(failure.error._tag, 'AuthFailed')
          assert.deepEqual(
            stored.map((m) => m.authenticated),
            ['alice'],
          )
        })
      },
    },
    {
      name: 'LMTP: one reply per recipient after the data (RFC 2033 4.2)',
      run: () => {
        const hooks: ServerHooks = {
          onMessage: async (m) => {
            for await (const _ of m.chunks) void _
            return m.envelope.recipients.map((r, i) =>
              i === 0 ? ok(1) : { code: 452, enhanced: '4.2.2', lines: [`${r.to.localPart}: mailbox full`] },
            )
          },
        }
        return withServer(adapter, { smtp: { lmtp: true } }, hooks, async ({ port }) => {
          const session = await client(port, { smtp: { helo: 'c.example', lmtp: true } })
          const r = await session.send({
            envelope: { from: 'a@example.org', to: ['x@example.com', 'y@example.com'] },
            body: 'lmtp\r\n',
          })
          assert.deepEqual(
            r.recipients.map((x) => [x.address, x.status, x.reply?.code]),
            [
              ['x@example.com', 'accepted', 250],
              ['y@example.com', 'temporary', 452],
            ],
          )
          await session.quit()
        })
      },
    },
    {
      name: 'a 50 MB message streams through in bounded memory (RFC 5321 4.5.3.1.7 SIZE)',
      run: async () => {
        const chunk = 64 * 1024
        const count = 800 // 50 MiB
        let pulled = 0
        let received = 0
        let sum = FNV_START
        let ahead = 0 // most octets the client had produced beyond what the application had read
        let peak = rssMiB()
        const before = peak
        const sample = setInterval(() => (peak = Math.max(peak, rssMiB())), 20)
        const hooks: ServerHooks = {
          onMessage: async (m) => {
            for await (const c of m.chunks) {
              received += c.length
              sum = checksum(sum, c)
              ahead = Math.max(ahead, pulled - received)
            }
            return ok(1)
          },
        }
        try {
          await withServer(adapter, { smtp: { maxMessageSize: 64 * MiB } }, hooks, async ({ port }) => {
            const session = await client(port)
            const r = await session.send({
              envelope: { from: 'a@example.org', to: ['x@example.com'] },
              body: lines(count, chunk, (n) => (pulled = n)),
            })
            assert.equal(r.status, 'accepted')
            await session.quit()
          })
        } finally {
          clearInterval(sample)
        }
        assert.equal(received, count * chunk)
        assert.equal(sum, await linesChecksum(count, chunk), 'the message arrived as sent')
        const growth = Math.max(peak, rssMiB()) - before
        console.log(
          `[${adapter.name}] 50 MiB message: peak RSS ${peak.toFixed(0)} MiB (+${growth.toFixed(0)} MiB), ` +
            `client ahead of the store by ${(ahead / MiB).toFixed(1)} MiB at most`,
        )
        // streamed, not gathered: what is in flight is socket buffers and the driver's 1 MiB, not the message
        assert.ok(ahead < 24 * MiB, `the client ran ${(ahead / MiB).toFixed(1)} MiB ahead`)
        // both ends run in this process; garbage collection decides the rest, so this bound is loose
        assert.ok(growth < 120, `RSS grew by ${growth.toFixed(0)} MiB`)
      },
    },
    {
      name: 'half-close: a client that sends FIN right after QUIT still gets every reply it is owed',
      run: () =>
        withServer(adapter, {}, {}, async ({ port, stored }) => {
          const peer = await RawPeer.connect(port)
          await peer.until(/^220 /)
          peer.write(
            'EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nDATA\r\n' +
              'Subject: h\r\n\r\nhalf\r\n.\r\nQUIT\r\n',
          )
          peer.socket.end() // our side is done; theirs must still answer the message and the QUIT
          const said = await peer.until(/221 [^\r\n]*\r\n$/)
          assert.match(said, /\r\n250 2\.0\.0 Ok: queued as 1\r\n221 /)
          await peer.closed
          assert.deepEqual(
            stored.map((m) => m.body),
            ['Subject: h\r\n\r\nhalf\r\n'],
          )
        }),
    },
    {
      name: 'a client that vanishes mid-DATA: nothing is stored, the session ends (RFC 5321 4.1.1.4)',
      run: async () => {
        let aborted: unknown
        const hooks: ServerHooks = {
          onMessage: async (m) => {
            try {
              for await (const _ of m.chunks) void _
            } catch (e) {
              aborted = e
              throw e
            }
          },
        }
        await withServer(adapter, {}, hooks, async ({ server, port, stored }) => {
          const peer = await RawPeer.connect(port)
          await peer.until(/^220 /)
          peer.write('EHLO c.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<x@example.com>\r\nDATA\r\n')
          await peer.until(/354 /)
          peer.write('Subject: gone\r\n\r\nhalf a mess')
          await sleep(100)
          peer.vanish()
          for (let i = 0; i < 100 && server.connections() > 0; i++) await sleep(50)
          assert.equal(server.connections(), 0)
          assert.deepEqual(stored, [])
          assert.ok(aborted instanceof Error, 'the message stream failed')
        })
      },
    },
    {
      name: '200 concurrent clients each deliver a message',
      run: () =>
        withServer(adapter, {}, {}, async ({ port, stored }) => {
          const results = await Promise.all(
            Array.from({ length: 200 }, async (_, i) => {
              const session = await client(port)
              const r = await session.send({
                envelope: { from: 'a@example.org', to: [`user${i}@example.com`] },
                body: message(`n${i}`),
              })
              await session.quit()
              return r.status
            }),
          )
          assert.deepEqual(new Set(results), new Set(['accepted']))
          assert.equal(stored.length, 200)
          assert.equal(new Set(stored.map((m) => m.body)).size, 200)
        }),
    },
    {
      name: 'backpressure towards the client: a slow store holds the client back, nothing is lost',
      run: async () => {
        const chunk = 64 * 1024
        const count = 768 // 48 MiB
        let pulled = 0
        let pulledDuringStall = 0
        let received = 0
        let sum = FNV_START
        const hooks: ServerHooks = {
          onMessage: async (m) => {
            for await (const c of m.chunks) {
              if (received === 0) {
                await sleep(1000) // the store stalls once; the client must stop sending meanwhile
                pulledDuringStall = pulled
              }
              received += c.length
              sum = checksum(sum, c)
            }
            return ok(1)
          },
        }
        await withServer(adapter, { smtp: { maxMessageSize: 64 * MiB } }, hooks, async ({ port }) => {
          const session = await client(port)
          const r = await session.send({
            envelope: { from: 'a@example.org', to: ['x@example.com'] },
            body: lines(count, chunk, (n) => (pulled = n)),
          })
          assert.equal(r.status, 'accepted')
          await session.quit()
        })
        assert.equal(received, count * chunk)
        assert.equal(sum, await linesChecksum(count, chunk), 'the message arrived as sent')
        // held back by the server's paused socket and the kernel buffers, far from the whole message
        assert.ok(pulledDuringStall < 32 * MiB, `the client pulled ${pulledDuringStall / MiB} MiB during the stall`)
      },
    },
    {
      name: 'backpressure towards the server: a client that does not read stops the server reading',
      run: async () => {
        const big: Reply = { code: 252, enhanced: '2.1.5', lines: Array.from({ length: 50 }, () => 'v'.repeat(400)) }
        let asked = 0
        const hooks: ServerHooks = {
          onVrfy: () => {
            asked++
            return big
          },
        }
        await withServer(adapter, {}, hooks, async ({ port }) => {
          const peer = await RawPeer.connect(port)
          await peer.until(/^220 /)
          peer.socket.pause() // read nothing while the server answers with about 20 KB per command
          const total = 2000 // about 800 KB of commands (more than one read takes) and 40 MB of replies
          peer.write('EHLO c.example\r\n' + `VRFY ${'someone'.padEnd(400, '.')}\r\n`.repeat(total))
          await sleep(1000)
          const whilePaused = asked
          assert.ok(whilePaused < total, `the server answered all ${total} commands to a client that did not read`)
          let replies = 0
          let tail = ''
          peer.socket.removeAllListeners('data')
          const done = new Promise<void>((resolve) =>
            peer.socket.on('data', (d: Uint8Array) => {
              const s = tail + text.decode(d)
              const parts = s.split('\r\n252 ')
              replies += parts.length - 1
              tail = parts[parts.length - 1]!.slice(-8)
              if (replies >= total) resolve()
            }),
          )
          peer.socket.resume()
          await done
          assert.equal(asked, total)
          peer.vanish()
        })
      },
    },
    {
      name: 'graceful close: a transaction in progress finishes, idle clients get 421 (RFC 5321 3.8)',
      run: async () => {
        let release!: () => void
        const held = new Promise<void>((r) => (release = r))
        let entered!: () => void
        const inHook = new Promise<void>((r) => (entered = r))
        const s = await serve(
          adapter,
          {},
          {
            onMessage: async (m) => {
              for await (const _ of m.chunks) void _
              entered()
              await held
              return ok(1)
            },
          },
        )
        const idle = await RawPeer.connect(s.port)
        await idle.until(/^220 /)
        idle.write('EHLO c.example\r\n')
        await idle.until(/\r\n250 [^\r\n]*\r\n$/)
        const busy = await client(s.port)
        const sent = busy.send({ envelope: { from: 'a@example.org', to: ['x@example.com'] }, body: 'late\r\n' })
        await inHook
        const closed = s.server.close(20000)
        await idle.until(/421 4\.3\.2 /)
        await idle.closed
        release()
        const r = await sent
        assert.equal(r.status, 'accepted')
        await closed
        assert.equal(s.server.connections(), 0)
        await assert.rejects(RawPeer.connect(s.port))
      },
    },
    {
      name: 'past maxConnections a new client gets 421 and is closed (RFC 5321 3.8)',
      run: () =>
        withServer(adapter, { maxConnections: 1 }, {}, async ({ port }) => {
          const first = await RawPeer.connect(port)
          await first.until(/^220 /)
          const second = await RawPeer.connect(port)
          await second.until(/^421 [^\r\n]*Too many connections/)
          await second.closed
          first.vanish()
        }),
    },
  ]
  return cases
}
