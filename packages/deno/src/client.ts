// An SMTP client on Deno: Deno.connect, then Deno.startTls for STARTTLS (RFC 3207) or at once for
// implicit TLS (RFC 8314 3.3), and a client session on it. rustls verifies every certificate.
import {
  type ClientSession,
  type ConnectOptions,
  OptionsError,
  connectConfigOf,
  clientSessionOptionsOf,
  startClientSession,
} from '@smtpure/driver'
import { DenoTransport } from './DenoTransport.ts'
import { denoRuntime, unrefTimeout } from './runtime.ts'

const pem = (x: string | Uint8Array): string => (typeof x === 'string' ? x : new TextDecoder().decode(x))

/**
 * Connect to an SMTP server and start a session; resolves once the TCP (and, for implicit TLS, the
 * TLS) connection is up. Await `session.ready` before sending. Options are those of `@smtpure/node`,
 * except that `verify: false` is refused: Deno's TLS has no switch to skip the check per connection.
 * @example
 * const session = await connectSmtp({ host: 'mx.example.com', port: 25, smtp: { helo: 'client.example.org' } })
 * await session.ready
 */
export const connectSmtp = async (options: ConnectOptions): Promise<ClientSession> => {
  const config = connectConfigOf(options)
  if (options.verify === false)
    throw new OptionsError('client', [
      'verify: false is not available on Deno (run deno with --unsafely-ignore-certificate-errors=HOST)',
    ])
  const ca = options.ca === undefined ? undefined : Array.isArray(options.ca) ? options.ca : [options.ca]
  // the name (or address) the certificate must match (RFC 3207 4.1)
  const role = { hostname: options.servername ?? options.host, ...(ca ? { caCerts: ca.map(pem) } : {}) }
  const timeoutMs = options.connectTimeoutMs ?? 30000
  let cancel = (): void => undefined
  const timeout = new Promise<never>((_, reject) => {
    cancel = unrefTimeout(() => reject(new Error(`connect timed out: ${options.host}:${options.port}`)), timeoutMs)
  })
  const connecting = Deno.connect({ hostname: options.host, port: options.port })
  try {
    const conn = await Promise.race([connecting, timeout])
    conn.setNoDelay(true)
    const transport = new DenoTransport(conn, role)
    if (options.security === 'implicit') await Promise.race([transport.startTls(), timeout])
    return startClientSession(transport, {
      config,
      runtime: denoRuntime,
      ...clientSessionOptionsOf(options),
    })
  } catch (e) {
    void connecting.then((c) => c.close()).catch(() => undefined)
    throw e
  } finally {
    cancel()
  }
}
