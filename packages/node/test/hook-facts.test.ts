// What hooks know, over real sockets with real clients (Python's smtplib, nodemailer): both ends'
// addresses and ports, the TLS details after STARTTLS and implicit TLS with the client certificate,
// `onSecure` refusing, and the `user` that onAuth keeps for later hooks.
import { afterEach, describe, expect, it } from 'vitest'
import nodemailer from 'nodemailer'
import type { SessionInfo } from '@smtpure/driver'
import { type SmtpServerOptions, createSmtpServer } from '../src/index.js'
import { makeCerts, makeClientCert } from './certs.js'
import { python } from './helpers.js'

const certs = makeCerts()
const alice = makeClientCert(certs, 'alice.example')
const stranger = makeClientCert(makeCerts(), 'stranger.example') // signed by a CA the server does not trust
const servers: Array<{ close: (deadlineMs?: number) => Promise<void> }> = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close(1000)))
})

/** A server that records the session each hook saw; `hooks` are merged over the recording ones. */
const start = async (options: Omit<SmtpServerOptions, 'hooks'>, hooks: SmtpServerOptions['hooks'] = {}) => {
  const seen: Array<[string, SessionInfo]> = []
  const errors: unknown[] = []
  const server = createSmtpServer({
    ...options,
    onError: (e) => errors.push(e),
    hooks: {
      onConnect: (s) => void seen.push(['connect', s]),
      onSecure: (s) => void seen.push(['secure', s]),
      onMailFrom: (_f, _p, s) => void seen.push(['mail', s]),
      onMessage: async (m, s) => {
        for await (const _ of m.chunks) void _
        seen.push(['message', s])
      },
      ...hooks,
    },
  })
  servers.push(server)
  const { port } = await server.listen(0)
  return { port, seen, errors, hook: (name: string) => seen.find(([n]) => n === name)?.[1] }
}

/** smtplib: connect by name (so the client sends SNI), STARTTLS with `cert` (or none), one message. */
const starttls = (port: number, cert?: { certFile: string; keyFile: string }) => `
import smtplib, ssl, os
ctx = ssl.create_default_context(cafile=os.environ['CA'])
${cert ? `ctx.load_cert_chain('${cert.certFile}', '${cert.keyFile}')` : ''}
s = smtplib.SMTP('localhost', ${port}, timeout=30)
print('port', s.sock.getsockname()[1])
s.ehlo('client.example')
print('starttls', s.starttls(context=ctx)[0])
try:
    print('ehlo', s.ehlo('client.example')[0])
    print('refused', s.sendmail('a@example.org', ['x@example.com'], b'Subject: t\\r\\n\\r\\nhi\\r\\n'))
    s.quit()
except smtplib.SMTPException as e:
    print('error', type(e).__name__, e)
`
const env = { CA: `${certs.dir}/ca.pem` }
const tls = { key: certs.key, cert: certs.cert, requestCert: true, ca: certs.ca }

