// `smtpure serve` as a process: Maildir delivery, recipients, signals, failed writes.
import { execFileSync } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import * as net from 'node:net'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { classicMessage } from '../../core/examples/classic.js'
import { maildirSteps } from '../src/serve.js'
import { hostPort, parseHostPort } from '../src/usage.js'
import { maildir, python as runPython, runCli, serveEachTest } from './cli.js'

const serve = serveEachTest()
const files = (dir: string) => (existsSync(dir) ? readdirSync(dir) : [])

// the classic example message, as the core's transcript test and demo use it, one CRLF per line
const classic = classicMessage.map((l) => `${l}\r\n`).join('')

const python = (script: string): Promise<string> => runPython(script, { MSG: classic })

describe('smtpure serve --maildir-steps', () => {
  it('pool keeps both kinds of file step in the thread pool; auto, or no flag, leaves them to the rule', () => {
    const pool = maildirSteps('pool')
    expect([pool.metadataSteps?.inPlace, pool.syncSteps?.inPlace]).toEqual([false, false])
    expect(maildirSteps('auto')).toEqual({ workerCopies: Infinity })
    expect(maildirSteps(undefined)).toEqual({ workerCopies: Infinity })
  })

  it('takes no worker thread for a message with many recipients, with either value', () => {
    for (const value of [undefined, 'auto', 'pool']) expect(maildirSteps(value).workerCopies).toBe(Infinity)
  })

  it('pool delivers the message whole, its files made and synced in the thread pool', async () => {
    const dir = maildir()
    const r = await serve(['--maildir', dir, '--maildir-steps', 'pool'])
    const out = await python(`
import smtplib, os
s = smtplib.SMTP('127.0.0.1', ${r.port}, timeout=30)
print(s.sendmail('bob@example.org', ['alice@example.com'], os.environ['MSG'].encode()))
s.quit()`)
    expect(out.trim()).toBe('{}')
    const inbox = join(dir, 'alice@example.com', 'new')
    expect(files(inbox)).toHaveLength(1)
    expect(readFileSync(join(inbox, files(inbox)[0]!), 'latin1').endsWith(classic)).toBe(true)
  })

  it('anything but auto or pool is a usage error (64) with one line', async () => {
    expect(await runCli(['serve', '--port', '0', '--maildir-steps', 'fast'])).toEqual({
      code: 64,
      stdout: '',
      stderr: 'smtpure: --maildir-steps: expected auto or pool, given "fast"\n',
    })
  })
})

