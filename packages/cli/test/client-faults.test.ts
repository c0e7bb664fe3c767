// The client against misbehaving servers, over real sockets: the data timeout covers each block of data,
// not the whole body (RFC 5321 4.5.3.2.5); QUIT is not waited for long once every result is final
// (RFC 5321 4.1.1.10); and only a 5yz reply makes `send` report a permanent failure (RFC 5321 4.2.1).
import { describe, expect, it } from 'vitest'
import { connectSmtp } from '@smtpure/node'
import { runCli } from './cli.js'
import { type Script, fakeServer, slowServer, willing } from './fakeServer.js'

const sendTo = (port: number, ...extra: string[]) =>
  runCli(
    ['send', '--server', `127.0.0.1:${port}`, '--from', 'bob@example.org', '--to', 'alice@example.com', ...extra, '-'],
    'Subject: hi\r\n\r\nHello\r\n',
  )

describe('client data timeout (RFC 5321 4.5.3.2.5)', () => {
  it('a body given as one buffer goes out in pieces: a slow, steady reader never trips the block timeout', async () => {
    // 24 MiB at about 4 MB/s takes seconds, more than the 3 s allowed for one block of data, even with
    // the few MiB the kernel's buffers take at once; one piece of 64 KiB takes milliseconds
    const { port } = await slowServer(131072, 0.03)
    const session = await connectSmtp({
      host: '127.0.0.1',
      port,
      smtp: { helo: 'client.example', timeouts: { dataBlock: 3000 } },
    })
    await session.ready
    const line = `${'x'.repeat(98)}\r\n`
    const body = Buffer.from(line.repeat(Math.ceil((24 * 1024 * 1024) / line.length)))
    const result = await session.send({ envelope: { from: 'bob@example.org', to: ['alice@example.com'] }, body })
    expect(result.status).toBe('accepted')
    expect(result.reply?.lines).toEqual(['Got it all'])
    await session.quit()
  }, 120_000)
})

describe('QUIT after the results are final (RFC 5321 4.1.1.10)', () => {
  it('a server that never answers QUIT does not hold `send` up: exit 0 within seconds', async () => {
    const port = await fakeServer('220 mute.example ESMTP\r\n', (line) => (line === 'QUIT' ? undefined : willing(line)))
    const started = Date.now()
    const out = await sendTo(port)
    expect(out.code).toBe(0)
    expect(out.stdout).toMatch(/message accepted: 250 2\.0\.0 Queued/)
    expect(Date.now() - started).toBeLessThan(19_000)
  }, 30_000)
})

describe('send: failure classes (only a 5yz reply is permanent; a broken protocol is 76)', () => {
  const after =
    (verb: RegExp, text: string): Script =>
    (line) =>
      verb.test(line) ? text : willing(line)
  it.each<[string, Script, RegExp]>([
    ['a reply of endless lines', after(/^EHLO/i, '250-fake.example\r\n'.repeat(1000)), /more than 200 lines/],
    ['a line that is no reply', after(/^MAIL/i, 'hello there\r\n'), /hello there/],
    ['a 421 that changes its code mid-reply', after(/^MAIL/i, '421-4.3.2 Going down\r\n250 Ok\r\n'), /Going down/],
  ])(
    '%s is a protocol failure: exit 76 (EX_PROTOCOL), the server text shown',
    async (_, script, text) => {
      const port = await fakeServer('220 odd.example ESMTP\r\n', script)
      const out = await sendTo(port)
      expect(out.code).toBe(76)
      expect(`${out.stdout}${out.stderr}`).toMatch(text)
    },
    30_000,
  )

  it('a 5yz reply still makes it permanent: exit 69', async () => {
    const port = await fakeServer('220 strict.example ESMTP\r\n', after(/^RCPT/i, '550 5.1.1 No such user here\r\n'))
    const out = await sendTo(port)
    expect(out.code).toBe(69)
    expect(out.stdout).toMatch(/550 5\.1\.1 No such user here/)
  }, 30_000)
})
