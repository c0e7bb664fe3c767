// The direct scenario: clients submit messages straight to final servers, retrying after temporary
// failures, lost connections and unknown outcomes, while the run's faults hit links, hooks and servers.
// A fault phase, then a liveness phase with faults off by whose end everything must be settled.
import { type ServerHooks } from '@smtpure/driver'
import { drawFaults } from '../faults.js'
import { Random } from '../Random.js'
import { readAll, type SimServer } from '../SimServer.js'
import { Simulation } from '../Simulation.js'
import {
  type RunOptions,
  type RunReport,
  checkedRun,
  type Submission,
  MAX_PENDING,
  backoff,
  makeBody,
  mayHaveCopied,
  messageIdOf,
  sameBytes,
} from './common.js'

/** Faults are on for this long (virtual). */
export const FAULT_PHASE_MS = 20 * 60_000
/** After the fault phase, everything must be settled within this (virtual). */
export const LIVENESS_MS = 3 * 60 * 60_000

/** The planted bug: 250 first, the commit a moment later. */
const ackBeforeStore = (server: SimServer): ServerHooks => ({
  onMessage: async (message) => {
    const generation = server.generation
    const body = await readAll(message.chunks)
    const sim = server.sim
    void sim.scheduler.sleep(sim.scheduler.random.int(1, 60_000)).then(() => {
      server.commit(generation, message.envelope, message.received, body)
    })
  },
})

/**
 * Run one seed of the direct scenario and check every invariant. Rejects with `OptionsError` when the options do
 * not fit (a seed past `MAX_SEED`, an unknown profile).
 * @example
 * const report = await runDirect({ seed: 7, profile: 'faulty' })
 * if (report.violations.length > 0) console.log(report.violations)
 */
export const runDirect = async (options: RunOptions): Promise<RunReport> => {
  const { seed, profile } = checkedRun(options, 'direct')
  const sim = new Simulation({
    seed,
    faults: drawFaults(new Random(seed, 1), profile),
    keepTrace: options.keepTrace ?? false,
  })
  const w = new Random(seed, 2) // the workload, apart from the faults' stream
  const servers: SimServer[] = []
  for (let i = 1, n = w.int(1, 2); i <= n; i++) {
    servers.push(
      sim.addServer({
        name: `mx${i}.example.net`,
        tls: w.chance(0.5),
        hooks: (s) => {
          const base = options.bug === 'ack-before-store' ? ackBeforeStore(s) : s.storeHooks()
          return { ...base, ...policy }
        },
      }),
    )
  }
  const submissions: Submission[] = []
  const clients = w.int(1, 3)
  for (let c = 1; c <= clients; c++) {
    for (let m = 1, n = w.int(1, 3); m <= n; m++) {
      const id = `${seed}.${c}.${m}@client${c}.example.org`
      const from = w.chance(0.05) ? 'spammer@client.example.org' : `user${c}@client${c}.example.org`
      const to = Array.from(
        { length: w.int(1, 3) },
        (_, k) => (w.chance(0.05) ? `nobody${k}` : `rcpt${k}`) + '@example.net',
      )
      const server = w.pick(servers).name
      submissions.push({
        id,
        client: `client${c}.example.org`,
        server,
        message: { from, to, body: makeBody(w, id, from, to) },
        attempts: [],
        final: undefined,
      })
    }
  }
  sim.planFaults(FAULT_PHASE_MS)
  sim.scheduler.at(FAULT_PHASE_MS, () => sim.calm())
  const deadline = FAULT_PHASE_MS + LIVENESS_MS
  for (let c = 1; c <= clients; c++) {
    const mine = submissions.filter((s) => s.client === `client${c}.example.org`)
    void (async () => {
      await sim.scheduler.sleep(w.int(0, 60_000))
      for (const s of mine) {
        while (s.final === undefined && sim.scheduler.now < deadline) {
          const a = await sim.attempt(s.client, s.server, s.message)
          s.attempts.push(a)
          if (a.status === 'accepted') s.final = 'accepted'
          else if (a.status === 'permanent') s.final = 'rejected'
          else await sim.scheduler.sleep(backoff(sim.scheduler.random, s.attempts.length))
        }
      }
    })()
  }
  const settled = (): boolean =>
    submissions.every((s) => s.final !== undefined) && sim.sessionsOpen === 0 && sim.network.open.size === 0
  await sim.run(deadline, settled)
  const settledAt = sim.scheduler.now
  await sim.run(deadline) // what is still scheduled (a store's late work) runs before the checks

  const violations = checkDirect(sim, submissions)
  if (!settled()) violations.push(unsettled(sim, submissions))
  return {
    scenario: 'direct',
    seed,
    profile,
    summary: sim.summary,
    traceHash: sim.trace.hash(),
    violations,
    virtualMs: settledAt,
    steps: sim.scheduler.steps,
    sessions: sim.sessionsStarted,
    maxPending: sim.scheduler.maxPending,
    trace: sim.trace.events,
  }
}

