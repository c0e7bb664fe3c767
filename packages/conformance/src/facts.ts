// Conformance cases of what hooks know, over real sockets on each runtime: both ends' addresses and
// ports, the TLS details after STARTTLS with a client certificate (node:tls as the client on every
// runtime), onSecure refusing, implicit TLS, and the user that onAuth keeps.
import * as assert from 'node:assert/strict'
import type { ServerHooks, SessionInfo } from '@smtpure/driver'
import { makeCerts, makeClientCert } from './certs.ts'
import { type Adapter, type Case, context, message, withServer } from './harness.ts'
import { RawPeer } from './peer.ts'

/** Hooks that keep the session each one saw, by name. */
const recording = () => {
  const seen = new Map<string, SessionInfo>()
  const hooks: ServerHooks = {
    onConnect: (s) => void seen.set('connect', s),
    onSecure: (s) => void seen.set('secure', s),
    onMailFrom: (_f, _p, s) => void seen.set('mail', s),
  }
  return { seen, hooks }
}

/** A whole transaction from a raw peer that is past its greeting (and EHLO). */
const transaction = async (peer: RawPeer): Promise<void> => {
  peer.write('MAIL FROM:<a@example.org>\r\nRCPT TO:<x@example.com>\r\nDATA\r\n')
  await peer.until(/354 [^\r\n]*\r\n$/)
  peer.write('Subject: facts\r\n\r\nhi\r\n.\r\nQUIT\r\n')
  await peer.until(/221 [^\r\n]*\r\n$/)
}

