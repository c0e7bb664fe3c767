// An SMTP server on Node: node:net (or node:tls for implicit TLS, RFC 8314), one driver session
// per connection, STARTTLS with SNI, a connection limit (421) and a graceful shutdown.
import * as net from 'node:net'
import * as tls from 'node:tls'
import { type ProxyHeader, type ServerConfig, formatReply } from '@smtpure/core'
import {
  ConnectionGate,
  type SmtpServerOptions as DriverServerOptions,
  type ServerSession,
  type TlsFiles as DriverTlsFiles,
  defaultConnectionLimits,
  hooksOf,
  loggedTransport,
  optionKeys,
  reporter,
  serverConfigOf,
  serverOptionKeys,
  startServerSession,
} from '@smtpure/driver'
import { NodeTransport } from './NodeTransport.js'
import { type ProxyOptions, proxiedTransport, readProxyHeader, trustedSources, upgradeImplicitTls } from './proxy.js'
import { nodeRuntime } from './runtime.js'

/** PEM text or octets as node:tls takes them. */
const pem = (v: string | Uint8Array): string | Buffer =>
  typeof v === 'string' || Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.length)

/** Certificate chain and key, PEM (a Buffer is a Uint8Array); the same as on every runtime. */
export type TlsFiles = DriverTlsFiles

/** The options every runtime's server takes (`@smtpure/driver`), and what only Node's has: PROXY and XCLIENT. */
export interface SmtpServerOptions extends DriverServerOptions {
  /**
   * Sit behind a load balancer that speaks the PROXY protocol (versions 1 and 2): connections from
   * `proxy.trusted` must open with a header, whose client address hooks then see and `Received` shows;
   * a header from any other source gets 554 and the connection is closed (with `implicitTls`, where the header
   * comes before the handshake, it is dropped without a reply).
   */
  readonly proxy?: ProxyOptions
  /**
   * Offer XCLIENT (Postfix's XCLIENT_README) to clients from these addresses or CIDR blocks (the address
   * after any PROXY header): front ends such as proxies that pass on who the real client is.
   */
  readonly xclient?: { readonly trusted: ReadonlyArray<string> }
}

/** Every key Node's `createSmtpServer` takes: every runtime's, and `proxy` and `xclient`. */
const nodeOptionKeys = {
  ...serverOptionKeys,
  proxy: optionKeys({ trusted: true, timeoutMs: true, maxHeaderBytes: true } satisfies Record<
    keyof ProxyOptions,
    true
  >),
  xclient: optionKeys({ trusted: true } satisfies Record<keyof NonNullable<SmtpServerOptions['xclient']>, true>),
} satisfies Record<keyof SmtpServerOptions, unknown>

export interface SmtpServer {
  readonly listen: (port: number, host?: string) => Promise<net.AddressInfo>
  /**
   * Stop accepting and let transactions finish; shortly before `deadlineMs` (ms) the rest get 421, and at it
   * every connection still open is cut, so the promise settles by the deadline.
   */
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
  const config = serverConfigOf(options, { table: nodeOptionKeys })
  const files = options.tls
  const hooks = hooksOf(options)
  const onError = reporter(options.onError) // an onError that throws or rejects must not take the server down
  // the CAs that verify client certificates go into every context, the SNI ones too
  const ca = files?.ca === undefined ? {} : { ca: (Array.isArray(files.ca) ? files.ca : [files.ca]).map(pem) }
  const context = files ? tls.createSecureContext({ key: pem(files.key), cert: pem(files.cert), ...ca }) : undefined
  const sniContexts = new Map(
    Object.entries(files?.sni ?? {}).map(([name, f]) => [
      name.toLowerCase(),
      tls.createSecureContext({ key: pem(f.key), cert: pem(f.cert), ...ca }),
    ]),
  )
  // a client certificate is asked for, never required: onSecure judges it
  const requestCert = files?.requestCert === true ? { requestCert: true, rejectUnauthorized: false } : {}
  const SNICallback = (name: string, cb: (e: Error | null, ctx?: tls.SecureContext) => void): void =>
    cb(null, sniContexts.get(name.toLowerCase()) ?? context)
  const proxy = options.proxy
  const handshakeMs = options.tlsHandshakeTimeoutMs ?? 10000
  // The PROXY header comes before the TLS handshake, so with implicit TLS the server reads it in clear first.
  const proxiedTls = proxy !== undefined && options.implicitTls === true && context !== undefined
  const isTrusted = proxy ? trustedSources(proxy.trusted) : () => false
  const mayXclient = options.xclient ? trustedSources(options.xclient.trusted, 'xclient.trusted') : () => false
  let closing = false
  const sessions = new Set<ServerSession>()
  const sockets = new Set<net.Socket>()
  const gate = new ConnectionGate(
    {
      maxConnections: options.maxConnections ?? defaultConnectionLimits.maxConnections,
      maxConnectionsPerAddress: options.maxConnectionsPerAddress ?? defaultConnectionLimits.maxConnectionsPerAddress,
      limitLoopback: options.limitLoopback ?? defaultConnectionLimits.limitLoopback,
    },
    config.hostname,
  )

  const implicit = options.implicitTls === true && context !== undefined
  const tlsServer = implicit && !proxiedTls

  /**
   * A connection counts toward the caps from the moment it is accepted, with implicit TLS through its handshake
   * (up to `tlsHandshakeTimeoutMs`), so connections that never finish one cannot pile up uncounted. One past the
   * caps gets 421 and is closed (RFC 5321 3.8); with implicit TLS the wire belongs to TLS, and its 421 could only
   * go after a handshake the server would make for nothing, so it is closed at once. True when admitted.
   */
  const admit = (raw: net.Socket): boolean => {
    const admission = gate.admit(raw.remoteAddress ?? '')
    if (admission._tag === 'Admitted') {
      raw.once('close', admission.release)
      return true
    }
    if (implicit) raw.destroy()
    else raw.end(formatReply(admission.reply, false), () => raw.destroy())
    return false
  }

