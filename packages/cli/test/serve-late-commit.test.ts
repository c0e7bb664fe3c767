// `serve`'s Maildir delivery when the session stops waiting for it: a store slower than
// hookTimeoutMs, or still committing at the close deadline, must not deliver a message whose client
// heard 451 or 421 (the client sends it again: a duplicate). Real sockets, Python's smtplib.
import * as fs from 'node:fs/promises'
import { mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { IncomingMessage, SessionInfo } from '@smtpure/driver'
import { Maildir, type StoreFile } from '@smtpure/maildir'
import { type SmtpServer, createSmtpServer } from '@smtpure/node'
import { deliverInto } from '../src/serve.js'
import { python } from './cli.js'

/** A store file whose writes take `delayMs` each: a slow disk. */
const slowFile =
  (delayMs: number) =>
  async (path: string): Promise<StoreFile> => {
    const handle = await fs.open(path, 'wx', 0o600)
    return {
      writev: async (buffers) => {
        await new Promise((r) => setTimeout(r, delayMs))
        return (await handle.writev(buffers as Uint8Array[])).bytesWritten
      },
      sync: () => handle.sync(),
      close: () => handle.close(),
    }
  }

const servers: SmtpServer[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close(1000)))
})

/** A server delivering with serve's hook into a slow Maildir; `settled` resolves once each delivery is over. */
const start = async (delayMs: number, hookTimeoutMs?: number) => {
  const root = mkdtempSync(join(tmpdir(), 'smtpure-late-'))
  const store = new Maildir(root, { openFile: slowFile(delayMs) })
  const deliveries: Promise<unknown>[] = []
  let started!: () => void
  const inHook = new Promise<void>((r) => (started = r))
  const server = createSmtpServer({
    ...(hookTimeoutMs !== undefined ? { hookTimeoutMs } : {}),
    hooks: {
      onMessage: (m: IncomingMessage, s: SessionInfo) => {
        started()
        const d = deliverInto(store, false)(m, s)
        deliveries.push(d.catch(() => undefined))
        return d
      },
    },
  })
  servers.push(server)
  const { port } = await server.listen(0)
  const inbox = () => readdirSync(join(root, 'x@example.com', 'new'))
  const leftovers = () => readdirSync(join(root, 'x@example.com', 'tmp'))
  const settled = async () => {
    while (deliveries.length === 0) await new Promise((r) => setTimeout(r, 20))
    await Promise.all(deliveries)
    await store.close()
  }
  return { server, port, inbox, leftovers, settled, inHook }
}

const send = (port: number) => `
import smtplib
s = smtplib.SMTP('127.0.0.1', ${port}, timeout=30)
try:
    s.sendmail('a@example.org', ['x@example.com'], b'Subject: late\\r\\n\\r\\nonce only\\r\\n')
    print('accepted')
except smtplib.SMTPDataError as e:
    print('refused', e.smtp_code)
except smtplib.SMTPServerDisconnected as e:
    print('disconnected')
`

describe('serve: a delivery the session stopped waiting for delivers nothing', () => {
  it('a store slower than hookTimeoutMs: the client hears 451, and the message does not land', async () => {
    const { port, inbox, leftovers, settled } = await start(1500, 300)
    const out = await python(send(port))
    expect(out.trim()).toBe('refused 451')
    await settled()
    expect(inbox()).toEqual([]) // the client will send it again: one copy must be all there is
    expect(leftovers()).toEqual([])
  })

  it('a store still committing at the close deadline: the client hears 421, and the message does not land', async () => {
    const { server, port, inbox, leftovers, settled, inHook } = await start(2000)
    const out = python(send(port))
    await inHook
    await new Promise((r) => setTimeout(r, 200)) // the end of data is in; the commit is under way
    await server.close(800)
    expect((await out).trim()).toMatch(/^refused 421$|^disconnected$/)
    await settled()
    expect(inbox()).toEqual([])
    expect(leftovers()).toEqual([])
  })

  it('a store within its time delivers once (the same hook, the same slow disk)', async () => {
    const { port, inbox, settled } = await start(300, 5000)
    const out = await python(send(port))
    expect(out.trim()).toBe('accepted')
    await settled()
    expect(inbox()).toHaveLength(1)
  })
})
