// One client in its own process, for client-shapes.bench.mjs: sends COUNT messages of 1 KB to a sink, each send
// awaited before the next, over one connection (`--mode pool`) or a new connection per message (`--mode fresh`),
// and prints {"msgs_per_s": N} timed from the first connection to the last result (module loading not counted).
//   node client-probe.mjs --client smtpure|nodemailer|floor --mode pool|fresh --port N [--count N]
// `floor` is the least any Node client can do: plain node:net, the commands written as fixed bytes, replies only
// counted, nothing parsed or checked. It is the ceiling for a client on Node, not a usable client.
import * as net from 'node:net'
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: {
    client: { type: 'string' },
    mode: { type: 'string' },
    port: { type: 'string' },
    count: { type: 'string' },
  },
})
const COUNT = Number(values.count ?? 1000)
const PORT = Number(values.port)
const pool = values.mode !== 'fresh'

const head =
  'From: <sender@example.com>\r\nTo: <rcpt@example.com>\r\nSubject: bench\r\nMessage-ID: <bench@example.com>\r\n\r\n'
const line = `${'X'.repeat(76)}\r\n`
const raw = Buffer.from(head + line.repeat(Math.floor(1024 / line.length)))
const envelope = { from: 'sender@example.com', to: ['rcpt@example.com'] }

/** One session of `messages` messages on plain node:net: reply lines counted, nothing parsed. */
const floorSession = (messages) =>
  new Promise((resolve, reject) => {
    const socket = net.connect(PORT, '127.0.0.1')
    socket.setNoDelay(true)
    const group = Buffer.from('MAIL FROM:<sender@example.com>\r\nRCPT TO:<rcpt@example.com>\r\nDATA\r\n')
    const body = Buffer.concat([raw, Buffer.from('.\r\n')])
    let want = 1
    let stage = 'greeting'
    let left = messages
    let text = ''
    socket.on('data', (d) => {
      text += d.toString('latin1')
      let end
      while ((end = text.indexOf('\r\n')) !== -1) {
        if (text[3] === ' ') want--
        text = text.slice(end + 2)
      }
      if (want > 0) return
      // the next thing to write, once every reply to the last write is in
      const next = (to, replies, bytes) => {
        stage = to
        want = replies
        socket.write(bytes)
      }
      if (stage === 'greeting') next('ehlo', 1, 'EHLO bench.example\r\n')
      else if (stage === 'envelope') next('body', 1, body)
      else if (stage === 'quit') socket.end()
      else {
        if (stage === 'body') left--
        if (left === 0) next('quit', 1, 'QUIT\r\n')
        else next('envelope', 3, group)
      }
    })
    socket.on('error', reject)
    socket.on('close', () => (left === 0 ? resolve() : reject(new Error('floor: connection closed early'))))
  })

const clients = {
  floor: async () => {
    if (pool) await floorSession(COUNT)
    else for (let i = 0; i < COUNT; i++) await floorSession(1)
  },
  smtpure: async () => {
    const { connectSmtp } = await import('../dist/index.js')
    const options = { host: '127.0.0.1', port: PORT, security: 'none' }
    let shared = pool ? await connectSmtp(options) : undefined
    for (let i = 0; i < COUNT; i++) {
      const session = shared ?? (await connectSmtp(options))
      const r = await session.send({ envelope, body: raw })
      if (r.status !== 'accepted') throw new Error(`smtpure: message ${i} ${r.status}`)
      if (!pool) await session.quit()
    }
    await shared?.quit()
  },
  nodemailer: async () => {
    const nodemailer = (await import('nodemailer')).default
    const options = { host: '127.0.0.1', port: PORT, secure: false, ignoreTLS: true, maxMessages: Infinity }
    const transport = nodemailer.createTransport(pool ? { ...options, pool: true, maxConnections: 1 } : options)
    for (let i = 0; i < COUNT; i++) {
      const r = await transport.sendMail({ envelope, raw })
      if (r.accepted.length !== 1) throw new Error(`nodemailer: message ${i} refused`)
    }
    transport.close()
  },
}

const client = clients[values.client]
if (client === undefined) throw new Error(`--client: one of ${Object.keys(clients).join(', ')}`)
// module loading is not timed: the imports are done before the clock starts
if (values.client === 'smtpure') await import('../dist/index.js')
if (values.client === 'nodemailer') await import('nodemailer')
const t0 = performance.now()
await client()
console.log(JSON.stringify({ msgs_per_s: COUNT / ((performance.now() - t0) / 1000) }))
