// Client benchmark in the shapes of the project's harness rows (e) and (g): each send awaited before the next, over
// one connection (e), or a new connection per message (g). smtpure's connectSmtp, nodemailer, and the floor (plain
// node:net that only counts replies: what any Node client could reach at best) each run in a process of their own
// (client-probe.mjs), rounds alternating, against postfix's smtp-sink when it is installed (the harness's sink),
// else rawsink.mjs. Prints medians and ratios: smtpure/nodemailer (the targets), floor/nodemailer (how far any Node
// client could go) and smtpure/floor.
// After `npx turbo run build`: node packages/node/bench/client-shapes.bench.mjs [--rounds N] [--only e,g]
import { execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { parseArgs } from 'node:util'

const here = import.meta.dirname
const { values } = parseArgs({ options: { rounds: { type: 'string' }, only: { type: 'string' } } })
const ROUNDS = Number(values.rounds ?? 3)
const shapes = [
  { id: 'e', title: '(e) 1 connection, 3000 x 1 KB, each send awaited', mode: 'pool', count: 3000, target: 2 },
  { id: 'g', title: '(g) a new connection per message, 1000 x 1 KB', mode: 'fresh', count: 1000, target: 1.5 },
].filter((s) => values.only === undefined || values.only.split(',').includes(s.id))
const clients = ['smtpure', 'nodemailer', 'floor']

const freePort = () =>
  new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address()
      probe.close(() => resolve(port))
    })
  })

const smtpSink = ['/usr/sbin/smtp-sink', '/usr/bin/smtp-sink'].find((p) => existsSync(p))

/** The sink: smtp-sink as the harness starts it, or rawsink.mjs. Resolves once it takes connections. */
const startSink = async () => {
  if (smtpSink === undefined) {
    const child = spawn(process.execPath, [join(here, 'rawsink.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] })
    const port = await new Promise((resolve, reject) => {
      child.stdout.on('data', (d) => {
        const m = /listening on [0-9.]+:(\d+)/.exec(String(d))
        if (m) resolve(Number(m[1]))
      })
      child.once('exit', (code) => reject(new Error(`rawsink exited ${code}`)))
    })
    return { child, port, name: 'rawsink.mjs (postfix smtp-sink not installed: apt-get install postfix)' }
  }
  const port = await freePort()
  const args = ['-u', 'nobody', '-m', '1000', `127.0.0.1:${port}`, '1024']
  const child = spawn(smtpSink, args, { stdio: 'inherit' })
  for (let i = 0; i < 100; i++) {
    const up = await new Promise((resolve) => {
      const s = createServer()
      s.once('error', () => resolve(true)) // the port is taken: the sink listens
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(false)))
    })
    if (up) return { child, port, name: 'postfix smtp-sink' }
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error('smtp-sink did not start listening')
}

const probe = (client, shape, port) =>
  new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      [
        join(here, 'client-probe.mjs'),
        '--client',
        client,
        '--mode',
        shape.mode,
        '--port',
        String(port),
        '--count',
        String(shape.count),
      ],
      { timeout: 300_000 },
      (e, out, err) => (e ? reject(new Error(`${client}: ${e.message} ${err}`)) : resolve(JSON.parse(out).msgs_per_s)),
    ),
  )

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

const sink = await startSink()
try {
  console.log(`client shapes against ${sink.name}, median of ${ROUNDS} (msgs/s; module loading not timed)`)
  for (const shape of shapes) {
    const runs = Object.fromEntries(clients.map((c) => [c, []]))
    for (let r = 0; r < ROUNDS; r++) {
      // each round in another order, so that no client always runs after the same one
      const order = clients.map((_, i) => clients[(i + r) % clients.length])
      for (const c of order) runs[c].push(await probe(c, shape, sink.port))
    }
    const [ours, theirs, floor] = clients.map((c) => median(runs[c]))
    console.log(`  ${shape.title}`)
    console.log(`    smtpure ${ours.toFixed(0)}, nodemailer ${theirs.toFixed(0)}, floor ${floor.toFixed(0)}`)
    console.log(
      `    smtpure/nodemailer ${(ours / theirs).toFixed(2)} (target ${shape.target}: ${ours / theirs >= shape.target ? 'MET' : 'MISSED'}), ` +
        `floor/nodemailer ${(floor / theirs).toFixed(2)}, smtpure/floor ${(ours / floor).toFixed(2)}`,
    )
  }
} finally {
  sink.child.kill('SIGTERM')
}
