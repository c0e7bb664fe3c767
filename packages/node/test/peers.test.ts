// Real peers we did not write: Python's smtplib and nodemailer as clients of our Node server.
import { afterEach, describe, expect, it } from 'vitest'
import nodemailer from 'nodemailer'
import { makeCerts } from './certs.js'
import { python, startServer } from './helpers.js'

const certs = makeCerts()
const servers: Array<{ close: (deadlineMs?: number) => Promise<void> }> = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close(1000)))
})

const classic = [
  'From: "Bob Example" <bob@example.org>',
  'To: "Alice Example" <alice@example.com>',
  'Cc: theboss@example.com',
  'Date: Tue, 15 January 2008 16:02:43 -0500',
  'Subject: Test message',
  '',
  'Hello Alice.',
  '.A line with a leading dot.',
  'Your friend,',
  'Bob',
  '',
].join('\r\n')

const smtplib = (port: number, extra: string) => `
import smtplib, ssl, os, sys
msg = os.environ['MSG'].encode('latin-1')
s = smtplib.SMTP('127.0.0.1', ${port}, timeout=30)
${extra}
refused = s.sendmail('bob@example.org', ['alice@example.com', 'theboss@example.com'], msg)
print('refused', refused)
print('quit', s.quit())
`

describe('Node server with real clients', () => {
  it('Python smtplib sends the classic message, plain', async () => {
    const { server, port, stored } = await startServer({ smtp: { hostname: 'smtp.example.com' } })
    servers.push(server)
    const out = await python(smtplib(port, 's.ehlo("relay.example.org")'), { MSG: classic })
    expect(out).toContain('refused {}')
    expect(out).toContain("quit (221, b'2.0.0 Bye')")
    expect(stored).toEqual([
      { from: 'bob@example.org', to: ['alice@example.com', 'theboss@example.com'], body: classic },
    ])
  })

  it('Python smtplib with STARTTLS (verified against the test CA) and AUTH PLAIN', async () => {
    const { server, port, stored } = await startServer({
      smtp: { hostname: 'localhost', authMechanisms: ['PLAIN', 'LOGIN'], requireAuth: true },
      tls: { key: certs.key, cert: certs.cert },
      users: { alice: 's3cret' },
    })
    servers.push(server)
    const login = `
ctx = ssl.create_default_context(cafile=os.environ['CA'])
s.ehlo('relay.example.org')
assert 'auth' not in s.esmtp_features, 'AUTH must not be offered in clear'
print('starttls', s.starttls(context=ctx))
s.ehlo('relay.example.org')
print('login', s.login('alice', 's3cret'))`
    const out = await python(smtplib(port, login), { MSG: classic, CA: `${certs.dir}/ca.pem` })
    expect(out).toContain("starttls (220, b'2.0.0 Ready to start TLS')")
    expect(out).toContain("login (235, b'2.7.0 Authentication successful')")
    expect(stored).toHaveLength(1)
    expect(stored[0]!.body).toBe(classic)
  })

  it('Python smtplib gets 535 for a wrong password and 530 for MAIL without AUTH', async () => {
    const { server, port } = await startServer({
      smtp: { authMechanisms: ['PLAIN'], allowInsecureAuth: true, requireAuth: true },
      users: { alice: 's3cret' },
    })
    servers.push(server)
    const out = await python(`
import smtplib
s = smtplib.SMTP('127.0.0.1', ${port}, timeout=30)
s.ehlo('c.example')
try:
    s.login('alice', 'wrong')
except smtplib.SMTPAuthenticationError as e:
    print('auth', e.smtp_code)
print('mail', s.mail('a@b.example')[0])
s.quit()`)
    expect(out).toContain('auth 535')
    expect(out).toContain('mail 530')
  })

  it('nodemailer sends over STARTTLS with AUTH LOGIN, pipelined', async () => {
    const { server, port, stored } = await startServer({
      smtp: { hostname: 'localhost', authMechanisms: ['LOGIN'] },
      tls: { key: certs.key, cert: certs.cert },
      users: { bob: 'pw' },
    })
    servers.push(server)
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port,
      secure: false,
      requireTLS: true,
      auth: { user: 'bob', pass: 'pw' },
      authMethod: 'LOGIN',
      tls: { ca: certs.ca, servername: 'localhost' },
    })
    const info = await transport.sendMail({
      from: 'bob@example.org',
      to: ['alice@example.com', 'carol@example.com'],
      subject: 'Hello',
      text: 'Line one\n.starts with a dot\n\nBye',
    })
    transport.close()
    expect(info.accepted).toEqual(['alice@example.com', 'carol@example.com'])
    expect(info.response).toBe('250 2.0.0 Ok: queued as 1')
    expect(stored[0]!.body).toContain('\r\n.starts with a dot\r\n')
  })

  it('nodemailer over implicit TLS (port 465 style)', async () => {
    const { server, port, stored } = await startServer({
      smtp: { hostname: 'localhost' },
      tls: { key: certs.key, cert: certs.cert },
      implicitTls: true,
    })
    servers.push(server)
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port,
      secure: true,
      tls: { ca: certs.ca, servername: 'localhost' },
    })
    const info = await transport.sendMail({ from: 'a@example.org', to: 'b@example.com', text: 'over TLS' })
    transport.close()
    expect(info.accepted).toEqual(['b@example.com'])
    expect(stored).toHaveLength(1)
  })
})
