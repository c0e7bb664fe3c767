// An SMTP client on Node: connect over node:net (STARTTLS later) or node:tls (implicit TLS, port
// 465, RFC 8314 3.3) and run a client session on it. Options are decoded with io-ts at this edge.
import * as net from 'node:net'
import * as tls from 'node:tls'
import { clientConfig } from '@smtpure/core'
import { type ClientSession, startClientSession } from '@smtpure/driver'
import { NodeTransport } from './NodeTransport.js'
import { nodeRuntime } from './runtime.js'

export interface ConnectOptions {
  readonly host: string
  readonly port: number
  /** `starttls` requires STARTTLS (no plaintext fallback); `implicit` is TLS from the first byte. */
  readonly security?: 'none' | 'opportunistic' | 'starttls' | 'implicit'
  /** Session options as for `clientConfig` (`helo`, `auth`, `lmtp`, timeouts, ...). */
  readonly smtp?: unknown
  /** Server name for SNI and certificate checks (default: `host`). */
  readonly servername?: string
  /** Extra trusted CA certificates (PEM). */
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer>
  /** Check the server's certificate (default true). */
  readonly verify?: boolean
  /** Give up connecting after this many ms (default 30 s). */
  readonly connectTimeoutMs?: number
  readonly onError?: (error: unknown) => void
}

/**
 * Connect to an SMTP server and start a session; resolves once the TCP (and, for implicit TLS, the
 * TLS) connection is up. Await `session.ready` before sending.
 * @example
 * const session = await connectSmtp({ host: 'mx.example.com', port: 25, smtp: { helo: 'client.example.org' } })
 * await session.ready
 */
// One decoding per `smtp` options object and security mode: a client that opens a connection per message
// should not pay for io-ts on each (the object is read once; change it by passing a new one).
const decodedConfigs = new WeakMap<object, Map<string, ReturnType<typeof clientConfig>>>()
const noOptions = {} // the key for `smtp` left out
const decodedConfig = (smtp: unknown, security: string): ReturnType<typeof clientConfig> => {
  const decode = () =>
    clientConfig({
      helo: 'localhost',
      ...(smtp as object | undefined),
      tls: security === 'starttls' ? 'required' : security === 'opportunistic' ? 'opportunistic' : 'none',
      implicitTls: security === 'implicit',
    })
  const key = smtp === undefined ? noOptions : typeof smtp === 'object' && smtp !== null ? smtp : undefined
  if (key === undefined) return decode() // not an object: decoding says what is wrong
  const bySecurity = decodedConfigs.get(key) ?? new Map<string, ReturnType<typeof clientConfig>>()
  decodedConfigs.set(key, bySecurity)
  const decoded = bySecurity.get(security) ?? decode()
  bySecurity.set(security, decoded)
  return decoded
}

export const connectSmtp = async (options: ConnectOptions): Promise<ClientSession> => {
  const security = options.security ?? 'none'
  const decoded = decodedConfig(options.smtp, security)
  if (decoded._tag === 'Left') throw new Error(`invalid client options:\n${decoded.left.errors.join('\n')}`)
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
    s.setTimeout(options.connectTimeoutMs ?? 30000, () =>
      s.destroy(new Error(`connect timed out: ${options.host}:${options.port}`)),
    )
    s.once('error', reject)
  })
  socket.setTimeout(0)
  socket.setNoDelay(true)
  const transport = new NodeTransport(socket, { server: false, options: tlsOptions })
  return startClientSession(transport, {
    config: decoded.right,
    runtime: nodeRuntime,
    ...(options.onError ? { onError: options.onError } : {}),
  })
}
