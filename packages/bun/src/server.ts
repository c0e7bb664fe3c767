// An SMTP server on Bun: Bun.listen (with `tls` for implicit TLS, RFC 8314 3.3), one driver session
// per connection, STARTTLS through `socket.upgradeTLS`, a connection limit (421) and a graceful close.
import type { Socket, SocketHandler, TCPSocketListener, TLSOptions } from 'bun'
import {
  type Admitted,
  OptionsError,
  type SmtpServer,
  type SmtpServerOptions,
  serverConfigOf,
  sessionPool,
} from '@smtpure/driver'
import { BunTransport, type Slot, bunHandlers, bunTlsInfo } from './BunTransport.ts'
import { bunRuntime } from './runtime.ts'

/**
 * How long a closed session waits for its client's FIN before sending its own (see `lingerMs`): longer than
 * the round trip that brings input the client sent before it read the last reply. A client that closes once
 * it read the 221 (nearly all do) ends the wait at once.
 */
const LINGER_MS = 1000

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

/** An implicit-TLS connection in its handshake: its slot, and how it ends (`admitted`: a session took the slot). */
interface Handshake {
  readonly over: Promise<void>
  readonly end: (admitted: boolean) => void
  readonly slot: Admitted
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
  const handshakeMs = options.tlsHandshakeTimeoutMs ?? 10000
  const pool = sessionPool(options, config, bunRuntime)
  let listener: TCPSocketListener<Slot> | undefined
  let closing = false
  // Every connection until it is closed, to cut at close's deadline: those with a session, and (implicit TLS)
  // those still in their handshake, each with the end of its handshake deadline.
  const transports = new Set<BunTransport>()
  const handshaking = new Map<Socket<Slot>, Handshake>()

  const admit = (socket: Socket<Slot>, held?: Admitted): void => {
    if (closing) {
      held?.release()
      return socket.terminate()
    }
    const role = tls && !implicit ? { server: true, tls } : undefined
    const transport = new BunTransport(socket, role, implicit ? bunTlsInfo(socket, true) : undefined, {
      lingerMs: LINGER_MS,
    })
    transports.add(transport)
    void transport.gone.then(() => transports.delete(transport))
    pool.admit(transport, held)
  }

  /**
   * Implicit TLS: the connection counts toward the caps from its first byte, through its handshake, so those that
   * never finish one cannot pile up uncounted; one past the caps is closed at once (its 421 could only go after a
   * handshake made for nothing). It has `tlsHandshakeTimeoutMs` to finish its handshake, or it is dropped.
   */
  const awaitHandshake = (socket: Socket<Slot>): void => {
    const slot = pool.hold(socket.remoteAddress || 'unknown')
    if (slot._tag === 'Refused') return void socket.terminate()
    let end!: (admitted: boolean) => void
    const over = new Promise<void>((resolve) => {
      const cancel = bunRuntime.setTimer(handshakeMs, () => socket.terminate())
      end = (admitted) => {
        cancel()
        handshaking.delete(socket)
        if (!admitted) slot.release() // a session releases it when it ends
        resolve()
      }
    })
    handshaking.set(socket, { over, end, slot })
  }

  const open = (socket: Socket<Slot>): void => {
    socket.setNoDelay(true)
    if (implicit) awaitHandshake(socket)
    else admit(socket)
  }

  const handlers: SocketHandler<Slot> = {
    ...bunHandlers,
    open,
    ...(implicit
      ? {
          // with this handler Bun opens the socket at once (so the deadline starts at the first byte), and
          // calls it when the handshake is over; `ok` is false only for a handshake that failed (a client
          // certificate that did not verify still has `ok`: the application judges it, in onSecure)
          handshake: (socket: Socket<Slot>, ok: boolean) => {
            const h = handshaking.get(socket)
            if (h === undefined) return void socket.terminate() // refused at the caps, or past its deadline
            h.end(ok)
            if (ok) admit(socket, h.slot)
            else socket.terminate()
          },
          close: (socket: Socket<Slot>, error?: Error) => {
            handshaking.get(socket)?.end(false)
            bunHandlers.close?.(socket, error)
          },
          error: (socket: Socket<Slot>, error: Error) => {
            handshaking.get(socket)?.end(false)
            bunHandlers.error?.(socket, error)
          },
        }
      : {}),
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
        socket: handlers,
        ...(implicit ? { tls } : {}),
      })
      return { address: listener.hostname, family: host.includes(':') ? 'IPv6' : 'IPv4', port: listener.port }
    },
    close: async (deadlineMs = 10000) => {
      closing = true
      listener?.stop(false)
      // the 421 goes out a little before the deadline, so that it can leave before the connections are cut
      const grace = Math.min(1000, Math.floor(deadlineMs / 4))
      const cut = bunRuntime.setTimer(deadlineMs, () => {
        listener?.stop(true)
        for (const t of transports) t.cut()
        for (const socket of handshaking.keys()) socket.terminate()
      })
      await pool.close(deadlineMs - grace)
      await Promise.all([...[...transports].map((t) => t.gone), ...[...handshaking.values()].map((h) => h.over)])
      cut()
    },
  }
}
