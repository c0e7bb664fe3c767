// The peer for the benchmark: npm `smtp-server` doing the job of `smtpure serve` (no AUTH, no STARTTLS,
// the same size limit) and delivering through the very same Maildir store (@smtpure/maildir).
// Usage: node peer-server.mjs --port 0 --maildir DIR [--hostname NAME] [--max-size BYTES]
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { SMTPServer } from 'smtp-server'
import { Maildir } from '@smtpure/maildir'

const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const two = (n) => String(n).padStart(2, '0')

/** An RFC 5322 date-time in local time, as smtpure writes it: `Mon, 23 Nov 2026 18:07:51 +0000`. */
const formatDate = (d) => {
  const offset = -d.getTimezoneOffset()
  const zone = `${offset < 0 ? '-' : '+'}${two(Math.floor(Math.abs(offset) / 60))}${two(Math.abs(offset) % 60)}`
  const time = `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`
  return `${days[d.getDay()]}, ${d.getDate()} ${months[d.getMonth()]} ${d.getFullYear()} ${time} ${zone}`
}

/** The trace header lines smtpure puts on top of each copy (Return-Path, Delivered-To, Received). */
const headLines = (session, hostname, from, rcpt, forRcpt) => {
  const by = `Received: from ${session.hostNameAppearsAs} ([${session.remoteAddress}]) by ${hostname} with ESMTP`
  const id = `\tid ${session.id}${forRcpt ? ` for <${forRcpt}>` : ''}; ${formatDate(new Date())}`
  return `Return-Path: <${from}>\r\nDelivered-To: <${rcpt}>\r\n${by}\r\n${id}\r\n`
}

const sizeError = (limit) => Object.assign(new Error(`Message exceeds the ${limit} octet limit`), { responseCode: 552 })

/** Stream one message into a Maildir per recipient: tmp file, write, fsync, rename into new/. */
const deliver = async (stream, session, { store, hostname, maxSize }) => {
  const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : ''
  const recipients = session.envelope.rcptTo.map((r) => r.address.toLowerCase())
  const forRcpt = recipients.length === 1 ? recipients[0] : undefined
  const delivery = store.begin(
    recipients.map((rcpt) => ({
      address: rcpt,
      head: Buffer.from(headLines(session, hostname, from, rcpt, forRcpt)),
    })),
  )
  try {
    for await (const chunk of stream.iterator({ destroyOnReturn: false })) await delivery.write(chunk)
    if (stream.sizeExceeded) throw sizeError(maxSize)
    await delivery.commit()
  } catch (e) {
    await delivery.abort()
    throw e
  }
}

const onData = (options) => (stream, session, callback) => {
  deliver(stream, session, options).then(
    () => callback(null, 'Ok: delivered'),
    (e) => {
      stream.resume() // smtp-server answers once the rest of the message is read
      callback(e.responseCode ? e : Object.assign(new Error('Local error in processing'), { responseCode: 451 }))
    },
  )
}

const main = async () => {
  const { values: v } = parseArgs({
    options: {
      port: { type: 'string', default: '2525' },
      host: { type: 'string', default: '127.0.0.1' },
      hostname: { type: 'string', default: 'localhost' },
      maildir: { type: 'string', default: './mail' },
      'max-size': { type: 'string', default: '26214400' },
    },
  })
  const options = { store: new Maildir(resolve(v.maildir)), hostname: v.hostname, maxSize: Number(v['max-size']) }
  const server = new SMTPServer({
    name: v.hostname,
    size: options.maxSize,
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    hideENHANCEDSTATUSCODES: false, // smtpure sends enhanced status codes; keep the replies alike
    disableReverseLookup: true, // smtpure does no reverse DNS either
    logger: false,
    onData: onData(options),
  })
  server.on('error', (e) => process.stderr.write(`peer-server: ${e.message}\n`))
  await new Promise((done) => server.listen(Number(v.port), v.host, done))
  const address = server.server.address()
  process.stdout.write(`listening on ${address.address}:${address.port}\n`)
  const stop = () => server.close(() => process.exit(0))
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}

main().catch((e) => {
  process.stderr.write(`peer-server: ${e.message}\n`)
  process.exit(1)
})
