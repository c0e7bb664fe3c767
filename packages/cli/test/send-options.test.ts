// `smtpure send` options from field reports: AUTH in clear only when asked (--allow-insecure-auth, as
// local test servers need), a CA file (--ca), and the choice of AUTH mechanisms (--auth-mech) with one
// fallback to the next mechanism after a refusal (RFC 4954 4).
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { makeCerts } from '../../node/test/certs.js'
import { maildir, runCli, serveEachTest } from './cli.js'
import { fakeServer, willing } from './fakeServer.js'

const serve = serveEachTest()
const message = 'Subject: hi\r\n\r\nHello\r\n'
const envelope = ['--from', 'bob@example.org', '--to', 'alice@example.com']

describe('smtpure send --allow-insecure-auth', () => {
  it('AUTH without TLS only with the flag; the safe default refuses (69)', async () => {
    const r = await serve(['--maildir', maildir(), '--user', 'bob:pw', '--allow-insecure-auth', '--require-auth'])
    const args = ['send', '--server', `127.0.0.1:${r.port}`, '--user', 'bob:pw', ...envelope]
    const refused = await runCli([...args, '-'], message)
    expect(refused.code).toBe(69)
    expect(refused.stderr).toMatch(/AUTH without TLS is not allowed/)
    const ok = await runCli([...args, '--allow-insecure-auth', '-'], message)
    expect(ok.stderr).toBe('')
    expect(ok.code).toBe(0)
  })
})

describe('smtpure send --ca', () => {
  it('trusts the CA in the file for STARTTLS; a file that cannot be read or holds no certificate is exit 66', async () => {
    const certs = makeCerts()
    const r = await serve([
      '--maildir',
      maildir(),
      '--tls-cert',
      join(certs.dir, 'cert.pem'),
      '--tls-key',
      join(certs.dir, 'key.pem'),
    ])
    const args = ['send', '--server', `127.0.0.1:${r.port}`, '--starttls', ...envelope]
    const unknown = await runCli([...args, '-'], message)
    expect(unknown.code).not.toBe(0)
    const ok = await runCli([...args, '--ca', join(certs.dir, 'ca.pem'), '-'], message)
    expect(ok.stderr).toBe('')
    expect(ok.code).toBe(0)
    const missing = await runCli([...args, '--ca', join(certs.dir, 'nope.pem'), '-'], message)
    expect(missing.code).toBe(66)
    // a file that holds no certificate is no CA: told before connecting, not as a failed check
    const noCert = await runCli([...args, '--ca', join(certs.dir, 'key.pem'), '-'], message)
    expect(noCert.code).toBe(66)
    expect(noCert.stderr).toBe(
      `smtpure: --ca: ${join(certs.dir, 'key.pem')} holds no PEM certificate (-----BEGIN CERTIFICATE-----)\n`,
    )
  })

  it('is a usage error (64) without --starttls or --tls, as --tls-insecure is: the mail would go in clear, the flag unused', async () => {
    const certs = makeCerts()
    const clear = await runCli(
      ['send', '--server', '127.0.0.1:1', ...envelope, '--ca', join(certs.dir, 'ca.pem'), '-'],
      message,
    )
    expect([clear.code, clear.stderr]).toEqual([64, 'smtpure: --ca needs --starttls or --tls\n'])
    const insecure = await runCli(['send', '--server', '127.0.0.1:1', ...envelope, '--tls-insecure', '-'], message)
    expect([insecure.code, insecure.stderr]).toEqual([64, 'smtpure: --tls-insecure needs --starttls or --tls\n'])
  })
})

describe('smtpure send --server', () => {
  it('names a port out of range as such, 0 and 70000 alike (64)', async () => {
    for (const port of ['0', '70000']) {
      const r = await runCli(['send', '--server', `127.0.0.1:${port}`, ...envelope, '-'], message)
      expect([r.code, r.stderr]).toEqual([
        64,
        `smtpure: --server: the port must be a whole number from 1 to 65535, given ${port}\n`,
      ])
    }
  })
})

describe('smtpure send --auth-mech and the AUTH fallback (RFC 4954 4)', () => {
  /** A server that offers CRAM-MD5 but refuses it, while PLAIN works; it records the AUTH lines. */
  const brokenCram = async (seen: string[]): Promise<number> =>
    fakeServer('220 auth.example ESMTP\r\n', (line) => {
      if (/^EHLO/i.test(line)) return '250-auth.example\r\n250 AUTH CRAM-MD5 PLAIN\r\n'
      if (/^AUTH /i.test(line)) seen.push(line.split(' ').slice(0, 2).join(' '))
      if (/^AUTH CRAM-MD5/i.test(line)) return '334 PDEyMzQ1QGF1dGguZXhhbXBsZT4=\r\n'
      if (/^AUTH PLAIN/i.test(line)) return '235 2.7.0 Ok\r\n'
      if (seen.at(-1) === 'AUTH CRAM-MD5' && !/^(MAIL|RCPT|DATA|QUIT)/i.test(line) && line !== '.')
        return '535 5.7.8 Authentication credentials invalid\r\n'
      return willing(line)
    })
  const args = (port: number) => [
    'send',
    '--server',
    `127.0.0.1:${port}`,
    '--user',
    'bob:pw',
    '--allow-insecure-auth',
    ...envelope,
  ]

  it('in clear, a refused CRAM-MD5 is not followed by PLAIN: that would hand the password to whoever said 535', async () => {
    // Over TLS the next mechanism gets its one try (core test/client/failures.test.ts); here the session is plain.
    const seen: string[] = []
    const out = await runCli([...args(await brokenCram(seen)), '-'], message)
    expect(out.code).toBe(77) // EX_NOPERM: the credentials refused
    expect(out.stderr).toMatch(/535 5\.7\.8/)
    expect(seen).toEqual(['AUTH CRAM-MD5'])
  })

  it('--auth-mech=-CRAM-MD5 leaves it out; --auth-mech PLAIN chooses; a bad name is a usage error', async () => {
    const seen: string[] = []
    const port = await brokenCram(seen)
    expect((await runCli([...args(port), '--auth-mech=-CRAM-MD5', '-'], message)).code).toBe(0)
    expect((await runCli([...args(port), '--auth-mech', 'PLAIN,LOGIN', '-'], message)).code).toBe(0)
    expect(seen).toEqual(['AUTH PLAIN', 'AUTH PLAIN'])
    const bad = await runCli([...args(port), '--auth-mech', 'KERBEROS', '-'], message)
    expect(bad.code).toBe(64)
    expect(bad.stderr).toMatch(/--auth-mech/)
  })
})
