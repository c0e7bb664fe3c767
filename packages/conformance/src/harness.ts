// What the conformance cases share: the adapter's shape, a server that keeps what it accepted,
// message bodies made on demand with their checksum, and a client on the adapter under test.
import process from 'node:process'
import type { Reply } from '@smtpure/core'
import type { ClientSession, ConnectOptions, ServerHooks, SmtpServer, SmtpServerOptions } from '@smtpure/driver'
import { type TestCerts, makeCerts } from './certs.ts'

/** What a runtime adapter offers; `@smtpure/node`, `@smtpure/bun` and `@smtpure/deno` all fit. */
export interface Adapter {
  readonly name: string
  createSmtpServer(options: SmtpServerOptions): SmtpServer
  connectSmtp(options: ConnectOptions): Promise<ClientSession>
}

/** One conformance case: a name citing its rule and a run that throws when the adapter fails it. */
export interface Case {
  readonly name: string
  readonly run: () => Promise<void>
}

export interface Stored {
  readonly from: string | null
  readonly to: ReadonlyArray<string>
  readonly body: string
  readonly tls: boolean
  readonly authenticated: string | undefined
}

export const text = new TextDecoder('latin1')
export const ok = (n: number): Reply => ({ code: 250, enhanced: '2.0.0', lines: [`Ok: queued as ${n}`] })
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
/** Wait until the server holds no connection, looking every `stepMs` at most 100 times; the caller asserts it. */
export const untilNoConnections = (server: { readonly connections: () => number }, stepMs = 20): Promise<void> =>
  untilConnections(server, 0, stepMs)

/** Wait until the server holds `count` connections, looking every `stepMs` at most 100 times; the caller asserts it. */
export const untilConnections = async (
  server: { readonly connections: () => number },
  count: number,
  stepMs = 20,
): Promise<void> => {
  for (let i = 0; i < 100 && server.connections() !== count; i++) await sleep(stepMs)
}
export const MiB = 1024 * 1024

/** The lines of a small message, CRLF each, one starting with a dot (stuffed on the wire). */
export const message = (subject: string): string =>
  [`Subject: ${subject}`, 'From: bob@example.org', '', 'Hello Alice.', '.A line with a leading dot.', 'Bob', ''].join(
    '\r\n',
  )

/** A server that keeps what it accepted; `hooks` are merged over the keeping ones. */
export const serve = async (
  adapter: Adapter,
  options: SmtpServerOptions = {},
  hooks: ServerHooks = {},
): Promise<{ server: SmtpServer; port: number; stored: Stored[]; errors: unknown[] }> => {
  const stored: Stored[] = []
  const errors: unknown[] = []
  const server = adapter.createSmtpServer({
    ...options,
    onError: (e) => errors.push(e),
    hooks: {
      onMessage: async (m, session) => {
        const parts: string[] = []
        for await (const c of m.chunks) parts.push(text.decode(c))
        stored.push({
          from: m.envelope.from === null ? null : `${m.envelope.from.localPart}@${m.envelope.from.domain}`,
          to: m.envelope.recipients.map((r) => `${r.to.localPart}@${r.to.domain}`),
          body: parts.join(''),
          tls: session.tls,
          authenticated: session.authenticated,
        })
        return ok(stored.length)
      },
      ...hooks,
    },
  })
  const { port } = await server.listen(0, '127.0.0.1')
  return { server, port, stored, errors }
}

/** Run `body` with a server, and close the server however `body` ends. */
export const withServer = async (
  adapter: Adapter,
  options: SmtpServerOptions,
  hooks: ServerHooks,
  body: (s: Awaited<ReturnType<typeof serve>>) => Promise<void>,
): Promise<void> => {
  const s = await serve(adapter, options, hooks)
  try {
    await body(s)
  } finally {
    await s.server.close(1000)
  }
}

/**
 * A full garbage collection, by whatever the runtime offers: `globalThis.gc` where the runtime was started
 * with `--expose-gc`, `Bun.gc(true)` on Bun, or (Node, Deno) V8's flag set at run time and the function
 * taken from a fresh context. Throws where none of these works, so a case that needs it fails instead of
 * passing without collecting.
 */
export const collectGarbage = async (): Promise<void> => {
  const g = globalThis as { gc?: () => void; Bun?: { gc: (force: boolean) => void } }
  // a WeakRef's target lives to the end of the job that made or read it: collect in a job of its own
  for (let i = 0; i < 3; i++) {
    await sleep(10)
    if (typeof g.gc === 'function') g.gc()
    else if (g.Bun) g.Bun.gc(true)
    else {
      const v8 = await import('node:v8')
      const vm = await import('node:vm')
      v8.setFlagsFromString('--expose-gc')
      ;(vm.runInNewContext('gc') as () => void)()
    }
  }
  await sleep(0)
}

/** Resident set size of this process in MiB. */
export const rssMiB = (): number => process.memoryUsage().rss / MiB

/**
 * `count` chunks of `size` octets of message lines, made one at a time as the client pulls them.
 * Chunk `i` is lines of one letter (`a` + i mod 26), so a chunk delivered twice, lost or overwritten
 * changes the checksum.
 */
export async function* lines(
  count: number,
  size: number,
  pulled?: (octets: number) => void,
): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < count; i++) {
    const chunk = new Uint8Array(size).fill(0x61 + (i % 26))
    for (let o = 76; o < size; o += 78) chunk.set([13, 10], o)
    chunk.set([13, 10], size - 2)
    pulled?.((i + 1) * size)
    yield chunk
  }
}

/** A running checksum of octets in order (FNV-1a, 32 bits). */
export const checksum = (h: number, bytes: Uint8Array): number => {
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 16777619) >>> 0
  return h
}
export const FNV_START = 2166136261

/** The checksum of what `lines(count, size)` yields. */
export const linesChecksum = async (count: number, size: number): Promise<number> => {
  let h = FNV_START
  for await (const c of lines(count, size)) h = checksum(h, c)
  return h
}

/** A client on the adapter under test, and the test certificates made once when first asked for. */
export const context = (adapter: Adapter) => {
  let certs: TestCerts | undefined
  return {
    tlsFiles: () => {
      certs ??= makeCerts()
      return { key: certs.key, cert: certs.cert, ca: certs.ca }
    },
    client: (port: number, options: Partial<ConnectOptions> = {}) =>
      adapter.connectSmtp({ host: '127.0.0.1', port, smtp: { helo: 'client.example.org' }, ...options }),
  }
}
