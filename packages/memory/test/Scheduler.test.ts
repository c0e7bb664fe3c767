// Virtual time: events in (time, insertion) order, the clock jumping from one to the next, promise
// jobs drained between events, and the driver's own timeouts firing in virtual time.
import { describe, expect, it } from 'vitest'
import { EPOCH_MS, Random, Scheduler, Simulation, noFaults } from '../src/index.js'

describe('Scheduler', () => {
  it('runs events by virtual time, then by insertion, and jumps the clock to each', async () => {
    const s = new Scheduler(1)
    const seen: string[] = []
    s.at(30, () => seen.push(`b@${s.now}`))
    s.at(10, () => seen.push(`a@${s.now}`))
    s.at(30, () => seen.push(`c@${s.now}`))
    const cancel = s.at(20, () => seen.push('cancelled'))
    cancel()
    await s.run(1000)
    expect(seen).toEqual(['a@10', 'b@30', 'c@30'])
    expect(s.pending()).toBe(0)
  })

  it('refuses a delay or a time limit that is not a number: NaN would make every later time NaN', async () => {
    const s = new Scheduler(1)
    expect(() => s.at(NaN, () => undefined)).toThrow(RangeError)
    await expect(s.sleep(Number('later'))).rejects.toThrow(RangeError)
    await expect(s.run(NaN)).rejects.toThrow(RangeError)
    await expect(s.run(undefined as unknown as number)).rejects.toThrow(RangeError)
    // a negative delay is now, Infinity is never; the clock stays a number
    const seen: number[] = []
    s.at(-5, () => seen.push(s.now))
    s.at(Infinity, () => seen.push(-1))
    await s.run(Infinity)
    expect(seen).toEqual([0])
    expect(s.now).toBe(0)
    expect(s.pending()).toBe(0)
  })

  it('lets every promise job of an event run before the next event', async () => {
    const s = new Scheduler(1)
    const seen: string[] = []
    s.at(5, () => {
      // a hook that answers through a chain of promises, at the same virtual instant
      let p = Promise.resolve()
      for (let i = 0; i < 50; i++) p = p.then(() => undefined)
      void p.then(() => seen.push(`answer@${s.now}`))
    })
    s.at(5, () => seen.push(`next@${s.now}`))
    await s.run(100)
    expect(seen).toEqual(['answer@5', 'next@5'])
  })

  it('takes hours of virtual time in no time, with a virtual wall clock', async () => {
    const s = new Scheduler(1)
    const rt = s.runtime()
    let fired = 0
    rt.setTimer(5 * 60 * 60_000, () => (fired = rt.now().epochMs))
    await s.run(Number.MAX_SAFE_INTEGER)
    expect(fired).toBe(EPOCH_MS + 5 * 60 * 60_000)
  })

  it('draws the same tokens from the same seed, and others from another', () => {
    const a = new Scheduler(7).runtime()
    const b = new Scheduler(7).runtime()
    const c = new Scheduler(8).runtime()
    const ta = [a.randomToken(), a.randomToken()]
    expect([b.randomToken(), b.randomToken()]).toEqual(ta)
    expect(c.randomToken()).not.toBe(ta[0])
    expect(ta[0]).toMatch(/^[0-9a-z]{12}$/)
  })

  it('gives integers in range from a seeded generator', () => {
    const r = new Random(99)
    const xs = Array.from({ length: 1000 }, () => r.int(3, 9))
    expect(Math.min(...xs)).toBe(3)
    expect(Math.max(...xs)).toBe(9)
  })

  it('fires the client reply timeout in virtual time against a server that never answers (RFC 5321 4.5.3.2)', async () => {
    const sim = new Simulation({ seed: 5 })
    sim.network.listen('silent.example', () => undefined) // accepts, never speaks
    const attempt = sim.attempt('client.example', 'silent.example', {
      from: 'a@b.example',
      to: ['c@d.example'],
      body: new Uint8Array(),
    })
    await sim.run(Number.MAX_SAFE_INTEGER)
    expect((await attempt).status).toBe('temporary')
    expect(sim.summary.timeouts).toBe(1)
    // the 5-minute greeting timeout, then the linger of the unanswered close
    expect(sim.scheduler.now).toBeGreaterThanOrEqual(5 * 60_000)
    expect(sim.scheduler.now).toBeLessThan(6 * 60_000)
  })
})

describe('chaos knobs', () => {
  it('refuse and defer recipients as often as asked, reproducibly', async () => {
    const outcome = async (seed: number) => {
      const sim = new Simulation({ seed, faults: { ...noFaults, refuseRecipient: 0.3, deferRecipient: 0.3 } })
      sim.addServer({ name: 'mx.example.com' })
      const statuses: string[] = []
      void (async () => {
        for (let i = 0; i < 40; i++) {
          const a = await sim.attempt('c.example.org', 'mx.example.com', {
            from: 'a@example.org',
            to: ['b@example.com'],
            body: new TextEncoder().encode('Subject: x\r\n\r\nx\r\n'),
          })
          statuses.push(a.result?.recipients[0]?.reply?.enhanced ?? a.status)
        }
      })()
      await sim.run(Number.MAX_SAFE_INTEGER)
      return statuses
    }
    const a = await outcome(11)
    expect(a).toHaveLength(40)
    for (const code of ['5.1.1', '4.2.1', '2.0.0']) expect(a).toContain(code)
    expect(await outcome(11)).toEqual(a)
  })
})
