// An SMTP server on this runtime's adapter for the interop tests. Prints `listening on HOST:PORT`,
// then one JSON line per accepted message. Arguments: [--certs DIR] [--implicit] [--auth USER:PASS]
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { adapter, runtime } from './adapter.mjs'

const { values: v } = parseArgs({
  options: { certs: { type: 'string' }, implicit: { type: 'boolean' }, auth: { type: 'string' } },
})
const latin1 = new TextDecoder('latin1')
const [user, password] = (v.auth ?? ':').split(':')
const server = adapter.createSmtpServer({
  smtp: {
    hostname: `${runtime}.example`,
    ...(v.auth ? { authMechanisms: ['PLAIN', 'LOGIN'], requireAuth: true } : {}),
  },
  ...(v.certs
    ? { tls: { key: readFileSync(join(v.certs, 'key.pem')), cert: readFileSync(join(v.certs, 'cert.pem')) } }
    : {}),
  implicitTls: v.implicit === true,
  hooks: {
    onAuth: (c) =>
      c.username === user && c.password === password
        ? undefined
        : { code: 535, enhanced: '5.7.8', lines: ['Authentication credentials invalid'] },
    onMessage: async (m, session) => {
      let body = ''
      for await (const chunk of m.chunks) body += latin1.decode(chunk)
      const mailbox = (a) => `${a.localPart}@${a.domain}`
      const from = m.envelope.from === null ? null : mailbox(m.envelope.from)
      const to = m.envelope.recipients.map((r) => mailbox(r.to))
      console.log(JSON.stringify({ from, to, body, tls: session.tls, authenticated: session.authenticated ?? null }))
      return { code: 250, enhanced: '2.0.0', lines: [`Ok: ${runtime} has it`] }
    },
  },
})
const address = await server.listen(0, '127.0.0.1')
console.log(`listening on ${address.address}:${address.port}`)
