// An SMTP server on Deno: Deno.listen for plain SMTP and Deno.listenTls for implicit TLS (RFC 8314
// 3.3), one driver session per connection, a connection limit (421) and a graceful close. Deno
// cannot turn an accepted connection into the TLS server side, so a server that offers STARTTLS
// (RFC 3207) runs on Deno's node:net and node:tls through @smtpure/node.
import { createSmtpServer as createNodeSmtpServer } from '@smtpure/node'
import { OptionsError, type SmtpServer, type SmtpServerOptions, serverConfigOf, sessionPool } from '@smtpure/driver'
import { DenoTransport } from './DenoTransport.ts'
import { denoRuntime } from './runtime.ts'

const pem = (x: string | Uint8Array): string => (typeof x === 'string' ? x : new TextDecoder().decode(x))

/**
 * Create an SMTP server on Deno. Options and behaviour are those of `@smtpure/node`.
 * @example
 * const server = createSmtpServer({ smtp: { hostname: 'mx.example.com' }, hooks: { onMessage: save } })
 * await server.listen(2525, '127.0.0.1')
 */
export const createSmtpServer = (options: SmtpServerOptions): SmtpServer => {
  const files = options.tls
  if (files && !options.implicitTls) return createNodeSmtpServer(options as Parameters<typeof createNodeSmtpServer>[0])
  if (files?.sni !== undefined && Object.keys(files.sni).length > 0)
    throw new OptionsError('server', ['tls.sni: Deno.listenTls serves one certificate (no SNI with implicitTls)'])
  if (files?.requestCert === true)
    throw new OptionsError('server', [
      'tls.requestCert: Deno.listenTls cannot ask for client certificates (STARTTLS, on node:tls, can)',
    ])
  const config = serverConfigOf(options)
  const pool = sessionPool(options, config, denoRuntime)
  let listener: Deno.Listener | undefined

  const accept = async (l: Deno.Listener): Promise<void> => {
    try {
      for await (const conn of l) {
        if (files === undefined) (conn as Deno.TcpConn).setNoDelay(true) // a TlsConn has no such switch
        if (files === undefined) pool.admit(new DenoTransport(conn, undefined))
        else
          // the session starts once TLS is on, so it greets in TLS and knows it (RFC 8314 3.3); Deno's
          // handshake reports no version, cipher or SNI name, and it asks for no client certificate
          (conn as Deno.TlsConn).handshake().then(
            () => pool.admit(new DenoTransport(conn, undefined, { authorized: false })),
            (e: unknown) => {
              options.onError?.(e)
              conn.close()
            },
          )
      }
    } catch (e) {
      if (!(e instanceof Deno.errors.BadResource)) options.onError?.(e)
    }
  }

  return {
    config,
    connections: pool.size,
    listen: async (port, host = '127.0.0.1') => {
      const l =
        files === undefined
          ? Deno.listen({ hostname: host, port })
          : Deno.listenTls({ hostname: host, port, cert: pem(files.cert), key: pem(files.key) })
      listener = l
      void accept(l)
      const addr = l.addr as Deno.NetAddr
      return { address: addr.hostname, family: addr.hostname.includes(':') ? 'IPv6' : 'IPv4', port: addr.port }
    },
    close: async (deadlineMs = 10000) => {
      try {
        listener?.close()
      } catch {
        // closed already
      }
      await pool.close(deadlineMs)
    },
  }
}
