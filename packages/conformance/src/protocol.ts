// Conformance cases of the protocol over real sockets: greeting, transactions, pipelining,
// STARTTLS both ways, implicit TLS, AUTH and LMTP (RFC 5321, 2920, 3207, 8314, 4954, 2033).
import * as assert from 'node:assert/strict'
import * as net from 'node:net'
import { type ServerHooks, SmtpClientError, SmtpError } from '@smtpure/driver'
import { makeCerts } from './certs.ts'
import { type Adapter, type Case, context, message, ok, sleep, withServer } from './harness.ts'
import { RawPeer } from './peer.ts'

/** A failed TLS handshake, told as such: not a lost connection, which a caller would retry (RFC 3207 4.1). */
const handshakeFailed = (e: unknown): boolean =>
  e instanceof SmtpClientError &&
  e.error._tag === 'ProtocolError' &&
  e.error.reason.startsWith('TLS handshake failed: ')

export const protocolCases = (adapter: Adapter): ReadonlyArray<Case> => {
  const { client, tlsFiles } = context(adapter)
  return [
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
      name: 'a client still writing after the 221 reads it whole and gets no reset (RFC 5321 4.1.1.10, 3.8)',
      run: () =>
        withServer(adapter, {}, {}, async ({ port }) => {
          // commands pipelined behind QUIT reach a server that has closed its session: they are dropped,
          // not answered with a reset that could destroy the 221 before it is read
          const peer = await RawPeer.connect(port, true)
          await peer.until(/^220 /)
          peer.write('EHLO c.example\r\nQUIT\r\n')
          for (let i = 0; i < 8; i++) {
            await sleep(25)
            peer.write('NOOP\r\n')
          }
          peer.socket.end()
          await peer.closed
          assert.match(peer.received, /\r\n221 2\.0\.0 [^\r\n]*\r\n$/)
          assert.deepEqual(peer.errors, [])
        }),
    },
    {
      name: 'a session that ends while reading is paused (a 421 behind held input) reads on: no reset (RFC 5321 3.8)',
      run: () =>
        withServer(
          adapter,
          { smtp: { maxHeldBytes: 1024 } },
          {
            onMailFrom: async () => {
              await sleep(150)
              throw new SmtpError(421, '4.7.0', 'going away')
            },
          },
          async ({ port }) => {
            const peer = await RawPeer.connect(port, true)
            await peer.until(/^220 /)
            peer.write(`EHLO c.example\r\nMAIL FROM:<a@b.example>\r\n${'NOOP\r\n'.repeat(2000)}`)
            await peer.until(/421 4\.7\.0 going away\r\n/)
            peer.write('NOOP\r\n'.repeat(100))
            await sleep(100)
            peer.socket.end()
            await peer.closed
            assert.match(peer.received, /\r\n421 4\.7\.0 going away\r\n$/)
            assert.deepEqual(peer.errors, [])
          },
        ),
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
          await assert.rejects(session.ready, handshakeFailed)
          await session.closed
          assert.deepEqual(stored, [])
        })
      },
    },
    {
      name: 'close(): a session whose server never greets ends at once, as a lost connection, and its socket closes',
      run: async () => {
        // a server that accepts and stays silent: `quit` would wait for the greeting's deadline (5 minutes)
        let serverSawClose!: () => void
        const gone = new Promise<void>((resolve) => (serverSawClose = resolve))
        const server = net.createServer((socket) => {
          socket.on('error', () => undefined)
          socket.on('close', () => serverSawClose())
        })
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
        try {
          const port = (server.address() as net.AddressInfo).port
          const session = await client(port)
          const sending = session.send({ envelope: { from: 'a@example.org', to: ['b@example.org'] }, body: 'x\r\n' })
          await sleep(100)
          const started = Date.now()
          await Promise.race([session.close(), sleep(3000).then(() => assert.fail('close() waited'))])
          const lost = (e: unknown): boolean => e instanceof SmtpClientError && e.error._tag === 'ConnectionLost'
          await assert.rejects(session.ready, lost)
          await assert.rejects(sending, lost)
          await Promise.race([gone, sleep(3000).then(() => assert.fail('the server never saw the connection close'))])
          assert.ok(Date.now() - started < 3000)
        } finally {
          server.close()
        }
      },
    },
    // Deno verifies every certificate: its client refuses `verify: false` (packages/interop/test/cli.test.ts holds that)
    ...(adapter.name === 'deno'
      ? []
      : [
          {
            name: 'STARTTLS with verification off: a certificate from an unknown CA is taken, and the message goes',
            run: () =>
              withServer(adapter, { tls: tlsFiles() }, {}, async ({ port, stored }) => {
                const session = await client(port, { security: 'starttls', verify: false, servername: 'localhost' })
                assert.equal((await session.ready).tls, true)
                const sent = await session.send({
                  envelope: { from: 'a@example.org', to: ['x@example.com'] },
                  body: message('unverified'),
                })
                assert.equal(sent.status, 'accepted')
                await session.quit()
                assert.equal(stored.length, 1)
              }),
          },
          {
            name: 'STARTTLS with verification off: a server that speaks no TLS after its 220 fails the handshake, told as such',
            run: async () => {
              // a server that offers STARTTLS, says 220, and then sends plain text where its handshake should be
              const server = net.createServer((socket) => {
                socket.on('error', () => undefined)
                socket.write('220 fake.example ESMTP\r\n')
                socket.on('data', (d: Uint8Array) => {
                  const line = new TextDecoder('latin1').decode(d)
                  if (/^EHLO /i.test(line)) socket.write('250-fake.example\r\n250 STARTTLS\r\n')
                  else if (/^STARTTLS/i.test(line)) {
                    socket.write('220 2.0.0 Ready to start TLS\r\n')
                    setTimeout(() => socket.write('this is no TLS at all\r\n'.repeat(40)), 100)
                  }
                })
              })
              await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
              try {
                const port = (server.address() as net.AddressInfo).port
                const session = await client(port, { security: 'starttls', verify: false, servername: 'localhost' })
                await assert.rejects(session.ready, handshakeFailed)
                await session.closed
              } finally {
                server.close()
              }
            },
          },
        ]),
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
        const smtp = { authMechanisms: ['PLAIN', 'LOGIN'] as const, requireAuth: true }
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
  ]
}
