// An SMTP server on Node: node:net (or node:tls for implicit TLS, RFC 8314), one driver session
// per connection, STARTTLS with SNI, a connection limit (421) and a graceful shutdown.
import * as net from 'node:net'
import * as tls from 'node:tls'
import { type ServerConfig, formatReply, reply, serverConfig } from '@smtpure/core'
import { type ServerHooks, type ServerSession, startServerSession } from '@smtpure/driver'
import { NodeTransport } from './NodeTransport.js'
import { nodeRuntime } from './runtime.js'

export interface TlsFiles {
  readonly key: string | Buffer
  readonly cert: string | Buffer
}

export interface SmtpServerOptions {
  /** Session options as for `serverConfig` (decoded and checked here). */
  readonly smtp?: unknown
  readonly hooks?: ServerHooks
  /** Certificate and key: enables STARTTLS (or implicit TLS with `implicitTls`). */
  readonly tls?: TlsFiles & { readonly sni?: Readonly<Record<string, TlsFiles>> }
  /** TLS from the first byte, as on port 465 (RFC 8314 3.3). */
  readonly implicitTls?: boolean
  /** Concurrent connections; past it new ones get 421 and are closed. 0 for no limit. */
  readonly maxConnections?: number
  readonly onError?: (error: unknown) => void
}

export interface SmtpServer {
  readonly listen: (port: number, host?: string) => Promise<net.AddressInfo>
  /** Stop accepting, let transactions finish until `deadlineMs`, then 421 to everyone. */
  readonly close: (deadlineMs?: number) => Promise<void>
  readonly connections: () => number
  readonly config: ServerConfig
}

/**
 * Create an SMTP server.
 * @example
 * const server = createSmtpServer({ smtp: { hostname: 'mx.example.com' }, hooks: { onMessage: save } })
 * await server.listen(2525, '127.0.0.1')
 */
export const createSmtpServer = (options: SmtpServerOptions): SmtpServer => {
  const files = options.tls
  const decoded = serverConfig({
    ...(files && !options.implicitTls ? { startTls: true } : {}),
    ...(options.smtp as object | undefined),
  })
  if (decoded._tag === 'Left') throw new Error(`invalid server options:\n${decoded.left.errors.join('\n')}`)
  const config = decoded.right
  const context = files ? tls.createSecureContext({ key: files.key, cert: files.cert }) : undefined
  const sniContexts = new Map(
    Object.entries(files?.sni ?? {}).map(([name, f]) => [name.toLowerCase(), tls.createSecureContext(f)]),
  )
  const SNICallback = (name: string, cb: (e: Error | null, ctx?: tls.SecureContext) => void): void =>
    cb(null, sniContexts.get(name.toLowerCase()) ?? context)
  const sessions = new Set<ServerSession>()
  const limit = options.maxConnections ?? 0
  const busy = reply(421, '4.7.0', `${config.hostname} Too many connections, try again later`)

  const onSocket = (socket: net.Socket): void => {
    socket.setNoDelay(true)
    if (limit > 0 && sessions.size >= limit) {
      socket.end(formatReply(busy, false))
      socket.on('error', () => undefined)
      return
    }
    const role = context ? { server: true as const, secureContext: context, SNICallback } : undefined
    const session = startServerSession(new NodeTransport(socket, role), {
      config,
      hooks: options.hooks ?? {},
      runtime: nodeRuntime,
      ...(options.onError ? { onError: options.onError } : {}),
    })
    sessions.add(session)
    void session.done.then(() => sessions.delete(session))
  }

  const server =
    options.implicitTls && context
      ? tls.createServer({ secureContext: context, SNICallback }, onSocket)
      : // a client may half-close after QUIT and still be owed its replies
        net.createServer({ allowHalfOpen: true }, onSocket)
  server.on('error', (e) => options.onError?.(e))

  return {
    config,
    connections: () => sessions.size,
    listen: (port, host = '127.0.0.1') =>
      new Promise((resolve, reject) => {
        server.once('error', reject)
        server.listen(port, host, () => {
          server.off('error', reject)
          resolve(server.address() as net.AddressInfo)
        })
      }),
    close: async (deadlineMs = 10000) => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      for (const s of sessions) s.stop()
      const timer = setTimeout(() => {
        for (const s of sessions) s.stop(true)
      }, deadlineMs)
      await Promise.all([...sessions].map((s) => s.done))
      clearTimeout(timer)
      await closed
    },
  }
}
