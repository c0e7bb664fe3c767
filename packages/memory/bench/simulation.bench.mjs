// Simulated sessions per second against the same sessions over real loopback sockets (@smtpure/node),
// in one process on one core, in alternating rounds; then seeds per second of the two scenarios.
// After `npx turbo run build`: node packages/memory/bench/simulation.bench.mjs [--sessions N] [--rounds N]
import { parseArgs } from 'node:util'
import { encode } from '@smtpure/core'
import { createSmtpServer, connectSmtp } from '@smtpure/node'
import { Simulation, runDirect, runRelay } from '@smtpure/memory'

const { values } = parseArgs({
  options: { sessions: { type: 'string', default: '4000' }, rounds: { type: 'string', default: '3' } },
})
const SESSIONS = Number(values.sessions)
const ROUNDS = Number(values.rounds)
const CONCURRENCY = 8
const body = encode(`From: a@example.org\r\nTo: b@example.net\r\nSubject: bench\r\n\r\n${'hello world\r\n'.repeat(80)}`)
const envelope = { from: 'a@example.org', to: ['b@example.net'] }

/** CONCURRENCY clients, each greeting, sending one message and QUITting, SESSIONS times in all. */
const simulated = async () => {
  const sim = new Simulation({ seed: 1 })
  sim.addServer({ name: 'mx.example.net' })
  let left = SESSIONS
  const client = async (i) => {
    while (left-- > 0) {
      const a = await sim.attempt(`client${i}.example.org`, 'mx.example.net', { ...envelope, body })
      if (a.status !== 'accepted') throw new Error(`simulated session: ${a.status}`)
    }
  }
  const t0 = performance.now()
  const all = Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => client(i)))
  await sim.run(Number.MAX_SAFE_INTEGER)
  await all
  return SESSIONS / ((performance.now() - t0) / 1000)
}

const loopback = async () => {
  let stored = 0
  const server = createSmtpServer({
    smtp: { hostname: 'mx.example.net' },
    hooks: {
      onMessage: async (m) => {
        for await (const _ of m.chunks) void _
        stored++
      },
    },
  })
  const { port } = await server.listen(0, '127.0.0.1')
  let left = SESSIONS
  const client = async () => {
    while (left-- > 0) {
      const s = await connectSmtp({ host: '127.0.0.1', port, smtp: { helo: 'client.example.org' } })
      const r = await s.send({ envelope, body })
      if (r.status !== 'accepted') throw new Error(`loopback session: ${r.status}`)
      await s.quit()
    }
  }
  const t0 = performance.now()
  await Promise.all(Array.from({ length: CONCURRENCY }, () => client()))
  const rate = SESSIONS / ((performance.now() - t0) / 1000)
  await server.close(100)
  if (stored !== SESSIONS) throw new Error(`loopback stored ${stored} of ${SESSIONS}`)
  return rate
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const sim = []
const net = []
await simulated()
await loopback() // warm-up
for (let r = 0; r < ROUNDS; r++) {
  sim.push(await simulated())
  net.push(await loopback())
}
const s = median(sim)
const n = median(net)
console.log(
  `sessions (greeting to QUIT, one 1 KB message), ${SESSIONS} per round, ${CONCURRENCY} at a time, ${ROUNDS} rounds`,
)
console.log(`  simulated (@smtpure/memory): ${s.toFixed(0)} sessions/s`)
console.log(`  loopback  (@smtpure/node):   ${n.toFixed(0)} sessions/s`)
console.log(`  ratio simulated/loopback:    ${(s / n).toFixed(2)}`)

for (const [name, run] of [
  ['direct', runDirect],
  ['relay', runRelay],
]) {
  for (const profile of ['calm', 'faulty']) {
    const seeds = 300
    let sessions = 0
    const t0 = performance.now()
    for (let seed = 1; seed <= seeds; seed++) {
      const report = await run({ seed, profile })
      sessions += report.sessions
      if (report.violations.length > 0) throw new Error(`seed ${seed}: ${report.violations.join('; ')}`)
    }
    const secs = (performance.now() - t0) / 1000
    console.log(
      `  ${name} ${profile}: ${(seeds / secs).toFixed(0)} seeds/s, ${(sessions / secs).toFixed(0)} server sessions/s`,
    )
  }
}
