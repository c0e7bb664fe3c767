// `smtpure send` as a process, against `smtpure serve`: output lines and sendmail exit codes.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { maildir, runCli, runCliEnv, serveEachTest } from './cli.js'
import { makeCerts } from '../../node/test/certs.js'

const serve = serveEachTest()
const message = 'From: bob@example.org\r\nSubject: Test message\r\n\r\nHello Alice.\r\n.leading dot\r\n'

describe('smtpure send', () => {
  it('delivers a message from stdin and prints one line per recipient, exit 0', async () => {
    const dir = maildir()
    const r = await serve(['--maildir', dir])
    const out = await runCli(
      ['send', '--server', `127.0.0.1:${r.port}`, '--from', 'bob@example.org', '--to', 'alice@example.com', '-'],
      message,
    )
    expect(out.code).toBe(0)
    expect(out.stdout).toBe('alice@example.com 250 2.0.0 Ok: delivered\nmessage accepted: 250 2.0.0 Ok: delivered\n')
    const inbox = join(dir, 'alice@example.com', 'new')
    expect(readFileSync(join(inbox, readdirSync(inbox)[0]!), 'latin1').endsWith(message)).toBe(true)
  })

  it('reads the message from a file; the null reverse path with --from ""', async () => {
    const dir = maildir()
    const file = join(dir, 'msg.eml')
    writeFileSync(file, message)
    const r = await serve(['--maildir', dir])
    const out = await runCli([
      'send',
      '--server',
      `127.0.0.1:${r.port}`,
      '--from',
      '',
      '--to',
      'alice@example.com',
      file,
    ])
    expect(out.code).toBe(0)
    const inbox = join(dir, 'alice@example.com', 'new')
    expect(readFileSync(join(inbox, readdirSync(inbox)[0]!), 'latin1')).toMatch(/^Return-Path: <>\r\n/)
  })

  it('a refused recipient makes the exit status 69 (EX_UNAVAILABLE)', async () => {
    const r = await serve(['--maildir', maildir(), '--mailbox', 'alice@example.com'])
    const out = await runCli(
      [
        'send',
        '--server',
        `127.0.0.1:${r.port}`,
        '--from',
        'b@example.org',
        '--to',
        'alice@example.com',
        '--to',
        'eve@example.com',
        '-',
      ],
      message,
    )
    expect(out.code).toBe(69)
    expect(out.stdout).toContain('eve@example.com 550 5.1.1 <eve@example.com>: no such mailbox here\n')
  })

  it('a temporary failure (451 from a failed write) makes it 75 (EX_TEMPFAIL)', async () => {
    const dir = maildir()
    writeFileSync(join(dir, 'alice@example.com'), 'not a Maildir')
    const r = await serve(['--maildir', dir])
    const out = await runCli(
      ['send', '--server', `127.0.0.1:${r.port}`, '--from', 'b@example.org', '--to', 'alice@example.com', '-'],
      message,
    )
    expect(out.code).toBe(75)
    expect(out.stdout).toContain('message temporary: 451 4.3.0 Local error in processing\n')
  })

  it('a connection that cannot be made is one line and a non-usage exit', async () => {
    const out = await runCli(
      ['send', '--server', '127.0.0.1:1', '--from', 'a@b.example', '--to', 'c@d.example', '-'],
      message,
    )
    expect(out.code).toBe(75)
    expect(out.stderr.trim().split('\n')).toHaveLength(1)
    expect(out.stderr).toMatch(/cannot connect to the server at 127\.0\.0\.1:1: .*ECONNREFUSED/)
  })

  it('--starttls against a server without STARTTLS refuses to send in clear (69)', async () => {
    const r = await serve(['--maildir', maildir()])
    const out = await runCli(
      ['send', '--server', `127.0.0.1:${r.port}`, '--starttls', '--from', 'a@b.example', '--to', 'c@d.example', '-'],
      message,
    )
    expect(out.code).toBe(69)
    expect(out.stderr).toBe(
      `smtpure send: the server at 127.0.0.1:${r.port} offers no STARTTLS and --starttls requires it\n`,
    )
  })

  it('--starttls with --tls-insecure and --user authenticate and deliver', async () => {
    const certs = makeCerts()
    const dir = maildir()
    const r = await serve([
      '--maildir',
      dir,
      '--tls-cert',
      join(certs.dir, 'cert.pem'),
      '--tls-key',
      join(certs.dir, 'key.pem'),
      '--user',
      'bob:pw',
      '--require-auth',
    ])
    const args = [
      'send',
      '--server',
      `127.0.0.1:${r.port}`,
      '--starttls',
      '--tls-insecure',
      '--from',
      'bob@example.org',
      '--to',
      'alice@example.com',
    ]
    const ok = await runCli([...args, '--user', 'bob:pw', '-'], message)
    expect(ok.code).toBe(0)
    const bad = await runCli([...args, '--user', 'bob:wrong', '-'], message)
    expect(bad.code).toBe(77) // EX_NOPERM
    expect(bad.stderr).toMatch(
      /^smtpure send: the server at 127\.0\.0\.1:\d+ refused the credentials of bob: 535 5\.7\.8 /,
    )
    const verified = await runCli([...args, '-'], message)
    expect(verified.code).toBe(69) // no AUTH: the server requires it (530 to MAIL)
    const unknownCa = await runCli([...args.filter((a) => a !== '--tls-insecure'), '--user', 'bob:pw', '-'], message)
    expect(unknownCa.code).toBe(69) // without --tls-insecure the test CA is unknown
    expect(unknownCa.stderr).toMatch(
      /^smtpure send: TLS with the server at 127\.0\.0\.1:\d+ failed: .*certificate.* \(--ca adds a trusted CA; --tls-insecure skips the check\)\n$/,
    )
  })

  it('bad usage is one line and exit 64', async () => {
    for (const args of [
      ['send', '--to', 'a@b.example'],
      ['send', '--from', 'a@b.example'],
      ['send', '--bogus'],
      ['send', '--from', 'a@b', '--to', 'c@d', '--server', 'nohost'],
    ]) {
      const out = await runCli(args, '')
      expect(out.code).toBe(64)
      expect(out.stderr.trim().split('\n')).toHaveLength(1)
    }
    // an option the client's checks refuse is told by its flag
    const helo = await runCli(['send', '--from', 'a@b', '--to', 'c@d', '--helo', 'bad helo', '-'], '')
    expect(helo.code).toBe(64)
    expect(helo.stderr).toMatch(/^smtpure: --helo: must be a domain name or an address literal, given "bad helo"\n$/)
    expect(helo.stderr.trim().split('\n')).toHaveLength(1)
    // docs/cli.md: AUTH data never appears, not even in a usage error
    for (const args of [
      ['--user', ':S3CRETPW'],
      ['--user', 'S3CRETPW'],
      ['--user', 'bob:S3CRETPW', '--auth-mech', 'XOAUTH2'],
    ]) {
      const out = await runCli(['send', '--from', 'a@b', '--to', 'c@d', '--server', '127.0.0.1:1', ...args, '-'], '')
      expect(out.code).toBe(64)
      expect(out.stderr).toMatch(/^smtpure: --user/)
      expect(out.stderr).not.toContain('S3CRETPW')
    }
    const help = await runCli(['send', '--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('Examples:')
    // docs/cli.md: 66 is the message file or the --ca file
    expect(help.stdout).toMatch(
      /^ {2}66 {2}the message file or the --ca file cannot be read \(or holds no certificate\)$/m,
    )
  })

  it('a flag that takes one value, given twice, is bad usage (64), not the last one silently', async () => {
    for (const [flag, a, b] of [
      ['--from', 'a@b.example', 'c@d.example'],
      ['--server', '127.0.0.1:1', '127.0.0.1:2'],
      ['--user', 'bob:pw', 'eve:pw'],
    ]) {
      const envelope = flag === '--from' ? ['--to', 'c@d.example'] : ['--from', 'x@y.example', '--to', 'c@d.example']
      const out = await runCli(['send', flag!, a!, flag!, b!, ...envelope, '-'], '')
      expect(out.code).toBe(64)
      expect(out.stderr).toBe(`smtpure: ${flag} is given twice; it takes one value\n`)
    }
  })

  it('a message file that cannot be read is one line and exit 66 (EX_NOINPUT)', async () => {
    const out = await runCli(['send', '--from', 'a@b.example', '--to', 'c@d.example', '/nonexistent/message.eml'])
    expect(out.code).toBe(66)
    expect(out.stderr).toMatch(/^smtpure: cannot read \/nonexistent\/message\.eml: .*ENOENT.*\n$/)
  })

  it('when every recipient is refused the message line still says why', async () => {
    const r = await serve(['--maildir', maildir(), '--mailbox', 'alice@example.com'])
    const out = await runCli(
      ['send', '--server', `127.0.0.1:${r.port}`, '--from', 'b@example.org', '--to', 'eve@example.com', '-'],
      message,
    )
    expect(out.code).toBe(69)
    expect(out.stdout).toMatch(/\nmessage permanent: 0 of 1 recipients accepted\n$/)
  })

  it('STARTTLS to an IP address checks the certificate against that address (RFC 3207 4.1)', async () => {
    const certs = makeCerts('mail.example') // valid for DNS:mail.example and IP:127.0.0.1, not for localhost
    const r = await serve([
      '--maildir',
      maildir(),
      '--tls-cert',
      join(certs.dir, 'cert.pem'),
      '--tls-key',
      join(certs.dir, 'key.pem'),
    ])
    const out = await runCliEnv(
      [
        'send',
        '--server',
        `127.0.0.1:${r.port}`,
        '--starttls',
        '--from',
        'b@example.org',
        '--to',
        'alice@example.com',
        '-',
      ],
      message,
      { NODE_EXTRA_CA_CERTS: join(certs.dir, 'ca.pem') },
    )
    expect(out.stderr).toBe('')
    expect(out.code).toBe(0)
  })
})
