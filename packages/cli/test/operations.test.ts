// `smtpure serve --metrics` and `--workers`: a scrape after a known session, the health check, and
// workers sharing one port with a rolling restart and a graceful stop.
import { execFile } from 'node:child_process'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import * as net from 'node:net'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { helperThreads } from '../src/workers.js'
import { maildir, python, runCli, serveEachTest } from './cli.js'

const serve = serveEachTest()

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo
      s.close(() => resolve(port))
    })
  })

/** The value of one sample line of a Prometheus text page, or undefined. */
const sample = (page: string, name: string): number | undefined => {
  const line = page.split('\n').find((l) => l.startsWith(`${name} `))
  return line === undefined ? undefined : Number(line.slice(name.length + 1))
}

const count = (dir: string): number =>
  readdirSync(dir).reduce(
    (n, box) => n + (existsSync(join(dir, box, 'new')) ? readdirSync(join(dir, box, 'new')).length : 0),
    0,
  )

describe('smtpure serve operations', () => {
  it('--metrics counts a known session: connections, messages, recipients by code, bytes, AUTH, hooks; /health', async () => {
    const dir = maildir()
    const mport = await freePort()
    const r = await serve([
      '--maildir',
      dir,
      '--mailbox',
      'alice@example.com',
      '--user',
      'bob:s3cret',
      '--allow-insecure-auth',
      '--metrics',
      `127.0.0.1:${mport}`,
    ])
    const out = await python(`
import smtplib, base64
s = smtplib.SMTP('127.0.0.1', ${r.port}, timeout=30)
s.ehlo('c.example')
print('auth', s.docmd('AUTH', 'PLAIN ' + base64.b64encode(b'\\0bob\\0wrong').decode())[0])
s.user, s.password = 'bob', 's3cret'
s.auth('PLAIN', s.auth_plain)
s.mail('bob@example.org')
print(s.rcpt('nobody@example.com')[0], s.rcpt('alice@example.com')[0])
print(s.data(b'Subject: one\\r\\n\\r\\n12345\\r\\n')[0])
s.quit()
with smtplib.SMTP('127.0.0.1', ${r.port}, timeout=30) as s:
    print(s.sendmail('bob@example.org', ['alice@example.com'], b'Subject: two\\r\\n\\r\\n67890\\r\\n'))`)
    expect(out.trim().split('\n')).toEqual(['auth 535', '550 250', '250', '{}'])
    const health = await fetch(`http://127.0.0.1:${mport}/health`)
    expect(health.status).toBe(200)
    expect(await health.text()).toBe('ok\n')
    // the second session's close may trail its last reply a little
    let page = ''
    for (let i = 0; i < 50; i++) {
      const res = await fetch(`http://127.0.0.1:${mport}/metrics`)
      expect(res.headers.get('content-type')).toContain('text/plain')
      page = await res.text()
      if (sample(page, 'smtpure_connections_open') === 0) break
      await new Promise((w) => setTimeout(w, 100))
    }
    expect(sample(page, 'smtpure_connections_total')).toBe(2)
    expect(sample(page, 'smtpure_connections_open')).toBe(0)
    expect(sample(page, 'smtpure_messages_total{result="accepted",code="250"}')).toBe(2)
    expect(sample(page, 'smtpure_recipients_total{result="refused",code="550"}')).toBe(1)
    expect(sample(page, 'smtpure_recipients_total{result="accepted",code="250"}')).toBe(2)
    expect(sample(page, 'smtpure_auth_total{result="failure",mechanism="PLAIN"}')).toBe(1)
    expect(sample(page, 'smtpure_auth_total{result="success",mechanism="PLAIN"}')).toBe(1)
    expect(sample(page, 'smtpure_sessions_total{tls="no"}')).toBe(2)
    // each body as the server streamed it: the header line, the blank line and the text line with CRLFs
    expect(sample(page, 'smtpure_message_bytes_total')).toBe(2 * 'Subject: one\r\n\r\n12345\r\n'.length)
    expect(sample(page, 'smtpure_hook_duration_seconds_count{hook="message"}')).toBe(2)
    expect((await fetch(`http://127.0.0.1:${mport}/nothing`)).status).toBe(404)
    expect(count(dir)).toBe(2)
  })

  it('--workers 2 share the port; SIGHUP replaces them one by one; SIGTERM stops them all gracefully', async () => {
    const dir = maildir()
    const mport = await freePort()
    const r = await serve(['--maildir', dir, '--workers', '2', '--metrics', `127.0.0.1:${mport}`])
    expect(r.stdout()).toBe(`listening on 127.0.0.1:${r.port}\n`)
    const send = (n: number) =>
      python(`
import smtplib
for i in range(${n}):
    with smtplib.SMTP('127.0.0.1', ${r.port}, timeout=30) as s:
        s.sendmail('a@b.example', ['x@example.com'], b'Subject: w\\r\\n\\r\\nw\\r\\n')
print('ok')`)
    expect((await send(4)).trim()).toBe('ok')
    const workers = async () =>
      new Promise<string[]>((resolve) =>
        execFile('ps', ['--ppid', String(r.child.pid), '-o', 'pid='], (_e, out) =>
          resolve(out.trim().split(/\s+/).filter(Boolean).sort()),
        ),
      )
    const before = await workers()
    expect(before).toHaveLength(2)
    // each worker runs with its share of V8's helper threads (none was given here)
    const helpers = `--v8-pool-size=${helperThreads(availableParallelism(), 2, { execArgv: [], nodeOptions: undefined })!}`
    const flagsOf = (pid: string): string[] => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
    for (const pid of before) expect(flagsOf(pid)).toContain(helpers)
    r.child.kill('SIGHUP')
    let after: string[] = []
    for (const until = Date.now() + 30_000; Date.now() < until;) {
      await new Promise((w) => setTimeout(w, 100))
      after = await workers()
      if (after.length === 2 && after.every((p) => !before.includes(p))) break
    }
    expect(after).toHaveLength(2)
    expect(after.filter((p) => before.includes(p))).toEqual([])
    for (const pid of after) expect(flagsOf(pid)).toContain(helpers) // a rolling restart's workers are sized the same
    expect((await send(2)).trim()).toBe('ok')
    const page = await (await fetch(`http://127.0.0.1:${mport}/metrics`)).text()
    expect(sample(page, 'smtpure_messages_total{result="accepted",code="250"}')).toBe(2) // the new workers' count
    r.child.kill('SIGTERM')
    expect(await r.exited).toBe(0)
    expect(count(dir)).toBe(6)
    expect(await workers()).toEqual([])
  })

  it('--workers: a worker that dies is replaced, and the line says what ended it (a signal, not "null")', async () => {
    const r = await serve(['--maildir', maildir(), '--workers', '1'])
    const workers = async () =>
      new Promise<string[]>((resolve) =>
        execFile('ps', ['--ppid', String(r.child.pid), '-o', 'pid='], (_e, out) =>
          resolve(out.trim().split(/\s+/).filter(Boolean)),
        ),
      )
    const [first] = await workers()
    process.kill(Number(first), 'SIGKILL')
    let now: string[] = []
    for (const until = Date.now() + 30_000; Date.now() < until && !(now.length === 1 && now[0] !== first);) {
      await new Promise((w) => setTimeout(w, 100))
      now = await workers()
    }
    expect(now).toHaveLength(1)
    expect(r.stderr()).toBe(`smtpure serve: worker ${first} was ended by SIGKILL; starting another\n`)
    r.child.kill('SIGTERM')
    expect(await r.exited).toBe(0)
  })

  it('--xclient-trusted: a trusted proxy (Python smtplib) passes its client; the stored Received shows it', async () => {
    const dir = maildir()
    const r = await serve(['--maildir', dir, '--hostname', 'mx.example', '--xclient-trusted', '127.0.0.0/8'])
    const out = await python(`
import smtplib
s = smtplib.SMTP('127.0.0.1', ${r.port}, timeout=30)
s.ehlo('proxy.example')
print(s.has_extn('xclient'), s.docmd('XCLIENT', 'NAME=client.example.net ADDR=IPV6:2001:db8::77 HELO=orig.example PROTO=ESMTP')[0])
s.ehlo('proxy.example')
print(s.sendmail('a@example.net', ['x@example.com'], b'Subject: via proxy\\r\\n\\r\\nhi\\r\\n'))
s.quit()`)
    expect(out.trim().split('\n')).toEqual(['True 220', '{}'])
    const box = join(dir, 'x@example.com', 'new')
    const text = readFileSync(join(box, readdirSync(box)[0]!), 'latin1')
    expect(text).toMatch(
      /Received: from orig\.example \(client\.example\.net \[IPv6:2001:db8::77\]\)\s+by mx\.example\s+with ESMTP/,
    )
  })

  it("--workers: each worker's V8 helper threads are its share of the cores less one, unless Node is told", () => {
    const node = { execArgv: [], nodeOptions: undefined }
    expect(helperThreads(2, 1, node)).toBe(1)
    expect(helperThreads(2, 2, node)).toBe(1)
    expect(helperThreads(8, 2, node)).toBe(3)
    expect(helperThreads(16, 3, node)).toBe(4)
    expect(helperThreads(4, 8, node)).toBe(1)
    expect(helperThreads(16, 1, node)).toBe(4) // never more than Node's own 4
    expect(helperThreads(64, 2, node)).toBe(4)
    expect(helperThreads(8, 2, { ...node, execArgv: ['--v8-pool-size=6'] })).toBeUndefined()
    expect(helperThreads(8, 2, { ...node, execArgv: ['--v8-pool-size', '6'] })).toBeUndefined()
    expect(helperThreads(8, 2, { ...node, nodeOptions: '--enable-source-maps  --v8-pool-size=2' })).toBeUndefined()
    // Node takes _ for - in an option's name, and NODE_OPTIONS may quote a token
    expect(helperThreads(8, 2, { ...node, execArgv: ['--v8_pool_size=6'] })).toBeUndefined()
    expect(helperThreads(8, 2, { ...node, nodeOptions: '--v8_pool-size=6' })).toBeUndefined()
    expect(helperThreads(8, 2, { ...node, nodeOptions: '"--v8-pool-size=6"' })).toBeUndefined()
    expect(helperThreads(8, 2, { ...node, execArgv: ['--v8-pool-sizes=6'] })).toBe(3) // another name
    expect(helperThreads(8, 2, { ...node, nodeOptions: '--max-semi-space-size=4' })).toBe(3)
  })

  it('refuses a bad --workers or --metrics value with a usage error (64)', async () => {
    for (const args of [
      ['--workers', '0'],
      ['--workers', 'many'],
      ['--metrics', 'localhost'],
      ['--metrics', '[::1]:99999'],
    ]) {
      const res = await runCli(['serve', '--port', '0', ...args])
      expect(res.code).toBe(64)
      expect(res.stderr).toMatch(/^smtpure: --(workers|metrics) needs /)
    }
  })
})
