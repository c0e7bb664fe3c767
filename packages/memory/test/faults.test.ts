// The fault model: rates and durations given by hand are checked when a world is made (an OptionsError
// naming each field), so none can turn the virtual clock into NaN or hold a run at one instant; the
// profiles only draw rates that pass the same check; and valid rates keep virtual time whole.
import { fc, test } from '@fast-check/vitest'
import { OptionsError } from '@smtpure/driver'
import { describe, expect, it } from 'vitest'
import {
  type FaultRates,
  type LinkFaults,
  MemoryNetwork,
  Random,
  Scheduler,
  Simulation,
  Trace,
  calmLinks,
  drawFaults,
  faultProblems,
  noFaults,
  profileNames,
} from '../src/index.js'

const MAX_MS = 2 ** 31 - 1

/** The problem lines `new Simulation` throws for these faults, or [] when it takes them. */
const refused = (faults: FaultRates): ReadonlyArray<string> => {
  try {
    new Simulation({ seed: 1, faults })
    return []
  } catch (e) {
    expect(e).toBeInstanceOf(OptionsError)
    expect((e as Error).message).toMatch(/^invalid simulation options:\n/)
    return (e as OptionsError).problems
  }
}

// Arbitraries of valid rates, shaped like the codecs: rates from 0 to 1, whole milliseconds, a fault that
// takes time given at least 1 ms.
const rate = fc.oneof(fc.constantFrom(0, 1), fc.double({ min: 0, max: 1, noNaN: true }))
const ms = (min: number, max = MAX_MS) => fc.integer({ min, max })
const linkFaults: fc.Arbitrary<LinkFaults> = fc.record({
  latencyMs: fc.tuple(ms(0, 50), ms(0, 50)).map(([a, b]): [number, number] => (a <= b ? [a, b] : [b, a])),
  split: rate,
  reset: rate,
  stall: rate,
  stallMs: ms(1, 120_000),
  deaf: rate,
  tlsFailure: rate,
  halfClose: rate,
})
const faultRates: fc.Arbitrary<FaultRates> = fc.record({
  links: linkFaults,
  storeFull: rate,
  hookThrows: rate,
  hookSlow: rate,
  slowMs: ms(1, 300_000),
  hookNever: rate,
  crash: rate,
  downMs: ms(0, 300_000),
  clockJump: rate,
  refuseSender: rate,
  refuseRecipient: rate,
  deferRecipient: rate,
})

const rateNames = ['storeFull', 'hookThrows', 'hookSlow', 'hookNever', 'crash', 'clockJump', 'refuseSender'] as const
const linkRateNames = ['split', 'reset', 'stall', 'deaf', 'tlsFailure', 'halfClose'] as const
const notARate = fc.constantFrom(NaN, -0.1, 1.5, Infinity, undefined, '0.5', null)
const notMs = fc.constantFrom(NaN, -1, 0.5, MAX_MS + 1, Infinity, undefined, '60000')

