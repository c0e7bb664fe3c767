// The example of docs/simulation.md, "Your own simulation": docs.test.ts checks that the document
// shows this code and runs it.
import { encode } from '@smtpure/core'
import { SmtpError } from '@smtpure/driver'
import { Simulation, calmLinks, mermaidSequence, noFaults, readAll } from '@smtpure/memory'

export const ownSimulation = async () => {
  // example:start
  const sim = new Simulation({
    seed: 42,
    keepTrace: true,
    // 1% of deliveries reset the connection; half of all writes arrive cut into pieces
    faults: { ...noFaults, links: { ...calmLinks, reset: 0.01, split: 0.5 } },
  })
  // a final server with the default store: it commits the message, then says 250
  const mx = sim.addServer({ name: 'mx.example.com', tls: true })
  // a server with hooks of your own
  const inbox: Uint8Array[] = []
  sim.addServer({
    name: 'mail.example.net',
    hooks: () => ({
      onRcptTo: (to) => {
        if (to.localPart === 'nobody') throw new SmtpError(550, '5.1.1', 'No such user')
      },
      onMessage: async (message) => void inbox.push(await readAll(message.chunks)),
    }),
  })
  const body = encode('Subject: hello\r\n\r\nHello, world.\r\n')
  const statuses: string[] = []
  void (async () => {
    for (const [server, to] of [
      ['mx.example.com', 'alice@example.com'],
      ['mail.example.net', 'carol@example.net'],
      ['mail.example.net', 'nobody@example.net'],
    ] as const) {
      const attempt = await sim.attempt('client.example.org', server, { from: 'bob@example.org', to: [to], body })
      statuses.push(attempt.status)
    }
  })()
  await sim.run(60 * 60_000) // one virtual hour, a few milliseconds of real time
  const diagram = mermaidSequence(sim.trace.events!)
  // example:end
  return { statuses, stored: mx.committed.length + inbox.length, summary: sim.summary, hash: sim.trace.hash(), diagram }
}
