// Refused and half-started connections over real sockets: a refused client is closed whatever it does, and
// close(deadline) cuts connections the session list does not know yet (docs/security.md, "Connections").
import * as net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { makeCerts } from './certs.js'
import { startServer } from './helpers.js'

const certs = makeCerts()
const sockets: net.Socket[] = []
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy()
})

/** A client that never closes its side of the connection (allowHalfOpen), as a slowloris would. */
const holdOpen = (port: number) => {
  const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true })
  sockets.push(socket)
  socket.on('error', () => undefined)
  let got = ''
  socket.on('data', (d) => (got += d.toString('latin1')))
  const greeted = new Promise<void>((r) => socket.once('data', () => r()))
  return { socket, greeted, got: () => got }
}

describe('connections refused by the cap (docs/security.md "Connections")', () => {
  it('close(deadline) settles by the deadline while a refused client keeps its side open', async () => {
    const { server, port } = await startServer({ smtp: { hostname: 'mx.example.com' }, maxConnections: 1 })
    const admitted = holdOpen(port)
    await admitted.greeted
    const refused = holdOpen(port)
    await refused.greeted
    expect(refused.got()).toMatch(/^421 /)
    const started = Date.now()
    const settled = await Promise.race([
      server.close(1000).then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), 4000)),
    ])
    expect(settled).toBe(true)
    expect(Date.now() - started).toBeLessThan(1500)
  })

  it('a refused connection is closed by the server, so refused clients cannot hold descriptors without bound', async () => {
    const { server, port } = await startServer({ smtp: { hostname: 'mx.example.com' }, maxConnections: 1 })
    const admitted = holdOpen(port)
    await admitted.greeted
    const refused = holdOpen(port)
    await refused.greeted
    // The server's side is gone once the 421 is out: what the client writes then is met with a reset.
    const closed = Promise.race([
      new Promise<boolean>((r) => refused.socket.once('close', () => r(true))),
      new Promise<boolean>((r) => setTimeout(() => r(false), 3000)),
    ])
    await new Promise((r) => setTimeout(r, 200))
    refused.socket.write('NOOP\r\n')
    setTimeout(() => refused.socket.writable && refused.socket.write('NOOP\r\n'), 100)
    expect(await closed).toBe(true)
    for (const s of sockets.splice(0)) s.destroy()
    await server.close(500)
  })
})

describe('implicit TLS and the shutdown deadline', () => {
  it('close(deadline) settles by the deadline while a TLS handshake is still pending', async () => {
    const { server, port } = await startServer({
      smtp: { hostname: 'mx.example.com' },
      tls: { key: certs.key, cert: certs.cert },
      implicitTls: true,
      tlsHandshakeTimeoutMs: 3000,
    })
    const c = holdOpen(port) // never starts the handshake
    await new Promise((r) => c.socket.once('connect', r))
    await new Promise((r) => setTimeout(r, 100))
    const started = Date.now()
    await server.close(500)
    expect(Date.now() - started).toBeLessThan(1000)
  })
})
