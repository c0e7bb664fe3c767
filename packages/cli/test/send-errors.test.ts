// `smtpure send` when things go wrong, over real sockets against scripted servers: every failure is one
// plain line (no internal names) with the server's reply when there was one, and the sysexits code that
// fits: 75 temporary (4yz, lost), 69 refused or unavailable, 65 the message refused, 76 protocol, 77 auth.
import * as tls from 'node:tls'
import { describe, expect, it } from 'vitest'
import { makeCerts } from '../../node/test/certs.js'
import type { ClientError } from '@smtpure/core'
import { connectFailure, failure } from '../src/send.js'
import { runCli } from './cli.js'
import { type Script, fakeServer, hangUp, willing } from './fakeServer.js'

const message = 'Subject: hi\r\n\r\nHello\r\n'

const send = (port: number, ...extra: string[]) =>
  runCli(
    ['send', '--server', `127.0.0.1:${port}`, '--from', 'bob@example.org', '--to', 'alice@example.com', ...extra, '-'],
    message,
  )

/** `willing`, except that a line matching `verb` gets `answer`. */
const after =
  (verb: RegExp, answer: string): Script =>
  (line) =>
    verb.test(line) ? answer : willing(line)

const withAuth: Script = (line) =>
  /^EHLO/i.test(line) ? '250-fake.example\r\n250 AUTH PLAIN LOGIN\r\n' : willing(line)

/** No internal tag name of a client error may reach the user. */
const tags =
  /\b(GreetingRefused|HelloRefused|TlsRequired|TlsRefused|AuthUnavailable|AuthFailed|ServiceClosing|Timeout|ConnectionLost|ProtocolError|InvalidEnvelope|Unsupported)\b/