describe('what hooks know (Node, real clients)', () => {
  it('both ends of the connection: addresses and ports as the client sees them, no TLS yet', async () => {
    const { port, hook } = await start({})
    const out = await python(`
import smtplib
s = smtplib.SMTP('127.0.0.1', ${port}, timeout=30)
print('port', s.sock.getsockname()[1])
s.sendmail('a@example.org', ['x@example.com'], b'Subject: t\\r\\n\\r\\nhi\\r\\n')
s.quit()`)
    const clientPort = Number(/port (\d+)/.exec(out)![1])
    for (const name of ['connect', 'mail', 'message']) {
      const s = hook(name)!
      expect(s, name).toMatchObject({
        remoteAddress: '127.0.0.1',
        remotePort: clientPort,
        localAddress: '127.0.0.1',
        localPort: port,
        tls: false,
        tlsInfo: undefined,
        user: undefined,
      })
    }
    expect(hook('secure')).toBeUndefined() // no handshake, no onSecure
  })

  it('STARTTLS with a client certificate: protocol, cipher, SNI name, the verified certificate (RFC 3207)', async () => {
    const { port, hook } = await start({ smtp: { hostname: 'localhost' }, tls })
    const out = await python(starttls(port, alice), env)
    expect(out).toContain('starttls 220')
    expect(out).toContain('refused {}')
    const secure = hook('secure')!
    expect(secure.tls).toBe(true)
    expect(secure.tlsInfo).toMatchObject({
      protocol: 'TLSv1.3',
      cipher: expect.stringMatching(/^TLS_AES_\d+_GCM_SHA\d+$|^TLS_CHACHA20_POLY1305_SHA256$/),
      servername: 'localhost',
      authorized: true,
      peerCertificate: {
        subject: 'CN=alice.example',
        issuer: 'CN=smtpure test CA',
        fingerprint256: alice.fingerprint256,
      },
    })
    expect(Buffer.from(secure.tlsInfo!.peerCertificate!.der)).toEqual(Buffer.from(alice.der))
    // what the handshake told stays with the session: later hooks see the same
    expect(hook('message')!.tlsInfo).toEqual(secure.tlsInfo)
    expect(hook('connect')!.tlsInfo).toBeUndefined()
  })

  it('STARTTLS without a client certificate: not authorized, no certificate, the session goes on', async () => {
    const { port, hook } = await start({ smtp: { hostname: 'localhost' }, tls })
    const out = await python(starttls(port), env)
    expect(out).toContain('refused {}')
    const info = hook('message')!.tlsInfo!
    expect(info.authorized).toBe(false)
    expect(info.peerCertificate).toBeUndefined()
  })

  it('onSecure refuses a certificate from an unknown CA: its reply, then the connection closes', async () => {
    const { port, hook } = await start(
      { smtp: { hostname: 'localhost' }, tls },
      {
        onSecure: (s) => {
          if (s.tlsInfo?.authorized !== true)
            return { code: 554, enhanced: '5.7.0', lines: [`Command refused due to lack of security`] }
        },
      },
    )
    const out = await python(starttls(port, stranger), env)
    expect(out).toContain('starttls 220')
    // the refusal is what the client reads as the answer to its EHLO; then the server hangs up
    expect(out).toMatch(/error SMTP\w+ .*554|error SMTPServerDisconnected/)
    expect(hook('message')).toBeUndefined()
    expect(hook('mail')).toBeUndefined()
  })

  it('onSecure refusal, read on the wire: 554 and the close', async () => {
    let info: SessionInfo | undefined
    const closed: string[] = []
    const { port } = await start(
      { smtp: { hostname: 'localhost' }, tls },
      {
        onSecure: (s) => {
          info = s
          return { code: 554, enhanced: '5.7.0', lines: ['Command refused due to lack of security'] }
        },
        onClose: (_s, reason) => void closed.push(`${reason?.cause} ${reason?.reply}`),
      },
    )
    const out = await python(
      `
import socket, ssl, os
ctx = ssl.create_default_context(cafile=os.environ['CA'])
raw = socket.create_connection(('127.0.0.1', ${port}), timeout=30)
f = raw.makefile('rb')
f.readline()
raw.sendall(b'EHLO c.example\\r\\n')
while not f.readline().startswith(b'250 '): pass
raw.sendall(b'STARTTLS\\r\\n')
print('starttls', f.readline())
t = ctx.wrap_socket(raw, server_hostname='localhost')
t.sendall(b'EHLO c.example\\r\\n')
said = b''
while True:
    d = t.recv(4096)
    if not d: break
    said += d
print('said', said)`,
      env,
    )
    expect(out).toContain("said b'554 5.7.0 Command refused due to lack of security\\r\\n'")
    expect(info?.tlsInfo?.authorized).toBe(false)
    await new Promise((r) => setTimeout(r, 100))
    expect(closed).toEqual(['server 554 5.7.0 Command refused due to lack of security'])
  })

  it('implicit TLS: onSecure comes before onConnect, both see the certificate (RFC 8314 3.3)', async () => {
    const order: string[] = []
    const { port, hook } = await start(
      { smtp: { hostname: 'localhost' }, tls, implicitTls: true },
      {
        onSecure: (s) => void order.push(`secure ${s.tlsInfo?.peerCertificate?.subject}`),
        onConnect: (s) => void order.push(`connect ${s.tls} ${s.tlsInfo?.servername}`),
        onMailFrom: (_f, _p, s) => void order.push(`mail ${s.tlsInfo?.peerCertificate?.fingerprint256}`),
      },
    )
    const out = await python(
      `
import smtplib, ssl, os
ctx = ssl.create_default_context(cafile=os.environ['CA'])
ctx.load_cert_chain('${alice.certFile}', '${alice.keyFile}')
s = smtplib.SMTP_SSL('localhost', ${port}, context=ctx, timeout=30)
print('refused', s.sendmail('a@example.org', ['x@example.com'], b'Subject: t\\r\\n\\r\\nhi\\r\\n'))
s.quit()`,
      env,
    )
    expect(out).toContain('refused {}')
    expect(order).toEqual(['secure CN=alice.example', 'connect true localhost', `mail ${alice.fingerprint256}`])
    expect(hook('message')!.tlsInfo?.authorized).toBe(true)
  })

  it('the user onAuth returns is what later hooks see as session.user (nodemailer, AUTH PLAIN)', async () => {
    const account = { id: 7, name: 'Bob' }
    const { port, hook } = await start(
      { smtp: { hostname: 'localhost', authMechanisms: ['PLAIN'], allowInsecureAuth: true } },
      {
        onAuth: (c, s) => {
          expect(s.user).toBeUndefined()
          return c.username === 'bob' && 'password' in c && c.password === 'pw' ? { user: account } : undefined
        },
      },
    )
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port,
      secure: false,
      ignoreTLS: true,
      auth: { user: 'bob', pass: 'pw' },
    })
    const info = await transport.sendMail({ from: 'bob@example.org', to: 'x@example.com', text: 'hi' })
    transport.close()
    expect(info.accepted).toEqual(['x@example.com'])
    expect(hook('mail')!.user).toBe(account)
    expect(hook('message')).toMatchObject({ authenticated: 'bob', user: account })
    expect(hook('connect')!.user).toBeUndefined()
  })

  it('onAuth may accept with its own 235 reply beside the user, and refuse as before', async () => {
    const { port } = await start(
      { smtp: { authMechanisms: ['PLAIN'], allowInsecureAuth: true } },
      {
        onAuth: (c) =>
          c.username === 'bob'
            ? { user: 'b', reply: { code: 235, enhanced: '2.7.0', lines: ['Welcome, Bob'] } }
            : { code: 535, enhanced: '5.7.8', lines: ['No'] },
      },
    )
    const out = await python(`
import smtplib
for who in ['bob', 'eve']:
    s = smtplib.SMTP('127.0.0.1', ${port}, timeout=30)
    s.ehlo('c.example')
    try:
        print(who, s.login(who, 'pw'))
    except smtplib.SMTPAuthenticationError as e:
        print(who, e.smtp_code)
    s.quit()`)
    expect(out).toContain("bob (235, b'2.7.0 Welcome, Bob')")
    expect(out).toContain('eve 535')
  })
})
