// An SMTP client on Node: connect over node:net (STARTTLS later) or node:tls (implicit TLS, port
// 465, RFC 8314 3.3) and run a client session on it. Options are decoded with io-ts at this edge.
import * as net from 'node:net'
import * as tls from 'node:tls'
import {
  type ClientSession,
  type ConnectOptions as DriverConnectOptions,
  connectConfigOf,
  clientSessionOptionsOf,
  startClientSession,
} from '@smtpure/driver'
import { NodeTransport } from './NodeTransport.js'
import { nodeRuntime } from './runtime.js'

/** What `connectSmtp` takes: the same options on every runtime (`@smtpure/driver`). */
export type ConnectOptions = DriverConnectOptions

/**
 * Connect to an SMTP server and start a session; resolves once the TCP (and, for implicit TLS, the
 * TLS) connection is up. Await `session.ready` before sending.
 * @example
 * const session = await connectSmtp({ host: 'mx.example.com', port: 25, smtp: { helo: 'client.example.org' } })
 * await session.ready
 */
export const connectSmtp = async (options: ConnectOptions): Promise<ClientSession> => {
  const config = connectConfigOf(options)
  const security = options.security ?? 'none'
  const servername = options.servername ?? (net.isIP(options.host) ? undefined : options.host)
  const tlsOptions: tls.ConnectionOptions = {
    // the name (or address) the certificate must match when no servername is given (RFC 3207 4.1)
    host: options.host,
    ...(servername !== undefined ? { servername } : {}),
    ...(options.ca !== undefined ? { ca: options.ca as tls.ConnectionOptions['ca'] } : {}),
    rejectUnauthorized: options.verify ?? true,
  }
  const socket = await new Promise<net.Socket>((resolve, reject) => {
    const s =
      security === 'implicit'
        ? tls.connect({ host: options.host, port: options.port, ...tlsOptions }, () => resolve(s))
        : net.connect({ host: options.host, port: options.port }, () => resolve(s))
    s.once('error', reject)
    s.setTimeout(options.connectTimeoutMs ?? 30000, () =>
      s.destroy(new Error(`connect timed out: ${options.host}:${options.port}`)),
    )
  })
  socket.setTimeout(0)
  socket.setNoDelay(true)
  const transport = new NodeTransport(socket, { server: false, options: tlsOptions })
  return startClientSession(transport, {
    config,
    runtime: nodeRuntime,
    ...clientSessionOptionsOf(options),
  })
}
