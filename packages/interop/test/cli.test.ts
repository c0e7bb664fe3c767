// `smtpure serve` and `smtpure send` on Node, Bun and Deno: the same flags give the same output,
// the same exit codes and the same Maildir files on every runtime.
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it, onTestFinished } from 'vitest'
import { makeCerts } from '@smtpure/conformance'
import {
  type RuntimeName,
  type Started,
  denoPermissions,
  runToEnd,
  runtimeNames,
  startListening,
} from '../src/runtimes.ts'

const main = fileURLToPath(new URL('../../cli/dist/main.cjs', import.meta.url))
const message = 'From: bob@example.org\r\nSubject: Test message\r\n\r\nHello Alice.\r\n.leading dot\r\n'
const certs = makeCerts()
// the test CA, trusted the way each runtime takes extra CAs from the environment
const trustCa = { NODE_EXTRA_CA_CERTS: join(certs.dir, 'ca.pem'), DENO_CERT: join(certs.dir, 'ca.pem') }

const running: Started[] = []
afterEach(() => {
  for (const r of running.splice(0)) r.child.kill('SIGKILL')
})
const serve = async (runtime: RuntimeName, args: ReadonlyArray<string>): Promise<Started> => {
  const r = await startListening(runtime, main, ['serve', '--port', '0', ...args])
  running.push(r)
  return r
}
const inbox = (dir: string, rcpt: string): string[] => {
  const d = join(dir, rcpt, 'new')
  return existsSync(d) ? readdirSync(d).map((f) => readFileSync(join(d, f), 'latin1')) : []
}

describe.each(runtimeNames)('smtpure on %s', (runtime) => {
  it('picks the adapter of the runtime it runs on', async () => {
    const out = await runToEnd(runtime, fileURLToPath(new URL('../scripts/which-adapter.mjs', import.meta.url)), [])
    expect(out.stdout).toBe(`@smtpure/${runtime}\n`)
  })

  it('send and serve with --log-format json --verbose: the events of each side and the same transcript', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smtpure-mail-'))
    const r = await serve(runtime, ['--maildir', dir, '--log-format', 'json', '--verbose'])
    const out = await runToEnd(
      runtime,
      main,
      [
        'send',
        '--server',
        `127.0.0.1:${r.port}`,
        '--from',
        'bob@example.org',
        '--to',
        'alice@example.com',
        '--log-format',
        'json',
        '--verbose',
        '-',
      ],
      message,
    )
    expect(out.code).toBe(0)
    const events = (text: string) =>
      text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>)
    const said = (es: Array<Record<string, unknown>>) =>
      es.filter((e) => e.event === 'transcript').map((e) => `${e.dir as string}: ${e.line as string}`)
    const client = events(out.stderr)
    expect(client.filter((e) => e.event !== 'transcript').map((e) => e.event)).toEqual([
      'connection',
      'hello',
      'message',
      'close',
    ])
    expect(said(client)).toContainEqual(expect.stringMatching(/^C: \[\d+ octets of message content\]$/))
    expect(said(client)).toContain(`C: MAIL FROM:<bob@example.org> SIZE=${Buffer.byteLength(message)}`) // RFC 1870 6
    await expect.poll(() => r.stderr().includes('"event":"close"'), { timeout: 10000 }).toBe(true)
    // each side writes each direction in the same order; how the two interleave depends on timing
    const heard = said(events(r.stderr()))
    for (const dir of ['C:', 'S:'])
      expect(heard.filter((l) => l.startsWith(dir))).toEqual(said(client).filter((l) => l.startsWith(dir)))
  })

  it('serve prints its one line; send delivers into the Maildir and prints one line per recipient (exit 0)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smtpure-mail-'))
    const r = await serve(runtime, ['--maildir', dir])
    expect(r.stdout()).toBe(`listening on 127.0.0.1:${r.port}\n`)
    const out = await runToEnd(
      runtime,
      main,
      ['send', '--server', `127.0.0.1:${r.port}`, '--from', 'bob@example.org', '--to', 'alice@example.com', '-'],
      message,
    )
    expect(out).toEqual({
      code: 0,
      stdout: 'alice@example.com 250 2.0.0 Ok: delivered\nmessage accepted: 250 2.0.0 Ok: delivered\n',
      stderr: '',
    })
    const files = inbox(dir, 'alice@example.com')
    expect(files).toHaveLength(1)
    expect(files[0]).toMatch(/^Return-Path: <bob@example\.org>\r\nDelivered-To: alice@example\.com\r\nReceived: /)
    expect(files[0]!.endsWith(message)).toBe(true)
  })

  it('a refused recipient: 550 5.1.1 on its line and exit 69 (EX_UNAVAILABLE)', async () => {
    const r = await serve(runtime, [
      '--maildir',
      mkdtempSync(join(tmpdir(), 'smtpure-mail-')),
      '--mailbox',
      'a@example.com',
    ])
    const out = await runToEnd(
      runtime,
      main,
      ['send', '--server', `127.0.0.1:${r.port}`, '--from', 'b@example.org', '--to', 'eve@example.com', '-'],
      message,
    )
    expect(out.code).toBe(69)
    expect(out.stdout).toBe(
      'eve@example.com 550 5.1.1 <eve@example.com>: no such mailbox here\nmessage permanent: 0 of 1 recipients accepted\n',
    )
  })

  it('STARTTLS with a verified certificate and AUTH, then SIGTERM ends serve with exit 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smtpure-mail-'))
    const r = await serve(runtime, [
      '--maildir',
      dir,
      '--tls-cert',
      join(certs.dir, 'cert.pem'),
      '--tls-key',
      join(certs.dir, 'key.pem'),
      '--user',
      'bob:s3cret',
      '--require-auth',
    ])
    const args = ['send', '--server', `localhost:${r.port}`, '--starttls', '--user', 'bob:s3cret']
    const out = await runToEnd(
      runtime,
      main,
      [...args, '--from', 'bob@example.org', '--to', 'alice@example.com', '-'],
      message,
      trustCa,
    )
    expect(out.stdout).toBe('alice@example.com 250 2.0.0 Ok: delivered\nmessage accepted: 250 2.0.0 Ok: delivered\n')
    expect(out.code).toBe(0)
    expect(inbox(dir, 'alice@example.com')[0]).toMatch(/ with ESMTPSA\s/)
    r.child.kill('SIGTERM')
    expect(await r.exited).toBe(0)
  })

  it("serve with a key that is no key, or not the certificate's: one line and exit 78 before it listens", async () => {
    const other = makeCerts()
    for (const key of [join(certs.dir, 'cert.pem'), join(other.dir, 'key.pem')]) {
      const dir = mkdtempSync(join(tmpdir(), 'smtpure-mail-'))
      const tlsArgs = ['--tls-cert', join(certs.dir, 'cert.pem'), '--tls-key', key]
      const out = await runToEnd(runtime, main, ['serve', '--port', '0', '--maildir', dir, ...tlsArgs])
      expect(out.code).toBe(78)
      expect(out.stdout).toBe('')
      expect(out.stderr).toMatch(/^smtpure: --tls-cert\/--tls-key: [^\n]+\n$/)
    }
  })

  it('serve takes a key file that holds the certificate too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smtpure-mail-'))
    const combined = join(dir, 'combined.pem')
    writeFileSync(
      combined,
      readFileSync(join(certs.dir, 'cert.pem'), 'latin1') + readFileSync(join(certs.dir, 'key.pem'), 'latin1'),
    )
    const r = await serve(runtime, ['--maildir', dir, '--tls-cert', combined, '--tls-key', combined])
    expect(r.port).toBeGreaterThan(0) // it listens (afterEach stops it); before, Deno exited 78
  })

  it('a server that cannot be reached: one line on stderr and exit 75 (EX_TEMPFAIL)', async () => {
    const out = await runToEnd(
      runtime,
      main,
      ['send', '--server', '127.0.0.1:1', '--from', 'a@b.example', '--to', 'c@d.example', '-'],
      message,
    )
    expect(out.code).toBe(75)
    expect(out.stdout).toBe('')
    expect(out.stderr).toMatch(/^smtpure send: cannot connect to the server at 127\.0\.0\.1:1: [^\n]+\n$/)
  })

  it('bad usage: one line on stderr and exit 64', async () => {
    const out = await runToEnd(runtime, main, ['send', '--to', 'a@example.com'])
    expect(out).toEqual({
      code: 64,
      stdout: '',
      stderr: 'smtpure: --from is required (use --from "" for the null reverse path)\n',
    })
  })
})