describe('smtpure send: one plain line and the fitting exit code per failure', () => {
  it.each<[string, string, Script, string[], number, RegExp]>([
    [
      'a greeting of 554',
      '554 5.3.2 No service for you\r\n',
      willing,
      [],
      69,
      /^smtpure send: the server at 127\.0\.0\.1:\d+ refused the connection: 554 5\.3\.2 No service for you\n$/,
    ],
    [
      'a greeting of 421',
      '421 4.3.2 Busy, come back later\r\n',
      willing,
      [],
      75,
      /^smtpure send: the server at 127\.0\.0\.1:\d+ refused the connection: 421 4\.3\.2 Busy, come back later\n$/,
    ],
    [
      'EHLO and HELO refused',
      '220 fake.example ESMTP\r\n',
      (line) => (/^(EHLO|HELO)/i.test(line) ? '550 5.7.1 Go away\r\n' : willing(line)),
      [],
      69,
      /^smtpure send: the server at 127\.0\.0\.1:\d+ refused our EHLO\/HELO: 550 5\.7\.1 Go away\n$/,
    ],
    [
      '--starttls and no STARTTLS offered',
      '220 fake.example ESMTP\r\n',
      willing,
      ['--starttls'],
      69,
      /^smtpure send: the server at 127\.0\.0\.1:\d+ offers no STARTTLS and --starttls requires it\n$/,
    ],
    [
      'STARTTLS refused for now',
      '220 fake.example ESMTP\r\n',
      (line) =>
        /^EHLO/i.test(line)
          ? '250-fake.example\r\n250 STARTTLS\r\n'
          : /^STARTTLS/i.test(line)
            ? '454 4.7.0 TLS not available due to temporary reason\r\n'
            : willing(line),
      ['--starttls'],
      75,
      /^smtpure send: the server at 127\.0\.0\.1:\d+ refused STARTTLS: 454 4\.7\.0 TLS not available due to temporary reason\n$/,
    ],
    [
      '--user and no AUTH offered',
      '220 fake.example ESMTP\r\n',
      willing,
      ['--user', 'bob:pw', '--allow-insecure-auth'],
      69,
      /^smtpure send: cannot authenticate to the server at 127\.0\.0\.1:\d+: .+\n$/,
    ],
    [
      'the credentials refused (535)',
      '220 fake.example ESMTP\r\n',
      (line) => (/^AUTH/i.test(line) ? '535 5.7.8 Authentication credentials invalid\r\n' : withAuth(line)),
      ['--user', 'bob:pw', '--allow-insecure-auth', '--auth-mech', 'PLAIN'],
      77,
      /^smtpure send: the server at 127\.0\.0\.1:\d+ refused the credentials of bob: 535 5\.7\.8 Authentication credentials invalid\n$/,
    ],
    [
      'authentication failing for now (454)',
      '220 fake.example ESMTP\r\n',
      (line) => (/^AUTH/i.test(line) ? '454 4.7.0 Temporary authentication failure\r\n' : withAuth(line)),
      ['--user', 'bob:pw', '--allow-insecure-auth', '--auth-mech', 'PLAIN'],
      75,
      /^smtpure send: the server at 127\.0\.0\.1:\d+ refused the credentials of bob: 454 4\.7\.0 Temporary/,
    ],
    [
      'a 421 instead of an answer to MAIL',
      '220 fake.example ESMTP\r\n',
      after(/^MAIL/i, '421 4.3.2 Shutting down\r\n'),
      [],
      75,
      /^message temporary: the server at 127\.0\.0\.1:\d+ closed the session: 421 4\.3\.2 Shutting down\n$/,
    ],
    [
      'the connection dropped after MAIL',
      '220 fake.example ESMTP\r\n',
      after(/^MAIL/i, hangUp),
      [],
      75,
      /^message temporary: the connection to the server at 127\.0\.0\.1:\d+ was lost\n$/,
    ],
    [
      'a line that is no reply',
      '220 fake.example ESMTP\r\n',
      after(/^MAIL/i, 'hello there\r\n'),
      [],
      76,
      /^message temporary: the server at 127\.0\.0\.1:\d+ broke the protocol: not a reply line: "hello there"\n$/,
    ],
    [
      'the message refused after its data (554)',
      '220 fake.example ESMTP\r\n',
      after(/^\.$/, '554 5.6.0 Message content rejected\r\n'),
      [],
      65,
      /^message permanent: 554 5\.6\.0 Message content rejected\n$/,
    ],
  ])('%s', async (_, greeting, script, extra, code, stderr) => {
    const port = await fakeServer(greeting, script)
    const out = await send(port, ...extra)
    // a failure of the session is on stderr; one within the transaction is the message line on stdout
    expect(out.stderr === '' ? out.stdout.split('\n').at(-2)! + '\n' : out.stderr).toMatch(stderr)
    expect(out.code).toBe(code)
    expect(`${out.stdout}${out.stderr}`).not.toMatch(tags)
  })

  it('the message line says what happened to the message (65, 5yz after the data)', async () => {
    const port = await fakeServer('220 fake.example ESMTP\r\n', after(/^\.$/, '554 5.6.0 Message content rejected\r\n'))
    const out = await send(port)
    expect(out.stdout).toBe(
      'alice@example.com 554 5.6.0 Message content rejected\nmessage permanent: 554 5.6.0 Message content rejected\n',
    )
    expect(out.code).toBe(65)
  })

  it('a reply of more than 200 lines is shown as its first line and a count, not as one long line', async () => {
    const port = await fakeServer('220 fake.example ESMTP\r\n', after(/^EHLO/i, '250-fake.example\r\n'.repeat(1000)))
    const out = await send(port)
    expect(out.code).toBe(76)
    expect(out.stderr).toMatch(
      /^smtpure send: the server at 127\.0\.0\.1:\d+ broke the protocol: reply of more than 200 lines \(250 fake\.example \(\d+ more lines\)\)\n$/,
    )
    expect(out.stderr.length).toBeLessThan(200)
  })

  it('a connection refused: one line in words, 75', async () => {
    const out = await runCli(
      ['send', '--server', '127.0.0.1:1', '--from', 'a@b.example', '--to', 'c@d.example', '-'],
      message,
    )
    expect(out).toEqual({
      code: 75,
      stdout: '',
      stderr: 'smtpure send: cannot connect to the server at 127.0.0.1:1: connection refused (ECONNREFUSED)\n',
    })
  })

  it('--tls to a certificate no CA vouches for: one line with what to do, 69', async () => {
    const certs = makeCerts()
    const server = tls.createServer({ key: certs.key, cert: certs.cert }, (s) => s.end('220 tls.example ESMTP\r\n'))
    server.on('tlsClientError', () => undefined)
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    try {
      const port = (server.address() as { port: number }).port
      const out = await send(port, '--tls')
      expect(out.code).toBe(69)
      expect(out.stderr).toMatch(
        /^smtpure send: TLS with the server at 127\.0\.0\.1:\d+ failed: .*certificate.* \(--ca adds a trusted CA; --tls-insecure skips the check\)\n$/,
      )
    } finally {
      server.close()
    }
  })
})

