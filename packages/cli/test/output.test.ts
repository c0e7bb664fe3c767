// The command's output as a user sees it (docs/cli.md): no control characters from a server, a message line
// that agrees with the recipients, one line and the right exit code for bad flags and survived errors.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { type Running, mainJs, maildir, runCli, startServe } from './cli.js'
import { fakeServer, willing } from './fakeServer.js'

const msg = 'Subject: x\r\n\r\nhi\r\n'
/** Control characters other than the LF that ends each printed line (and TAB). */
const controls = (s: string): string[] =>
  [...s].filter((c) => (c.charCodeAt(0) < 0x20 && c !== '\n' && c !== '\t') || c.charCodeAt(0) === 0x7f)

/** `smtpure serve` on port 0 with this certificate and key file. */
const serveWithTls = (cert: string, key: string) =>
  runCli(['serve', '--port', '0', '--maildir', maildir(), '--tls-cert', cert, '--tls-key', key])

describe('send prints what the server said, but never control characters (a server must not forge the output)', () => {
  it('a bare CR in the final reply cannot overwrite the line that reports it', async () => {
    const port = await fakeServer('220 fake.example\r\n', (line) =>
      line === '.' ? '250 2.0.0 ok\rr@x.example 550 5.1.1 refused\x1b[2K\r\n' : willing(line),
    )
    const r = await runCli(
      ['send', '--server', `127.0.0.1:${port}`, '--from', 'a@b.example', '--to', 'r@x.example', '-'],
      msg,
    )
    expect(r.code).toBe(0)
    expect(controls(r.stdout)).toEqual([])
  })
})

describe("the text log shows a peer's control characters escaped, never as they are", () => {
  it('send --log-format text --verbose: a greeting with ESC, CR and BEL cannot reach the terminal', async () => {
    const port = await fakeServer('220 fake.example \x1b[2J\rforged\x07\r\n', willing)
    const r = await runCli(
      [
        'send',
        '--server',
        `127.0.0.1:${port}`,
        '--from',
        'a@b.example',
        '--to',
        'r@x.example',
        '--log-format',
        'text',
        '--verbose',
        '-',
      ],
      msg,
    )
    expect(r.code).toBe(0)
    expect(controls(r.stderr)).toEqual([])
    expect(r.stderr).toContain(String.raw`S: 220 fake.example \x1b[2J\rforged\x07`)
  })
})