/** Recipient and sender policy (knobs that refuse): local parts starting "nobody", the sender "spammer". */
const policy: ServerHooks = {
  onMailFrom: (from) => {
    if (from !== null && from.localPart === 'spammer')
      return { code: 550, enhanced: '5.7.1', lines: ['Sender refused'] }
  },
  onRcptTo: (to) => {
    if (to.localPart.startsWith('nobody')) return { code: 550, enhanced: '5.1.1', lines: ['No such user'] }
  },
}

const unsettled = (sim: Simulation, submissions: ReadonlyArray<Submission>): string => {
  const open = submissions.filter((s) => s.final === undefined).map((s) => s.id)
  return `liveness: not settled by ${sim.scheduler.now} ms: ${open.length} messages without a final verdict${open.length ? ` (${open.slice(0, 3).join(', ')})` : ''}, ${sim.sessionsOpen} server sessions and ${sim.network.open.size} connections open`
}

/** Invariants 1, 2, 3 and 5 (4 is `settled`, 6 is the trace hash compared across runs). */
const checkDirect = (sim: Simulation, submissions: ReadonlyArray<Submission>): string[] => {
  const violations: string[] = []
  const byId = new Map(submissions.map((s) => [s.id, s]))
  const copies = new Map<string, number>()
  for (const server of sim.servers.values()) {
    for (const stored of server.committed) {
      const id = messageIdOf(stored.body)
      const s = id === undefined ? undefined : byId.get(id)
      if (s === undefined) {
        violations.push(`injected: ${server.name} stored a message nobody sent (${id ?? 'no Message-ID'})`)
        continue
      }
      copies.set(s.id, (copies.get(s.id) ?? 0) + 1)
      // (1) byte-identical to what was submitted, at the server it was sent to, for recipients it named
      if (!sameBytes(stored.body, s.message.body)) violations.push(`altered: ${s.id} at ${server.name}`)
      if (server.name !== s.server) violations.push(`misdelivered: ${s.id} at ${server.name}`)
      if (stored.from !== s.message.from || !stored.to.every((t) => s.message.to.includes(t)))
        violations.push(`envelope changed: ${s.id}`)
    }
  }
  for (const s of submissions) {
    const n = copies.get(s.id) ?? 0
    sim.summary.delivered += n
    // (2) a 250 is a promise: the message is in the store
    if (s.attempts.some((a) => a.status === 'accepted') && n === 0) violations.push(`lost: ${s.id} was answered 250`)
    // (3) copies only from attempts that got 250 or whose final reply was lost
    const allowed = mayHaveCopied(s.attempts)
    if (n > allowed)
      violations.push(`duplicate outside the window: ${s.id} stored ${n} times, ${allowed} attempts may have`)
    if (n > 1) sim.summary.duplicates += n - 1
  }
  // (5) bounded: no end of a connection ever held more than the driver's limits allow
  if (sim.network.maxHeld > 2 * 1024 * 1024)
    violations.push(`unbounded: a connection held ${sim.network.maxHeld} octets`)
  if (sim.scheduler.maxPending > MAX_PENDING)
    violations.push(`unbounded: ${sim.scheduler.maxPending} events were waiting at once`)
  return violations
}
