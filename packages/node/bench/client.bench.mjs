// Client benchmark: smtpure's client (connectSmtp) next to nodemailer, each handed the same 3000
// messages of 1 KB at once to send over ONE connection to the same sink server (a separate
// process), in the same run.
// Run after `npx turbo run build`: node packages/node/bench/client.bench.mjs [--messages N] [--rounds R]
import { spawn } from 'node:child_process'
import { URL, fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import nodemailer from 'nodemailer'
import { connectSmtp } from '../dist/index.js'

const { values } = parseArgs({
  options: { messages: { type: 'string' }, rounds: { type: 'string' }, sink: { type: 'string' } },
})
const MESSAGES = Number(values.messages ?? 3000)
const ROUNDS = Number(values.rounds ?? 5)
// `raw` (default): a canned-reply sink, so the clients' own costs show; `smtpure`: createSmtpServer
const SINK = values.sink === 'smtpure' ? 'sink.mjs' : 'rawsink.mjs'

const line = `${'x'.repeat(74)}\r\n`
const body = `From: bench@example.org\r\nTo: sink@example.com\r\nSubject: bench\r\n\r\n${line.repeat(13)}`
const envelope = { from: 'bench@example.org', to: ['sink@example.com'] }

const startSink = () =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(new URL(SINK, import.meta.url))], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    child.stdout.on('data', (d) => {
      const m = /listening on ([0-9.]+):(\d+)/.exec(String(d))
      if (m) resolve({ child, port: Number(m[2]) })
    })
    child.on('exit', (code) => reject(new Error(`sink exited ${code}`)))
  })

// a logger that drops every event: what the session pays for its events and transcript, not for writing them
const drop = () => undefined
const dropped = { error: drop, warn: drop, info: drop, debug: drop }

const smtpure = async (port, logged = false) => {
  const session = await connectSmtp({
    host: '127.0.0.1',
    port,
    smtp: { helo: 'bench.example' },
    ...(logged ? { logger: dropped, transcript: true } : {}),
  })
  await session.ready
  // all messages handed over at once: the session queues them and, with PIPELINING, sends the
  // next transaction behind the previous end of data (RFC 2920 3.1)
  const results = await Promise.all(Array.from({ length: MESSAGES }, () => session.send({ envelope, body })))
  results.forEach((r, i) => {
    if (r.status !== 'accepted') throw new Error(`smtpure: message ${i} ${r.status}`)
  })
  await session.quit()
}

const mailer = async (port) => {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    pool: true,
    maxConnections: 1,
    maxMessages: Infinity,
    ignoreTLS: true,
    name: 'bench.example',
  })
  // the same for nodemailer: all at once, its pool queues them on its one connection
  const results = await Promise.all(Array.from({ length: MESSAGES }, () => transport.sendMail({ envelope, raw: body })))
  results.forEach((r, i) => {
    if (r.accepted.length !== 1) throw new Error(`nodemailer: message ${i} refused`)
  })
  transport.close()
}

const timed = async (f) => {
  const t0 = performance.now()
  await f()
  return (performance.now() - t0) / 1000
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

const { child, port } = await startSink()
try {
  const ours = []
  const theirs = []
  const logged = []
  for (let r = 0; r < ROUNDS; r++) {
    // alternate the order so neither always runs on a warmer sink
    if (r % 2 === 0) {
      ours.push(await timed(() => smtpure(port)))
      theirs.push(await timed(() => mailer(port)))
      logged.push(await timed(() => smtpure(port, true)))
    } else {
      logged.push(await timed(() => smtpure(port, true)))
      theirs.push(await timed(() => mailer(port)))
      ours.push(await timed(() => smtpure(port)))
    }
  }
  const a = MESSAGES / median(ours)
  const b = MESSAGES / median(theirs)
  const c = MESSAGES / median(logged)
  console.log(`client bench: ${MESSAGES} x ${body.length} octets over one connection to ${SINK}, median of ${ROUNDS}`)
  console.log(`  smtpure connectSmtp  ${a.toFixed(0)} msgs/s`)
  console.log(`  nodemailer (pool 1)  ${b.toFixed(0)} msgs/s`)
  console.log(`  ratio ${(a / b).toFixed(2)} (target >= 1.5: ${a / b >= 1.5 ? 'MET' : 'MISSED'})`)
  console.log(`  smtpure, logger and transcript on (events dropped)  ${c.toFixed(0)} msgs/s`)
  console.log(`  ratio to nodemailer ${(c / b).toFixed(2)}, to smtpure without them ${(c / a).toFixed(2)}`)
} finally {
  child.kill('SIGTERM')
}
