// An SMTP client on Bun: Bun.connect, plain (STARTTLS later through `socket.upgradeTLS`) or with
// TLS from the first byte (implicit TLS, port 465, RFC 8314 3.3), and a client session on it.
import type { Socket, TLSOptions } from 'bun'
import {
  type ClientSession,
  type ConnectOptions,
  connectConfigOf,
  clientSessionOptionsOf,
  startClientSession,
} from '@smtpure/driver'
import { BunTransport, type Slot, bunHandlers, bunTlsInfo, handshakeBroke } from './BunTransport.ts'
import { bunRuntime } from './runtime.ts'

const isIp = (host: string): boolean => /^[0-9.]+$/.test(host) || host.includes(':')

/**
 * Connect to an SMTP server and start a session; resolves once the TCP (and, for implicit TLS, the
 * TLS) connection is up. Await `session.ready` before sending. Options are those of `@smtpure/node`.
 * @example
 * const session = await connectSmtp({ host: 'mx.example.com', port: 25, smtp: { helo: 'client.example.org' } })
 * await session.ready
 */
export const connectSmtp = async (options: ConnectOptions): Promise<ClientSession> => {
  const config = connectConfigOf(options)
  const servername = options.servername ?? (isIp(options.host) ? undefined : options.host)
  const ca = options.ca === undefined ? undefined : Array.isArray(options.ca) ? [...options.ca] : [options.ca]
  const tls: TLSOptions = {
    // the name (or address) the certificate must match when no servername is given (RFC 3207 4.1)
    serverName: servername ?? options.host,
    ...(ca ? { ca: ca as TLSOptions['ca'] } : {}),
    rejectUnauthorized: options.verify ?? true,
  }
  const implicit = options.security === 'implicit'
  const socket = await new Promise<Socket<Slot>>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`connect timed out: ${options.host}:${options.port}`)),
      options.connectTimeoutMs ?? 30000,
    )
    const done = (s: Socket<Slot>, error?: Error | null): void => {
      clearTimeout(timer)
      if (error) {
        s.terminate()
        reject(error)
      } else resolve(s)
    }
    Bun.connect<Slot>({
      hostname: options.host,
      port: options.port,
      data: { transport: undefined },
      socket: {
        ...bunHandlers,
        ...(implicit
          ? {
              handshake: (s, ok, error) =>
                done(
                  s,
                  ok || (tls.rejectUnauthorized === false && !handshakeBroke(error))
                    ? null
                    : (error ?? new Error('certificate not verified')),
                ),
            }
          : { open: (s) => done(s) }),
        connectError: (_s, error) => {
          clearTimeout(timer)
          reject(error)
        },
      },
      ...(implicit ? { tls } : {}),
    }).catch(reject)
  })
  socket.setNoDelay(true)
  const transport = new BunTransport(socket, { server: false, tls }, implicit ? bunTlsInfo(socket, false) : undefined)
  return startClientSession(transport, {
    config,
    runtime: bunRuntime,
    ...clientSessionOptionsOf(options),
  })
}
