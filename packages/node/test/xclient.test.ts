// XCLIENT over real sockets: a smtpure client acting as a proxy passes on its client's identity to a
// smtpure server that trusts it; hooks and Received see the client, not the proxy.
import { afterEach, describe, expect, it } from 'vitest'
import type { SessionInfo } from '@smtpure/driver'
import { type SmtpServer, connectSmtp, createSmtpServer } from '../src/index.js'
import { python } from './helpers.js'

const servers: SmtpServer[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close(1000)
})

const start = async (trusted: string[]) => {
  const sessions: SessionInfo[] = []
  const received: string[] = []
  const server = createSmtpServer({
    smtp: { hostname: 'mx.example' },
    xclient: { trusted },
    hooks: {
      onMailFrom: (_f, _p, session) => void sessions.push(session),
      onMessage: async (m) => {
        for await (const _ of m.chunks) void _
        received.push(m.received)
      },
    },
  })
  servers.push(server)
  const { port } = await server.listen(0)
  return { port, sessions, received }
}

describe('XCLIENT', () => {
  it('a trusted smtpure client passes ADDR, NAME, HELO and PROTO; Received and hooks show them', async () => {
    const { port, sessions, received } = await start(['127.0.0.1'])
    const session = await connectSmtp({
      host: '127.0.0.1',
      port,
      smtp: {
        helo: 'proxy.example',
        xclient: {
          address: '2001:db8::25',
          port: 40000,
          name: 'client.example.net',
          helo: 'client.example.net',
          proto: 'ESMTP',
        },
      },
    })
    await session.ready
    const result = await session.send({
      envelope: { from: 'a@example.net', to: ['b@example.com'] },
      body: 'Subject: x\r\n\r\nhi\r\n',
    })
    await session.quit()
    expect(result.status).toBe('accepted')
    expect(sessions[0]!.remoteAddress).toBe('2001:db8::25')
    expect(received[0]).toMatch(
      /^Received: from client\.example\.net \(client\.example\.net \[IPv6:2001:db8::25\]\)\s+by mx\.example\s+with ESMTP/,
    )
  })

  it('an untrusted client is not offered XCLIENT and gets 550 5.7.0 (Python smtplib)', async () => {
    const { port } = await start(['192.0.2.0/24'])
    const out = await python(`
import smtplib
s = smtplib.SMTP('127.0.0.1', ${port}, timeout=30)
s.ehlo('c.example')
print(s.has_extn('xclient'), s.docmd('XCLIENT ADDR=192.0.2.9'))
s.quit()`)
    expect(out.trim()).toBe("False (550, b'5.7.0 Insufficient authorization')")
  })
})
