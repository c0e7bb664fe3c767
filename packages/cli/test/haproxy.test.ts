// `smtpure serve` behind a real HAProxy (Debian package `haproxy`) in TCP mode: send-proxy (v1) and
// send-proxy-v2 in front of two serve processes. Python's smtplib sends from 127.0.0.2; HAProxy
// connects to the servers from 127.0.0.1, the only trusted source, so only the header can tell the
// servers the client's real address.
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import * as net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { maildir, python, serveEachTest } from './cli.js'

const serve = serveEachTest()

const haproxyBin = ['/usr/sbin/haproxy', '/usr/local/sbin/haproxy', '/usr/bin/haproxy'].find(existsSync) ?? 'haproxy'

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo
      s.close(() => resolve(port))
    })
  })

const untilListening = async (port: number): Promise<void> => {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => {
        c.destroy()
        resolve(true)
      })
      c.on('error', () => resolve(false))
    })
    if (ok) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`nothing listens on ${port}`)
}

/** Every stored message under a Maildir root: [mailbox, text]. */
const stored = (root: string): Array<[string, string]> =>
  readdirSync(root).flatMap((box) => {
    const dir = join(root, box, 'new')
    return existsSync(dir)
      ? readdirSync(dir).map((f): [string, string] => [box, readFileSync(join(dir, f), 'latin1')])
      : []
  })

const running: ChildProcess[] = []
afterAll(() => {
  for (const p of running) p.kill('SIGKILL')
})

describe('smtpure serve behind HAProxy (PROXY protocol)', () => {
  it('stores the real client address from send-proxy and send-proxy-v2, and refuses a forged header', async () => {
    const dirs = [maildir(), maildir()]
    const servers = await Promise.all(
      dirs.map((d, i) => serve(['--maildir', d, '--hostname', `mx${i + 1}.example`, '--proxy-trusted', '127.0.0.1'])),
    )
    const [v1Port, v2Port] = [await freePort(), await freePort()]
    // docs/deployment.md's configuration, on this test's ports, once as is (v2) and once with send-proxy (v1);
    // HAProxy connects to the servers from 127.0.0.1, and the client comes from 127.0.0.2
    const doc = readFileSync(new URL('../../../docs/deployment.md', import.meta.url), 'utf8')
    const documented = /```haproxy\n([\s\S]*?)```/.exec(doc)![1]!
    const [globals, sections] = [
      documented.slice(0, documented.indexOf('frontend')),
      documented.slice(documented.indexOf('frontend')),
    ]
    const onPorts = (frontendPort: number, suffix: string, version: string) =>
      sections
        .replace('bind :25', `bind 127.0.0.1:${frontendPort}`)
        .replace(/(frontend|backend|default_backend) (\w+)/g, `$1 $2${suffix}`)
        .replace('balance roundrobin', 'balance roundrobin\n  source 127.0.0.1')
        .replace('127.0.0.1:2525', `127.0.0.1:${servers[0]!.port}`)
        .replace('127.0.0.1:2526', `127.0.0.1:${servers[1]!.port}`)
        .replaceAll('send-proxy-v2', version)
    expect(sections).toContain('send-proxy-v2')
    const cfg = join(mkdtempSync(join(tmpdir(), 'smtpure-haproxy-')), 'haproxy.cfg')
    writeFileSync(cfg, globals + onPorts(v1Port, '_v1', 'send-proxy') + onPorts(v2Port, '_v2', 'send-proxy-v2'))
    const haproxy = spawn(haproxyBin, ['-db', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] })
    running.push(haproxy)
    let haproxyErr = ''
    haproxy.stderr!.on('data', (d) => (haproxyErr += d))
    // a missing binary or a refused configuration fails the test at once, with HAProxy's own words
    const failed = new Promise<never>((_, reject) => {
      haproxy.once('error', (e) => reject(new Error(`${haproxyBin} did not start: ${e.message}`)))
      haproxy.once('exit', (code) => reject(new Error(`${haproxyBin} exited (${code}): ${haproxyErr}`)))
    })
    failed.catch(() => undefined) // its exit when the test kills it is no failure
    await Promise.race([untilListening(v1Port), failed]).catch((e) => {
      throw new Error(`${e}: ${haproxyErr}`)
    })
    await Promise.race([untilListening(v2Port), failed])

    const out = await python(`
import smtplib
for port, tag in ((${v1Port}, 'v1'), (${v2Port}, 'v2')):
    for i in range(4):
        with smtplib.SMTP('127.0.0.1', port, source_address=('127.0.0.2', 0), timeout=30) as s:
            s.ehlo('client.example')
            s.sendmail('a@client.example', ['box-%s-%d@example.com' % (tag, i)], b'Subject: %s %d\\r\\n\\r\\nHello\\r\\n' % (tag.encode(), i))
print('sent')`)
    expect(out.trim()).toBe('sent')

    const all = dirs.map(stored)
    // round robin: both servers took a share (HAProxy's threads decide the exact split)
    for (const messages of all) expect(messages.length).toBeGreaterThan(0)
    expect(all.flat()).toHaveLength(8)
    const boxes = all.flat().map(([box]) => box)
    expect(boxes.sort()).toEqual(
      [0, 1, 2, 3].flatMap((i) => [`box-v1-${i}@example.com`, `box-v2-${i}@example.com`]).sort(),
    )
    for (const [, text] of all.flat()) {
      const received = /^Received: [^\r]*(?:\r\n\s[^\r]*)*/m.exec(text)![0]
      expect(received).toContain('from client.example ([127.0.0.2])')
      expect(received).not.toContain('127.0.0.1')
    }

    // A client that is not the balancer forges a header: 554 after the greeting, and the connection ends.
    const forged = await new Promise<string>((resolve) => {
      const c = net.connect({ port: servers[0]!.port, host: '127.0.0.1', localAddress: '127.0.0.3' })
      let got = ''
      c.on('data', (d) => {
        got += d.toString('latin1')
        if (got.startsWith('220 ') && !got.includes('\r\n5'))
          c.write('PROXY TCP4 203.0.113.9 127.0.0.1 4000 25\r\nEHLO x\r\n')
      })
      c.on('error', () => undefined)
      c.on('close', () => resolve(got))
      setTimeout(() => c.destroy(), 10000)
    })
    expect(forged).toMatch(/^220 mx1\.example ESMTP\r\n554 5\.7\.1 PROXY header not accepted from this address\r\n$/)
    expect(servers[0]!.stderr()).toContain('PROXY from untrusted 127.0.0.3 refused')
    expect(stored(dirs[0]!)).toHaveLength(all[0]!.length) // the forged session stored nothing
  }, 180_000)
})