describe('smtpure serve', () => {
  it('prints one listening line and delivers the classic message into each recipient Maildir', async () => {
    const dir = maildir()
    const r = await serve(['--maildir', dir, '--hostname', 'smtp.example.com'])
    expect(r.stdout()).toBe(`listening on 127.0.0.1:${r.port}\n`)
    const out = await python(`
import smtplib, os
s = smtplib.SMTP('127.0.0.1', ${r.port}, timeout=30)
s.helo('relay.example.org')
print(s.sendmail('bob@example.org', ['Alice@Example.com', 'theboss@example.com'], os.environ['MSG'].encode()))
s.quit()`)
    expect(out.trim()).toBe('{}')
    for (const rcpt of ['alice@example.com', 'theboss@example.com']) {
      const inbox = join(dir, rcpt, 'new')
      expect(files(inbox)).toHaveLength(1)
      expect(files(join(dir, rcpt, 'tmp'))).toHaveLength(0)
      const text = readFileSync(join(inbox, files(inbox)[0]!), 'latin1')
      const [head, ...rest] = text.split(/(?=From: "Bob)/)
      expect(rest.join('')).toBe(classic)
      expect(head).toMatch(
        new RegExp(
          `^Return-Path: <bob@example\\.org>\\r\\nDelivered-To: ${rcpt.replace('.', '\\.')}\\r\\nReceived: from relay\\.example\\.org \\(\\[127\\.0\\.0\\.1\\]\\)\\s+by smtp\\.example\\.com\\s+with SMTP\\s+id \\S+;\\s+\\w{3}, \\d\\d \\w{3} \\d{4} \\d\\d:\\d\\d:\\d\\d [+-]\\d{4}\\r\\n$`,
        ),
      )
    }
  })

  it('--mailbox accepts only the listed recipients, case-insensitively; others get 550 5.1.1', async () => {
    const dir = maildir()
    const r = await serve(['--maildir', dir, '--mailbox', 'Alice@example.com'])
    const out = await python(`
import smtplib
s = smtplib.SMTP('127.0.0.1', ${r.port}, timeout=30)
s.ehlo('c.example')
s.mail('a@b.example')
print(s.rcpt('ALICE@EXAMPLE.COM'))
print(s.rcpt('bob@example.com'))
s.quit()`)
    expect(out).toContain("(250, b'2.1.5 Ok')")
    expect(out).toContain("(550, b'5.1.1 <bob@example.com>: no such mailbox here')")
  })

  it('a failed write answers 451 and leaves no file in new/', async () => {
    const dir = maildir()
    writeFileSync(join(dir, 'blocked@example.com'), 'a file where the Maildir should be')
    const r = await serve(['--maildir', dir])
    const out = await python(`
import smtplib, os
s = smtplib.SMTP('127.0.0.1', ${r.port}, timeout=30)
try:
    s.sendmail('a@b.example', ['blocked@example.com'], os.environ['MSG'].encode())
except smtplib.SMTPDataError as e:
    print('data', e.smtp_code, e.smtp_error)
s.quit()`)
    expect(out).toContain("data 451 b'4.3.0 Local error in processing'")
    expect(readFileSync(join(dir, 'blocked@example.com'), 'utf8')).toBe('a file where the Maildir should be')
  })

  it('the bare <Postmaster> is the postmaster of --hostname: one mailbox, one copy (RFC 5321 4.5.1)', async () => {
    const dir = maildir()
    const r = await serve(['--maildir', dir, '--hostname', 'smtp.example.com'])
    const out = await python(`
import smtplib, os
s = smtplib.SMTP('127.0.0.1', ${r.port}, timeout=30)
print(s.sendmail('bob@example.org', ['Postmaster', 'postmaster@smtp.example.com'], os.environ['MSG'].encode()))
print(s.sendmail('bob@example.org', ['Postmaster'], os.environ['MSG'].encode()))
s.quit()`)
    expect(out.trim()).toBe('{}\n{}')
    expect(readdirSync(dir).filter((f) => !f.startsWith('.'))).toEqual(['postmaster@smtp.example.com'])
    const inbox = join(dir, 'postmaster@smtp.example.com', 'new')
    expect(files(inbox)).toHaveLength(2)
    for (const f of files(inbox))
      expect(readFileSync(join(inbox, f), 'latin1')).toContain('Delivered-To: postmaster@smtp.example.com\r\n')
  })

  it('--lmtp: a mailbox that cannot be written fails alone; every other recipient gets 250 and its copy (RFC 2033 4.2)', async () => {
    const dir = maildir()
    writeFileSync(join(dir, 'blocked@example.com'), 'a file where the Maildir should be')
    const r = await serve(['--maildir', dir, '--lmtp'])
    const out = await python(`
import socket, os
s = socket.create_connection(('127.0.0.1', ${r.port}), timeout=30)
f = s.makefile('rb')
def reply():
    lines = [f.readline()]
    while lines[-1][3:4] == b'-': lines.append(f.readline())
    return lines[-1].decode().strip()
reply()
for c in ['LHLO c.example', 'MAIL FROM:<a@b.example>', 'RCPT TO:<alice@example.com>', 'RCPT TO:<blocked@example.com>',
          'RCPT TO:<Alice@Example.com>', 'RCPT TO:<bob@example.com>', 'DATA']:
    s.sendall(c.encode() + b'\\r\\n'); reply()
s.sendall(os.environ['MSG'].encode() + b'.\\r\\n')
for i in range(4): print(reply())
s.sendall(b'QUIT\\r\\n'); reply()`)
    expect(out.trim().split('\n')).toEqual([
      '250 2.0.0 Ok: delivered',
      '451 4.3.0 Local error in processing',
      '250 2.0.0 Ok: delivered', // a second spelling of alice's mailbox: her one copy
      '250 2.0.0 Ok: delivered',
    ])
    for (const rcpt of ['alice@example.com', 'bob@example.com']) {
      const inbox = join(dir, rcpt, 'new')
      expect(files(inbox)).toHaveLength(1)
      expect(readFileSync(join(inbox, files(inbox)[0]!), 'latin1').endsWith(classic)).toBe(true)
      expect(files(join(dir, rcpt, 'tmp'))).toHaveLength(0)
    }
    expect(readFileSync(join(dir, 'blocked@example.com'), 'utf8')).toBe('a file where the Maildir should be')
    expect(r.stderr()).toMatch(/smtpure serve: store: .*blocked@example\.com/)
  })

  it('SMTPUTF8 addresses are stored as UTF-8, and U+4E0D/U+4E0A forge no header line (RFC 6532 3.2)', async () => {
    const dir = maildir()
    const r = await serve(['--maildir', dir])
    const out = await python(`
import smtplib, os
s = smtplib.SMTP('127.0.0.1', ${r.port}, timeout=30)
print(s.sendmail('jörg@bücher.example', ['jörg@bücher.example', 'a不b上c@example.com'], os.environ['MSG'].encode(), mail_options=['SMTPUTF8']))
s.quit()`)
    expect(out.trim()).toBe('{}')
    // named in canonical form: the U-label domain as its A-label (RFC 5890), the local part as sent
    for (const rcpt of ['jörg@xn--bcher-kva.example', 'a不b上c@example.com']) {
      const inbox = join(dir, rcpt, 'new')
      expect(files(inbox)).toHaveLength(1)
      const text = new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(join(inbox, files(inbox)[0]!)))
      const head = text.slice(0, text.indexOf('From: "Bob'))
      expect(
        head
          .split('\r\n')
          .filter((l) => /^[^ \t]/.test(l))
          .map((l) => l.slice(0, l.indexOf(':'))),
      ).toEqual(['Return-Path', 'Delivered-To', 'Received'])
      expect(head).toContain(`Return-Path: <jörg@bücher.example>\r\nDelivered-To: ${rcpt}\r\n`)
    }
  })

  describe('on a full file system (a 256 KiB tmpfs; root only)', () => {
    const mount = mkdtempSync(join(tmpdir(), 'smtpure-tmpfs-'))
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mount])
    afterAll(() => {
      execFileSync('umount', ['-l', mount]) // lazily: the killed server may still be closing its files
      rmSync(mount, { recursive: true })
    })

    it('every 250 stands for a whole file; the first message that does not fit gets 452 4.3.1 (RFC 5321 6.1)', async () => {
      const r = await serve(['--maildir', mount])
      const out = await python(`
import smtplib
s = smtplib.SMTP('127.0.0.1', ${r.port}, timeout=30)
s.ehlo('c.example')
body = ('Subject: fill\\r\\n\\r\\n' + ('x' * 510 + '\\r\\n') * 32).encode()
for i in range(40):
    s.mail('a@b.example'); s.rcpt('bob@example.com')
    code, text = s.data(body)
    print(code, text.decode())
    if code != 250: break
s.quit()`)
      const codes = out.trim().split('\n')
      const accepted = codes.filter((l) => l.startsWith('250')).length
      expect(accepted).toBeGreaterThan(0)
      expect(codes[codes.length - 1]).toMatch(/^452 4\.3\.1 /)
      const inbox = join(mount, 'bob@example.com', 'new')
      expect(files(inbox)).toHaveLength(accepted)
      for (const f of files(inbox))
        expect(readFileSync(join(inbox, f), 'latin1')).toMatch(/Subject: fill\r\n\r\n(x{510}\r\n){32}$/)
      expect(r.stderr()).toMatch(/smtpure serve: store: .*(ENOSPC|no space left)/)
    })
  })

  it('a Maildir root that becomes a link to /proc while serving: 451 4.3.0 at once, not a hang; then 250 once repaired', async () => {
    const dir = maildir()
    const r = await serve(['--maildir', dir])
    rmSync(dir, { recursive: true })
    symlinkSync('/proc', dir) // mkdir says ENOENT below it and EEXIST for it: node:fs's recursive mkdir spins
    const send = (rcpt: string) =>
      python(`
import smtplib
s = smtplib.SMTP('127.0.0.1', ${r.port}, timeout=30)
s.ehlo('c.example')
s.mail('a@b.example'); s.rcpt('${rcpt}')
code, text = s.data(b'Subject: x\\r\\n\\r\\nhi\\r\\n')
print(code, text.decode())
s.quit()`)
    expect((await send('alice@example.com')).trim()).toMatch(/^451 4\.3\.0 /)
    expect(r.stderr()).toMatch(/^smtpure serve: store: Error: ENOENT: [^\n]+\n$/)
    rmSync(dir)
    mkdirSync(dir)
    expect((await send('bob@example.com')).trim()).toMatch(/^250 /)
    expect(files(join(dir, 'bob@example.com', 'new'))).toHaveLength(1)
  })

  it('--max-connections-per-address with --limit-loopback: the second connection gets 421', async () => {
    const r = await serve(['--maildir', maildir(), '--max-connections-per-address', '1', '--limit-loopback'])
    const first = net.connect(r.port, '127.0.0.1')
    await new Promise((res) => first.once('data', res))
    const second = net.connect(r.port, '127.0.0.1')
    let got = ''
    second.on('data', (d) => (got += d))
    await new Promise((res) => second.once('close', res))
    expect(got).toBe('421 localhost Too many connections from your address, try again later\r\n')
    first.destroy()
  })

  it('SIGTERM during DATA: the server exits 0 and leaves a complete file or none', async () => {
    const dir = maildir()
    const r = await serve(['--maildir', dir])
    const socket = net.connect(r.port, '127.0.0.1')
    let got = ''
    socket.on('data', (d) => (got += d))
    socket.on('error', () => undefined)
    await new Promise((res) => socket.once('data', res))
    socket.write(
      'EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nDATA\r\nSubject: half\r\n\r\nfirst line\r\n',
    )
    while (!got.includes('354')) await new Promise((res) => setTimeout(res, 10))
    r.child.kill('SIGTERM')
    await new Promise((res) => setTimeout(res, 100))
    socket.write('last line\r\n.\r\n')
    expect(await r.exited).toBe(0)
    const inbox = join(dir, 'x@y.example', 'new')
    for (const f of files(inbox)) expect(readFileSync(join(inbox, f), 'latin1')).toMatch(/first line\r\nlast line\r\n$/)
    expect(files(join(dir, 'x@y.example', 'tmp'))).toHaveLength(0)
    expect(got).toMatch(/421 4\.3\.2 Service shutting down/)
  })

  it('--help shows the options with examples; a bad flag is one line and exit 64', async () => {
    const help = await runCli(['serve', '--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('--maildir DIR')
    expect(help.stdout).toContain('Examples:')
    const bad = await runCli(['serve', '--no-such-flag'])
    expect(bad.code).toBe(64)
    expect(bad.stderr.trim().split('\n')).toHaveLength(1)
    const badNumber = await runCli(['serve', '--port', 'eighty'])
    expect(badNumber.code).toBe(64)
    expect(badNumber.stderr).toBe('smtpure: --port needs a whole number, got "eighty"\n')
    // the second --maildir would otherwise win in silence, and mail go where it was not meant to
    const twice = await runCli(['serve', '--port', '0', '--maildir', '/tmp/a', '--maildir', '/tmp/b'])
    expect(twice.code).toBe(64)
    expect(twice.stderr).toBe('smtpure: --maildir is given twice; it takes one value\n')
    // a --user without its name may be a password: it is not shown
    const user = await runCli(['serve', '--port', '0', '--maildir', '/tmp/a', '--user', ':S3CRETPW'])
    expect(user.code).toBe(64)
    expect(user.stderr).toMatch(/^smtpure: --user needs NAME:PASSWORD/)
    expect(user.stderr).not.toContain('S3CRETPW')
  })

  it('refuses, as usage (64), settings under which it could take no mail or would listen where not asked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smtpure-usage-'))
    const serve = (...args: string[]) =>
      runCli(['serve', '--port', '0', ...(args.includes('--maildir') ? [] : ['--maildir', dir]), ...args])
    const cases: Array<[string[], string]> = [
      // Node would take an empty address as every interface, Bun and Deno as an error
      [['--host', ''], 'smtpure: --host: expected an address or a host name, given ""\n'],
      [['--maildir', ''], 'smtpure: --maildir: expected a directory, given ""\n'],
      // STARTTLS is offered only with a certificate, AUTH only with users: every MAIL would get 530
      [
        ['--require-tls'],
        'smtpure: --require-tls needs --tls-cert and --tls-key: without them no client could start TLS\n',
      ],
      [['--require-auth'], 'smtpure: --require-auth needs --user: without one no client could authenticate\n'],
      [['--user', 'bob:a', '--user', 'bob:b'], 'smtpure: --user "bob" is given twice\n'],
      [
        ['--hostname', `${'a'.repeat(64)}.example`],
        expect.stringMatching(/^smtpure: --hostname: must be a domain name/),
      ],
    ]
    for (const [args, stderr] of cases) {
      const r = await serve(...args)
      expect([args, r.code, r.stderr]).toEqual([args, 64, stderr])
    }
    const empty = await serve('--user', 'bob:')
    expect([empty.code, empty.stderr]).toEqual([64, expect.stringMatching(/^smtpure: --user needs NAME:PASSWORD/)])
    rmSync(dir, { recursive: true, force: true })
  })

  it('writes the address it listens on as HOST:PORT, an IPv6 one in brackets, the form --server and --metrics read', () => {
    expect(hostPort('127.0.0.1', 2525)).toBe('127.0.0.1:2525')
    expect(hostPort('::1', 2525)).toBe('[::1]:2525')
    for (const host of ['127.0.0.1', '::1', '2001:db8::25'])
      expect(parseHostPort('metrics', hostPort(host, 25))).toEqual({ host, port: 25 })
  })

  it('a --metrics port it cannot listen on is one line naming --metrics and exit 69', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smtpure-metrics-'))
    const taken = net.createServer()
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r))
    const port = (taken.address() as net.AddressInfo).port
    const r = await runCli(['serve', '--port', '0', '--maildir', dir, '--metrics', `127.0.0.1:${port}`])
    taken.close()
    rmSync(dir, { recursive: true, force: true })
    expect(r.code).toBe(69)
    expect(r.stderr).toMatch(new RegExp(`^smtpure: --metrics: cannot listen on 127\\.0\\.0\\.1:${port}: .+\n$`))
  })

  it('an address it cannot listen on is one line and exit 69', async () => {
    // 999.1.1.1 is no IPv4 address: node:net looks it up as a name and the lookup fails
    const dir = mkdtempSync(join(tmpdir(), 'smtpure-listen-'))
    const failed = await runCli(['serve', '--host', '999.1.1.1', '--port', '0', '--maildir', dir])
    rmSync(dir, { recursive: true, force: true })
    expect(failed.code).toBe(69)
    expect(failed.stderr).toMatch(/^smtpure: cannot listen on 999\.1\.1\.1:0: .+\n$/)
  })
})
