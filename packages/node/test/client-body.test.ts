// A streamed body (a file's read stream) is the client's to close once it has done with it: sent, refused
// before DATA, or cut off mid-way by a lost connection. Left open, every failed send kept a file descriptor.
import { createReadStream, mkdtempSync, rmSync, writeFileSync, type ReadStream } from 'node:fs'
import * as net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { connectSmtp } from '../src/index.js'

const dir = mkdtempSync(join(tmpdir(), 'smtpure-client-body-'))
const file = join(dir, 'body.txt')
writeFileSync(file, 'Subject: x\r\n\r\n' + `${'y'.repeat(998)}\r\n`.repeat(4000))
afterAll(() => rmSync(dir, { recursive: true }))

/** A scripted peer over a real socket: replies by command; `cut` hangs up once DATA has begun. */
const peer = async (mode: 'refuse' | 'cut' | 'accept'): Promise<{ port: number; close: () => void }> => {
  const server = net.createServer((c) => {
    c.write('220 peer.example ESMTP\r\n')
    let buf = ''
    let data = false
    c.on('error', () => undefined)
    c.on('data', (d) => {
      buf += d.toString('latin1')
      if (data) {
        if (mode === 'cut') return void c.destroy()
        const end = buf.indexOf('\r\n.\r\n')
        if (end === -1) return
        buf = buf.slice(end + 5)
        data = false
        c.write('250 ok\r\n')
      }
      for (let at = buf.indexOf('\r\n'); at !== -1 && !data; at = buf.indexOf('\r\n')) {
        const line = buf.slice(0, at).toUpperCase()
        buf = buf.slice(at + 2)
        if (line.startsWith('EHLO')) c.write('250-peer.example\r\n250 PIPELINING\r\n')
        else if (line.startsWith('RCPT') && mode === 'refuse') c.write('550 5.1.1 no such user\r\n')
        else if (line.startsWith('DATA') && mode === 'refuse') c.write('554 5.5.1 no valid recipients\r\n')
        else if (line.startsWith('DATA')) {
          c.write('354 go\r\n')
          data = true
        } else if (line.startsWith('QUIT')) c.end('221 bye\r\n')
        else c.write('250 ok\r\n')
      }
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close() }
}

const closed = (s: ReadStream): Promise<boolean> =>
  s.closed ? Promise.resolve(true) : new Promise((r) => setTimeout(() => r(s.closed), 1000).unref())

describe('a streamed body', () => {
  it.each([
    ['sent whole', 'accept', 'accepted'],
    ['whose recipients were all refused (never read)', 'refuse', 'permanent'],
    ['cut off by a lost connection mid-way', 'cut', 'temporary'],
  ] as const)('is closed once done with: %s', async (_n, mode, status) => {
    const p = await peer(mode)
    const session = await connectSmtp({ host: '127.0.0.1', port: p.port, smtp: {} })
    await session.ready
    const stream = createReadStream(file)
    const result = await session.send({ envelope: { from: 'a@b.example', to: ['c@d.example'] }, body: stream })
    await session.quit().catch(() => undefined)
    p.close()
    expect(result.status).toBe(status)
    expect(await closed(stream)).toBe(true)
  })

  it('is closed when the connection is gone before the message could start', async () => {
    const p = await peer('cut')
    const session = await connectSmtp({ host: '127.0.0.1', port: p.port, smtp: {} })
    await session.ready
    const first = createReadStream(file)
    const second = createReadStream(file)
    const sent = [
      session.send({ envelope: { from: 'a@b.example', to: ['c@d.example'] }, body: first }),
      session.send({ envelope: { from: 'a@b.example', to: ['c@d.example'] }, body: second }), // queued behind
    ]
    await Promise.allSettled(sent)
    p.close()
    expect(await closed(first)).toBe(true)
    expect(await closed(second)).toBe(true)
  })
})
