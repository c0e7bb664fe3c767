// Faults found by using Simulation as a test suite of one's own would, each checked here:
// - a hook that changed the octets it was handed (wiping a chunk once stored) rewrote the kept trace;
// - a client host name that cannot be an EHLO name rejected `attempt` after it had connected, leaving the
//   server's session waiting for a greeting nobody read until its deadline;
// - `summary.sent` left out the attempts that ended without a result, which it says it counts;
// - an attempt refused by a 554 greeting counted as temporary, which a retrying scenario would try again.
import { encode } from '@smtpure/core'
import { describe, expect, it } from 'vitest'
import { Simulation, noFaults } from '../src/index.js'

const message = (text: string) => ({ from: 'bob@example.org', to: ['alice@example.com'], body: encode(text) })

describe('a simulation of your own', () => {
  it('keeps in its trace the octets that crossed the link, whatever the receiver does with them', async () => {
    const sim = new Simulation({ seed: 1, keepTrace: true, faults: noFaults })
    sim.addServer({
      name: 'mx.example.com',
      smtp: { chunking: false, binaryMime: false },
      hooks: () => ({
        onMessage: async (m) => {
          for await (const c of m.chunks) c.fill(0x23) // stored, then scrubbed
        },
      }),
    })
    const done = sim.attempt('client.example.org', 'mx.example.com', message('Subject: s\r\n\r\nhunter2\r\n'))
    await sim.run(3_600_000)
    expect((await done).status).toBe('accepted')
    const sent = sim.trace
      .events!.filter((e) => e.kind === 'data' && e.from === 'client.example.org')
      .map((e) => new TextDecoder().decode(e.bytes))
      .join('')
    expect(sent).toContain('Subject: s\r\n\r\nhunter2\r\n.\r\n')
  })

  it('refuses a client host name that cannot be an EHLO name before connecting: the server sees nothing', async () => {
    const sim = new Simulation({ seed: 1, keepTrace: true, faults: noFaults })
    sim.addServer({ name: 'mx.example.com' })
    const done = sim.attempt('client 1', 'mx.example.com', message('Subject: s\r\n\r\nx\r\n'))
    await expect(done).rejects.toThrow(/^invalid client options:\nhelo: must be a domain name or an address literal/)
    await sim.run(3_600_000)
    expect(sim.trace.events!.filter((e) => e.kind === 'connect')).toEqual([])
    expect(sim.scheduler.now).toBe(0) // no session was left to time out
  })

  it('counts every attempt that connected as sent, those that ended without a result too', async () => {
    const sim = new Simulation({ seed: 1, faults: noFaults })
    // a server that refuses every session in its greeting: the attempt ends without a transaction result
    sim.addServer({
      name: 'mx.example.com',
      hooks: () => ({ onConnect: () => ({ code: 554, lines: ['no service'] }) }),
    })
    sim.addServer({ name: 'mail.example.net' })
    const attempts = [
      sim.attempt('client.example.org', 'mx.example.com', message('Subject: s\r\n\r\nx\r\n')),
      sim.attempt('client.example.org', 'mail.example.net', message('Subject: s\r\n\r\nx\r\n')),
    ]
    await sim.run(24 * 3_600_000)
    const statuses = (await Promise.all(attempts)).map((a) => a.status)
    const s = sim.summary
    expect(s.sent).toBe(2)
    expect(s.accepted + s.rejected + s.temporary + s.unknown).toBe(s.sent)
    expect(statuses).toEqual(['permanent', 'accepted']) // a 554 greeting is a permanent refusal (RFC 5321 4.2.1)
  })
})
