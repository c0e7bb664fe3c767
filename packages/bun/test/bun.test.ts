// What only @smtpure/bun has or lacks, and docs/bun.md against the code.
import { describe, expect, it } from 'bun:test'
import { readFileSync } from 'node:fs'
import { createSmtpServer } from '../src/index.ts'

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8')
const page = read('../../../docs/bun.md')

describe('@smtpure/bun', () => {
  it('refuses SNI certificates: Bun.listen and upgradeTLS take one', () => {
    expect(() =>
      createSmtpServer({ tls: { key: 'k', cert: 'c', sni: { 'mx.example.com': { key: 'k', cert: 'c' } } } }),
    ).toThrow('tls.sni: @smtpure/bun serves one certificate')
  })

  it('refuses bad session options with every problem listed', () => {
    expect(() => createSmtpServer({ smtp: { maxRecipients: -1 } })).toThrow(/^invalid server options:\n/)
  })
})

describe('docs/bun.md', () => {
  it('shows examples/hello.ts verbatim', () => {
    expect(page).toContain('```ts\n' + read('../examples/hello.ts') + '```')
  })

  it('shows what examples/hello.ts prints when run with bun', async () => {
    const run = Bun.spawn([process.execPath, new URL('../examples/hello.ts', import.meta.url).pathname], {
      stdout: 'pipe',
    })
    const printed = await new Response(run.stdout).text()
    expect(await run.exited).toBe(0)
    expect(page).toContain('```\n' + printed + '```')
  }, 30_000) // a second Bun process: about 1.3 s alone, several times that while every suite runs at once
})
