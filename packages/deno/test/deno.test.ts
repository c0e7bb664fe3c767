// What only @smtpure/deno has or lacks, and docs/deno.md against the code.
import * as assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { connectSmtp, createSmtpServer } from '../src/index.ts'

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8')
const page = read('../../../docs/deno.md')

Deno.test('@smtpure/deno refuses SNI certificates with implicit TLS: Deno.listenTls takes one', () => {
  assert.throws(
    () =>
      createSmtpServer({
        implicitTls: true,
        tls: { key: 'k', cert: 'c', sni: { 'mx.example.com': { key: 'k', cert: 'c' } } },
      }),
    /tls\.sni: Deno\.listenTls serves one certificate/,
  )
})

Deno.test('@smtpure/deno refuses client certificates with implicit TLS (Deno.listenTls cannot ask for them)', () => {
  assert.throws(
    () => createSmtpServer({ implicitTls: true, tls: { key: 'k', cert: 'c', requestCert: true } }),
    /tls\.requestCert: Deno\.listenTls cannot ask for client certificates/,
  )
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
