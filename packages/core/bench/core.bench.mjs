// `npm run bench`: the pure core's throughput, each figure next to a bound measured in the same run.
// Runs the built package (dist/) under plain node, as users run it.
//   1. a 50 MB message through the server's `step` in 64 KiB chunks, next to a plain
//      indexOf('\r\n.\r\n') scan of the same bytes
//   2. pipelined 1 KB transactions per second through the server's `step`, answered at once, and the same
//      with the greeting, MAIL and RCPT left to the session (`questions: []`, a server without those hooks)
//   3. the client and server reducers wired to each other (no I/O): 1 KB transactions per second
//      and one 50 MB body through both, next to the server-only figures
//   4. heap before and after, with a forced collection
import { Buffer } from 'node:buffer'
import { performance } from 'node:perf_hooks'
import {
  ClientInput,
  accept,
  answered,
  clientConfig,
  clientInit,
  clientStep,
  encode,
  init,
  received,
  serverConfig,
  step,
} from '../dist/index.js'

const MB = 1024 * 1024
const CHUNK = 64 * 1024
const gc = globalThis.gc

const config = serverConfig({ maxMessageSize: 0, maxBadCommands: 0, maxMessagesPerSession: 0 })
if (config._tag === 'Left') throw new Error(config.left.errors.join('\n'))
// a server with no hook for the greeting, MAIL or RCPT: the session answers them itself (`questions`)
const unasked = serverConfig({ maxMessageSize: 0, maxBadCommands: 0, maxMessagesPerSession: 0, questions: [] })
if (unasked._tag === 'Left') throw new Error(unasked.left.errors.join('\n'))

/** A driver in a few lines: feed, answer every question at once, count what came out. */
const drive = (s0, chunks) => {
  let s = s0
  let bodyBytes = 0
  let messages = 0
  const take = (outs) => {
    for (const o of outs) {
      if (o._tag === 'MessageChunk') bodyBytes += o.bytes.length
      else if (o._tag === 'Ask') {
        if (o.question._tag === 'Message') messages++
        const [next, more] = step(s, answered(o.question.id, accept()))
        s = next
        take(more)
      }
    }
  }
  for (const c of chunks) {
    const [next, outs] = step(s, received(c))
    s = next
    take(outs)
  }
  return { bodyBytes, messages }
}

const split = (bytes, size) => {
  const out = []
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size))
  return out
}

const textBody = (size) => {
  const line = 'The quick brown fox jumps over the lazy dog, and then runs far away.\r\n' // 70 octets
  const body = Buffer.alloc(size)
  for (let o = 0; o < size; o += line.length) body.write(line, o, 'latin1')
  body.write('\r\n', size - 2 - ((size - 2) % line.length), 'latin1')
  return new Uint8Array(body.buffer, body.byteOffset, size - ((size - 2) % line.length))
}

const best = (runs, f) => {
  let min = Infinity
  for (let i = 0; i < runs; i++) min = Math.min(min, f())
  return min
}

const time = (f) => {
  const t0 = performance.now()
  f()
  return (performance.now() - t0) / 1000
}

const heap = () => {
  gc?.()
  return process.memoryUsage().heapUsed
}

const heapBefore = heap()

// 1. One 50 MB message.
const body = textBody(50 * MB)
const head = encode('EHLO bench.example\r\nMAIL FROM:<a@bench.example>\r\nRCPT TO:<b@bench.example>\r\nDATA\r\n')
const wire = new Uint8Array(head.length + body.length + 3)
wire.set(head)
wire.set(body, head.length)
wire.set(encode('.\r\n'), head.length + body.length)
const chunks = split(wire, CHUNK)
const size = body.length / MB

const stepSeconds = best(5, () =>
  time(() => {
    const [s] = init(config.right)
    const r = drive(s, chunks)
    if (r.messages !== 1 || r.bodyBytes !== body.length) throw new Error(`lost data: ${JSON.stringify(r)}`)
  }),
)
const buf = Buffer.from(wire.buffer, wire.byteOffset, wire.length)
const scanSeconds = best(5, () =>
  time(() => {
    if (buf.indexOf('\r\n.\r\n') !== wire.length - 5) throw new Error('scan bound broken')
  }),
)

// 2. Pipelined 1 KB transactions.
const COUNT = 20000
const kb = textBody(1024 + 2)
const tx = new Uint8Array([
  ...encode('MAIL FROM:<a@bench.example>\r\nRCPT TO:<b@bench.example>\r\nDATA\r\n'),
  ...kb,
  ...encode('.\r\n'),
])
const session = new Uint8Array(tx.length * COUNT + 20)
session.set(encode('EHLO bench.example\r\n'))
for (let i = 0; i < COUNT; i++) session.set(tx, 20 + i * tx.length)
const txChunks = split(session, CHUNK)
const txTime = (c) =>
  best(5, () =>
    time(() => {
      const [s] = init(c)
      const r = drive(s, txChunks)
      if (r.messages !== COUNT) throw new Error(`lost messages: ${r.messages}`)
    }),
  )
