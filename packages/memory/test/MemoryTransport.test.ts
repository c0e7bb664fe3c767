// The memory network's Transport, held to the contract of the driver's Transport as the Node adapter
// keeps it: octets in order whatever the cuts, backpressure, half-close, close with linger, and the
// RFC 3207 4 rule that plaintext behind STARTTLS never reaches the session.
import { describe, expect, it } from 'vitest'
import { serverConfig } from '@smtpure/core'
import { type TransportEvents, startServerSession } from '@smtpure/driver'
import {
  HIGH_WATER,
  LINGER_MS,
  MemoryNetwork,
  type MemoryTransport,
  Scheduler,
  Trace,
  calmLinks,
} from '../src/index.js'

const text = (b: Uint8Array): string => Buffer.from(b).toString('latin1')
const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'))

/** A network on a fresh scheduler, and a recorder of what one end is told. */
const world = (seed = 1) => {
  const scheduler = new Scheduler(seed)
  const net = new MemoryNetwork(scheduler, new Trace(true))
  return { scheduler, net }
}
const recorder = () => {
  const log: string[] = []
  const events: TransportEvents = {
    data: (b) => log.push(`data:${text(b)}`),
    closed: (e) => log.push(e === undefined ? 'closed' : `closed:${(e as Error).message}`),
    ended: () => log.push('ended'),
  }
  return {
    log,
    events,
    received: () =>
      log
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5))
        .join(''),
  }
}
const pair = async (seed = 1, options: { tls?: boolean } = {}) => {
  const w = world(seed)
  let server!: MemoryTransport
  w.net.listen('server.example', (t) => (server = t), options)
  const connecting = w.net.connect('client.example', 'server.example')
  await w.scheduler.run(1000)
  return { ...w, client: await connecting, server }
}