describe('faults', () => {
  it('the shared defaults cannot be changed: a test that did would change every later seed of its process', () => {
    expect(Object.isFrozen(noFaults) && Object.isFrozen(calmLinks) && Object.isFrozen(calmLinks.latencyMs)).toBe(true)
    expect(() => {
      ;(calmLinks.latencyMs as unknown as number[])[1] = 500
    }).toThrow(TypeError)
  })

  describe('rates given by hand', () => {
    it('refuses a slow hook with no slowMs, which drew int(1, 0) and made the clock NaN', () => {
      expect(refused({ ...noFaults, hookSlow: 1 })).toEqual([
        'faults.slowMs: expected at least 1 ms while hookSlow is above 0, given 0',
      ])
    })

    it('refuses a latency that is not a range, which hung inside Random.int', () => {
      const latency = (latencyMs: unknown) =>
        refused({ ...noFaults, links: { ...calmLinks, latencyMs: latencyMs as [number, number] } })
      const line = 'faults.links.latencyMs: expected [min, max] in whole milliseconds, min <= max, given'
      expect(latency([undefined, undefined])).toEqual([`${line} [undefined,undefined]`])
      expect(latency([NaN, NaN])).toEqual([`${line} [NaN,NaN]`])
      expect(latency([50, 1])).toEqual([`${line} [50,1]`])
      expect(latency([-10, -1])).toEqual([`${line} [-10,-1]`])
      expect(latency([0, 0])).toEqual([])
    })

    it('refuses a stall of no length, which with no latency held a delivery at one instant for ever', () => {
      expect(refused({ ...noFaults, links: { ...calmLinks, latencyMs: [0, 0], stall: 1, stallMs: 0 } })).toEqual([
        'faults.links.stallMs: expected at least 1 ms while stall is above 0, given 0',
      ])
    })

    it('names unknown keys, so a misspelled rate does not stay 0 in silence', () => {
      const faults = { ...noFaults, hookslow: 0.5, links: { ...calmLinks, rest: 0.1 } } as unknown as FaultRates
      expect(refused(faults)).toEqual([
        'faults.hookslow: unknown option (did you mean hookSlow?)',
        'faults.links.rest: unknown option (did you mean reset?)',
      ])
    })

    test.prop([faultRates, fc.constantFrom(...rateNames), notARate])(
      'names a rate that is not a probability',
      (faults, name, bad) => {
        expect(refused({ ...faults, [name]: bad })).toContain(
          `faults.${name}: expected a probability from 0 to 1, given ${bad === '0.5' ? '"0.5"' : String(bad)}`,
        )
      },
    )

    test.prop([faultRates, fc.constantFrom(...linkRateNames), notARate])(
      'names a link rate that is not a probability',
      (faults, name, bad) => {
        const problems = refused({ ...faults, links: { ...faults.links, [name]: bad } })
        expect(problems.some((p) => p.startsWith(`faults.links.${name}: expected a probability`))).toBe(true)
      },
    )

    test.prop([faultRates, fc.constantFrom('slowMs', 'downMs', 'links.stallMs'), notMs])(
      'names a duration that is not whole milliseconds',
      (faults, name, bad) => {
        const given =
          name === 'links.stallMs'
            ? { ...faults, links: { ...faults.links, stallMs: bad } }
            : { ...faults, [name]: bad }
        const problems = refused(given as FaultRates)
        expect(
          problems.some((p) => p.startsWith(`faults.${name}: expected whole milliseconds from 0 to ${MAX_MS}`)),
        ).toBe(true)
      },
    )

    it('refuses new rates set on a running world the same way, and keeps the old ones', () => {
      const sim = new Simulation({ seed: 1 })
      expect(() => (sim.faults = { ...noFaults, hookSlow: 0.5 })).toThrow(
        'faults.slowMs: expected at least 1 ms while hookSlow is above 0, given 0',
      )
      expect(sim.faults).toBe(noFaults)
      expect(sim.network.links).toBe(noFaults.links)
    })

    it('refuses links set on a network used alone', () => {
      const net = new MemoryNetwork(new Scheduler(1), new Trace(false))
      expect(() => (net.links = { ...calmLinks, stall: 0.5 })).toThrow(
        'invalid network options:\nlinks.stallMs: expected at least 1 ms while stall is above 0, given 0',
      )
      expect(net.links).toBe(calmLinks)
    })
  })

  describe('drawn rates', () => {
    test.prop([fc.nat(), fc.constantFrom(...profileNames)])('every profile draws rates the check takes', (seed, p) => {
      expect(faultProblems(drawFaults(new Random(seed, 1), p))).toEqual([])
    })
  })

  describe('virtual time', () => {
    // each run stops after 3000 events: a link that stalls every delivery for 1 ms never ends on its own
    test.prop([faultRates, fc.nat()], { numRuns: 25 })('stays whole under any valid rates', async (faults, seed) => {
      const sim = new Simulation({ seed, faults })
      const server = sim.addServer({ name: 'mx.example.com', tls: true })
      const times: number[] = []
      void (async () => {
        for (let i = 0; i < 3; i++) {
          await sim.attempt('client.example.org', 'mx.example.com', {
            from: 'a@example.org',
            to: ['b@example.com'],
            body: new TextEncoder().encode(`Subject: ${i}\r\n\r\nx\r\n`),
          })
          times.push(sim.scheduler.now)
          await sim.scheduler.sleep(60_000)
        }
      })()
      await sim.run(6 * 60 * 60_000, () => sim.scheduler.steps > 3000)
      for (const t of [sim.scheduler.now, ...times, ...server.committed.map((c) => c.at)])
        expect(Number.isSafeInteger(t)).toBe(true)
    })
  })
})
