// An SMTP server on Deno: Deno.listen for plain SMTP, one driver session per connection, a connection
// limit (421) and a graceful close that cuts what is left at its deadline. A server with a certificate
// (STARTTLS, RFC 3207, or implicit TLS, RFC 8314 3.3) runs on Deno's node:net and node:tls through
// @smtpure/node: Deno cannot make an accepted connection the server side of TLS (Deno.startTls is
// client-only), and a Deno.listenTls connection still in its handshake cannot be closed (Deno finishes the
// handshake before it closes, so a client that never sends one would keep it open: no handshake deadline).
import { createSmtpServer as createNodeSmtpServer } from '@smtpure/node'
import { type SmtpServer, type SmtpServerOptions, reporter, serverConfigOf, sessionPool } from '@smtpure/driver'
import { DenoTransport } from './DenoTransport.ts'
import { denoRuntime, unrefTimeout } from './runtime.ts'

/**
 * Create an SMTP server on Deno. Options and behaviour are those of `@smtpure/node`.
 * @example
 * const server = createSmtpServer({ smtp: { hostname: 'mx.example.com' }, hooks: { onMessage: save } })
 * await server.listen(2525, '127.0.0.1')
 */
export const createSmtpServer = (options: SmtpServerOptions): SmtpServer => {
  // checked here first, on every path: the keys Deno's server takes are not all the keys Node's takes (proxy)
  const config = serverConfigOf(options)
  if (options.tls !== undefined) return createNodeSmtpServer(options)
  const pool = sessionPool(options, config, denoRuntime)
  let listener: Deno.TcpListener | undefined
  let closing = false
  const transports = new Set<DenoTransport>() // every connection until it is closed, to cut at close's deadline

  const accept = async (l: Deno.TcpListener): Promise<void> => {
    try {
      for await (const conn of l) {
        if (closing) {
          conn.close()
          continue
        }
        conn.setNoDelay(true)
        const transport = new DenoTransport(conn, undefined)
        transports.add(transport)
        void transport.gone.then(() => transports.delete(transport))
        pool.admit(transport)
      }
    } catch (e) {
      if (!(e instanceof Deno.errors.BadResource)) reporter(options.onError)(e)
    }
  }

  return {
    config,
    connections: pool.size,
    listen: async (port, host = '127.0.0.1') => {
      const l = Deno.listen({ hostname: host, port })
      listener = l
      void accept(l)
      const addr = l.addr as Deno.NetAddr
      return { address: addr.hostname, family: addr.hostname.includes(':') ? 'IPv6' : 'IPv4', port: addr.port }
    },
    close: async (deadlineMs = 10000) => {
      closing = true
      try {
        listener?.close()
      } catch {
        // closed already
      }
      // the 421 goes out a little before the deadline, so that it can leave before the connections are cut
      const grace = Math.min(1000, Math.floor(deadlineMs / 4))
      const cut = unrefTimeout(() => transports.forEach((t) => t.cut()), deadlineMs)
      await pool.close(deadlineMs - grace)
      await Promise.all([...transports].map((t) => t.gone))
      cut()
    },
  }
}
