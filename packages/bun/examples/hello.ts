// A server and a client in one program: the client sends one message to the server, which keeps it
// in memory; both then close. Only the import line names the runtime.
import { SmtpError } from '@smtpure/driver'
import { connectSmtp, createSmtpServer } from '@smtpure/bun'

const inbox: string[] = []
const server = createSmtpServer({
  smtp: { hostname: 'mx.example.com' },
  hooks: {
    onRcptTo: (to) => {
      if (to.domain.toLowerCase() !== 'example.com') throw new SmtpError(550, '5.1.1', 'No such user here')
    },
    onMessage: async (message) => {
      const decoder = new TextDecoder()
      let text = ''
      for await (const chunk of message.chunks) text += decoder.decode(chunk, { stream: true })
      inbox.push(message.received + text)
      return { code: 250, enhanced: '2.0.0', lines: [`Ok: queued as ${inbox.length}`] }
    },
  },
})
const { port } = await server.listen(0, '127.0.0.1')

const session = await connectSmtp({ host: '127.0.0.1', port, smtp: { helo: 'client.example.org' } })
const result = await session.send({
  envelope: { from: 'bob@example.org', to: ['alice@example.com', 'eve@example.net'] },
  body: 'From: bob@example.org\r\nSubject: hello\r\n\r\nHello Alice.\r\n',
})
for (const r of result.recipients) console.log(r.address, r.reply?.code, r.reply?.lines.join(' '))
console.log('message', result.status, result.reply?.lines.join(' '))
await session.quit()
await server.close()
console.log(inbox.length, 'message stored, starting with', JSON.stringify(inbox[0]?.slice(0, 9)))
