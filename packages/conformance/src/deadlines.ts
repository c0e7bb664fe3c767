// Conformance cases of the deadlines before and after the sessions: an implicit-TLS handshake that does not
// finish in `tlsHandshakeTimeoutMs` is dropped (RFC 8314 3.3 connections start with TLS; one that never does
// must not hold a slot), and `close(deadline)` cuts every connection still open at its deadline, whatever
// the client does (one that keeps its side open, one that does not read, one still in its handshake).
// Between the 220 to STARTTLS and the handshake the wire belongs to TLS (RFC 3207 4): a deadline, a close or
// a failed handshake there ends the connection with no SMTP reply in clear.
import * as assert from 'node:assert/strict'
import * as net from 'node:net'
import * as tls from 'node:tls'
import { type Adapter, type Case, context, serve, sleep, untilConnections, untilNoConnections } from './harness.ts'
import { RawPeer } from './peer.ts'

/** Resolves with `promise`, or rejects once `ms` passed: the check that a deadline held, with room to spare. */
const within = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> => {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)
  })
  return Promise.race([promise, late]).finally(() => clearTimeout(timer))
}

/**
 * Whether the server's end of `socket` is closed: a client that keeps writing to a closed connection hears a
 * reset (a paused or half-open socket may not notice a close otherwise). Writes a NOOP every 100 ms until the
 * socket closes, for at most `ms`.
 */
const cutOff = async (socket: net.Socket, ms: number): Promise<boolean> => {
  const closed = new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.once('close', resolve)))
  const deadline = Date.now() + ms
  while (!socket.destroyed && Date.now() < deadline) {
    socket.write('NOOP\r\n')
    await Promise.race([closed, sleep(100)])
  }
  return socket.destroyed
}

/** A client that keeps its side open when the server closes its own (half-close), as a stalled one would. */
const halfOpenPeer = (port: number): Promise<{ socket: net.Socket; said: () => string }> =>
  new Promise((resolve, reject) => {
    let said = ''
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () =>
      resolve({ socket, said: () => said }),
    )
    socket.on('data', (d: Uint8Array) => (said += new TextDecoder('latin1').decode(d)))
    socket.on('error', () => undefined)
    socket.once('error', reject)
  })

/** A raw peer through EHLO and STARTTLS that stops at the 220: what it heard until then. */
const toStartTls = async (port: number): Promise<{ peer: RawPeer; heard: string }> => {
  const peer = await RawPeer.connect(port)
  await peer.until(/^220 /)
  peer.write('EHLO c.example\r\n')
  assert.match(await peer.until(/\r\n250 [^\r\n]*\r\n$/), /250[- ]STARTTLS\r\n/)
  peer.write('STARTTLS\r\n')
  return { peer, heard: await peer.until(/\r\n220 2\.0\.0 [^\r\n]*\r\n$/) }
}

