// The Transport for Node: bytes, pause/resume, TLS upgrade and close on a node:net or node:tls
// socket. STARTTLS follows RFC 3207: once the upgrade starts no plaintext is delivered.
import type { Socket } from 'node:net'
// the module's own, not the global: a test's fake timers (vitest, sinon) replace the global and would hold every write
import { setImmediate } from 'node:timers'
import * as tls from 'node:tls'
import { type TlsInfo, type Transport, type TransportEvents, peerCertificate } from '@smtpure/driver'

/** How this end upgrades: as the TLS server (STARTTLS on a server) or the TLS client. */
export type TlsRole =
  | {
      readonly server: true
      readonly secureContext: tls.SecureContext
      readonly SNICallback?: tls.TlsOptions['SNICallback']
      /** Ask the client for a certificate; one that does not verify is still let through (see `authorized`). */
      readonly requestCert?: boolean
    }
  | { readonly server: false; readonly options: tls.ConnectionOptions }

/**
 * TLS facts of a socket whose handshake is done. The server side also reports the client's certificate
 * (presented only when the server asked for one).
 */
export const tlsInfo = (s: tls.TLSSocket, server: boolean): TlsInfo => {
  const cipher = s.getCipher()
  const protocol = s.getProtocol()
  const servername = server ? (s as tls.TLSSocket & { servername?: string | false }).servername : undefined
  const certificate = server ? peerCertificate(s.getPeerX509Certificate?.()) : undefined
  // tls.Server judges a client certificate itself; a TLSSocket made for STARTTLS leaves that to its owner,
  // who asks OpenSSL's verdict as tls.Server does (the handle's verifyError)
  const verdict = s.authorized || certificate === undefined ? undefined : verification(s)
  // on a server, `authorized` speaks of the client's certificate: without one it is false (Deno's tls.Server
  // says true when none was asked for)
  const presented = !server || certificate !== undefined
  const authorized = presented && (s.authorized || (verdict !== undefined && verdict.error === undefined))
  const error: unknown = s.authorizationError ?? verdict?.error
  return {
    ...(protocol ? { protocol } : {}),
    ...(cipher ? { cipher: cipher.standardName ?? cipher.name } : {}),
    ...(servername ? { servername } : {}),
    authorized,
    ...(!authorized && error ? { authorizationError: errorCode(error) } : {}),
    ...(certificate !== undefined ? { peerCertificate: certificate } : {}),
  }
}

/**
 * OpenSSL's verdict on the peer's certificate, from the handle as tls.Server reads it: `error` unset when it
 * verified (Node says null, Deno's node:tls an empty value); undefined when the handle cannot be asked.
 */
const verification = (s: tls.TLSSocket): { error?: unknown } | undefined => {
  const handle = (s as tls.TLSSocket & { _handle?: { verifyError?: () => unknown } })._handle
  if (typeof handle?.verifyError !== 'function') return undefined
  const error = handle.verifyError()
  return error ? { error } : {}
}

const errorCode = (e: unknown): string =>
  e instanceof Error ? String((e as Error & { code?: unknown }).code ?? e.message) : String(e)

/**
 * Transports whose writes of this turn of the event loop are held (corked), and one task that lets them all go.
 * With several connections open that task runs once the turn's input has been read, after every socket with
 * input was served (`setImmediate`: the check phase that follows the poll). A peer that keeps many connections
 * (a load generator, an MTA's queue runner) then gets its replies in one burst and is woken once for them, not
 * once per reply; waking a peer costs its host a context switch and, between cores, an interrupt. A write made
 * in a timer's callback (the 421 of an idle deadline) waits so for the input callbacks of the same loop
 * iteration, no longer. With one connection there is nothing to gather, and the writes go once the current
 * callbacks and promise jobs are done (`process.nextTick`), a little sooner and without the check phase's cost.
 */
const held: NodeTransport[] = []
let flushing = false
/** Transports started and not yet closed. */
let live = 0
const flushHeld = (): void => {
  let failure: unknown
  // read to its end: a transport that writes while the others flush (from a 'drain' callback) goes too; one that
  // throws (Node reports write errors as events, so none should) leaves none of the others corked
  for (let i = 0; i < held.length; i++) {
    try {
      held[i]!.flush()
    } catch (e) {
      failure ??= e
    }
  }
  held.length = 0
  flushing = false
  if (failure !== undefined) throw failure
}

export class NodeTransport implements Transport {
  private events: TransportEvents | undefined
  private ended = false
  /** The socket corked for the writes of this turn (not `socket` once a TLS upgrade replaced it). */
  private corked: Socket | undefined
  private drained: Promise<void> | undefined
  tls: TlsInfo | undefined
  readonly remoteAddress: string
  readonly remotePort: number | undefined
  readonly localAddress: string | undefined
  readonly localPort: number | undefined