describe('failure: every error of a client session, in words', () => {
  const r = (code: number, ...lines: string[]) => ({ code, enhanced: `${String(code)[0]}.0.0`, lines })
  const at = { server: '192.0.2.1:25', user: 'bob' }
  it.each<[ClientError, string, number]>([
    [
      { _tag: 'GreetingRefused', reply: r(554, 'No') },
      'the server at 192.0.2.1:25 refused the connection: 554 5.0.0 No',
      69,
    ],
    [
      { _tag: 'HelloRefused', reply: r(451, 'Later') },
      'the server at 192.0.2.1:25 refused our EHLO/HELO: 451 4.0.0 Later',
      75,
    ],
    [{ _tag: 'TlsRequired' }, 'the server at 192.0.2.1:25 offers no STARTTLS and --starttls requires it', 69],
    [{ _tag: 'TlsRefused', reply: r(501, 'No') }, 'the server at 192.0.2.1:25 refused STARTTLS: 501 5.0.0 No', 69],
    [
      { _tag: 'AuthUnavailable', reason: 'the server offers no AUTH' },
      'cannot authenticate to the server at 192.0.2.1:25: the server offers no AUTH',
      69,
    ],
    [
      { _tag: 'AuthFailed', reply: r(535, 'Bad') },
      'the server at 192.0.2.1:25 refused the credentials of bob: 535 5.0.0 Bad',
      77,
    ],
    [
      { _tag: 'AuthFailed', reply: r(454, 'Later') },
      'the server at 192.0.2.1:25 refused the credentials of bob: 454 4.0.0 Later',
      75,
    ],
    [
      { _tag: 'AuthFailed', reply: { code: 550, enhanced: '5.7.1', lines: ['Not from here'] } },
      'the server at 192.0.2.1:25 refused the credentials of bob: 550 5.7.1 Not from here',
      77,
    ],
    // AUTH refused as a command (RFC 5321 4.2.4, RFC 4954 6): the credentials were never judged
    [
      { _tag: 'AuthFailed', reply: r(502, 'Not implemented') },
      'the server at 192.0.2.1:25 refused AUTH: 502 5.0.0 Not implemented',
      69,
    ],
    [
      { _tag: 'AuthFailed', reply: { code: 504, enhanced: '5.5.4', lines: ['Unrecognized authentication type'] } },
      'the server at 192.0.2.1:25 refused AUTH: 504 5.5.4 Unrecognized authentication type',
      69,
    ],
    [
      { _tag: 'ServiceClosing', reply: r(421, 'Bye') },
      'the server at 192.0.2.1:25 closed the session: 421 4.0.0 Bye',
      75,
    ],
    [
      { _tag: 'Timeout', waitingFor: 'the greeting' },
      'the server at 192.0.2.1:25 did not answer in time (waiting for the greeting)',
      75,
    ],
    [{ _tag: 'ConnectionLost' }, 'the connection to the server at 192.0.2.1:25 was lost', 75],
    [
      { _tag: 'ProtocolError', reason: 'reply of more than 200 lines', reply: r(250, ...Array<string>(200).fill('x')) },
      'the server at 192.0.2.1:25 broke the protocol: reply of more than 200 lines (250 2.0.0 x (199 more lines))',
      76,
    ],
    [
      { _tag: 'ProtocolError', reason: 'TLS handshake failed: self-signed certificate', reply: undefined },
      'TLS with the server at 192.0.2.1:25 failed: self-signed certificate (--ca adds a trusted CA; --tls-insecure skips the check)',
      69,
    ],
    [{ _tag: 'InvalidEnvelope', reason: 'bad address' }, 'the envelope cannot be sent: bad address', 65],
    [
      { _tag: 'Unsupported', extension: 'SMTPUTF8', reason: 'an address is not ASCII' },
      'the server at 192.0.2.1:25 lacks SMTPUTF8, which this message needs: an address is not ASCII',
      69,
    ],
    [
      // the core's reason would only repeat the line's first words
      { _tag: 'Unsupported', extension: 'SMTPUTF8', reason: 'the server does not offer SMTPUTF8' },
      'the server at 192.0.2.1:25 lacks SMTPUTF8, which this message needs',
      69,
    ],
    [
      { _tag: 'Unsupported', extension: 'SIZE', reason: "the message (302 octets) is over the server's limit of 100" },
      "the server at 192.0.2.1:25 takes no message this large: the message (302 octets) is over the server's limit of 100",
      69,
    ],
  ])('%j', (error, text, code) => {
    expect(failure(error, at)).toEqual({ text, code })
  })
})