export const deadlineCases = (adapter: Adapter): ReadonlyArray<Case> => {
  const { client, tlsFiles } = context(adapter)
  return [
    {
      name: 'STARTTLS: a client silent after the 220 is cut at the command deadline, with no 421 in clear (RFC 3207 4)',
      run: async () => {
        const s = await serve(adapter, { tls: tlsFiles(), smtp: { idleTimeoutMs: 500 } })
        const { peer, heard } = await toStartTls(s.port)
        try {
          await within(peer.closed, 8000, 'the connection closed')
          assert.equal(peer.received, heard) // not one octet after the 220
        } finally {
          peer.vanish()
          await s.server.close(1000)
        }
      },
    },
    {
      name: 'STARTTLS: a client that closes its side (FIN) after the 220 ends its session at once, not at the command deadline',
      run: async () => {
        // the handshake can never come; the session, its socket and its connection slot must not wait minutes
        const causes: string[] = []
        const s = await serve(
          adapter,
          { tls: tlsFiles(), smtp: { idleTimeoutMs: 120_000 } },
          { onClose: (_s, reason) => void causes.push(reason?.cause ?? 'none') },
        )
        const { peer, heard } = await toStartTls(s.port)
        try {
          peer.socket.end()
          await within(peer.closed, 5000, 'the connection closed')
          await untilNoConnections(s.server)
          assert.equal(s.server.connections(), 0)
          assert.equal(peer.received, heard) // not one octet after the 220
          assert.deepEqual(causes, ['tls'], 'the handshake failed: onClose hears tls, on every runtime')
        } finally {
          peer.vanish()
          await s.server.close(1000)
        }
      },
    },
    {
      name: 'close(deadline): a connection between the 220 to STARTTLS and its handshake is cut, with no 421 in clear',
      run: async () => {
        const s = await serve(adapter, { tls: tlsFiles() })
        const { peer, heard } = await toStartTls(s.port)
        try {
          const started = Date.now()
          await within(s.server.close(1000), 5000, 'close(1000) settled')
          await within(peer.closed, 5000 - (Date.now() - started), 'the connection closed')
          assert.equal(peer.received, heard)
        } finally {
          peer.vanish()
        }
      },
    },
    {
      name: 'close(): a client between the 220 to STARTTLS and its handshake may finish it, then hears 421 over TLS (RFC 5321 3.8)',
      run: async () => {
        const files = tlsFiles()
        const s = await serve(adapter, { tls: files })
        const { peer, heard } = await toStartTls(s.port)
        try {
          const closing = s.server.close(30000) // its last call (421 to every session) is far off
          await sleep(200)
          assert.equal(peer.received, heard) // the stop waits for TLS: nothing in clear
          await peer.startTls({ servername: 'localhost', ca: files.ca })
          await peer.until(/\r\n220 2\.0\.0 [^\r\n]*\r\n421 [^\r\n]*\r\n$/, 10000) // read decrypted
          await within(closing, 10000, 'close(30000) settled once the session said 421')
        } finally {
          peer.vanish()
        }
      },
    },
    {
      name: 'STARTTLS: a handshake that fails (plaintext after the 220) ends the connection with no SMTP reply in clear',
      run: async () => {
        const heardHooks: string[] = []
        const s = await serve(
          adapter,
          { tls: tlsFiles(), smtp: { idleTimeoutMs: 2000 } },
          {
            onSecure: () => void heardHooks.push('onSecure'),
            onClose: (_s, reason) => void heardHooks.push(`onClose ${reason?.cause ?? 'none'}`),
          },
        )
        const { peer, heard } = await toStartTls(s.port)
        try {
          peer.write('EHLO c.example\r\n') // not a TLS record: the server's TLS layer refuses it
          await within(peer.closed, 8000, 'the connection closed')
          // a TLS alert may come back (binary, no CRLF); an SMTP reply line must not
          assert.doesNotMatch(peer.received.slice(heard.length), /\d{3}[ -][^\r\n]*\r\n/)
          await untilNoConnections(s.server)
          // no TLS came up, so there is nothing for onSecure to judge
          assert.deepEqual(heardHooks, ['onClose tls'])
        } finally {
          peer.vanish()
          await s.server.close(1000)
        }
      },
    },
    {
      name: 'implicit TLS: a connection that never starts its handshake is dropped at tlsHandshakeTimeoutMs (RFC 8314 3.3)',
      run: async () => {
        const s = await serve(adapter, { tls: tlsFiles(), implicitTls: true, tlsHandshakeTimeoutMs: 500 })
        try {
          const peer = await RawPeer.connect(s.port)
          await within(peer.closed, 8000, 'the silent connection closed')
          assert.equal(peer.received, '')
        } finally {
          await s.server.close(1000)
        }
      },
    },
    {
      name: 'implicit TLS: connections still in their handshake count toward the caps; one past them is closed before any handshake',
      run: async () => {
        // counted only once their handshake was done, connections that never start one were never refused
        const caps = { maxConnectionsPerAddress: 2, limitLoopback: true }
        const files = tlsFiles()
        const s = await serve(adapter, { tls: files, implicitTls: true, tlsHandshakeTimeoutMs: 60000, ...caps })
        const held = [await RawPeer.connect(s.port), await RawPeer.connect(s.port)]
        try {
          await untilConnections(s.server, 2)
          assert.equal(s.server.connections(), 2, 'the connections in their handshake are counted')
          const past = await RawPeer.connect(s.port)
          await within(past.closed, 3000, 'the connection past the cap closed')
          assert.equal(past.received, '') // no 421 in clear where the client expects TLS
          assert.equal(s.server.connections(), 2)
          held.shift()!.vanish() // its slot frees as it closes
          await untilConnections(s.server, 1)
          assert.equal(s.server.connections(), 1, 'the slot was released')
          const session = await client(s.port, { security: 'implicit', ca: files.ca, servername: 'localhost' })
          const sent = await session.send({
            envelope: { from: 'a@example.org', to: ['b@example.org'] },
            body: 'hi\r\n',
          })
          assert.equal(sent.status, 'accepted')
          await session.quit()
          // a handshake that fails frees its slot too: every count is back to none
          held[0]!.write('this is no TLS handshake\r\n')
          await untilNoConnections(s.server)
          assert.equal(s.server.connections(), 0, 'a slot was not released')
        } finally {
          for (const p of held) p.vanish()
          await s.server.close(1000)
        }
      },
    },
    {
      name: 'close(deadline): a client stalled in DATA that keeps its side open gets 421 and is cut by the deadline',
      run: async () => {
        const s = await serve(adapter)
        const peer = await halfOpenPeer(s.port)
        try {
          while (!peer.said().startsWith('220 ')) await sleep(10)
          peer.socket.write('EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nDATA\r\nhalf\r\n')
          while (!peer.said().includes('354 ')) await sleep(10)
          const started = Date.now()
          await within(s.server.close(1000), 5000, 'close(1000) settled')
          assert.ok(await cutOff(peer.socket, 5000 - (Date.now() - started)), 'the connection is still open')
          assert.match(peer.said(), /421 4\.3\.2 [^\r\n]*\r\n$/)
          assert.equal(s.stored.length, 0)
        } finally {
          peer.socket.destroy()
        }
      },
    },
    {
      name: 'close(deadline): a client that does not read, whose replies back up, is cut by the deadline',
      run: async () => {
        const big = { code: 252, enhanced: '2.1.5', lines: Array.from({ length: 50 }, () => 'v'.repeat(400)) }
        const s = await serve(adapter, { smtp: { maxJunkCommands: 0 } }, { onVrfy: () => big })
        const peer = await RawPeer.connect(s.port)
        try {
          await peer.until(/^220 /)
          peer.socket.pause() // reads nothing: the server's replies (20 KB per command) fill the socket and wait
          peer.write('EHLO c.example\r\n' + `VRFY ${'someone'.padEnd(400, '.')}\r\n`.repeat(2000))
          await sleep(1000)
          const started = Date.now()
          await within(s.server.close(1000), 5000, 'close(1000) settled')
          assert.ok(await cutOff(peer.socket, 5000 - (Date.now() - started)), 'the connection is still open')
        } finally {
          peer.vanish()
        }
      },
    },
    {
      name: 'close(deadline): an implicit-TLS connection still in its handshake is cut by the deadline',
      run: async () => {
        const s = await serve(adapter, { tls: tlsFiles(), implicitTls: true, tlsHandshakeTimeoutMs: 60000 })
        // silent (a byte from it would fail the handshake at once), and it hears the server's close
        const peer = await RawPeer.connect(s.port)
        try {
          await sleep(200)
          const started = Date.now()
          await within(s.server.close(1000), 5000, 'close(1000) settled')
          await within(peer.closed, 5000 - (Date.now() - started), 'the connection closed')
          assert.equal(peer.received, '')
        } finally {
          peer.vanish()
        }
      },
    },
    {
      name: 'close(): an implicit-TLS handshake that finishes after close() began gets no session, and close() does not wait for one',
      run: async () => {
        const files = tlsFiles()
        const s = await serve(adapter, { tls: files, implicitTls: true, tlsHandshakeTimeoutMs: 60000 })
        const raw = await new Promise<net.Socket>((resolve, reject) => {
          const c = net.connect(s.port, '127.0.0.1', () => resolve(c))
          c.once('error', reject)
        })
        await untilConnections(s.server, 1)
        const started = Date.now()
        const closing = s.server.close(8000)
        // the handshake only now: the connection was accepted before close(), its session would start after it
        const secure = tls.connect({ socket: raw, ca: files.ca, servername: 'localhost' })
        let heard = ''
        secure.on('data', (d: Uint8Array) => (heard += new TextDecoder('latin1').decode(d)))
        secure.on('error', () => undefined)
        try {
          await within(new Promise((resolve) => secure.once('close', resolve)), 4000, 'the connection closed')
          await within(closing, 4000 - (Date.now() - started), 'close(8000) settled well before its deadline')
          assert.doesNotMatch(heard, /^220 /, 'a session started during close()')
          assert.equal(s.stored.length, 0)
        } finally {
          secure.destroy()
        }
      },
    },
  ]
}