export const factCases = (adapter: Adapter): ReadonlyArray<Case> => {
  const { client } = context(adapter)
  // one CA for the server and for alice; stranger's CA is one the server does not trust
  let certs: { files: { key: string; cert: string; ca: string }; alice: ReturnType<typeof makeClientCert> } | undefined
  const trusted = () => {
    if (certs === undefined) {
      const made = makeCerts()
      certs = {
        files: { key: made.key, cert: made.cert, ca: made.ca },
        alice: makeClientCert(made, 'alice.example'),
      }
    }
    return certs
  }
  const requesting = () => ({ tls: { ...trusted().files, requestCert: true } })
  /** A raw peer through EHLO and STARTTLS, then the handshake with `cert` (or none) and EHLO again. */
  const secured = async (port: number, cert?: { cert: string; key: string }) => {
    const peer = await RawPeer.connect(port)
    await peer.until(/^220 /)
    peer.write('EHLO client.example\r\n')
    await peer.until(/250 [^\r\n]*\r\n$/)
    peer.write('STARTTLS\r\n')
    await peer.until(/220 2\.0\.0 [^\r\n]*\r\n$/)
    await peer.startTls({ servername: 'localhost', ca: trusted().files.ca, ...(cert ?? {}) })
    return peer
  }
  return [
    {
      name: 'hooks see both ends of the connection: addresses and ports as the client sees them',
      run: () => {
        const { seen, hooks } = recording()
        return withServer(adapter, {}, hooks, async ({ port }) => {
          const peer = await RawPeer.connect(port)
          await peer.until(/^220 /)
          peer.write('EHLO client.example\r\n')
          await peer.until(/250 [^\r\n]*\r\n$/)
          await transaction(peer)
          for (const name of ['connect', 'mail']) {
            const s = seen.get(name)!
            assert.deepEqual(
              [s.remoteAddress, s.remotePort, s.localAddress, s.localPort, s.tls, s.tlsInfo],
              ['127.0.0.1', peer.socket.localPort, '127.0.0.1', port, false, undefined],
              name,
            )
          }
        })
      },
    },
    {
      name: 'STARTTLS with a client certificate: onSecure and later hooks see protocol, cipher, SNI and the verified certificate (RFC 3207)',
      run: () => {
        const { seen, hooks } = recording()
        const { alice } = trusted()
        return withServer(adapter, requesting(), hooks, async ({ port }) => {
          const peer = await secured(port, alice)
          peer.write('EHLO client.example\r\n')
          await peer.until(/250 [^\r\n]*\r\n$/)
          await transaction(peer)
          const s = seen.get('secure')!
          assert.equal(s.tls, true)
          const info = s.tlsInfo!
          assert.equal(info.protocol, 'TLSv1.3')
          assert.match(info.cipher ?? '', /^TLS_(AES_\d+_GCM_SHA\d+|CHACHA20_POLY1305_SHA256)$/)
          assert.equal(info.servername, 'localhost')
          assert.equal(info.authorized, true)
          const cert = info.peerCertificate!
          assert.equal(cert.subject, 'CN=alice.example')
          assert.equal(cert.issuer, 'CN=smtpure test CA')
          assert.equal(cert.fingerprint256, alice.fingerprint256)
          assert.deepEqual([...cert.der], [...alice.der])
          assert.deepEqual(seen.get('mail')!.tlsInfo, info, 'the facts stay with the session')
          assert.equal(seen.get('connect')!.tlsInfo, undefined)
        })
      },
    },
    {
      name: 'STARTTLS: a certificate from an unknown CA is let through unverified; onSecure refuses it, the connection closes',
      run: () => {
        const { seen, hooks } = recording()
        const stranger = makeClientCert(makeCerts(), 'stranger.example')
        const refusing: ServerHooks = {
          ...hooks,
          onSecure: (s) => {
            seen.set('secure', s)
            if (s.tlsInfo?.authorized !== true)
              return { code: 554, enhanced: '5.7.0', lines: ['Command refused due to lack of security'] }
          },
        }
        return withServer(adapter, requesting(), refusing, async ({ port }) => {
          const peer = await secured(port, stranger)
          peer.write('EHLO client.example\r\n')
          await peer.until(/554 5\.7\.0 Command refused due to lack of security\r\n$/)
          await peer.closed
          const info = seen.get('secure')!.tlsInfo!
          assert.equal(info.authorized, false)
          assert.equal(info.peerCertificate?.subject, 'CN=stranger.example')
          assert.ok(info.authorizationError, 'a reason why it was not verified')
          assert.equal(seen.get('mail'), undefined)
        })
      },
    },
    {
      name: 'STARTTLS without a client certificate: not authorized, no certificate, the session goes on',
      run: () => {
        const { seen, hooks } = recording()
        return withServer(adapter, requesting(), hooks, async ({ port }) => {
          const peer = await secured(port)
          peer.write('EHLO client.example\r\n')
          await peer.until(/250 [^\r\n]*\r\n$/)
          await transaction(peer)
          const info = seen.get('mail')!.tlsInfo!
          assert.equal(info.authorized, false)
          assert.equal(info.peerCertificate, undefined)
          assert.equal(info.authorizationError, undefined)
        })
      },
    },
    {
      name: 'implicit TLS: onSecure before onConnect, with the facts this runtime reports (RFC 8314 3.3)',
      run: () => {
        const order: string[] = []
        const { seen, hooks } = recording()
        const files = trusted().files
        const ordered: ServerHooks = {
          ...hooks,
          onSecure: (s) => {
            order.push('secure')
            seen.set('secure', s)
          },
          onConnect: (s) => {
            order.push('connect')
            seen.set('connect', s)
          },
        }
        return withServer(adapter, { tls: files, implicitTls: true }, ordered, async ({ port }) => {
          const session = await client(port, { security: 'implicit', ca: files.ca, servername: 'localhost' })
          await session.send({ envelope: { from: 'a@example.org', to: ['x@example.com'] }, body: message('tls') })
          await session.quit()
          assert.deepEqual(order, ['secure', 'connect'])
          const info = seen.get('mail')!.tlsInfo!
          assert.equal(seen.get('secure')!.tls, true)
          assert.equal(info.authorized, false, 'no client certificate was asked for')
          assert.equal(info.protocol, 'TLSv1.3')
          assert.ok(info.cipher)
          assert.equal(info.servername, 'localhost')
        })
      },
    },
    {
      name: 'the user onAuth returns is session.user in the hooks after it (RFC 4954 4)',
      run: () => {
        const account = { id: 7 }
        const users: unknown[] = []
        const hooks: ServerHooks = {
          onAuth: (c, s) => {
            users.push(s.user)
            return c.username === 'bob' ? { user: account } : undefined
          },
          onMailFrom: (_f, _p, s) => void users.push(s.user),
        }
        const files = trusted().files
        const smtp = { authMechanisms: ['PLAIN'] as const }
        return withServer(adapter, { smtp, tls: files }, hooks, async ({ port }) => {
          const session = await client(port, {
            security: 'starttls',
            ca: files.ca,
            servername: 'localhost',
            smtp: { helo: 'c.example', auth: { username: 'bob', password: 'pw' } },
          })
          assert.equal((await session.ready).authenticated, true)
          await session.send({ envelope: { from: 'bob@example.org', to: ['x@example.com'] }, body: message('user') })
          await session.quit()
          assert.deepEqual(users, [undefined, account])
          assert.equal(users[1], account, 'the very value, not a copy')
        })
      },
    },
  ]
}