  constructor(
    private socket: Socket,
    private readonly role: TlsRole | undefined,
  ) {
    this.remoteAddress = socket.remoteAddress ?? 'unknown'
    this.remotePort = socket.remotePort
    this.localAddress = socket.localAddress
    this.localPort = socket.localPort
    if (socket instanceof tls.TLSSocket && socket.encrypted) this.tls = tlsInfo(socket, role?.server !== false)
  }

  start(events: TransportEvents): void {
    this.events = events
    live += 1
    this.attach(this.socket)
  }

  private readonly onData = (d: Buffer): void => this.events?.data(new Uint8Array(d.buffer, d.byteOffset, d.length))
  private readonly onClose = (): void => this.end()
  private readonly onEnd = (): void => {
    if (this.events?.ended) this.events.ended()
    else this.end()
  }
  private readonly onError = (e: Error): void => this.end(e)

  private attach(s: Socket): void {
    s.on('data', this.onData)
    s.on('end', this.onEnd)
    s.on('close', this.onClose)
    s.on('error', this.onError)
  }

  private detach(s: Socket): void {
    s.off('data', this.onData)
    s.off('end', this.onEnd)
    s.off('close', this.onClose)
    s.off('error', this.onError)
  }

  private end(e?: unknown): void {
    if (this.ended) return
    this.ended = true
    live -= 1
    this.events?.closed(e)
  }

  write(bytes: Uint8Array): true | Promise<void> {
    if (this.ended || this.socket.destroyed) return true
    const socket = this.socket
    // Writes made in one turn of the event loop (replies to answers that came back together) leave in one
    // segment, and every connection's leave together at the end of the turn (see `held`).
    if (this.corked === undefined) {
      this.corked = socket
      socket.cork()
      held.push(this)
      if (!flushing) {
        flushing = true
        if (live > 1) setImmediate(flushHeld)
        else process.nextTick(flushHeld)
      }
    }
    if (socket.write(bytes)) return true
    // past the high-water mark: one waiter for all blocked writes, settled by drain or close
    this.drained ??= new Promise<void>((resolve) => {
      const done = (): void => {
        socket.off('drain', done)
        socket.off('close', done)
        this.drained = undefined
        resolve()
      }
      socket.on('drain', done)
      socket.on('close', done)
    })
    return this.drained
  }

  /** Let the writes held in this turn go now. */
  flush(): void {
    const socket = this.corked
    if (socket === undefined) return
    this.corked = undefined
    socket.uncork()
  }

  pause(): void {
    this.socket.pause()
  }

  resume(): void {
    this.socket.resume()
  }

  startTls(): Promise<TlsInfo> {
    const role = this.role
    if (role === undefined) return Promise.reject(new Error('TLS is not configured'))
    const raw = this.socket
    // The reply that began the upgrade (the 220 to STARTTLS) goes out in clear before the handshake takes the socket.
    this.flush()
    // From here on nothing read in clear reaches the session (RFC 3207 4).
    this.detach(raw)
    raw.pause()
    return new Promise((resolve, reject) => {
      const upgraded = role.server
        ? new tls.TLSSocket(raw, {
            isServer: true,
            secureContext: role.secureContext,
            ...(role.SNICallback ? { SNICallback: role.SNICallback } : {}),
            // the application judges the client's certificate (onSecure), so none is refused here
            ...(role.requestCert ? { requestCert: true, rejectUnauthorized: false } : {}),
          })
        : tls.connect({ ...role.options, socket: raw })
      const failed = (e: Error): void => {
        this.socket = upgraded
        this.attach(upgraded)
        reject(e)
      }
      // A peer that closes its side before the handshake is done can never finish it. On a half-open socket
      // (the server's) Node reports that FIN only as 'end', with no 'error' or 'close': fail the handshake
      // now rather than keep the session until its idle deadline.
      const cut = (): void => void upgraded.destroy(new Error('connection closed during the TLS handshake'))
      upgraded.once('error', failed)
      upgraded.once('end', cut)
      upgraded.once(role.server ? 'secure' : 'secureConnect', () => {
        upgraded.off('error', failed)
        upgraded.off('end', cut)
        this.socket = upgraded
        this.tls = tlsInfo(upgraded, role.server)
        this.attach(upgraded)
        resolve(this.tls)
      })
    })
  }

  close(): void {
    if (this.socket.destroyed) return
    const socket = this.socket
    this.flush()
    socket.end()
    // reading goes on, its input dropped by the session that ended, so that the peer's FIN is seen and the close
    // is not a reset for unread input (a session can end while reading is paused: a 421 behind held input)
    if (socket.isPaused()) socket.resume()
    // a peer that never closes its side must not keep the socket forever; a peer that does must not leave
    // the timer holding the socket (and its session) for 5 s after it is gone
    const cut = setTimeout(() => socket.destroy(), 5000).unref()
    socket.once('close', () => clearTimeout(cut))
  }
}
