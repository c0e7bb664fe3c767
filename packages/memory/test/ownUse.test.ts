// Faults found by using Simulation as a test suite of one's own would, each checked here:
// - a hook that changed the octets it was handed (wiping a chunk once stored) rewrote the kept trace;
// - a client host name that cannot be an EHLO name rejected `attempt` after it had connected, leaving the
//   server's session waiting for a greeting nobody read until its deadline;
// - `summary.sent` left out the attempts that ended without a result, which it says it counts;
// - an attempt refused by a 554 greeting counted as temporary, which a retrying scenario would try again;
// - a server's misspelled session option was ignored, where `createSmtpServer` refuses it;
// - a second server of one name threw, but had already replaced the first in `sim.servers`.
import { fc, test } from '@fast-check/vitest'
import { encode } from '@smtpure/core'
import { OptionsError } from '@smtpure/driver'
import { createSmtpServer } from '@smtpure/node'
import { describe, expect, it } from 'vitest'
import { type ServerSpec, Simulation, noFaults } from '../src/index.js'

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

  describe('servers', () => {
    /** The message a server refuses `smtp` with, or undefined when it takes them. */
    const refusal = (make: () => unknown): string | undefined => {
      try {
        make()
        return undefined
      } catch (e) {
        expect(e).toBeInstanceOf(OptionsError)
        return (e as Error).message
      }
    }
    const inMemory = (smtp: object) => () =>
      new Simulation({ seed: 1 }).addServer({ name: 'mx.example.com', smtp } as ServerSpec)
    const onNode = (smtp: object) => () => createSmtpServer({ smtp })

    it('refuses a misspelled session option as createSmtpServer does, in the same words', () => {
      const smtp = { maxRecipientz: 1, hostnme: 'typo' }
      expect(refusal(inMemory(smtp))).toBe(
        'invalid server options:\n' +
          'smtp.maxRecipientz: unknown option (did you mean maxRecipients?)\n' +
          'smtp.hostnme: unknown option (did you mean hostname?)',
      )
      expect(refusal(inMemory(smtp))).toBe(refusal(onNode(smtp)))
    })

    // option names real and misspelled, with values of every kind: where Node refuses, the simulation refuses alike
    const names = ['maxRecipients', 'maxRecipientz', 'hostname', 'chunking', 'idleTimeoutMs', 'maxLineLength', 'lmtp']
    const value = fc.oneof(
      fc.integer({ min: -5, max: 5000 }),
      fc.boolean(),
      fc.string({ maxLength: 8 }),
      fc.constant(null),
    )
    test.prop([fc.dictionary(fc.constantFrom(...names), value, { maxKeys: 3 })])(
      'takes and refuses the session options a Node server takes and refuses',
      (smtp) => {
        expect(refusal(inMemory(smtp))).toBe(refusal(onNode(smtp)))
      },
    )

    it('refuses a misspelled key of the server spec itself', () => {
      const spec = { name: 'mx.example.com', hook: () => ({}) } as unknown as ServerSpec
      expect(refusal(() => new Simulation({ seed: 1 }).addServer(spec))).toBe(
        'invalid server options:\nhook: unknown option (did you mean hooks?)',
      )
    })

    it('refuses a second server of one name, and leaves the first in place and listening', async () => {
      const sim = new Simulation({ seed: 1, faults: noFaults })
      const first = sim.addServer({ name: 'mx.example.com' })
      expect(() => sim.addServer({ name: 'mx.example.com', tls: true })).toThrow(
        'invalid server options:\nname: mx.example.com is already a server of this simulation, given mx.example.com',
      )
      // host names are case-blind (RFC 4343): the same server, and the one a client reaches in any case
      expect(() => sim.addServer({ name: 'MX.Example.com' })).toThrow(OptionsError)
      expect(sim.servers.get('mx.example.com')).toBe(first)
      expect(first.up).toBe(true)
      const done = sim.attempt('client.example.org', 'Mx.Example.COM', message('Subject: s\r\n\r\nx\r\n'))
      await sim.run(3_600_000)
      expect((await done).status).toBe('accepted')
      expect(first.committed).toHaveLength(1)
      // crashed, it is still that simulation's server: its restart must find its name free
      first.crash()
      expect(() => sim.addServer({ name: 'mx.example.com' })).toThrow('already a server')
      first.restart()
      expect(first.up).toBe(true)
    })

    it('refuses a server at a name something else listens at, changing nothing', () => {
      const sim = new Simulation({ seed: 1 })
      sim.network.listen('mx.example.com', () => undefined)
      expect(() => sim.addServer({ name: 'MX.example.com' })).toThrow(
        'name: something already listens at MX.example.com',
      )
      expect(sim.servers.size).toBe(0)
    })
  })
})
