// The memory network and the Node adapter carry the same sessions to the same end: one client and
// one server, the same messages, once over loopback sockets and once in memory (with writes cut at
// random octets), and the results and stored messages must agree.
import { describe, expect, it } from 'vitest'
import { type MessageResult, encode } from '@smtpure/core'
import { connectSmtp, createSmtpServer } from '@smtpure/node'
import { Simulation, readAll, calmLinks, noFaults } from '../src/index.js'

const messages = [
  { from: 'bob@example.org', to: ['alice@example.com'], body: encode('Subject: one\r\n\r\nhello\r\n') },
  {
    from: null,
    to: ['alice@example.com', 'nobody@example.com'],
    body: encode('Subject: two\r\n\r\n.dot\r\n..two\r\n'),
  },
  {
    from: 'bob@example.org',
    to: ['carol@example.com'],
    body: encode(`Subject: three\r\n\r\n${'x'.repeat(70000)}\r\n`),
  },
]
const hooks = (stored: Uint8Array[]) => ({
  onRcptTo: (to: { localPart: string }) =>
    to.localPart === 'nobody' ? { code: 550, enhanced: '5.1.1', lines: ['No such user'] } : undefined,
  onMessage: async (m: { chunks: AsyncIterable<Uint8Array> }) => void stored.push(await readAll(m.chunks)),
})
const shape = (r: MessageResult) => ({
  status: r.status,
  reply: r.reply,
  recipients: r.recipients.map((x) => [x.address, x.status, x.reply?.code]),
})

describe('memory network and Node adapter', () => {
  it('give the same results and store the same octets for the same session', async () => {
    const nodeStored: Uint8Array[] = []
    const server = createSmtpServer({ smtp: { hostname: 'mx.example.com' }, hooks: hooks(nodeStored) })
    const { port } = await server.listen(0, '127.0.0.1')
    const session = await connectSmtp({ host: '127.0.0.1', port, smtp: { helo: 'client.example.org' } })
    const nodeResults = []
    for (const m of messages) nodeResults.push(shape(await session.send({ envelope: m, body: m.body })))
    await session.quit()
    await server.close(100)

    for (const seed of [1, 2, 3]) {
      const sim = new Simulation({ seed, faults: { ...noFaults, links: { ...calmLinks, split: 0.8 } } })
      const memStored: Uint8Array[] = []
      sim.addServer({ name: 'mx.example.com', hooks: () => hooks(memStored) })
      const memResults: unknown[] = []
      void (async () => {
        for (const m of messages) {
          const a = await sim.attempt('client.example.org', 'mx.example.com', m)
          memResults.push(shape(a.result!))
        }
      })()
      await sim.run(Number.MAX_SAFE_INTEGER)
      expect(memResults).toEqual(nodeResults)
      expect(memStored.map((b) => Buffer.from(b).toString('latin1'))).toEqual(
        nodeStored.map((b) => Buffer.from(b).toString('latin1')),
      )
    }
    expect(nodeResults.map((r) => r.status)).toEqual(['accepted', 'accepted', 'accepted'])
    expect(nodeResults[1]!.recipients[1]).toEqual(['nobody@example.com', 'permanent', 550])
  })
})
