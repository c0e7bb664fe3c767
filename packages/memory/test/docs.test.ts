// docs/simulation.md stays true to the code: its example is the code run here, its diagram is what
// the stated seed draws, its replay line fails as it says, and its numbers are the code's constants.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  FAULT_PHASE_MS,
  HIGH_WATER,
  LIVENESS_MS,
  LINGER_MS,
  MAX_PENDING,
  MAX_QUEUE_MS,
  RELAY_LIVENESS_MS,
  drawFaults,
  mermaidSequence,
  profileNames,
  Random,
  Simulation,
  readAll,
  runDirect,
} from '../src/index.js'
import { ownSimulation } from './ownSimulation.js'

const doc = readFileSync(new URL('../../../docs/simulation.md', import.meta.url), 'utf8')
const fenced = (lang: string, after: string): string => {
  const from = doc.indexOf(after)
  const start = doc.indexOf('```' + lang + '\n', from) + lang.length + 4
  return doc.slice(start, doc.indexOf('```\n', start))
}

describe('docs/simulation.md', () => {
  it('shows the example that this test runs, with where each name comes from, and the example works', async () => {
    const source = readFileSync(new URL('./ownSimulation.ts', import.meta.url), 'utf8')
    const imports = source.split('\n').filter((l) => l.startsWith('import '))
    const body = source.slice(source.indexOf('// example:start\n') + 17, source.indexOf('  // example:end'))
    const dedented = body.replace(/^ {2}/gm, '')
    expect(imports).toHaveLength(3)
    expect(fenced('ts', '## Your own simulation')).toBe(`${imports.join('\n')}\n\n${dedented}`)
    const r = await ownSimulation()
    expect(r.statuses).toEqual(['accepted', 'accepted', 'permanent'])
    expect(r.stored).toBe(2)
    expect(r.diagram).toMatch(/^sequenceDiagram\n/)
    expect((await ownSimulation()).hash).toBe(r.hash)
  })

  it('says where determinism is checked (simulate runs each seed once), and the test it names exists', () => {
    expect(doc).not.toContain('Checked on every seed')
    expect(doc).toContain('The\nsixth needs two runs of a seed, and is checked by the tests, not by `simulate`')
    expect(doc).toContain('in `packages/memory/test/simulation.test.ts` ("replays a seed byte for byte")')
    const tests = readFileSync(new URL('./simulation.test.ts', import.meta.url), 'utf8')
    expect(tests).toContain("it('replays a seed byte for byte")
  })

  it('draws the diagram that seed 177 of the faulty direct scenario gives', async () => {
    const report = await runDirect({ seed: 177, profile: 'faulty', keepTrace: true })
    expect(fenced('mermaid', 'This is seed 177')).toBe(mermaidSequence(report.trace!))
    // and it shows what the text says: an unknown outcome and a duplicate
    expect(report.summary.unknown).toBe(1)
    expect(report.summary.duplicates).toBe(1)
    expect(report.violations).toEqual([])
  })

  it('gives a replay line that fails as described', async () => {
    expect(doc).toContain('npx smtpure simulate --scenario direct --profile faulty --seed 75 --bug ack-before-store')
    const report = await runDirect({ seed: 75, profile: 'faulty', bug: 'ack-before-store' })
    expect(report.violations.some((v) => /^lost: .* was answered 250$/.test(v))).toBe(true)
  })

  it('states the phases, limits and profiles of the code', () => {
    expect(FAULT_PHASE_MS).toBe(20 * 60_000)
    expect(doc).toContain('the first 20 minutes of virtual time')
    expect([LIVENESS_MS, RELAY_LIVENESS_MS, MAX_QUEUE_MS]).toEqual([3, 5, 2].map((h) => h * 60 * 60_000))
    expect(doc).toContain('within 3 hours (direct scenario) or\n5 hours (relay scenario)')
    expect(doc).toContain('or two hours in the queue')
    expect(HIGH_WATER).toBe(16 * 1024)
    expect(doc).toContain('once 16 KiB')
    expect(MAX_PENDING).toBe(1000)
    expect(doc).toContain('no more than 1,000 events were ever waiting')
    expect(LINGER_MS).toBe(5000)
    expect(doc).toContain('closed its side 5 s later')
    for (const p of profileNames) expect(doc).toContain(`\`${p}\``)
  })

  it('says a session takes about 40 scheduler events', async () => {
    expect(doc).toContain('a session takes about 40 scheduler events')
    let steps = 0
    let sessions = 0
    for (let seed = 1; seed <= 100; seed++) {
      const r = await runDirect({ seed, profile: 'faulty' })
      steps += r.steps
      sessions += r.sessions
    }
    expect(steps / sessions).toBeGreaterThan(25)
    expect(steps / sessions).toBeLessThan(55)
  })

  it('gives the upper bounds of the faulty profile in its table', () => {
    // draw many seeds' rates: none exceeds what the table states for `faulty`
    const max: Record<string, number> = {}
    for (let seed = 0; seed < 3000; seed++) {
      const f = drawFaults(new Random(seed, 1), 'faulty')
      const rows = {
        reset: f.links.reset,
        stall: f.links.stall,
        deaf: f.links.deaf,
        tls: f.links.tlsFailure,
        halfClose: f.links.halfClose,
        full: f.storeFull,
        throws: f.hookThrows,
        slow: f.hookSlow,
        never: f.hookNever,
        crash: f.crash,
        jump: f.clockJump,
        slowMs: f.slowMs,
        latency: f.links.latencyMs[1],
      }
      for (const [k, v] of Object.entries(rows)) max[k] = Math.max(max[k] ?? 0, v)
    }
    const stated = {
      reset: 0.01,
      stall: 0.004,
      deaf: 0.02,
      tls: 0.1,
      halfClose: 0.005,
      full: 0.05,
      throws: 0.05,
      slow: 0.1,
      never: 0.01,
      crash: 0.3,
      jump: 0.3,
      slowMs: 120_000,
      latency: 50,
    }
    for (const [k, v] of Object.entries(stated)) {
      expect(max[k]).toBeLessThanOrEqual(v)
      expect(max[k]).toBeGreaterThan(v * 0.9) // and the bound is reached, so the table is not loose
    }
  })
})

describe('the slow-hook hazard docs/simulation.md describes', () => {
  it('a store that commits after the driver answered 451 in its place makes a duplicate outside the window', async () => {
    const sim = new Simulation({ seed: 1 })
    const stored: Uint8Array[] = []
    let calls = 0
    sim.addServer({
      name: 'mx.example.com',
      hooks: () => ({
        onMessage: async (m) => {
          const body = await readAll(m.chunks)
          if (calls++ === 0) await sim.scheduler.sleep(6 * 60_000) // past the 5-minute hook timeout
          stored.push(body)
        },
      }),
    })
    const statuses: string[] = []
    void (async () => {
      while (!statuses.includes('accepted')) {
        const a = await sim.attempt('c.example.org', 'mx.example.com', {
          from: 'a@example.org',
          to: ['b@example.com'],
          body: new TextEncoder().encode('Subject: x\r\n\r\nx\r\n'),
        })
        statuses.push(a.status)
      }
    })()
    await sim.run(Number.MAX_SAFE_INTEGER)
    expect(statuses).toEqual(['temporary', 'accepted'])
    // two copies, but only one attempt was answered 250 or left unknown: invariant 3 would flag it
    expect(stored).toHaveLength(2)
  })
})