describe('a connection that fails its implicit TLS handshake is a TLS failure (69) on every runtime, not a retry (75)', () => {
  const at = { server: '192.0.2.1:465', user: undefined, lmtp: false }
  const error = (code: string, message: string) => Object.assign(new Error(message), { code })
  it.each([
    ['Node', error('ERR_SSL_WRONG_VERSION_NUMBER', 'SSL routines:ssl3_get_record:wrong version number')],
    ['Bun', error('EPROTO', 'error:100000f7:SSL routines:OPENSSL_internal:WRONG_VERSION_NUMBER')],
    ['a certificate', error('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate')],
    ['Deno, a server that does not speak TLS', new Error('received corrupt message of type InvalidContentType')],
  ])('%s', (_runtime, e) => {
    expect(connectFailure(e, at, true).code).toBe(69)
    expect(connectFailure(e, at, true).text).toMatch(/^TLS with the server at 192\.0\.2\.1:465 failed: /)
  })
  it('without TLS the same system error is a connection that could not be made (75)', () => {
    expect(connectFailure(error('ECONNREFUSED', 'connect ECONNREFUSED'), at, true).code).toBe(75)
    expect(connectFailure(error('EPROTO', 'protocol error'), at, false).code).toBe(75)
  })
})

describe('smtpure send --lmtp names the greeting it sent', () => {
  it('a refused LHLO is called LHLO, not EHLO/HELO (RFC 2033 4.1)', () => {
    const refused: ClientError = {
      _tag: 'HelloRefused',
      reply: { code: 500, enhanced: '5.5.1', lines: ['Command unrecognized'] },
    }
    expect(failure(refused, { server: '127.0.0.1:2525', user: undefined, lmtp: true })).toEqual({
      text: 'the server at 127.0.0.1:2525 refused our LHLO: 500 5.5.1 Command unrecognized',
      code: 69,
    })
  })
  it('an SMTP server that does not know LHLO is told apart over a socket', async () => {
    const port = await fakeServer('220 fake.example ESMTP\r\n', after(/^LHLO/i, '500 5.5.1 Command unrecognized\r\n'))
    const out = await send(port, '--lmtp')
    expect(out.code).toBe(69)
    expect(out.stderr).toMatch(/^smtpure send: the server at 127\.0\.0\.1:\d+ refused our LHLO: 500 5\.5\.1 /)
  })
})

describe('smtpure send --lmtp: a recipient refused after the data is the message refused (RFC 2033 4.2)', () => {
  const lmtp =
    (rcpt: (line: string) => string, afterData: string): Script =>
    (line) =>
      /^LHLO/i.test(line)
        ? '250-fake.example\r\n250 PIPELINING\r\n'
        : /^RCPT/i.test(line)
          ? rcpt(line)
          : line === '.'
            ? afterData
            : willing(line)
  const twoRecipients = (port: number) =>
    runCli(
      ['send', '--lmtp', '--server', `127.0.0.1:${port}`, '--from', 'bob@example.org'].concat([
        '--to',
        'alice@example.com',
        '--to',
        'carol@example.com',
        '-',
      ]),
      message,
    )
  it('65 when one recipient refuses the message with 5yz after its data', async () => {
    const port = await fakeServer(
      '220 fake.example LMTP\r\n',
      lmtp(() => '250 2.1.5 Ok\r\n', '250 2.0.0 Delivered\r\n550 5.2.2 Mailbox full\r\n'),
    )
    const out = await twoRecipients(port)
    expect(out.stdout).toMatch(/carol@example\.com 550 5\.2\.2 Mailbox full/)
    expect(out.code).toBe(65)
  })
  it('69 when a recipient was refused at RCPT and the other took the message', async () => {
    const port = await fakeServer(
      '220 fake.example LMTP\r\n',
      lmtp(
        (line) => (/carol/.test(line) ? '550 5.1.1 No such user\r\n' : '250 2.1.5 Ok\r\n'),
        '250 2.0.0 Delivered\r\n',
      ),
    )
    const out = await twoRecipients(port)
    expect(out.stdout).toMatch(/carol@example\.com 550 5\.1\.1 No such user/)
    // docs/cli.md: with no one reply for the message, its line counts the recipients
    expect(out.stdout).toMatch(/\nmessage accepted: 1 of 2 recipients accepted\n$/)
    expect(out.code).toBe(69)
  })
})