const txSeconds = txTime(config.right)
const txUnaskedSeconds = txTime(unasked.right)

// 3. The client and the server reducers wired to each other: a whole session with no I/O.
const clientCfg = clientConfig({ helo: 'bench.example' })
if (clientCfg._tag === 'Left') throw new Error(clientCfg.left.errors.join('\n'))

/** Run `count` messages (each `chunks` of body) through client and server; returns bytes delivered. */
const loop = (count, chunks) => {
  let [server, sOut] = init(config.right)
  let [client, cOut] = clientInit(clientCfg.right)
  let toServer = []
  let toClient = []
  let sent = 0
  let delivered = 0
  let bodyIndex = 0
  let done = false
  const feedServer = (outs) => {
    for (const o of outs) {
      if (o._tag === 'Send') toClient.push(o.bytes)
      else if (o._tag === 'MessageChunk') delivered += o.bytes.length
      else if (o._tag === 'Ask') {
        const [next, more] = step(server, answered(o.question.id, accept()))
        server = next
        feedServer(more)
      }
    }
  }
  const feedClient = (outs) => {
    for (const o of outs) {
      if (o._tag === 'Send') toServer.push(o.bytes)
      else if (o._tag === 'Ready') {
        if (sent < count) {
          sent++
          bodyIndex = 0
          clientDo(ClientInput.submitted({ from: 'a@bench.example', to: ['b@bench.example'] }))
        } else clientDo(ClientInput.quitRequested)
      } else if (o._tag === 'BodyWanted') {
        clientDo(bodyIndex < chunks.length ? ClientInput.bodyChunk(chunks[bodyIndex++]) : ClientInput.bodyEnd)
      } else if (o._tag === 'Close') done = true
    }
  }
  const clientDo = (input) => {
    const [next, outs] = clientStep(client, input)
    client = next
    feedClient(outs)
  }
  feedServer(sOut)
  feedClient(cOut)
  while (!done && (toServer.length > 0 || toClient.length > 0)) {
    const a = toServer
    toServer = []
    for (const b of a) {
      const [next, outs] = step(server, received(b))
      server = next
      feedServer(outs)
    }
    const c = toClient
    toClient = []
    for (const b of c) clientDo(ClientInput.received(b))
  }
  return delivered
}

const LOOP_COUNT = 20000
const loopSeconds = best(5, () =>
  time(() => {
    const d = loop(LOOP_COUNT, [kb])
    if (d !== LOOP_COUNT * kb.length) throw new Error(`loop lost data: ${d}`)
  }),
)
const bigChunks = split(body, CHUNK)
const loopBigSeconds = best(5, () =>
  time(() => {
    const d = loop(1, bigChunks)
    if (d !== body.length) throw new Error(`loop lost data: ${d}`)
  }),
)

const heapAfter = heap()
const mbps = (seconds) => `${(size / seconds).toFixed(0)} MB/s`
console.log(`core bench (node ${process.version}, best of 5)`)
console.log(
  `  50 MB message, 64 KiB chunks: step ${mbps(stepSeconds)}; indexOf scan ${mbps(scanSeconds)}; ratio ${(scanSeconds / stepSeconds).toFixed(2)}`,
)
console.log(
  `  pipelined 1 KB transactions: ${(COUNT / txSeconds).toFixed(0)} per second (${((tx.length * COUNT) / MB / txSeconds).toFixed(0)} MB/s of session bytes)`,
)
console.log(
  `  the same, greeting, MAIL and RCPT left to the session (no hooks for them): ${(COUNT / txUnaskedSeconds).toFixed(0)} per second; ratio ${(txSeconds / txUnaskedSeconds).toFixed(2)}`,
)
console.log(
  `  client+server loop, 1 KB transactions: ${(LOOP_COUNT / loopSeconds).toFixed(0)} per second; ratio to the server alone ${(txSeconds / COUNT / (loopSeconds / LOOP_COUNT)).toFixed(2)}`,
)
console.log(
  `  client+server loop, 50 MB body: ${mbps(loopBigSeconds)}; ratio to the server alone ${(stepSeconds / loopBigSeconds).toFixed(2)}`,
)
console.log(
  `  heap: before ${(heapBefore / MB).toFixed(1)} MB, after ${(heapAfter / MB).toFixed(1)} MB (inputs still referenced: ${((wire.length + session.length) / MB).toFixed(0)} MB)${gc ? '' : ' (run with --expose-gc for exact figures)'}`,
)
