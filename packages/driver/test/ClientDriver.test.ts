import { describe, expect, it } from 'vitest'
import { clientConfig, serverConfig, type ClientOptions, type ServerOptions } from '@smtpure/core'
import { type ServerHooks, SmtpClientError, SmtpError, startClientSession, startServerSession } from '../src/index.js'
import { testRuntime } from './MemoryTransport.js'
import { memoryPair } from './pair.js'

const connect = (client: Partial<ClientOptions>, server: ServerOptions, hooks: ServerHooks = {}) => {
  const c = clientConfig({ helo: 'client.example', ...client })
  const s = serverConfig({ hostname: 'mx.example.com', ...server })
  if (c._tag === 'Left' || s._tag === 'Left') throw new Error('bad config')
  const pair = memoryPair()
  const serverSession = startServerSession(pair.server, { config: s.right, hooks, runtime: testRuntime() })
  const session = startClientSession(pair.client, { config: c.right, runtime: testRuntime() })
  return { session, serverSession }
}

async function* slowly(parts: string[]): AsyncIterable<Uint8Array> {
  for (const p of parts) {
    await new Promise((r) => setImmediate(r))
    yield new TextEncoder().encode(p)
  }
}

describe('startClientSession', () => {
  it('sends messages over one connection and reports each recipient', async () => {
    const bodies: string[] = []
    const { session, serverSession } = connect(
      {},
      {},
      {
        onRcptTo: (to) => {
          if (to.localPart === 'nobody') throw new SmtpError(550, '5.1.1', 'No such user here')
        },
        onMessage: async (m) => {
          let s = ''
          for await (const c of m.chunks) s += Buffer.from(c).toString('latin1')
          bodies.push(s)
        },
      },
    )
    const ready = await session.ready
    expect(ready.capabilities.pipelining).toBe(true)
    const first = await session.send({
      envelope: { from: 'bob@example.org', to: ['alice@example.com', 'nobody@example.com', 'carol@example.com'] },
      body: 'Subject: one\n\n.leading dot\nlast line without break',
    })
    expect(first.status).toBe('accepted')
    expect(first.recipients.map((r) => [r.address, r.status, r.reply?.code])).toEqual([
      ['alice@example.com', 'accepted', 250],
      ['nobody@example.com', 'permanent', 550],
      ['carol@example.com', 'accepted', 250],
    ])
    const second = await session.send({
      envelope: { from: null, to: ['alice@example.com'] },
      body: slowly(['a\r\n', 'b\r\n']),
    })
    expect(second.status).toBe('accepted')
    await session.quit()
    await serverSession.done
    expect(bodies).toEqual(['Subject: one\r\n\r\n.leading dot\r\nlast line without break\r\n', 'a\r\nb\r\n'])
  })

  it('a refused greeting rejects ready with a typed error', async () => {
    const { session } = connect({}, {}, { onConnect: () => ({ code: 554, lines: ['no service'] }) })
    await expect(session.ready).rejects.toBeInstanceOf(SmtpClientError)
    await expect(session.ready).rejects.toMatchObject({ error: { _tag: 'GreetingRefused' } })
  })

  it('required TLS that is not offered fails before anything is sent in clear', async () => {
    const { session } = connect({ tls: 'required' }, { startTls: false })
    await expect(session.ready).rejects.toMatchObject({ error: { _tag: 'TlsRequired' } })
  })

  it('STARTTLS then AUTH, then the message', async () => {
    const users = new Map([['alice', 'pw']])
    const { session } = connect(
      { tls: 'required', auth: { username: 'alice', password: 'pw' } },
      { startTls: true, authMechanisms: ['PLAIN', 'LOGIN'], requireAuth: true },
      {
        onAuth: (c) => {
          if (c.mechanism !== 'PLAIN' || users.get(c.username) !== c.password)
            throw new SmtpError(535, '5.7.8', 'Bad credentials')
        },
      },
    )
    const ready = await session.ready
    expect(ready).toMatchObject({ tls: true, authenticated: true })
    const r = await session.send({ envelope: { from: 'alice@example.com', to: ['bob@example.org'] }, body: 'hi\r\n' })
    expect(r.status).toBe('accepted')
    await session.quit()
  })

  it('a message refused at the end of data is permanent, with the server reply', async () => {
    const { session } = connect(
      {},
      {},
      {
        onMessage: async () => {
          throw new SmtpError(554, '5.7.1', 'Message rejected as spam')
        },
      },
    )
    const r = await session.send({ envelope: { from: 'a@b.example', to: ['c@d.example'] }, body: 'x\r\n' })
    expect(r.status).toBe('permanent')
    expect(r.reply).toMatchObject({ code: 554, enhanced: '5.7.1' })
    await session.quit()
  })
})
