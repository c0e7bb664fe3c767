// LIMITS (RFC 9422) over real sockets: our client splits a message with more recipients than the
// server's RCPTMAX into transactions, each with its own result; Python's smtplib reads the keyword.
import { afterEach, describe, expect, it } from 'vitest'
import { connectSmtp } from '../src/index.js'
import { type Stored, python, startServer } from './helpers.js'

const servers: Array<{ close: (ms?: number) => Promise<void> }> = []
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close(1000)
})

describe('LIMITS (RFC 9422)', () => {
  it('the client splits 5 recipients into transactions of RCPTMAX=2, each with its own result (4.2)', async () => {
    const { server, port, stored } = await startServer({ smtp: { limits: true, maxRecipients: 2 } })
    servers.push(server)
    const session = await connectSmtp({ host: '127.0.0.1', port })
    const ready = await session.ready
    expect(ready.capabilities.limits).toEqual({ rcptMax: 2, mailMax: 1000 })
    const to = ['a@example.com', 'b@example.com', 'c@example.com', 'd@example.com', 'e@example.com']
    async function* body() {
      yield Buffer.from('Subject: split\r\n\r\n')
      yield Buffer.from('one body, three transactions\r\n')
    }
    const result = await session.send({ envelope: { from: 's@example.org', to }, body: body() })
    await session.quit()
    expect(result.status).toBe('accepted')
    expect(result.recipients.map((r) => [r.address, r.status])).toEqual(to.map((a) => [a, 'accepted']))
    expect(result.transactions?.map((t) => t.recipients.map((r) => r.address))).toEqual([
      to.slice(0, 2),
      to.slice(2, 4),
      to.slice(4),
    ])
    expect(result.transactions?.map((t) => t.reply?.lines[0])).toEqual([
      'Ok: queued as 1',
      'Ok: queued as 2',
      'Ok: queued as 3',
    ])
    expect(stored.map((m: Stored) => m.to)).toEqual([to.slice(0, 2), to.slice(2, 4), to.slice(4)])
    for (const m of stored) expect(m.body).toBe('Subject: split\r\n\r\none body, three transactions\r\n')
  })

  it('a split message queued before QUIT goes out whole, every part before the QUIT', async () => {
    const { server, port, stored } = await startServer({ smtp: { limits: true, maxRecipients: 1 } })
    servers.push(server)
    const session = await connectSmtp({ host: '127.0.0.1', port })
    const sent = session.send({
      envelope: { from: 's@example.org', to: ['a@example.com', 'b@example.com'] },
      body: 'x\r\n',
    })
    const closed = session.quit()
    const result = await sent
    await closed
    expect(result.transactions).toHaveLength(2)
    expect(stored.map((m) => m.to)).toEqual([['a@example.com'], ['b@example.com']])
  })

  it("Python's smtplib reads the LIMITS keyword from the EHLO reply", async () => {
    const { server, port } = await startServer({ smtp: { limits: true, maxRecipients: 7, maxMessagesPerSession: 3 } })
    servers.push(server)
    const out = await python(
      `import smtplib\ns = smtplib.SMTP('127.0.0.1', ${port}, timeout=30)\ns.ehlo('c.example')\nprint(s.esmtp_features.get('limits'))\ns.quit()`,
    )
    expect(out.trim()).toBe('RCPTMAX=7 MAILMAX=3')
  })
})
