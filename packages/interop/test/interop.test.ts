// Servers and clients of different runtimes talking over real sockets: Bun server and Deno client,
// Deno server and Node client, Node server and Bun client, and Python's smtplib against the Bun and
// Deno servers; each plain, with STARTTLS and with implicit TLS, certificates verified.
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { makeCerts } from '@smtpure/conformance'
import { type RuntimeName, type Started, runToEnd, startListening } from '../src/runtimes.ts'

const script = (name: string) => fileURLToPath(new URL(`../scripts/${name}`, import.meta.url))
const certs = makeCerts()
const ca = join(certs.dir, 'ca.pem')
const message = 'From: bob@example.org\r\nSubject: interop\r\n\r\nHello Alice.\r\n.leading dot\r\n'

const running: Started[] = []
afterEach(() => {
  for (const r of running.splice(0)) r.child.kill('SIGKILL')
})
const server = async (runtime: RuntimeName, args: ReadonlyArray<string>): Promise<Started> => {
  const r = await startListening(runtime, script('server.mjs'), args)
  running.push(r)
  return r
}
/** The JSON lines the server printed for the messages it accepted. */
const accepted = (r: Started) =>
  r
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { from: string; to: string[]; body: string; tls: boolean })

const modes = [
  { mode: 'plain', serverArgs: [], clientArgs: [], tls: false },
  {
    mode: 'STARTTLS',
    serverArgs: ['--certs', certs.dir],
    clientArgs: ['--security', 'starttls', '--ca', ca],
    tls: true,
  },
  {
    mode: 'implicit TLS',
    serverArgs: ['--certs', certs.dir, '--implicit'],
    clientArgs: ['--security', 'implicit', '--ca', ca],
    tls: true,
  },
]
const pairs: ReadonlyArray<[RuntimeName, RuntimeName]> = [
  ['bun', 'deno'],
  ['deno', 'node'],
  ['node', 'bun'],
]

describe.each(pairs)('%s server, %s client', (serverRuntime, clientRuntime) => {
  it.each(modes)('$mode: the message arrives as sent and the client hears 250', async (m) => {
    const s = await server(serverRuntime, m.serverArgs)
    const out = await runToEnd(
      clientRuntime,
      script('client.mjs'),
      ['--port', String(s.port), ...m.clientArgs],
      message,
    )
    expect(out.stderr).toBe('')
    expect(JSON.parse(out.stdout)).toEqual({
      tls: m.tls,
      status: 'accepted',
      reply: { code: 250, enhanced: '2.0.0', lines: [`Ok: ${serverRuntime} has it`] },
    })
    expect(accepted(s)).toEqual([
      { from: 'bob@example.org', to: ['alice@example.com'], body: message, tls: m.tls, authenticated: null },
    ])
  })
})

const smtplib = (port: number) => `
import smtplib, ssl, os
ctx = ssl.create_default_context(cafile=os.environ['CA'])
s = smtplib.SMTP('localhost', ${port}, timeout=20)
s.ehlo('relay.example.org')
print('starttls', s.starttls(context=ctx)[0])
s.ehlo('relay.example.org')
print('login', s.login('alice', 's3cret')[0])
print('refused', s.sendmail('bob@example.org', ['alice@example.com'], os.environ['MSG'].encode('latin-1')))
print('quit', s.quit()[0])
`

describe.each(['bun', 'deno'] as const)('Python smtplib against the %s server', (runtime) => {
  it('STARTTLS verified against the test CA, AUTH PLAIN, one message', async () => {
    const s = await server(runtime, ['--certs', certs.dir, '--auth', 'alice:s3cret'])
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        'python3',
        ['-c', smtplib(s.port)],
        { timeout: 30000, env: { ...process.env, CA: ca, MSG: message } },
        (e, stdout, stderr) => (e ? reject(new Error(stderr)) : resolve(stdout)),
      ),
    )
    expect(out).toBe('starttls 220\nlogin 235\nrefused {}\nquit 221\n')
    expect(accepted(s)).toEqual([
      { from: 'bob@example.org', to: ['alice@example.com'], body: message, tls: true, authenticated: 'alice' },
    ])
  })
})
