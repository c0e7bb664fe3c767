// Hostile and broken clients over real sockets: the server answers each with a specific reply,
// never crashes, never runs smuggled commands and never loses or invents a message.
import * as net from 'node:net'
import * as tls from 'node:tls'
import { afterEach, describe, expect, it } from 'vitest'
import { createSmtpServer } from '../src/index.js'
import { python, rawSession, startServer } from './helpers.js'
import { makeCerts } from './certs.js'

const certs = makeCerts()
const servers: Array<{ close: (d?: number) => Promise<void> }> = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close(500)))
})
const open = async (smtp: object = {}, extra: object = {}) => {
  const s = await startServer({ smtp: { hostname: 'mx.example.com', ...smtp }, ...extra })
  servers.push(s.server)
  return s
}
const envelope = 'EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nDATA\r\n'

describe('adversarial clients over sockets', () => {
  it('a MAIL pipelined behind STARTTLS in the same packet never runs (RFC 3207 5.2)', async () => {
    const { port } = await open({}, { tls: { key: certs.key, cert: certs.cert } })
    const got = await rawSession(
      port,
      ['EHLO c.example\r\nSTARTTLS\r\nMAIL FROM:<evil@attacker.example>\r\n'],
      10_000,
      /Ready to start TLS\r\n/,
    )
    expect(got).toMatch(/220 2\.0\.0 Ready to start TLS\r\n$/)
    expect(got).not.toContain('2.1.0')
  })

  it.each([
    ['LF.LF', '\n.\n'],
    ['CR.CR', '\r.\r'],
    ['LF.CRLF', '\n.\r\n'],
    ['CRLF.LF', '\r\n.\n'],
    ['CRLF.CR', '\r\n.\r'],
  ])('smuggling with %s: nothing after it runs and the message is refused', async (_n, v) => {
    const { port, stored } = await open()
    const got = await rawSession(port, [
      `${envelope}Hello${v}MAIL FROM:<evil@attacker.example>\r\nRCPT TO:<victim@y.example>\r\nDATA\r\nforged\r\n.\r\nQUIT\r\n`,
    ])
    expect(got).toMatch(/354 [^\r]*\r\n554 5\.6\.0 [^\r]*\r\n221 2\.0\.0 Bye\r\n$/)
    expect(stored).toHaveLength(0)
  })

  it('pipelining far past a small maxHeldBytes behind a slow hook: every command answered, no 421 (RFC 2920 3.1)', async () => {
    // MAIL waits 200 ms for its hook; 45 KB of commands come meanwhile, in one read (Node reads up to 64 KiB):
    // that read passes the 4 KiB limit and is held whole while reading pauses
    const server = createSmtpServer({
      smtp: { hostname: 'mx.example.com', maxHeldBytes: 4096 },
      hooks: { onMailFrom: () => new Promise<void>((r) => setTimeout(r, 200)) },
    })
    servers.push(server)
    const { port } = await server.listen(0)
    const noops = `NOOP ${'x'.repeat(500)}\r\n`.repeat(90) // under the 100 junk commands
    const got = await new Promise<string>((resolve) => {
      const socket = net.connect(port, '127.0.0.1')
      let text = ''
      socket.on('data', (d) => {
        text += d.toString('latin1')
        if (text.endsWith('BINARYMIME\r\n')) {
          socket.write('MAIL FROM:<a@b.example>\r\n')
          setTimeout(() => socket.write(`${noops}QUIT\r\n`), 50)
        }
        if (text.startsWith('220 ') && !text.includes('250-')) socket.write('EHLO c.example\r\n')
      })
      socket.on('close', () => resolve(text))
    })
    expect(got).not.toContain('421')
    expect(got).toMatch(/250 BINARYMIME\r\n250 2\.1\.0 Ok\r\n(250 2\.0\.0 Ok\r\n){90}221 /)
  })

  it('1,000-byte garbage lines get 500 each and the session goes on', async () => {
    const { port } = await open()
    const junk = `${'Z'.repeat(998)}\r\n`
    const got = await rawSession(port, [junk, junk, 'NOOP\r\nQUIT\r\n'])
    expect(got).toMatch(
      /^220 [^\r]*\r\n500 5\.5\.2 Line too long\r\n500 5\.5\.2 Line too long\r\n250 2\.0\.0 Ok\r\n221 2\.0\.0 Bye\r\n$/,
    )
  })

  it('binary junk never crashes the server; the next client is served', async () => {
    const { port } = await open({ maxBadCommands: 5 })
    const junk = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256))
    const got = await rawSession(port, [junk])
    expect(got).toMatch(/421 4\.7\.0 Too many errors, closing transmission channel\r\n$/)
    const next = await rawSession(port, ['QUIT\r\n'])
    expect(next).toMatch(/221 2\.0\.0 Bye\r\n$/)
  })

  it('HTTP sent to the port gets 500s, not a crash', async () => {
    const { port } = await open()
    const got = await rawSession(
      port,
      ['GET / HTTP/1.1\r\nHost: mx.example.com\r\n\r\n'],
      10_000,
      /(500 [^\r]*\r\n){3}/,
    )
    expect(got).toMatch(
      /^220 [^\r]*\r\n500 5\.5\.1 Command unrecognized\r\n500 5\.5\.1 Command unrecognized\r\n500 5\.5\.1 Command unrecognized\r\n$/,
    )
  })

  it('a client that vanishes mid-DATA leaves nothing delivered', async () => {
    const { port, stored, server } = await open()
    await new Promise<void>((resolve) => {
      const socket = net.connect(port, '127.0.0.1')
      socket.once('data', () => socket.write(`${envelope}Subject: half\r\n\r\nhalf a mess`))
      socket.on('data', (d) => {
        if (d.toString().includes('354')) socket.destroy()
      })
      socket.on('close', () => resolve())
    })
    await expect.poll(() => server.connections(), { timeout: 10_000 }).toBe(0)
    expect(stored).toHaveLength(0)
  })

  it('200 concurrent clients each send one message: 200 stored, none twice', async () => {
    const { port, stored } = await open()
    const runs = Array.from({ length: 200 }, (_, i) =>
      rawSession(
        port,
        [
          `EHLO c${i}.example\r\nMAIL FROM:<s${i}@b.example>\r\nRCPT TO:<x@y.example>\r\nDATA\r\nSubject: ${i}\r\n\r\nbody ${i}\r\n.\r\nQUIT\r\n`,
        ],
        60_000,
      ),
    )
    const replies = await Promise.all(runs)
    expect(replies.every((r) => /250 2\.0\.0 Ok: queued as \d+\r\n221 2\.0\.0 Bye\r\n$/.test(r))).toBe(true)
    expect(stored).toHaveLength(200)
    expect(new Set(stored.map((s) => s.body)).size).toBe(200)
  })

  it('a client that half-closes after QUIT still gets its 250 and 221 (no duplicate on retry)', async () => {
    const { port, stored } = await open()
    const got = await new Promise<string>((resolve) => {
      const socket = net.connect(port, '127.0.0.1')
      let out = ''
      socket.on('data', (d) => (out += d.toString()))
      socket.on('close', () => resolve(out))
      socket.once('data', () => socket.end(`${envelope}half-closed\r\n.\r\nQUIT\r\n`))
    })
    expect(got).toMatch(/250 2\.0\.0 Ok: queued as 1\r\n221 2\.0\.0 Bye\r\n$/)
    expect(stored).toHaveLength(1)
  })

  it('after the 221 to QUIT, as after a 421, the server half-closes and reads on to the client’s end', async () => {
    const { port, server } = await open({ maxBadCommands: 1 })
    for (const [command, reply] of [
      ['QUIT\r\n', /221 2\.0\.0 Bye\r\n$/],
      ['XYZZY\r\n', /^421 4\.7\.0 /m],
    ] as const) {
      // a client that keeps its side open after the server's FIN
      const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true })
      let out = ''
      const ended = new Promise<void>((resolve) => socket.on('end', () => resolve()))
      socket.on('data', (d) => (out += d.toString()))
      socket.once('data', () => socket.write(command))
      await ended
      expect(out).toMatch(reply)
      // what the client sends now is read and dropped: closing instead would reset the connection, and a
      // reset throws away replies the kernel has not sent yet (see the next test)
      socket.write('NOOP\r\n')
      await new Promise((r) => setTimeout(r, 300))
      expect(server.connections()).toBe(1)
      expect(socket.destroyed).toBe(false) // no reset came back for the NOOP
      // the client's end is read, not waited out: the session goes well before the server's 5 s cut-off
      socket.end()
      await expect.poll(() => server.connections(), { timeout: 4_000 }).toBe(0)
    }
  })

  it('a client that resets the connection once it read the 221 is not reported as an error', async () => {
    const { port, server, errors } = await open()
    await new Promise<void>((resolve) => {
      const socket = net.connect(port, '127.0.0.1')
      let out = ''
      socket.once('data', () => socket.write('QUIT\r\n'))
      socket.on('data', (d) => {
        out += d.toString()
        if (/221 [^\r]*\r\n$/.test(out)) socket.resetAndDestroy() // as smtp-source and many clients close
      })
      socket.on('close', () => resolve())
    })
    await expect.poll(() => server.connections(), { timeout: 10_000 }).toBe(0)
    expect(errors).toEqual([])
  })

  it('a client that reads slowly and sends more after QUIT still gets every reply written before it: the 250 of a stored message is not lost to a reset', async () => {
    // Closing at once after the 221 would reset the connection (the stray command is unread), and a reset
    // throws away what the kernel has not sent yet: here the 250, so the client would send the message again.
    const { port, stored } = await open()
    const out = await python(`
import socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)  # a small window: replies wait in the server's kernel
s.connect(('127.0.0.1', ${port}))
s.settimeout(30)
s.recv(1000)
s.sendall(b'EHLO c.example\\r\\n')
time.sleep(0.2)
s.recv(10000)
s.sendall(b'NOOP\\r\\n' * 90 + b'MAIL FROM:<a@b.example>\\r\\n' + b''.join(b'RCPT TO:<r%d@y.example>\\r\\n' % i for i in range(80)) + b'DATA\\r\\nhi\\r\\n.\\r\\nQUIT\\r\\n')
time.sleep(0.3)  # not reading while the replies pile up
s.sendall(b'NOOP\\r\\n')  # one command too many, once the server has answered QUIT
time.sleep(0.5)
out = b''
try:
    while True:
        d = s.recv(65536)
        if not d: break
        out += d
except OSError as e:
    print('error', e)
print(out.decode()[-80:])
`)
    expect(out).not.toContain('error')
    expect(out).toMatch(/250 2\.0\.0 Ok: queued as 1\r\n221 2\.0\.0 Bye\r\n\n$/)
    expect(stored).toHaveLength(1)
  })

  it('a client that sends one byte at a time is served', async () => {
    const { port, stored } = await open()
    const text = `${envelope}one byte\r\nat a time\r\n.\r\nQUIT\r\n`
    const got = await new Promise<string>((resolve) => {
      const socket = net.connect(port, '127.0.0.1')
      let out = ''
      socket.on('data', (d) => (out += d.toString()))
      socket.on('close', () => resolve(out))
      socket.once('data', async () => {
        for (const ch of text) {
          socket.write(ch)
          await new Promise((r) => setImmediate(r))
        }
      })
    })
    expect(got).toMatch(/250 2\.0\.0 Ok: queued as 1\r\n221 2\.0\.0 Bye\r\n$/)
    expect(stored[0]!.body).toBe('one byte\r\nat a time\r\n')
  })

  it('past the connection limit new clients get 421 and are closed', async () => {
    const { port } = await open({}, { maxConnections: 1 })
    const first = net.connect(port, '127.0.0.1')
    await new Promise((r) => first.once('data', r))
    const second = await rawSession(port, [])
    expect(second).toBe('421 mx.example.com Too many connections, try again later\r\n')
    first.destroy()
  })
})

describe('TLS server names (SNI)', () => {
  it('presents the certificate configured for the name the client asked for', async () => {
    const other = makeCerts('other.example')
    const { port } = await open(
      {},
      {
        tls: { key: certs.key, cert: certs.cert, sni: { 'other.example': { key: other.key, cert: other.cert } } },
        implicitTls: true,
      },
    )
    const subject = (servername: string, ca: string) =>
      new Promise<string>((resolve, reject) => {
        const s = tls.connect({ host: '127.0.0.1', port, servername, ca }, () => {
          resolve(String(s.getPeerCertificate().subject.CN))
          s.destroy()
        })
        s.on('error', reject)
      })
    expect(await subject('other.example', other.ca)).toBe('other.example')
    expect(await subject('localhost', certs.ca)).toBe('localhost')
  })
})
