// When NodeTransport's writes leave: those of one turn of the event loop are held; with several connections open,
// until every socket with input in that turn was served, and then all connections' leave together. A STARTTLS
// upgrade and a close let the held writes go first. Real sockets on 127.0.0.1; the peer is a plain node:net socket and node:tls.
import { once } from 'node:events'
import * as net from 'node:net'
import * as tls from 'node:tls'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { NodeTransport } from '../src/NodeTransport.js'
import { makeCerts } from './certs.js'

const opened: Array<net.Socket | net.Server> = []
// every socket closed before the next test, so that no transport of one test is still open in the next
afterEach(async () => {
  for (const x of opened.splice(0)) {
    if (x instanceof net.Server) x.close()
    else if (!x.closed) {
      const closed = once(x, 'close')
      x.destroy()
      await closed
    }
  }
})

/** `n` connections to a local server: each one's server side (wrapped in a started NodeTransport) and client side. */
const pairs = async (n: number, role?: ConstructorParameters<typeof NodeTransport>[1]) => {
  const server = net.createServer()
  opened.push(server)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as net.AddressInfo
  const out: Array<{ transport: NodeTransport; socket: net.Socket; client: net.Socket; heard: () => string }> = []
  for (let i = 0; i < n; i++) {
    const client = net.connect(port, '127.0.0.1')
    const [socket] = (await once(server, 'connection')) as [net.Socket]
    opened.push(client, socket)
    let text = ''
    client.on('data', (d: Buffer) => (text += d.toString('latin1')))
    const transport = new NodeTransport(socket, role)
    transport.start({ data: () => undefined, closed: () => undefined })
    out.push({ transport, socket, client, heard: () => text })
  }
  return out
}

const afterTicks = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve))
const afterTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))
const until = async (f: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !f(); i++) await new Promise((resolve) => setTimeout(resolve, 5))
}

describe('NodeTransport: when writes leave', () => {
  it("holds every connection's writes of a turn past its callbacks and promise jobs, and lets them go together", async () => {
    const ps = await pairs(3)
    ps.forEach((p, i) => {
      expect(p.transport.write(new TextEncoder().encode(`250 ${i} first\r\n`))).toBe(true)
      expect(p.transport.write(new TextEncoder().encode(`250 ${i} second\r\n`))).toBe(true)
    })
    await afterTicks()
    await Promise.resolve()
    // still held: a peer that keeps many connections is not woken once per reply
    expect(ps.map((p) => p.socket.writableCorked)).toEqual([1, 1, 1])
    await afterTurn()
    expect(ps.map((p) => p.socket.writableCorked)).toEqual([0, 0, 0])
    await until(() => ps.every((p) => p.heard().endsWith('second\r\n')))
    expect(ps.map((p) => p.heard())).toEqual([0, 1, 2].map((i) => `250 ${i} first\r\n250 ${i} second\r\n`))
  })

  it('with one connection open, lets its writes go once the callbacks and promise jobs of the turn are done', async () => {
    const [p] = await pairs(1)
    p!.transport.write(new TextEncoder().encode('250 first\r\n'))
    p!.transport.write(new TextEncoder().encode('250 second\r\n'))
    expect(p!.socket.writableCorked).toBe(1)
    await afterTicks()
    expect(p!.socket.writableCorked).toBe(0)
    await until(() => p!.heard().endsWith('second\r\n'))
    expect(p!.heard()).toBe('250 first\r\n250 second\r\n')
  })

  it("is not held by a test's fake timers, which replace the global setImmediate", async () => {
    const ps = await pairs(2)
    const realTimeout = setTimeout // taken before the fake replaces it, to give up after 2 s
    vi.useFakeTimers() // vitest's default: setImmediate and setTimeout faked, process.nextTick not
    try {
      ps[0]!.transport.write(new TextEncoder().encode('220 mx.example ESMTP\r\n'))
      await Promise.race([once(ps[0]!.client, 'data'), new Promise((r) => realTimeout(r, 2000))])
      expect(ps[0]!.heard()).toBe('220 mx.example ESMTP\r\n')
    } finally {
      vi.useRealTimers()
    }
  })

  it('lets the held writes go before it closes', async () => {
    const [p] = await pairs(1)
    p!.transport.write(new TextEncoder().encode('421 4.3.2 Shutting down\r\n'))
    p!.transport.close()
    await once(p!.client, 'end')
    expect(p!.heard()).toBe('421 4.3.2 Shutting down\r\n')
  })

  it('sends the reply written in the turn of a STARTTLS upgrade in clear, before the handshake (RFC 3207 4)', async () => {
    const certs = makeCerts()
    const secureContext = tls.createSecureContext({ cert: certs.cert, key: certs.key })
    const [p] = await pairs(1, { server: true, secureContext })
    // the 220 and the upgrade in one turn, as the server session does them
    p!.transport.write(new TextEncoder().encode('220 2.0.0 Ready to start TLS\r\n'))
    const upgraded = p!.transport.startTls()
    await until(() => p!.heard() !== '')
    expect(p!.heard()).toBe('220 2.0.0 Ready to start TLS\r\n')
    const secured = tls.connect({ socket: p!.client, ca: certs.ca, servername: 'localhost' })
    opened.push(secured)
    await once(secured, 'secureConnect')
    expect((await upgraded).protocol).toMatch(/^TLSv1\.[23]$/)
  })
})