describe('smtpure on deno only', () => {
  it('send --tls-insecure is bad usage on Deno (exit 64): Deno verifies every certificate', async () => {
    const out = await runToEnd(
      'deno',
      main,
      [
        'send',
        '--server',
        '127.0.0.1:1',
        '--starttls',
        '--tls-insecure',
        '--from',
        'a@b.example',
        '--to',
        'c@d.example',
        '-',
      ],
      message,
    )
    expect(out.code).toBe(64)
    expect(out.stderr).toMatch(/^smtpure: --tls-insecure is not available on Deno .*\n$/)
  })
})

describe('bunx', () => {
  it('`bunx --bun smtpure serve` runs the command on Bun and delivers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smtpure-mail-'))
    const bun = fileURLToPath(new URL('../../../node_modules/.bin/bun', import.meta.url))
    // a folder where smtpure is installed: its bin linked and made executable, as npm does
    const home = mkdtempSync(join(tmpdir(), 'smtpure-bunx-'))
    mkdirSync(join(home, 'node_modules', '.bin'), { recursive: true })
    symlinkSync(main, join(home, 'node_modules', '.bin', 'smtpure'))
    chmodSync(main, 0o755)
    const r = await startListening('node', '', [], {
      line: [bun, ['x', '--bun', 'smtpure', 'serve', '--port', '0', '--maildir', dir]],
      cwd: home,
    })
    running.push(r)
    // bunx runs the command in a child process: Bun with --bun, else whatever the shebang names
    const pid = r.child.pid!
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)
    const exes = [pid, ...kids.map(Number)].map((p) => readlinkSync(`/proc/${p}/exe`))
    onTestFinished(() =>
      kids.forEach((k) => {
        try {
          process.kill(Number(k), 'SIGKILL')
        } catch {
          // gone already
        }
      }),
    )
    expect(exes.every((e) => /bun/.test(e))).toBe(true)
    const out = await runToEnd(
      'node',
      main,
      ['send', '--server', `127.0.0.1:${r.port}`, '--from', 'bob@example.org', '--to', 'alice@example.com', '-'],
      message,
    )
    expect(out.code).toBe(0)
    expect(inbox(dir, 'alice@example.com')).toHaveLength(1)
  })
})

describe('docs/deno.md', () => {
  it('gives the command the permissions it is tested with', () => {
    const page = readFileSync(fileURLToPath(new URL('../../../docs/deno.md', import.meta.url)), 'utf8')
    expect(page).toContain(`deno run ${denoPermissions.join(' ')} packages/cli/dist/main.cjs serve`)
  })
})
