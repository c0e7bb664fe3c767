// An SMTP server on Bun: Bun.listen (with `tls` for implicit TLS, RFC 8314 3.3), one driver session
// per connection, STARTTLS through `socket.upgradeTLS`, a connection limit (421) and a graceful close.
import type { Socket, TCPSocketListener, TLSOptions } from 'bun'
import { OptionsError, type SmtpServer, type SmtpServerOptions, serverConfigOf, sessionPool } from '@smtpure/driver'
import { BunTransport, type Slot, bunHandlers, bunTlsInfo } from './BunTransport.ts'
import { bunRuntime } from './runtime.ts'

/** Bun's TLS options for the certificate. Bun.listen and upgradeTLS take one, so SNI has no place. */
const tlsOptions = (files: NonNullable<SmtpServerOptions['tls']>): TLSOptions => {
  if (files.sni !== undefined && Object.keys(files.sni).length > 0)
    throw new OptionsError('server', ['tls.sni: @smtpure/bun serves one certificate (Bun.listen has no SNI)'])
  const ca = files.ca === undefined ? undefined : Array.isArray(files.ca) ? [...files.ca] : [files.ca]
  return {
    key: files.key,
    cert: files.cert,
    ...(ca ? { ca: ca as TLSOptions['ca'] } : {}),
    // a client certificate is asked for, never required: the application judges it (onSecure)
    ...(files.requestCert === true ? { requestCert: true, rejectUnauthorized: false } : {}),
  }
}

/**
 * Create an SMTP server on Bun. Options and behaviour are those of `@smtpure/node`.
 * @example
 * const server = createSmtpServer({ smtp: { hostname: 'mx.example.com' }, hooks: { onMessage: save } })
 * await server.listen(2525, '127.0.0.1')
 */
export const createSmtpServer = (options: SmtpServerOptions): SmtpServer => {
  const config = serverConfigOf(options)
  const tls = options.tls ? tlsOptions(options.tls) : undefined
  const implicit = options.implicitTls === true && tls !== undefined
  const pool = sessionPool(options, config, bunRuntime)
  let listener: TCPSocketListener<Slot> | undefined

  const open = (socket: Socket<Slot>): void => {
    socket.setNoDelay(true)
    const role = tls && !implicit ? { server: true, tls } : undefined
    pool.admit(new BunTransport(socket, role, implicit ? bunTlsInfo(socket, true) : undefined))
  }

  return {
    config,
    connections: pool.size,
    listen: async (port, host = '127.0.0.1') => {
      listener = Bun.listen<Slot>({
        hostname: host,
        port,
        // a client may half-close after QUIT and still be owed its replies
        allowHalfOpen: true,
        data: { transport: undefined },
        // without a handshake handler, Bun opens a TLS socket once its handshake is done
        socket: { ...bunHandlers, open },
        ...(implicit ? { tls } : {}),
      })
      return { address: listener.hostname, family: host.includes(':') ? 'IPv6' : 'IPv4', port: listener.port }
    },
    close: async (deadlineMs = 10000) => {
      listener?.stop(false)
      await pool.close(deadlineMs)
    },
  }
}
