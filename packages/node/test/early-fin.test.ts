// A client that closes its side (FIN) before its TLS handshake or its PROXY header is done can never finish
// it: the server lets the connection go at once, not at a deadline seconds or minutes away. The server listens
// half-open (a client may half-close after QUIT), and there Node reports such a FIN only as 'end': no 'error',
// no 'close'. Both ways into TLS: STARTTLS (RFC 3207), and implicit TLS behind a PROXY header; and a PROXY
// header cut short (PROXY protocol 2.1, 2.2).
import * as net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createSmtpServer } from '../src/index.js'
import { makeCerts } from './certs.js'

const certs = makeCerts()
const servers: Array<{ close: (deadlineMs?: number) => Promise<void> }> = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close(1000)))
})

// The first 40 octets of a ClientHello record: a handshake record (0x16) that never comes whole.
const halfHello = Buffer.from('16030100f4010000f00303' + '00'.repeat(29), 'hex')

/** Polls until `f()` holds or `ms` pass; says which. */
const eventually = async (f: () => boolean, ms: number): Promise<boolean> => {
  for (const end = Date.now() + ms; Date.now() < end;) {
    if (f()) return true
    await new Promise((r) => setTimeout(r, 20))
  }
  return f()
}

/** Connects, writes `first`, waits for `until` in what came back (if given), writes `then` and FIN. */
const finAfter = (port: number, first: Buffer | string, until: RegExp | undefined, then: Buffer | undefined) =>
  new Promise<{ heard: () => string; closed: () => boolean }>((resolve, reject) => {
    let got = ''
    let closed = false
    const socket = net.connect(port, '127.0.0.1')
    const done = { heard: () => got, closed: () => closed }
    const finish = (): void => {
      if (then) socket.write(then)
      socket.end()
      resolve(done)
    }
    socket.on('data', (d) => {
      got += d.toString('latin1')
      if (until && until.test(got)) {
        until = undefined
        finish()
      }
    })
    socket.on('close', () => (closed = true))
    socket.on('error', reject)
    socket.write(first)
    if (until === undefined) finish()
  })

describe('a FIN before the TLS handshake or the PROXY header is done ends the connection at once', () => {
  it.each([
    ['right after the 220 to STARTTLS', undefined],
    ['halfway through the ClientHello', halfHello],
  ])('STARTTLS, then FIN %s: the session ends, not at the idle deadline', async (_name, then) => {
    const closes: string[] = []
    const server = createSmtpServer({
      smtp: { hostname: 'localhost', idleTimeoutMs: 120_000 },
      tls: { key: certs.key, cert: certs.cert },
      hooks: { onClose: (_s, reason) => void closes.push(reason?.cause ?? 'none') },
    })
    servers.push(server)
    const { port } = await server.listen(0)
    const peer = await finAfter(port, 'EHLO c.example\r\nSTARTTLS\r\n', /\r\n220 [^\r\n]*\r\n$/, then)
    expect(await eventually(() => peer.closed() && server.connections() === 0, 5000)).toBe(true)
    expect(closes).toEqual(['tls'])
    // nothing more in clear after the 220 (RFC 3207 4)
    expect(peer.heard()).toMatch(/\r\n220 2\.0\.0 [^\r\n]*\r\n$/)
  })

  it('implicit TLS behind a PROXY header, FIN halfway through the ClientHello: dropped, not at the handshake deadline', async () => {
    const server = createSmtpServer({
      tls: { key: certs.key, cert: certs.cert },
      implicitTls: true,
      tlsHandshakeTimeoutMs: 120_000,
      proxy: { trusted: ['127.0.0.1'] },
    })
    servers.push(server)
    const { port } = await server.listen(0)
    const header = 'PROXY TCP4 203.0.113.5 127.0.0.1 5555 465\r\n'
    const peer = await finAfter(port, Buffer.concat([Buffer.from(header), halfHello]), undefined, undefined)
    expect(await eventually(() => peer.closed() && server.connections() === 0, 5000)).toBe(true)
    expect(peer.heard()).toBe('') // no TLS record, no reply in clear
  })

  it.each([
    ['nothing', ''],
    ['half a version 1 header', 'PROXY TCP4 203.0.113.5 '],
    ['half a version 2 header', '\r\n\r\n\0\r\nQUIT\n\x21\x11\0\x0c'],
  ])('a trusted source that sends %s, then FIN: dropped, not at the PROXY deadline', async (_name, sent) => {
    const errors: string[] = []
    const server = createSmtpServer({
      proxy: { trusted: ['127.0.0.1'], timeoutMs: 120_000 },
      onError: (e) => errors.push(String(e)),
    })
    servers.push(server)
    const { port } = await server.listen(0)
    const peer = await finAfter(port, Buffer.from(sent, 'latin1'), undefined, undefined)
    expect(await eventually(() => peer.closed() && server.connections() === 0, 5000)).toBe(true)
    expect(peer.heard()).toBe('') // the specification says to abort, with no reply
    expect(errors.join()).toContain('PROXY from 127.0.0.1: closed before the PROXY header')
  })
})
