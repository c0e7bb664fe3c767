// Benchmark: server sessions through the driver and the core, with no sockets and no store, under the load
// postfix's smtp-source makes (HELO, then per message MAIL FROM, RCPT TO, DATA and a 1 KB body, each sent once
// the reply to the one before came back; QUIT at the end). The message hook reads the body and keeps nothing.
// What it shows: the processor time per message of the whole process (the sessions, this client loop, and
// V8's compiler and collector threads), first while V8 is still compiling the session's code (a server's first
// few thousand messages) and then warm, free of the kernel's and a load generator's noise.
// After `npx turbo run build`: node packages/driver/bench/session.bench.mjs [--sessions 50] [--rounds 12]
//   [--messages 1000] (messages per round, spread over the sessions)
import { parseArgs } from 'node:util'
import { defaultServerConfig } from '@smtpure/core'
import { startServerSession } from '@smtpure/driver'

const { values: v } = parseArgs({
  options: {
    sessions: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '12' },
    messages: { type: 'string', default: '1000' },
  },
})
/** A whole number from 1 up, or a one-line complaint and exit status 64 (EX_USAGE). */
const count = (name) => {
  const n = Number(v[name])
  if (Number.isSafeInteger(n) && n >= 1) return n
  process.stderr.write(`session bench: --${name} must be a whole number from 1 up, not ${v[name]}\n`)
  process.exit(64)
}
const sessions = count('sessions')
const rounds = count('rounds')
const perSession = Math.max(1, Math.round(count('messages') / sessions))

const encoder = new TextEncoder()
let body = 'From: <sender@example.com>\r\nTo: <rcpt@example.com>\r\nSubject: bench\r\n\r\n'
while (body.length < 1024) body += `${'X'.repeat(76)}\r\n`
const hello = encoder.encode('HELO bench.example\r\n')
const quit = encoder.encode('QUIT\r\n')
const commands = [
  encoder.encode('MAIL FROM:<sender@example.com>\r\n'),
  encoder.encode('RCPT TO:<rcpt@example.com>\r\n'),
  encoder.encode('DATA\r\n'),
  encoder.encode(`${body}.\r\n`),
]
// no timer ever fires within a round; the clock is read once per message for the Received field
const runtime = {
  setTimer: () => () => undefined,
  randomToken: () => 'benchsession',
  now: () => ({ epochMs: Date.now(), offsetMinutes: 0 }),
}
const ok = { code: 250, enhanced: '2.0.0', lines: ['Ok'] }
const hooks = {
  onMessage: async (m) => {
    for await (const chunk of m.chunks) void chunk
    return ok
  },
}
const config = defaultServerConfig('bench.example')

/** Sessions whose last reply came back: each sends its next command in the next turn of the event loop. */
let due = []

/** One client session; resolves when the server closed it after QUIT. Rejects on any reply but 2xx or 3xx (354). */
const client = () =>
  new Promise((resolve, reject) => {
    let events
    let sent = -1 // -1: nothing yet; then commands sent in this message
    let messages = 0
    const next = () => {
      if (sent === -1) {
        sent = 0
        return events.data(hello)
      }
      if (messages === perSession) return events.data(quit)
      events.data(commands[sent])
      sent = (sent + 1) % commands.length
      if (sent === 0) messages += 1
    }
    const transport = {
      remoteAddress: '127.0.0.1',
      tls: undefined,
      start: (e) => (events = e),
      write: (bytes) => {
        if (bytes[0] !== 0x32 && bytes[0] !== 0x33) reject(new Error(`reply ${new TextDecoder().decode(bytes).trim()}`))
        else due.push(next)
        return true
      },
      pause: () => undefined,
      resume: () => undefined,
      startTls: () => Promise.reject(new Error('no TLS here')),
      close: () => events.closed(),
    }
    startServerSession(transport, { config, hooks, runtime }).done.then(resolve, reject)
  })

/** Turns in a row with no reply before a round counts as stuck (a session waiting for a timer, which never fires). */
const STUCK_TURNS = 10000

const round = async () => {
  const all = Promise.all(Array.from({ length: sessions }, client))
  let running = true
  let idle = 0
  const stuck = new Promise((_, reject) => {
    const turn = () => {
      const now = due
      due = []
      for (const f of now) f()
      idle = now.length === 0 ? idle + 1 : 0
      if (idle === STUCK_TURNS) reject(new Error(`no reply for ${STUCK_TURNS} turns of the event loop`))
      else if (running) setImmediate(turn)
    }
    setImmediate(turn)
  })
  try {
    await Promise.race([all, stuck])
  } finally {
    running = false
  }
}

const main = async () => {
  const messages = sessions * perSession
  const figures = []
  process.stdout.write(
    `driver session bench (node ${process.version}): ${sessions} sessions, ${messages} messages a round, ` +
      'CPU of the whole process (compiler and collector threads too) per message\n',
  )
  for (let r = 0; r < rounds; r++) {
    const cpu = process.cpuUsage()
    const t0 = performance.now()
    await round()
    const used = process.cpuUsage(cpu)
    const us = (used.user + used.system) / messages
    figures.push(us)
    process.stdout.write(
      `  round ${String(r + 1).padStart(2)}: ${us.toFixed(1).padStart(6)} us CPU per message, ` +
        `${Math.round(messages / ((performance.now() - t0) / 1000))} messages a second\n`,
    )
  }
  // the last third of the rounds, at least one; of an even number the lower of the two middle figures
  const last = figures.slice(-Math.max(1, Math.floor(rounds / 3))).sort((a, b) => a - b)
  const warm = last[Math.floor((last.length - 1) / 2)]
  process.stdout.write(
    `  warm (median of the last ${last.length} rounds): ${warm.toFixed(1)} us per message; ` +
      `first round ${(figures[0] / warm).toFixed(1)}x that` +
      `${rounds < 9 ? ' (with under 9 rounds the last ones may not be warm yet)' : ''}\n`,
  )
}

main().catch((e) => {
  process.stderr.write(`session bench: ${e instanceof Error ? e.message : String(e)}\n`)
  process.exit(1)
})
