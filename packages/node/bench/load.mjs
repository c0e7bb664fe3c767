// SMTP load generator on plain node:net (no SMTP library): N sessions share M messages; each sends EHLO, then
// per message MAIL+RCPT+DATA in one pipelined write, the dot-stuffed body, and waits for the 250; H more sessions
// sit idle meanwhile. Prints one JSON line; exits 1 unless every message got its 250 and nothing failed.
import { Buffer } from 'node:buffer'
import * as net from 'node:net'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'

const LINE = 78 // 76 characters and CRLF
const MiB = 1024 * 1024

/** The repeating body text: 76-character lines, the first of every `dotEvery` starting with a dot (0: none). */
const lineUnit = (dotEvery) => {
  const text = 'The quick brown fox jumps over the lazy dog; pack my box with five dozen jugs'.slice(0, 76)
  let unit = ''
  for (let i = 0; i < (dotEvery || 16); i++) unit += (dotEvery && i === 0 ? '.' + text.slice(1) : text) + '\r\n'
  return unit
}

/**
 * The message as the server must store it, `size` octets: a few header lines, then 76-character lines. The first
 * body line always starts with a dot, so every message needs dot-stuffing; with `dotEvery` N one line in N does.
 */
export const buildMessage = (size, dotEvery = 0) => {
  const head = 'From: <sender@bench.example>\r\nTo: <rcpt@bench.example>\r\nSubject: smtpure bench\r\n\r\n'
  if (size < head.length + 2) throw new Error(`--size must be at least ${head.length + 2}`)
  const message = Buffer.alloc(size)
  message.write(head, 0, 'latin1')
  const body = message.subarray(head.length)
  body.fill(lineUnit(dotEvery), 'latin1')
  body[0] = 0x2e
  const rest = body.length % LINE
  if (rest === 1)
    body.write('x\r\n', body.length - 3, 'latin1') // the last whole line grows by one character
  else if (rest > 1) body.write('\r\n', body.length - 2, 'latin1')
  return message
}

/** The message on the wire: every line that starts with "." gets one more (RFC 5321 4.5.2), then ".". */
export const dotStuff = (message) => {
  const parts = []
  let from = 0
  if (message[0] === 0x2e) parts.push(Buffer.from('.'))
  for (let at = message.indexOf('\r\n.'); at !== -1; at = message.indexOf('\r\n.', at + 3)) {
    parts.push(message.subarray(from, at + 2), Buffer.from('.'))
    from = at + 2
  }
  parts.push(message.subarray(from), Buffer.from('.\r\n'))
  return Buffer.concat(parts)
}

/** Reads SMTP replies from a socket and hands out their codes, one per final reply line. */
class Replies {
  constructor(socket) {
    this.partial = ''
    this.codes = []
    this.waiter = undefined
    this.closed = false
    socket.setEncoding('latin1')
    socket.on('data', (text) => this.feed(text))
    socket.on('close', () => this.close())
    socket.on('error', () => this.close())
  }

  feed(text) {
    const lines = (this.partial + text).split('\r\n')
    this.partial = lines.pop()
    for (const line of lines) if (line[3] !== '-') this.codes.push(Number(line.slice(0, 3)))
    this.wake()
  }

  close() {
    this.closed = true
    this.wake()
  }

  wake() {
    const w = this.waiter
    if (w === undefined) return
    if (this.codes.length >= w.count) {
      this.waiter = undefined
      w.resolve(this.codes.splice(0, w.count))
    } else if (this.closed) {
      this.waiter = undefined
      w.reject(new Error(`connection closed with ${w.count - this.codes.length} replies missing`))
    }
  }

  /** The codes of the next `count` replies. */
  next(count) {
    return new Promise((resolve, reject) => {
      this.waiter = { count, resolve, reject }
      this.wake()
    })
  }
}