describe('MemoryTransport', () => {
  describe('octets', () => {
    it('arrive in order and unchanged however the network cuts and merges them', async () => {
      for (let seed = 1; seed <= 30; seed++) {
        const { scheduler, net, client, server } = await pair(seed)
        net.links = { ...calmLinks, split: 0.7 }
        const r = recorder()
        server.start(r.events)
        client.start(recorder().events)
        const sent: string[] = []
        for (let i = 0; i < 40; i++) {
          sent.push(`line ${i} ${'x'.repeat(i * 7)}\r\n`)
          client.write(bytes(sent[i]!))
        }
        await scheduler.run(60_000)
        expect(r.received()).toBe(sent.join(''))
      }
    })
    it('refuses a connection where nothing listens', async () => {
      const { scheduler, net } = world()
      const outcome = net.connect('a.example', 'nobody.example').then(
        () => 'connected',
        (e: Error) => e.message,
      )
      await scheduler.run(1000)
      expect(await outcome).toBe('connection refused: nobody.example')
    })
  })

  describe('backpressure', () => {
    it('makes the writer wait while the reader is paused, and lets it go once it reads', async () => {
      const { scheduler, client, server } = await pair()
      const r = recorder()
      server.start(r.events)
      server.pause()
      let taken: true | Promise<void> = true
      let writes = 0
      while (taken === true) {
        taken = client.write(new Uint8Array(1024))
        writes++
      }
      expect(writes).toBeGreaterThan(HIGH_WATER / 1024 - 1)
      let released = false
      void taken.then(() => (released = true))
      await scheduler.run(10_000)
      expect(released).toBe(false)
      expect(r.received()).toBe('')
      server.resume()
      await scheduler.run(20_000)
      expect(released).toBe(true)
      expect(r.received().length).toBe(writes * 1024)
    })
  })

  describe('closing', () => {
    it('tells a driver that takes half-closes `ended`, then `closed` once both sides are done', async () => {
      const { scheduler, client, server } = await pair()
      const s = recorder()
      const c = recorder()
      server.start(s.events)
      client.start({ data: c.events.data, closed: c.events.closed }) // the client driver has no `ended`
      client.write(bytes('QUIT\r\n'))
      client.close()
      await scheduler.run(1000)
      expect(s.log).toEqual(['data:QUIT\r\n', 'ended'])
      server.write(bytes('221 bye\r\n')) // replies owed after a half-close still go out
      server.close()
      await scheduler.run(2000)
      expect(c.log).toEqual(['data:221 bye\r\n', 'closed'])
      expect(s.log).toEqual(['data:QUIT\r\n', 'ended', 'closed'])
    })
    it(`resets a connection whose peer never closes ${LINGER_MS} ms after close`, async () => {
      const { scheduler, client, server } = await pair()
      const s = recorder()
      server.start(s.events)
      client.start(recorder().events)
      server.close()
      await scheduler.run(LINGER_MS - 1)
      expect(s.log).toEqual([])
      await scheduler.run(LINGER_MS + 100)
      expect(s.log).toEqual(['closed:connection reset (linger)'])
    })
  })

  describe('STARTTLS (RFC 3207 4)', () => {
    it('fails when the listener has no TLS', async () => {
      const { server } = await pair()
      await expect(server.startTls()).rejects.toThrow('TLS is not configured')
    })
    it('drops plaintext a client sends behind STARTTLS: the server session never sees it', async () => {
      const { scheduler, client, server } = await pair(3, { tls: true })
      const config = serverConfig({ hostname: 'server.example', startTls: true })
      if (config._tag === 'Left') throw new Error('config')
      const mails: string[] = []
      const session = startServerSession(server, {
        config: config.right,
        runtime: scheduler.runtime(),
        hooks: { onMailFrom: (from) => void mails.push(from === null ? '<>' : from.localPart) },
      })
      const c = recorder()
      client.start(c.events)
      await scheduler.run(1000)
      client.write(bytes('EHLO client.example\r\n'))
      await scheduler.run(2000)
      // the injection: a command pipelined in clear behind STARTTLS, then one more in a later write
      client.write(bytes('STARTTLS\r\nMAIL FROM:<injected1@example.org>\r\n'))
      client.write(bytes('MAIL FROM:<injected2@example.org>\r\n'))
      await scheduler.run(3000)
      expect(c.received()).toMatch(/220 2\.0\.0 Ready to start TLS\r\n$/)
      const upgraded = client.startTls()
      await scheduler.run(4000)
      expect((await upgraded).protocol).toBe('TLSv1.3')
      client.write(bytes('EHLO client.example\r\nMAIL FROM:<real@example.org>\r\nQUIT\r\n'))
      await scheduler.run(60_000)
      await session.done
      expect(mails).toEqual(['real'])
      expect(c.received()).not.toMatch(/injected/)
    })
  })

  describe('what the ends report', () => {
    it('addresses and ports of both ends, the same every run: TEST-NET addresses, an ephemeral port', async () => {
      const facts = async () => {
        const { client, server } = await pair(5)
        return [client, server].map((t) => [t.localAddress, t.localPort, t.remoteAddress, t.remotePort])
      }
      const [client, server] = await facts()
      expect(client).toEqual(['192.0.2.2', 49153, '192.0.2.1', 25])
      expect(server).toEqual(['192.0.2.1', 25, '192.0.2.2', 49153])
      expect(await facts()).toEqual([client, server])
    })
    it('TLS facts as a handshake reports them: the server end has its SNI name and no client certificate', async () => {
      const { scheduler, client, server } = await pair(3, { tls: true })
      const [c, s] = [client.startTls(), server.startTls()]
      await scheduler.run(1000)
      expect(await c).toEqual({ protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', authorized: true })
      expect(await s).toEqual({
        protocol: 'TLSv1.3',
        cipher: 'TLS_AES_256_GCM_SHA384',
        servername: 'server.example',
        authorized: false,
      })
    })
  })
})
