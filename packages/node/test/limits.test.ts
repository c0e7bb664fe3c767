// Hostile peers over real sockets: password guessing, slowloris trickles and connection floods, TLS
// handshakes that never finish or carry no server name, and a shutdown deadline that holds.
import * as net from 'node:net'
import * as tls from 'node:tls'
import { afterEach, describe, expect, it } from 'vitest'
import type { SmtpServer } from '../src/index.js'
import { makeCerts } from './certs.js'
import { python, startServer } from './helpers.js'

const certs = makeCerts()
const servers: SmtpServer[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close(500)))
})
const open = async (smtp: object = {}, extra: object = {}) => {
  const s = await startServer({ smtp: { hostname: 'mx.example.com', ...smtp }, ...extra })
  servers.push(s.server)
  return s
}

/** A socket that collects what the server says and records when it closed. */
const connect = (port: number, allowHalfOpen = false) => {
  const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen })
  const state = { got: '', closedAt: 0 }
  socket.on('data', (d) => (state.got += d.toString('latin1')))
  socket.on('error', () => undefined)
  const closed = new Promise<void>((r) => socket.on('close', () => ((state.closedAt = Date.now()), r())))
  const greeted = new Promise((r) => socket.once('data', r))
  const ended = new Promise((r) => socket.once('end', r))
  return { socket, state, closed, greeted, ended }
}

describe('password guessing (RFC 4954 4)', () => {
  it('the third wrong password ends the session with 421; each refusal comes after the delay', async () => {
    const { port } = await open(
      { authMechanisms: ['PLAIN'], allowInsecureAuth: true, maxAuthFailures: 3, authFailureDelayMs: 200 },
      { users: { alice: 'right' } },
    )
    const out = await python(`
import smtplib, time
s = smtplib.SMTP('127.0.0.1', ${port}, timeout=30)
s.ehlo('c.example')
for guess in ['a', 'b', 'c', 'd', 'e']:
    t = time.time()
    try:
        s.login('alice', guess)
    except smtplib.SMTPAuthenticationError as e:
        print(e.smtp_code, round(time.time() - t, 1) >= 0.2)
    except smtplib.SMTPServerDisconnected:
        print('disconnected')
        break
`)
    // the 421 that followed the third 535 is what the fourth attempt reads; then the line is closed
    expect(out.trim().split('\n')).toEqual(['535 True', '535 True', '535 True', '421 False', 'disconnected'])
  })
})

describe('slowloris (RFC 5321 4.5.3.2.7)', () => {
  it('a command line trickled in a byte at a time is cut at the command deadline', async () => {
    const { port } = await open({ idleTimeoutMs: 600 })
    const c = connect(port)
    await c.greeted
    const started = Date.now()
    const drip = setInterval(() => c.socket.writable && c.socket.write('N'), 100)
    await c.closed
    clearInterval(drip)
    expect(c.state.got).toMatch(/^220 [^\r]*\r\n421 4\.4\.2 Timeout, closing transmission channel\r\n$/)
    expect(c.state.closedAt - started).toBeLessThan(3000)
  })

  it('message data trickled below minDataRate is cut at the end of a window', async () => {
    const { port, stored } = await open({ idleTimeoutMs: 600, minDataRate: 100 })
    const c = connect(port)
    await c.greeted
    c.socket.write('EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nDATA\r\n')
    const drip = setInterval(() => c.socket.writable && c.socket.write('x'), 50)
    await c.closed
    clearInterval(drip)
    expect(c.state.got).toMatch(/354 [^\r]*\r\n421 4\.4\.2 Message data arrives too slowly[^\r]*\r\n$/)
    expect(stored).toHaveLength(0)
  })

  it('200 connections from one address: past the per-address cap each gets 421, and others are still served', async () => {
    const { port } = await open({}, { maxConnectionsPerAddress: 20, limitLoopback: true })
    const held = Array.from({ length: 200 }, () => connect(port))
    const deadline = Date.now() + 20000
    while (held.some((c) => !c.state.got.includes('\r\n')) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50))
    const refused = held.filter((c) => /^421 mx\.example\.com Too many connections from your address/.test(c.state.got))
    const served = held.filter((c) => /^220 /.test(c.state.got))
    expect(served).toHaveLength(20)
    expect(refused).toHaveLength(180)
    for (const c of held) c.socket.destroy()
    await new Promise((r) => setTimeout(r, 200))
    const next = connect(port)
    await next.greeted
    expect(next.state.got).toMatch(/^220 /)
    next.socket.destroy()
  })
})

describe('implicit TLS before the session (RFC 8314 3.3)', () => {
  // a short deadline only where it must fire: a loaded machine can take longer than it for a real handshake
  const tlsServer = (tlsHandshakeTimeoutMs: number) =>
    open({}, { tls: { key: certs.key, cert: certs.cert }, implicitTls: true, tlsHandshakeTimeoutMs })

  it('a client that connects by address (no SNI) completes the handshake and is greeted', async () => {
    const { port } = await tlsServer(30_000)
    const greeting = await new Promise<string>((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port, ca: certs.ca, checkServerIdentity: () => undefined })
      s.once('data', (d) => (resolve(d.toString()), s.destroy()))
      s.on('error', reject)
    })
    expect(greeting).toMatch(/^220 mx\.example\.com /)
  })

  it('a connection that never starts its handshake is dropped at the handshake deadline', async () => {
    const { port } = await tlsServer(400)
    const c = connect(port)
    const started = Date.now()
    await c.closed
    expect(c.state.closedAt - started).toBeLessThan(3000)
    expect(c.state.got).toBe('')
  })
})

describe('shutdown', () => {
  it('close(deadline) settles by the deadline with a client stalled in DATA, which got 421', async () => {
    const { server, port } = await startServer({ smtp: { hostname: 'mx.example.com' } })
    const c = connect(port, true) // a stalled client that does not close its side when the server does
    await c.greeted
    c.socket.write('EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nDATA\r\nhalf a message\r\n')
    while (!c.state.got.includes('354')) await new Promise((r) => setTimeout(r, 10))
    const started = Date.now()
    await server.close(1000)
    const took = Date.now() - started
    expect(took).toBeGreaterThanOrEqual(700)
    expect(took).toBeLessThan(1300)
    await c.ended
    c.socket.destroy()
    expect(c.state.got).toMatch(/421 4\.3\.2 Service shutting down[^\r]*\r\n$/)
  })
})
