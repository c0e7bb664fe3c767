// The simulation over many seeds: every invariant on every seed, for both scenarios and all profiles;
// the faults really happen; a planted bug is caught with its replay line; a seed replays byte for byte.
import { describe, expect, it } from 'vitest'
import {
  type PlantedBug,
  type ProfileName,
  type RunOptions,
  type RunReport,
  type Summary,
  replayLine,
  runDirect,
  runRelay,
} from '../src/index.js'

type Runner = (o: RunOptions) => Promise<RunReport>
const scenarios: ReadonlyArray<readonly [string, Runner]> = [
  ['direct', runDirect],
  ['relay', runRelay],
]

/** Run seeds [from, from + count) and add up their summaries; fail on the first violation, with its replay line. */
const sweep = async (run: Runner, profile: ProfileName, from: number, count: number): Promise<Summary> => {
  const total: Record<string, number> = {}
  for (let seed = from; seed < from + count; seed++) {
    const report = await run({ seed, profile })
    if (report.violations.length > 0)
      expect.fail(`${report.violations.join('\n')}\nreplay: ${replayLine(report.scenario, seed, profile)}`)
    for (const [k, v] of Object.entries(report.summary)) total[k] = (total[k] ?? 0) + v
  }
  return total as unknown as Summary
}

describe('simulation', () => {
  describe.each(scenarios)('%s scenario', (name, run) => {
    const counts = { calm: 500, faulty: 2000, brutal: 1000 }
    it.each(Object.entries(counts))('holds every invariant on %s seeds (%i of them)', async (profile, count) => {
      const total = await sweep(run, profile as ProfileName, 1, count)
      expect(total.accepted).toBeGreaterThan(0)
      if (profile === 'calm') expect(total.resets + total.timeouts + total.unknown + total.crashes).toBe(0)
    })

    it('injects real faults under the brutal profile, and the invariants still hold', async () => {
      const total = await sweep(run, 'brutal', 5000, 150)
      expect(total.resets).toBeGreaterThan(0)
      expect(total.timeouts).toBeGreaterThan(0)
      expect(total.unknown).toBeGreaterThan(0)
      expect(total.duplicates).toBeGreaterThan(0)
      expect(total.crashes).toBeGreaterThan(0)
      expect(total.refused).toBeGreaterThan(0)
      if (name === 'relay') expect(total.bounced).toBeGreaterThan(0)
    })

    it('replays a seed byte for byte, and another seed differs', async () => {
      for (const seed of [3, 17, 4242]) {
        const a = await run({ seed, profile: 'brutal', keepTrace: true })
        const b = await run({ seed, profile: 'brutal', keepTrace: true })
        expect(b.traceHash).toBe(a.traceHash)
        expect(b.trace).toEqual(a.trace)
        expect(b.summary).toEqual(a.summary)
        expect(a.trace!.length).toBeGreaterThan(10)
        const other = await run({ seed: seed + 1, profile: 'brutal' })
        expect(other.traceHash).not.toBe(a.traceHash)
      }
    })
  })

  describe('planted bugs are caught', () => {
    const hunt = async (run: Runner, bug: PlantedBug, profile: ProfileName, limit: number) => {
      for (let seed = 1; seed <= limit; seed++) {
        const report = await run({ seed, profile, bug })
        if (report.violations.length > 0) return { seed, report, line: replayLine(report.scenario, seed, profile) }
      }
      return undefined
    }
    it('a server that answers 250 before its store has the message loses it in some seed', async () => {
      const found = await hunt(runDirect, 'ack-before-store', 'brutal', 400)
      expect(found).toBeDefined()
      expect(found!.report.violations.join('\n')).toMatch(/^lost: .* was answered 250/m)
      expect(found!.line).toBe(`npx smtpure simulate --scenario direct --profile brutal --seed ${found!.seed}`)
      // and without the bug, the same seed is clean
      expect((await runDirect({ seed: found!.seed, profile: 'brutal' })).violations).toEqual([])
    })
    it('a relay that forgets its queue on restart loses a message in some seed', async () => {
      const found = await hunt(runRelay, 'forget-queue', 'brutal', 400)
      expect(found).toBeDefined()
      expect(found!.report.violations.join('\n')).toMatch(/^lost: .* answered 250 by the relay/m)
      expect((await runRelay({ seed: found!.seed, profile: 'brutal' })).violations).toEqual([])
    })
  })

  describe('run options', () => {
    it.each(scenarios)('%s: refuses a seed past 2^32 - 1, and an unknown profile', async (_, run) => {
      await expect(run({ seed: 2 ** 32 + 1, profile: 'faulty' })).rejects.toThrow(
        'invalid run options:\nseed: expected a whole number from 0 to 4294967295, given 4294967297',
      )
      await expect(run({ seed: -5, profile: 'faulty' })).rejects.toThrow('seed: expected a whole number')
      // 'nope' ran as faulty
      await expect(run({ seed: 1, profile: 'nope' as ProfileName })).rejects.toThrow(
        'invalid run options:\nprofile: expected one of calm, faulty, brutal, given "nope"',
      )
    })

    it('refuses a planted bug of the other scenario, which would run as no bug at all', async () => {
      await expect(runDirect({ seed: 1, profile: 'faulty', bug: 'forget-queue' })).rejects.toThrow(
        'invalid run options:\nbug: forget-queue is planted in the relay scenario, not the direct one',
      )
      await expect(runRelay({ seed: 1, profile: 'faulty', bug: 'ack-before-store' })).rejects.toThrow(
        'invalid run options:\nbug: ack-before-store is planted in the direct scenario, not the relay one',
      )
    })
  })
})
