// What only @smtpure/bun has or lacks, and docs/bun.md against the code.
import { describe, expect, it } from 'bun:test'
import { readFileSync } from 'node:fs'
import * as net from 'node:net'
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

describe('reads Bun hands over whole', () => {
  // Bun gives a socket's input in reads of up to 512 KiB; the session must be able to stop between pieces of
  // one, as it does between reads on Node, or a client that pipelines a lot behind a slow hook is cut off
  it('a chunk of 300 KB pipelined behind a message the hook takes its time with: both stored, every reply sent (RFC 2920 3.1, RFC 3030 2)', async () => {
    const sizes: number[] = []
    const server = createSmtpServer({
      smtp: { hostname: 'mx.example.com' },
      hooks: {
        onMessage: async (m) => {
          let n = 0
          for await (const c of m.chunks) n += c.length
          await new Promise((r) => setTimeout(r, 300))
          sizes.push(n)
        },
      },
    })
    const { port } = await server.listen(0, '127.0.0.1')
    const chunk = 'x'.repeat(300_000)
    const replies = await new Promise<string>((resolve) => {
      const c = net.connect(port, '127.0.0.1')
      let got = ''
      let sent = 0
      c.on('data', (d) => {
        got += d.toString('latin1')
        if (sent === 0 && got.includes('220 ')) {
          sent = 1
          c.write('EHLO c.example\r\nMAIL FROM:<a@c.example>\r\nRCPT TO:<b@c.example>\r\nDATA\r\n')
        } else if (sent === 1 && got.includes('354 ')) {
          sent = 2 // the message, then a whole second transaction in the same write
          c.write(
            `hi\r\n.\r\nMAIL FROM:<a@c.example>\r\nRCPT TO:<b@c.example>\r\nBDAT ${chunk.length} LAST\r\n${chunk}QUIT\r\n`,
          )
        }
      })
      c.on('error', () => undefined)
      c.on('close', () => resolve(got))
    })
    await server.close(1000)
    const codes = replies
      .split('\r\n')
      .filter((l) => /^\d{3} /.test(l))
      .map((l) => l.slice(0, 3))
    expect(codes).toEqual(['220', '250', '250', '250', '354', '250', '250', '250', '250', '221'])
    expect(sizes).toEqual([4, 300_000])
  }, 30_000)
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
