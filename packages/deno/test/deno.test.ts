// What only @smtpure/deno has or lacks, and docs/deno.md against the code.
import * as assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import * as tls from 'node:tls'
import { makeCerts, makeClientCert } from '@smtpure/conformance'
import type { TlsInfo } from '@smtpure/driver'
import { connectSmtp, createSmtpServer } from '../src/index.ts'

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8')
const page = read('../../../docs/deno.md')

Deno.test({
  name: '@smtpure/deno with implicit TLS (on node:tls) asks for a client certificate and reports it, as on Node',
  // the server's sockets may outlive the test by a moment (a FIN on its way)
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const certs = makeCerts()
    const alice = makeClientCert(certs, 'alice')
    let seen: TlsInfo | undefined
    const server = createSmtpServer({
      implicitTls: true,
      tls: { key: certs.key, cert: certs.cert, ca: certs.ca, requestCert: true },
      hooks: { onSecure: (session) => void (seen = session.tlsInfo) },
    })
    const { port } = await server.listen(0)
    const greeting = await new Promise<string>((resolve, reject) => {
      const socket = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: certs.ca, ...alice })
      socket.once('data', (d) => (resolve(String(d)), socket.destroy()))
      socket.on('error', reject)
    })
    await server.close(1000)
    assert.match(greeting, /^220 /)
    assert.equal(seen?.authorized, true)
    assert.equal(seen?.protocol, 'TLSv1.3')
    assert.equal(seen?.servername, 'localhost')
    assert.equal(seen?.peerCertificate?.fingerprint256, alice.fingerprint256)
  },
})

Deno.test('@smtpure/deno refuses verify: false (Deno verifies every certificate)', async () => {
  await assert.rejects(connectSmtp({ host: '127.0.0.1', port: 25, verify: false }), /verify: false is not available/)
})

Deno.test('docs/deno.md shows examples/hello.ts verbatim', () => {
  assert.ok(page.includes('```ts\n' + read('../examples/hello.ts') + '```'))
})

Deno.test('examples/hello.ts differs from the Bun one only in its import line', () => {
  const bun = read('../../bun/examples/hello.ts')
  assert.equal(read('../examples/hello.ts'), bun.replace("from '@smtpure/bun'", "from '@smtpure/deno'"))
})

Deno.test('docs/deno.md shows what examples/hello.ts prints when run with the permissions it states', async () => {
  const flags = /deno run (--allow-net=127\.0\.0\.1) packages\/deno\/examples\/hello\.ts/.exec(page)
  assert.ok(flags, 'the page gives the command')
  const run = new Deno.Command(Deno.execPath(), {
    args: ['run', flags[1]!, new URL('../examples/hello.ts', import.meta.url).pathname],
    stdout: 'piped',
  })
  const { code, stdout } = await run.output()
  assert.equal(code, 0)
  assert.ok(page.includes('```\n' + new TextDecoder().decode(stdout) + '```'))
})