  const onSocket = (socket: net.Socket): void => {
    // a handshake that finishes once close() began gets no session: close() no longer waits for new ones
    if (closing) return void socket.destroy()
    socket.setNoDelay(true)
    socket.on('error', () => undefined) // the session hears of it through the transport
    const role = context
      ? { server: true as const, secureContext: context, SNICallback, requestCert: files?.requestCert === true }
      : undefined
    const peer = socket.remoteAddress ?? 'unknown'
    const start = (
      remoteAddress: string | undefined,
      s: net.Socket = socket,
      checked = false,
      header?: ProxyHeader,
    ): void => {
      const base = new NodeTransport(s, role)
      const transport = proxy
        ? proxiedTransport(
            base,
            remoteAddress ?? peer,
            header,
            remoteAddress === undefined && !checked
              ? {
                  ...(proxy.maxHeaderBytes !== undefined ? { maxHeaderBytes: proxy.maxHeaderBytes } : {}),
                  onForged: (why) => onError(new Error(`PROXY from untrusted ${peer} refused: ${why}`)),
                }
              : undefined,
          )
        : base
      const logged = loggedTransport(options, transport, nodeRuntime)
      const session = startServerSession(logged.transport, {
        config,
        id: logged.id,
        ...(mayXclient(transport.remoteAddress) ? { xclient: true } : {}),
        hooks,
        runtime: nodeRuntime,
        onError,
        ...(options.hookTimeoutMs !== undefined ? { hookTimeoutMs: options.hookTimeoutMs } : {}),
      })
      sessions.add(session)
      void session.done.then(() => sessions.delete(session))
    }
    const trusted = proxy !== undefined && isTrusted(peer)
    if (proxy === undefined || (!trusted && !proxiedTls)) return start(undefined)
    // A trusted balancer speaks first: the header, then the client's SMTP (PROXY protocol 2.1, 2.2).
    // With implicit TLS every source is read in clear first: a header from an untrusted one is refused.
    const read = trusted
      ? readProxyHeader(socket, proxy)
      : readProxyHeader(socket, { ...proxy, timeoutMs: handshakeMs }, false)
    void read.then(async (outcome) => {
      if (outcome._tag === 'Refused' || closing) {
        if (outcome._tag === 'Refused')
          onError(new Error(`PROXY from ${trusted ? '' : 'untrusted '}${peer}: ${outcome.reason}`))
        socket.destroy() // the specification says to abort, with no reply
        return
      }
      const clientAddress = outcome._tag === 'Header' ? outcome.clientAddress : undefined
      const header = outcome._tag === 'Header' ? outcome.header : undefined
      if (!proxiedTls) return start(clientAddress, socket, false, header)
      const secure = await upgradeImplicitTls(
        socket,
        { secureContext: context!, SNICallback, ...requestCert },
        handshakeMs,
      )
      if (secure === undefined || closing) return void socket.destroy()
      start(clientAddress ?? peer, secure, true, header)
    })
  }

  const server = tlsServer
    ? // key and cert here are the default for clients that send no SNI (any client that connects by address)
      tls.createServer(
        {
          key: pem(files!.key),
          cert: pem(files!.cert),
          ...ca,
          ...requestCert,
          SNICallback,
          handshakeTimeout: handshakeMs,
        },
        onSocket,
      )
    : // a client may half-close after QUIT and still be owed its replies
      net.createServer({ allowHalfOpen: true })
  server.on('error', (e) => onError(e))
  // Every connection from its first byte (before a TLS handshake or a PROXY header too): counted, and kept to
  // cut at close's deadline. Without a TLS server it starts here; a TLS server starts it after the handshake.
  server.on('connection', (raw: net.Socket) => {
    sockets.add(raw)
    raw.once('close', () => sockets.delete(raw))
    raw.on('error', () => undefined)
    if (admit(raw) && !tlsServer) onSocket(raw)
  })
  // A handshake that fails or runs past tlsHandshakeTimeoutMs is a client's trouble: drop the connection
  // (Node reports it here but leaves the socket open).
  server.on('tlsClientError', (_e: Error, socket: tls.TLSSocket) => socket.destroy())

  return {
    config,
    connections: () => gate.size,
    listen: (port, host = '127.0.0.1') =>
      new Promise((resolve, reject) => {
        server.once('error', reject)
        server.listen(port, host, () => {
          server.off('error', reject)
          resolve(server.address() as net.AddressInfo)
        })
      }),
    close: async (deadlineMs = 10000) => {
      closing = true
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      for (const s of sessions) s.stop()
      // the 421 goes out a little before the deadline, so that it can leave before the connections are cut
      const grace = Math.min(1000, Math.floor(deadlineMs / 4))
      const last = setTimeout(() => {
        for (const s of sessions) s.stop(true)
      }, deadlineMs - grace)
      const cut = setTimeout(() => {
        for (const socket of sockets) socket.destroy()
      }, deadlineMs)
      await Promise.all([...sessions].map((s) => s.done))
      await closed
      // the server counts a socket gone when it is destroyed; its 'close' (which frees its slot) comes after
      await Promise.all([...sockets].map((socket) => new Promise((resolve) => socket.once('close', resolve))))
      clearTimeout(last)
      clearTimeout(cut)
    },
  }
}
