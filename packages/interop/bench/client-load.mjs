// One client run for the runtime benchmark, on whichever runtime runs it: smtpure's connectSmtp
// from that runtime's adapter, or (`--nodemailer`, on Node) nodemailer, hands N messages of 1 KB at
// once to one connection. Prints the seconds from connecting to the reply to QUIT.
// Usage: <runtime> client-load.mjs --port N [--messages N] [--nodemailer]
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: { port: { type: 'string' }, messages: { type: 'string' }, nodemailer: { type: 'boolean' } },
})
const port = Number(values.port)
const count = Number(values.messages ?? 3000)
const line = `${'x'.repeat(74)}\r\n`
const body = `From: bench@example.org\r\nTo: sink@example.com\r\nSubject: bench\r\n\r\n${line.repeat(13)}`
const envelope = { from: 'bench@example.org', to: ['sink@example.com'] }

const smtpure = async () => {
  const { adapter } = await import('../scripts/adapter.mjs')
  const session = await adapter.connectSmtp({ host: '127.0.0.1', port, smtp: { helo: 'bench.example' } })
  await session.ready
  const results = await Promise.all(Array.from({ length: count }, () => session.send({ envelope, body })))
  if (results.some((r) => r.status !== 'accepted')) throw new Error('a message was not accepted')
  await session.quit()
}

const mailer = async () => {
  const { default: nodemailer } = await import('nodemailer')
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    pool: true,
    maxConnections: 1,
    maxMessages: Infinity,
    ignoreTLS: true,
    name: 'bench.example',
  })
  const results = await Promise.all(Array.from({ length: count }, () => transport.sendMail({ envelope, raw: body })))
  if (results.some((r) => r.accepted.length !== 1)) throw new Error('a message was not accepted')
  transport.close()
}

const started = performance.now()
await (values.nodemailer ? mailer() : smtpure())
console.log(JSON.stringify({ seconds: (performance.now() - started) / 1000 }))
