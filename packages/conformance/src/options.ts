// Conformance cases of the options edge: an option key the adapter does not know, at any depth, is an
// OptionsError naming it, on every runtime (docs/node.md, "Bad options"); never silently ignored.
import * as assert from 'node:assert/strict'
import { type ConnectOptions, OptionsError, type SmtpServerOptions } from '@smtpure/driver'
import { type Adapter, type Case, context } from './harness.ts'

/** `make` throws (or rejects with) OptionsError with a line that matches `line`. */
const refuses = (make: () => unknown, line: RegExp): Promise<void> =>
  assert.rejects(
    async () => make(),
    (e: unknown) => {
      assert.ok(e instanceof OptionsError, `expected OptionsError, got ${String(e)}`)
      assert.ok(
        e.problems.some((p) => line.test(p)),
        `no problem line matches ${line}: ${JSON.stringify(e.problems)}`,
      )
      return true
    },
  )

export const optionCases = (adapter: Adapter): ReadonlyArray<Case> => {
  const { tlsFiles } = context(adapter)
  const server = (options: Record<string, unknown>) => () => adapter.createSmtpServer(options as SmtpServerOptions)
  const client = (options: Record<string, unknown>) => () =>
    adapter.connectSmtp({ host: '127.0.0.1', port: 25, ...options } as ConnectOptions)
  return [
    {
      name: 'createSmtpServer refuses an unknown key at any depth with OptionsError naming it',
      run: async () => {
        const { key, cert } = tlsFiles()
        await refuses(
          server({ smtp: { hostname: 'mx.example.com' }, hoks: {} }),
          /^hoks: unknown option.*did you mean hooks\?/,
        )
        await refuses(server({ tsl: { key, cert } }), /^tsl: unknown option.*did you mean tls\?/)
        await refuses(server({ hooks: { onMesage: () => undefined } }), /^hooks\.onMesage: unknown option.*onMessage/)
        await refuses(server({ tls: { key, cert, implicit: true } }), /^tls\.implicit: unknown option/)
        // a server that offers STARTTLS, and one with implicit TLS (on Deno these take different paths)
        await refuses(server({ tls: { key, cert }, maxConection: 5 }), /^maxConection: unknown option.*maxConnections/)
        await refuses(server({ tls: { key, cert }, implicitTls: true, limitLoopbak: true }), /^limitLoopbak: /)
        await refuses(server(null as unknown as Record<string, unknown>), /^\(options\): expected an object/)
        // and the known keys still make a server, which is closed again
        const made = adapter.createSmtpServer({ smtp: {}, hooks: { onMessage: () => undefined }, maxConnections: 5 })
        await made.close(100)
      },
    },
    {
      name: 'connectSmtp without host or port is OptionsError, not a connection to the local machine',
      run: async () => {
        const bare = (options: Record<string, unknown>) => () =>
          adapter.connectSmtp(options as unknown as ConnectOptions)
        await refuses(bare({ port: 25 }), /^host: required/)
        await refuses(bare({ host: '127.0.0.1' }), /^port: required/)
        // the other problems are told with it
        await refuses(bare({ port: 25, secure: true }), /^secure: unknown option/)
      },
    },
    {
      name: "PROXY and XCLIENT are Node's alone: elsewhere `proxy` and `xclient` are refused, not ignored",
      run: async () => {
        const { key, cert } = tlsFiles()
        const proxy = { proxy: { trusted: ['127.0.0.1'] }, xclient: { trusted: ['127.0.0.1'] } }
        if (adapter.name === 'node') {
          await adapter.createSmtpServer(proxy as SmtpServerOptions).close(100)
          await refuses(server({ proxy: { trusted: [], timeout: 5 } }), /^proxy\.timeout: unknown option.*timeoutMs/)
          return
        }
        for (const tls of [{}, { tls: { key, cert } }, { tls: { key, cert }, implicitTls: true }]) {
          await refuses(server({ ...tls, ...proxy }), /^proxy: unknown option.*only @smtpure\/node/)
          await refuses(server({ ...tls, ...proxy }), /^xclient: unknown option.*only @smtpure\/node/)
        }
      },
    },
    {
      name: 'connectSmtp refuses an unknown key before it connects, with OptionsError naming it',
      run: async () => {
        await refuses(client({ secruity: 'starttls' }), /^secruity: unknown option.*did you mean security\?/)
        await refuses(client({ secure: true }), /^secure: unknown option.*security: implicit/)
        await refuses(client({ connectTimeout: 1000 }), /^connectTimeout: unknown option.*connectTimeoutMs/)
        await refuses(client({ tsl: {} }), /^tsl: unknown option/)
      },
    },
  ]
}
