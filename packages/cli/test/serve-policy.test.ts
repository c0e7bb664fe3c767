// `smtpure serve`'s recipient policy and logging, from field reports: one mailbox however it is quoted
// (RFC 5321 4.1.2), postmaster always accepted (RFC 5321 4.5.1), and clients that hang up are not errors.
import { readFileSync, readdirSync } from 'node:fs'
import * as net from 'node:net'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { maildir, runCli, serveEachTest } from './cli.js'

const serve = serveEachTest()

/** Talk to the server line by line: each command gets the server's next reply (waits for it). */
const talk = async (port: number, commands: ReadonlyArray<string>): Promise<string[]> => {
  const socket = net.connect(port, '127.0.0.1')
  let buffer = ''
  const waiters: Array<() => void> = []
  socket.on('data', (d) => {
    buffer += d.toString('latin1')
    waiters.splice(0).forEach((w) => w())
  })
  const nextReply = async (): Promise<string> => {
    for (;;) {
      const m = /^(?:\d{3}-[^\n]*\n)*\d{3}(?: [^\n]*)?\r?\n/.exec(buffer)
      if (m) {
        buffer = buffer.slice(m[0].length)
        return m[0].trimEnd()
      }
      await new Promise<void>((r) => waiters.push(r))
    }
  }
  const replies = [await nextReply()]
  for (const c of commands) {
    socket.write(`${c}\r\n`)
    replies.push(await nextReply())
  }
  socket.end()
  return replies
}

const lastLine = (reply: string): string => reply.split('\n').at(-1)!.trim()

describe('smtpure serve: recipients', () => {
  it('a quoted local part is the same mailbox as its unquoted form (RFC 5321 4.1.2)', async () => {
    const dir = maildir()
    const r = await serve(['--maildir', dir, '--mailbox', 'bob@example.com'])
    const replies = await talk(r.port, [
      'EHLO c.example',
      'MAIL FROM:<a@b.example>',
      'RCPT TO:<"bob"@example.com>',
      'RCPT TO:<"b\\ob"@EXAMPLE.com>',
      'DATA',
      'Subject: hi\r\n\r\nhello\r\n.',
      'QUIT',
    ])
    expect(replies.slice(3, 5).map(lastLine)).toEqual(['250 2.1.5 Ok', '250 2.1.5 Ok'])
    expect(lastLine(replies[6]!)).toMatch(/^250 /)
    expect(readdirSync(dir).sort()).toEqual(['bob@example.com'])
    expect(readdirSync(join(dir, 'bob@example.com', 'new'))).toHaveLength(1)
  })

  it('without --mailbox, quoted and unquoted forms share one Maildir', async () => {
    const dir = maildir()
    const r = await serve(['--maildir', dir])
    const tx = (rcpt: string) => ['MAIL FROM:<a@b.example>', `RCPT TO:${rcpt}`, 'DATA', 'Subject: hi\r\n\r\nx\r\n.']
    const replies = await talk(r.port, [
      'EHLO c.example',
      ...tx('<"bob"@example.com>'),
      ...tx('<bob@Example.COM>'),
      'QUIT',
    ])
    expect(replies.filter((x) => /^250 2\.0\.0 Ok: delivered/.test(x))).toHaveLength(2)
    expect(readdirSync(dir)).toEqual(['bob@example.com'])
    expect(readdirSync(join(dir, 'bob@example.com', 'new'))).toHaveLength(2)
  })

  it('postmaster is accepted whatever --mailbox lists (RFC 5321 4.5.1, 2.3.5)', async () => {
    const dir = maildir()
    const r = await serve(['--maildir', dir, '--mailbox', 'bob@example.com'])
    const replies = await talk(r.port, [
      'EHLO c.example',
      'MAIL FROM:<a@b.example>',
      'RCPT TO:<Postmaster>',
      'RCPT TO:<postmaster@example.com>',
      'RCPT TO:<POSTMASTER@Example.Com>',
      'RCPT TO:<postmaster@elsewhere.example>',
      'RCPT TO:<alice@example.com>',
      'QUIT',
    ])
    expect(replies.slice(3, 8).map(lastLine)).toEqual([
      '250 2.1.5 Ok',
      '250 2.1.5 Ok',
      '250 2.1.5 Ok',
      '550 5.1.1 <postmaster@elsewhere.example>: no such mailbox here',
      '550 5.1.1 <alice@example.com>: no such mailbox here',
    ])
  })

  it('a --mailbox that is not a mailbox is a usage error', async () => {
    await expect(serve(['--maildir', maildir(), '--mailbox', 'not an address'])).rejects.toThrow(/--mailbox/)
  })
})

describe('smtpure serve: clients that hang up', () => {
  it('a client that resets the connection or leaves mid-reply prints nothing on stderr', async () => {
    const r = await serve(['--maildir', maildir()])
    // a reset (ECONNRESET on the server's read)
    await new Promise<void>((resolve) => {
      const s = net.connect(r.port, '127.0.0.1', () => {
        s.write('EHLO c.example\r\n')
        setTimeout(() => {
          s.resetAndDestroy()
          resolve()
        }, 200)
      })
    })
    // a client that sends a pipeline and resets before reading the replies (EPIPE or ECONNRESET on write)
    await new Promise<void>((resolve) => {
      const s = net.connect(r.port, '127.0.0.1', () => {
        s.write(`EHLO c.example\r\n${'NOOP\r\n'.repeat(5000)}`)
        s.resetAndDestroy()
        resolve()
      })
    })
    // a normal session afterwards shows the server is well
    const replies = await talk(r.port, ['EHLO c.example', 'NOOP', 'QUIT'])
    expect(lastLine(replies[2]!)).toBe('250 2.0.0 Ok')
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(r.stderr()).toBe('')
  })
})

describe('smtpure serve: numbers too big to count', () => {
  it.each(['--max-size', '--max-recipients', '--port'])(
    '%s 99999999999999999999 is a usage error naming the flag',
    async (flag) => {
      const out = await runCli(['serve', '--maildir', maildir(), flag, '99999999999999999999'])
      expect(out.code).toBe(64)
      expect(out.stderr.trim().split('\n')).toHaveLength(1)
      expect(out.stderr).toContain(flag)
    },
  )
})

describe('smtpure serve: the Received field', () => {
  it('names the client greeting for a message sent with BDAT by smtpure send (RFC 5321 4.4, RFC 3030)', async () => {
    const dir = maildir()
    const r = await serve(['--maildir', dir])
    const out = await runCli(
      [
        'send',
        '--server',
        `127.0.0.1:${r.port}`,
        '--helo',
        'client.example',
        '--from',
        'a@b.example',
        '--to',
        'bob@example.com',
        '-',
      ],
      'Subject: hi\r\n\r\nHello\r\n',
    )
    expect(out.code).toBe(0)
    const inbox = join(dir, 'bob@example.com', 'new')
    const text = readFileSync(join(inbox, readdirSync(inbox)[0]!), 'latin1')
    expect(text).toMatch(/^Received: from client\.example \(\[127\.0\.0\.1\]\)/m)
    // docs/cli.md: one recipient is named with `for` (RFC 5321 4.4)
    expect(text).toMatch(/^Received: [^;]*\sid \S+ for <bob@example\.com>;/m)
  })
})