describe('LMTP: the message line agrees with the recipients (docs/cli.md, send)', () => {
  it('a connection lost after one of two LMTP replies is not reported as "message accepted"', async () => {
    const net = await import('node:net')
    const server = net.createServer((socket) => {
      socket.on('error', () => undefined)
      socket.write('220 fake.example LMTP\r\n')
      let buffer = ''
      let inData = false
      socket.on('data', (d) => {
        buffer += d.toString('latin1')
        for (;;) {
          if (inData) {
            if (!buffer.includes('\r\n.\r\n')) return
            socket.end('250 2.0.0 ok for the first\r\n') // one reply of two, then the connection ends
            return
          }
          const lf = buffer.indexOf('\n')
          if (lf < 0) return
          const line = buffer.slice(0, lf).replace(/\r$/, '')
          buffer = buffer.slice(lf + 1)
          if (/^LHLO/i.test(line)) socket.write('250-fake.example\r\n250 PIPELINING\r\n')
          else if (line === 'DATA') {
            socket.write('354 go\r\n')
            inData = true
          } else socket.write('250 2.1.0 ok\r\n')
        }
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const port = (server.address() as { port: number }).port
    const r = await runCli(
      [
        'send',
        '--lmtp',
        '--server',
        `127.0.0.1:${port}`,
        '--from',
        'a@b.example',
        '--to',
        'r@x.example',
        '--to',
        's@x.example',
        '-',
      ],
      msg,
    )
    server.close()
    expect(r.code).toBe(75)
    expect(r.stdout).not.toMatch(/^message accepted/m)
  })
})

const running: Running[] = []
afterEach(() => {
  for (const r of running.splice(0)) r.child.kill('SIGKILL')
})

describe('bad serve flags: one line on stderr and exit 64 (docs/cli.md)', () => {
  for (const args of [
    ['--max-recipients', '0'],
    ['--hostname', 'not a name'],
    ['--max-size', '-1'],
  ]) {
    it(`serve ${args.join(' ')}`, async () => {
      const r = await runCli(['serve', '--port', '0', '--maildir', maildir(), ...args])
      expect(r.code).toBe(64)
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1)
    })
  }
})

describe('errors the server survives print one line on stderr (docs/cli.md)', () => {
  it('garbage after STARTTLS prints at most one line', async () => {
    const { makeCerts } = await import('../../node/test/certs.js')
    const certs = makeCerts()
    const { writeFileSync } = await import('node:fs')
    const dir = maildir()
    writeFileSync(`${dir}/cert.pem`, certs.cert)
    writeFileSync(`${dir}/key.pem`, certs.key)
    const s = await startServe(['--maildir', dir, '--tls-cert', `${dir}/cert.pem`, '--tls-key', `${dir}/key.pem`])
    running.push(s)
    const net = await import('node:net')
    const socket = net.connect({ port: s.port, host: '127.0.0.1' })
    socket.on('error', () => undefined)
    let got = ''
    socket.on('data', (d) => {
      got += d.toString('latin1')
      if (got.includes('220 2.0.0')) socket.write('\x16\x03\x01\x00\x05not a handshake at all')
    })
    socket.write('EHLO c.example\r\nSTARTTLS\r\n')
    const lines = (): string[] =>
      s
        .stderr()
        .split('\n')
        .filter((l, i, all) => i < all.length - 1 || l !== '')
    // the first line, however long a loaded machine takes to print it; then a while for a second that must not come
    await expect.poll(() => lines().length, { timeout: 10_000 }).toBeGreaterThanOrEqual(1)
    await new Promise((r) => setTimeout(r, 1000))
    socket.destroy()
    expect(lines()).toHaveLength(1)
  })
})

describe('errors found before anything runs: one line and the sysexits code (docs/cli.md)', () => {
  it('send with an address that is no mailbox: 64, before it connects (nothing listens on port 1)', async () => {
    const r = await runCli(
      ['send', '--server', '127.0.0.1:1', '--from', 'bad address', '--to', 'a@b.example', '-'],
      msg,
    )
    expect(r.code).toBe(64)
    expect(r.stderr).toMatch(/^smtpure: --from "bad address" is not a mailbox: [^\n]+\n$/)
  })

  it('serve with a certificate file that is missing: 66; with key and certificate swapped: 78', async () => {
    const { makeCerts } = await import('../../node/test/certs.js')
    const certs = makeCerts()
    const { mkdtempSync, writeFileSync } = await import('node:fs')
    const dir = mkdtempSync(`${(await import('node:os')).tmpdir()}/smtpure-certs-`)
    writeFileSync(`${dir}/cert.pem`, certs.cert)
    writeFileSync(`${dir}/key.pem`, certs.key)
    const serveWith = (cert: string, key: string) => serveWithTls(`${dir}/${cert}`, `${dir}/${key}`)
    const missing = await serveWith('none.pem', 'key.pem')
    expect(missing.code).toBe(66)
    expect(missing.stderr).toMatch(/^smtpure: --tls-cert: cannot read [^\n]+\n$/)
    const swapped = await serveWith('key.pem', 'cert.pem')
    expect(swapped.code).toBe(78)
    expect(swapped.stderr.trimEnd().split('\n')).toHaveLength(1)
    // a key file that is no PEM at all: OpenSSL's decoder says so, in words of its own
    writeFileSync(`${dir}/garbage.pem`, 'this is not a key\n')
    const garbage = await serveWith('cert.pem', 'garbage.pem')
    expect(garbage.code).toBe(78)
    // an encrypted key: serve takes no passphrase, and says so
    const { generateKeyPairSync } = await import('node:crypto')
    const { privateKey } = generateKeyPairSync('ec', {
      namedCurve: 'P-256',
      privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'x' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    })
    writeFileSync(`${dir}/encrypted.pem`, privateKey)
    const encrypted = await serveWith('cert.pem', 'encrypted.pem')
    expect(encrypted.code).toBe(78)
    expect(encrypted.stderr).toBe('smtpure: --tls-key: the key is encrypted, and serve takes no passphrase\n')
    expect(garbage.stderr).toMatch(/^smtpure: --tls-cert\/--tls-key: [^\n]+\n$/)
  })

  it('serve with a Maildir root below a regular file: 73 before it listens', async () => {
    const { writeFileSync } = await import('node:fs')
    const dir = maildir()
    writeFileSync(`${dir}/file`, 'x')
    const r = await runCli(['serve', '--port', '0', '--maildir', `${dir}/file/mail`])
    expect(r.code).toBe(73)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/^smtpure: --maildir: cannot use [^\n]+\n$/)
  })

  it('serve with a certificate file that never ends (/dev/zero): one line and 66, not all memory', async () => {
    const r = await serveWithTls('/dev/zero', '/dev/zero')
    expect(r.code).toBe(66)
    expect(r.stderr).toBe('smtpure: --tls-cert: cannot read /dev/zero: larger than 1048576 octets\n')
  })

  // Node's recursive mkdir spins for ever under /proc (mkdir says ENOENT for the child, EEXIST for /proc)
  it.each([
    ['under /proc', ['--maildir', '/proc/smtpure-nope']],
    ['two levels under /proc', ['--maildir', '/proc/smtpure-nope/mail']],
    ['under /proc, with --workers', ['--maildir', '/proc/smtpure-nope', '--workers', '2']],
  ])('serve with a Maildir root %s: one line and 73, no hang', async (_, args) => {
    const r = await runCli(['serve', '--port', '0', ...args])
    expect(r.code).toBe(73)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/^smtpure: --maildir: cannot use \/proc\/smtpure-nope[^\n]*: ENOENT[^\n]+\n$/)
  })

  /** The pinned `bun` and `deno` of the workspace. */
  const bin = (name: string) => fileURLToPath(new URL(`../../../node_modules/.bin/${name}`, import.meta.url))
  describe.each([
    ['bun', [bin('bun'), mainJs]],
    ['deno', [bin('deno'), 'run', '--allow-net', '--allow-read', '--allow-write', '--allow-sys=hostname', mainJs]],
  ])('serve on %s', (_, line) => {
    const run = (args: ReadonlyArray<string>) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
        execFile(
          line[0]!,
          [...line.slice(1), 'serve', '--port', '0', ...args],
          { timeout: 60000 },
          (e, stdout, stderr) => resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        ),
      )
    it('a Maildir root under /proc: one line and 73, no hang', async () => {
      const r = await run(['--maildir', '/proc/smtpure-nope'])
      expect(r.code).toBe(73)
      expect(r.stderr).toMatch(/^smtpure: --maildir: cannot use \/proc\/smtpure-nope: [^\n]+\n$/)
    })
    it.each([
      ['--proxy-trusted', '127.0.0.1'],
      ['--xclient-trusted', '127.0.0.1'],
      ['--workers', '2'], // node:cluster there shares no port: each worker would listen on its own
    ])('%s, which needs Node: one line and 64', async (flag, value) => {
      const r = await run([flag, value, '--maildir', maildir()])
      expect(r.code).toBe(64)
      expect(r.stdout).toBe('')
      expect(r.stderr).toMatch(new RegExp(`^smtpure: ${flag} works on Node only \\(this is (Bun|Deno)\\)\n$`))
    })
  })

  it('smtpure --help shows the commands only', async () => {
    const r = await runCli(['--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('Commands:')
    expect(r.stdout).not.toContain('Usage: smtpure serve')
  })
})

describe('send with its output closed (`smtpure send ... | head -0`)', () => {
  it('no stack trace: the exit code still says the message was accepted', async () => {
    const { spawn } = await import('node:child_process')
    const port = await fakeServer('220 fake.example\r\n', willing)
    const child = spawn(
      process.execPath,
      [mainJs, 'send', '--server', `127.0.0.1:${port}`, '--from', 'a@b.example', '--to', 'r@x.example', '-'],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    )
    child.stdout.destroy() // the reader is gone before anything is written: each write fails with EPIPE
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    child.stdin.end(msg)
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)))
    expect(stderr).toBe('')
    expect(code).toBe(0)
  })
})
