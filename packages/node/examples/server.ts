// A receiving server: accepts mail for two mailboxes and keeps messages in memory.
import { mailboxText, traceBlock } from '@smtpure/core'
import { SmtpError } from '@smtpure/driver'
import { createSmtpServer } from '@smtpure/node'

const mailboxes = new Set(['alice@example.com', 'bob@example.com'])
const inbox: Array<{ from: string; to: string[]; body: Buffer }> = []

const server = createSmtpServer({
  smtp: { hostname: 'mx.example.com', maxMessageSize: 10 * 1024 * 1024 },
  maxConnections: 100,
  hooks: {
    onRcptTo: (to) => {
      if (!mailboxes.has(mailboxText(to).toLowerCase())) throw new SmtpError(550, '5.1.1', 'No such user here')
    },
    onMessage: async (message) => {
      const parts: Buffer[] = []
      for await (const chunk of message.chunks) parts.push(Buffer.from(chunk))
      const from = message.envelope.from
      inbox.push({
        from: from === null ? '' : mailboxText(from),
        to: message.envelope.recipients.map((r) => mailboxText(r.to)),
        body: Buffer.concat([traceBlock([message.received]), ...parts]), // UTF-8: never Latin-1 (RFC 6532 3.2)
      })
      // Resolve only once the message is safe: the client gets its 250 after this.
      return { code: 250, enhanced: '2.0.0', lines: [`Ok: queued as ${inbox.length}`] }
    },
  },
})

const address = await server.listen(2525, '127.0.0.1')
console.log(`listening on ${address.address}:${address.port}`)
process.once('SIGTERM', () => void server.close(10000))