/** A connected session: greeting read, EHLO answered. */
const openSession = (host, port) =>
  new Promise((resolve, reject) => {
    const socket = net.connect({ host, port })
    socket.setNoDelay(true)
    const replies = new Replies(socket)
    const send = (data, count) => {
      socket.write(data)
      return replies.next(count)
    }
    socket.once('error', reject)
    socket.once('connect', () => {
      replies
        .next(1)
        .then(([greeting]) => (greeting === 220 ? send('EHLO load.bench.example\r\n', 1) : [greeting]))
        .then(([code]) => (code === 250 ? resolve({ socket, send }) : reject(new Error(`EHLO: ${code}`))), reject)
    })
  })

const isFailure = (code) => !(code >= 200 && code < 400)

/** One transaction; true when the message got its final 250. */
const transact = async (session, envelope, wire, stats) => {
  const codes = await session.send(envelope, 3)
  stats.failures += codes.filter(isFailure).length
  if (codes[2] !== 354) return false
  const [end] = await session.send(wire, 1)
  if (isFailure(end)) stats.failures++
  return end === 250
}

/** An active session: takes messages from the shared count until none are left, then QUIT. */
const runSession = async (target, index, work, wire, stats) => {
  const session = await openSession(target.host, target.port)
  const envelope = `MAIL FROM:<sender@bench.example>\r\nRCPT TO:<user${index}@bench.example>\r\nDATA\r\n`
  while (work.remaining > 0) {
    work.remaining--
    if (await transact(session, envelope, wire, stats)) stats.accepted++
  }
  await quit(session)
}

/** QUIT; true when the server said 221. */
const quit = async (session) => {
  const [code] = await session.send('QUIT\r\n', 1).catch(() => [0])
  session.socket.end()
  return code === 221
}

/** `count` idle sessions, opened a batch at a time so the listen backlog is never the limit. */
const openIdle = async (target, count) => {
  const sessions = []
  for (let i = 0; i < count; i += 50) {
    const batch = Array.from({ length: Math.min(50, count - i) }, () => openSession(target.host, target.port))
    sessions.push(...(await Promise.all(batch)))
  }
  return sessions
}

/** Run the whole load against `target` ({ host, port }); resolves with the report. */
export const runLoad = async (target, { sessions, messages, size, hold, dotEvery }) => {
  const wire = dotStuff(buildMessage(size, dotEvery))
  const idle = await openIdle(target, hold)
  const stats = { accepted: 0, failures: 0 }
  const work = { remaining: messages }
  const started = performance.now()
  const cpu = process.cpuUsage()
  const active = Array.from({ length: sessions }, (_, i) => runSession(target, i, work, wire, stats))
  const errors = (await Promise.allSettled(active)).filter((r) => r.status === 'rejected')
  const seconds = (performance.now() - started) / 1000
  const { user, system } = process.cpuUsage(cpu)
  const idleQuits = await Promise.all(idle.map(quit))
  return {
    messages,
    accepted: stats.accepted,
    failures: stats.failures + errors.length,
    heldStillOpen: idleQuits.filter(Boolean).length,
    seconds,
    clientCpuSeconds: (user + system) / 1e6,
    messagesPerSecond: stats.accepted / seconds,
    mbPerSecond: (stats.accepted * size) / MiB / seconds,
    errors: errors.map((r) => String(r.reason?.message ?? r.reason)),
  }
}

const parseTarget = (text) => {
  const colon = text.lastIndexOf(':')
  return { host: text.slice(0, colon), port: Number(text.slice(colon + 1)) }
}

const main = async () => {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      sessions: { type: 'string', default: '10' },
      messages: { type: 'string', default: '1000' },
      size: { type: 'string', default: '1024' },
      hold: { type: 'string', default: '0' },
      'dot-every': { type: 'string', default: '0' },
    },
  })
  if (positionals.length !== 1)
    throw new Error('usage: load.mjs HOST:PORT [--sessions N] [--messages M] [--size B] [--hold H] [--dot-every N]')
  const options = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Number(v)]))
  options.dotEvery = options['dot-every']
  const report = await runLoad(parseTarget(positionals[0]), options)
  process.stdout.write(JSON.stringify(report) + '\n')
  const complete = report.accepted === report.messages && report.failures === 0 && report.heldStillOpen === options.hold
  process.exitCode = complete ? 0 : 1
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => {
    process.stderr.write(`load.mjs: ${e.message}\n`)
    process.exitCode = 2
  })
}
