// After the 220 to STARTTLS the wire belongs to TLS (RFC 3207 4): a client that does not start its
// handshake, or stops halfway through it, is cut at the command deadline with not one octet in clear.
// The client is Python's socket and ssl (OpenSSL's ClientHello), a peer we did not write. And our own client,
// when a server says 220 and never answers its handshake, gives up at its timeout with no QUIT in clear.
import * as net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { connectSmtp } from '../src/index.js'
import { makeCerts } from './certs.js'
import { python, startServer } from './helpers.js'

const certs = makeCerts()
const servers: Array<{ close: (deadlineMs?: number) => Promise<void> }> = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close(1000)))
})

// Each case: EHLO, STARTTLS, read the 220, then `after` (silence, or half a ClientHello), then read until the
// server closes. Prints one JSON line: what came after the 220 (latin1) and how the connection ended.
const script = (port: number, after: 'silent' | 'half-hello') => `
import json, os, re, socket, ssl
s = socket.create_connection(('127.0.0.1', ${port}), timeout=15)
buf = b''
def until(pattern):
    global buf
    while not re.search(pattern, buf):
        d = s.recv(4096)
        if not d:
            raise SystemExit('closed early: %r' % buf)
        buf += d
until(rb'^220 [^\\r\\n]*\\r\\n')
s.sendall(b'EHLO c.example\\r\\n')
until(rb'\\r\\n250 [^\\r\\n]*\\r\\n$')
assert b'STARTTLS' in buf, buf
s.sendall(b'STARTTLS\\r\\n')
until(rb'\\r\\n220 [^\\r\\n]*\\r\\n$')
heard = len(buf)
hello = b''
if '${after}' == 'half-hello':
    ctx = ssl.create_default_context(cafile=os.environ['CA'])
    into, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(into, out, server_hostname='localhost')
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = out.read()
    s.sendall(hello[: len(hello) // 2])
end = 'eof'
try:
    while True:
        d = s.recv(4096)
        if not d:
            break
        buf += d
except ConnectionResetError:
    end = 'reset'
print(json.dumps({'after': buf[heard:].decode('latin-1'), 'end': end, 'hello': hello[:1].hex()}))
`

describe('STARTTLS: the deadline between the 220 and the handshake (RFC 3207 4, RFC 5321 4.5.3.2.7)', () => {
  it.each([
    ['silent after the 220', 'silent' as const, ''],
    ['half a ClientHello, then silent', 'half-hello' as const, '16'], // 0x16: a TLS handshake record
  ])('%s: cut at the command deadline, with nothing in clear', async (_name, after, hello) => {
    const { server, port } = await startServer({
      smtp: { hostname: 'localhost', idleTimeoutMs: 500 },
      tls: { key: certs.key, cert: certs.cert },
    })
    servers.push(server)
    const out = JSON.parse(await python(script(port, after), { CA: `${certs.dir}/ca.pem` })) as Record<string, string>
    expect(out).toEqual({ after: '', end: 'eof', hello })
  })
})

/** Does `bytes` consist of whole TLS records (RFC 8446 5.1: type, version, 16-bit length, fragment) and nothing else? */
const tlsRecords = (bytes: Uint8Array): boolean => {
  let at = 0
  while (at + 5 <= bytes.length && bytes[at]! >= 0x14 && bytes[at]! <= 0x17 && bytes[at + 1] === 3)
    at += 5 + ((bytes[at + 3]! << 8) | bytes[at + 4]!)
  return at === bytes.length
}

describe('connectSmtp: a server that says 220 to STARTTLS and never answers the handshake (RFC 3207 4)', () => {
  it('the client gives up at timeouts.command and writes nothing but TLS after STARTTLS (no QUIT in clear)', async () => {
    let heard = Buffer.alloc(0)
    let closed!: () => void
    const gone = new Promise<void>((resolve) => (closed = resolve))
    const server = net.createServer((socket) => {
      socket.on('data', (d) => {
        heard = Buffer.concat([heard, d])
        const text = heard.toString('latin1')
        if (text === 'EHLO client.example\r\n') socket.write('250-mx.example.com\r\n250 STARTTLS\r\n')
        if (text.endsWith('\r\nSTARTTLS\r\n')) socket.write('220 2.0.0 Ready to start TLS\r\n')
      })
      socket.on('error', () => undefined)
      socket.on('close', closed)
      socket.write('220 mx.example.com ESMTP\r\n')
    })
    servers.push({ close: () => new Promise((resolve) => server.close(() => resolve())) })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const session = await connectSmtp({
      host: '127.0.0.1',
      port: (server.address() as net.AddressInfo).port,
      security: 'starttls',
      servername: 'localhost',
      ca: certs.ca,
      smtp: { helo: 'client.example', timeouts: { command: 500 } },
    })
    const failure = await session.ready.then(
      () => undefined,
      (e: unknown) => e,
    )
    await gone
    expect(failure).toMatchObject({ error: { _tag: 'Timeout', waitingFor: 'the TLS handshake' } })
    const prefix = 'EHLO client.example\r\nSTARTTLS\r\n'
    expect(heard.subarray(0, prefix.length).toString('latin1')).toBe(prefix)
    const after = heard.subarray(prefix.length)
    expect(after[0]).toBe(0x16) // the ClientHello
    expect(tlsRecords(after)).toBe(true) // and nothing else: no QUIT, no text at all
  })
})
