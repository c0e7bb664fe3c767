// The Transport for Bun: bytes, pause/resume, TLS upgrade and close on a Bun.listen / Bun.connect
// socket. Bun's write is unbuffered (it returns how much the kernel took), so what it leaves is
// queued here and written on `drain`. STARTTLS follows RFC 3207: once the upgrade starts the plain
// socket is detached, so no plaintext reaches the session.
import type { Socket, SocketHandler, TLSOptions } from 'bun'
import { concat } from '@smtpure/core'
import { READ_PIECE_OCTETS, type TlsInfo, type Transport, type TransportEvents, peerCertificate } from '@smtpure/driver'

/** Octets gathered from one turn's writes past which they are written at once. */
const BATCH_LIMIT = 16 * 1024

/** Each Bun socket carries the transport its events go to. */
export interface Slot {
  transport: BunTransport | undefined
}

/** How this end upgrades: as the TLS server (STARTTLS on a server) or the TLS client. */
export interface BunTlsRole {
  readonly server: boolean
  readonly tls: TLSOptions
}

/** One set of handlers for every socket: Bun calls them with the socket, whose slot names the transport. */
export const bunHandlers: SocketHandler<Slot> = {
  data: (s, d) => s.data?.transport?.onData(d),
  drain: (s) => s.data?.transport?.onDrain(),
  end: (s) => s.data?.transport?.onEnd(),
  close: (s, e) => s.data?.transport?.onClose(e),
  error: (s, e) => s.data?.transport?.onClose(e),
}

/**
 * TLS facts of a Bun TLS socket. The server side (`server`) also reports the SNI name and the client's
 * certificate, presented only when the server asked for one (`requestCert`).
 */
export const bunTlsInfo = (s: Socket<Slot>, server: boolean): TlsInfo => {
  const cipher = s.getCipher()
  const protocol = s.getTLSVersion()
  const servername = server ? s.getServername() : undefined
  const certificate = server ? peerCertificate(s.getPeerX509Certificate?.()) : undefined
  // Bun reports an error for a missing client certificate too: only a presented one has a reason to be refused
  const error = !s.authorized && certificate !== undefined ? s.getAuthorizationError?.() : undefined
  return {
    ...(protocol ? { protocol } : {}),
    ...(cipher ? { cipher: cipher.standardName ?? cipher.name } : {}),
    ...(servername ? { servername } : {}),
    authorized: s.authorized,
    ...(error ? { authorizationError: String((error as Error & { code?: unknown }).code ?? error.message) } : {}),
    ...(certificate !== undefined ? { peerCertificate: certificate } : {}),
  }
}

/**
 * Did a handshake that Bun reports not `ok` fail as TLS, rather than only in verifying the peer's certificate?
 * A client that does not verify (`rejectUnauthorized: false`) goes on after the second, never after the first:
 * a system error (`EPROTO`, `ECONNRESET`: the peer spoke no TLS, or left) or one from the TLS library itself.
 * Bun names a certificate's failure by OpenSSL's verify code (`DEPTH_ZERO_SELF_SIGNED_CERT`, ...).
 */
export const handshakeBroke = (error: Error | null | undefined): boolean => {
  if (error === undefined || error === null) return false
  const code = String((error as Error & { code?: unknown }).code ?? '')
  return /^E[A-Z]+$/.test(code) || /SSL routines|handshake/i.test(error.message)
}

/** How a BunTransport ends its side of the connection. */
export interface BunTransportOptions {
  /**
   * Once the session closes (its last reply written), how long to wait for the peer's FIN before ending
   * this side, in ms; 0 (the default) ends it at once. Bun 1.4 cannot half-close: its FIN (`end()`, or
   * `shutdown()`) also stops reading, so a client still writing (commands pipelined behind QUIT, or sent
   * before it read a 421) gets a reset, and a reset can destroy the last reply before the client reads
   * it. A server waits instead (input meanwhile is dropped), as Node's half-close lets it read and drop.
   */
  readonly lingerMs?: number
}

/**
 * The driver's Transport on one Bun socket. `role` says how STARTTLS upgrades it (none: the server
 * offers no TLS); `tls` is set for a connection that is TLS from the start (implicit TLS).
 * @example
 * const session = startServerSession(new BunTransport(socket, { server: true, tls: { key, cert } }), options)
 */
export class BunTransport implements Transport {
  private events: TransportEvents | undefined
  private early: Uint8Array[] = [] // bytes that came before start()
  private pending: Uint8Array[] = [] // pieces of reads the session has not taken yet: it paused
  private paused = false
  private endPending = false // the peer's FIN came behind pieces still pending
  private batch: Uint8Array[] = [] // small writes of this turn of the event loop, sent as one
  private batched = 0
  private queue: Uint8Array[] = [] // what the kernel did not take yet
  private upgrading = false
  private drained: { promise: Promise<void>; resolve: () => void } | undefined
  private ended = false
  private closing = false
  private cutOff: ReturnType<typeof setTimeout> | undefined // after our FIN, for a peer that never closes
  private lingering: ReturnType<typeof setTimeout> | undefined // before our FIN, for the peer's (lingerMs)
  private peerEnded = false
  private readonly lingerMs: number
  private settleGone!: () => void
  /** Settles once the connection is closed, by either end. */
  readonly gone = new Promise<void>((resolve) => (this.settleGone = resolve))
  readonly remoteAddress: string
  readonly remotePort: number | undefined
  readonly localAddress: string | undefined
  readonly localPort: number | undefined

  constructor(
    private socket: Socket<Slot>,
    private readonly role: BunTlsRole | undefined,
    public tls: TlsInfo | undefined = undefined,
    options: BunTransportOptions = {},
  ) {
    this.lingerMs = options.lingerMs ?? 0
    this.remoteAddress = socket.remoteAddress || 'unknown'
    this.remotePort = socket.remotePort || undefined
    this.localAddress = socket.localAddress || undefined
    this.localPort = socket.localPort || undefined
    socket.data = { transport: this }
  }

  start(events: TransportEvents): void {
    this.events = events
    for (const b of this.early.splice(0)) this.onData(b)
  }

  /** @internal Bun hands each `data` call a fresh buffer, so the driver may keep views of it. */
  onData(bytes: Uint8Array): void {
    if (this.upgrading) return // plaintext after STARTTLS is dropped (RFC 3207 4)
    if (this.closing && this.lingerMs > 0) return // a server's session has ended: input is read and dropped
    if (this.events === undefined) return void this.early.push(bytes)
    // Bun hands a read over whole, up to 512 KiB: the session gets it in pieces it can pause between
    for (let at = 0; at < bytes.length; at += READ_PIECE_OCTETS)
      this.pending.push(bytes.subarray(at, at + READ_PIECE_OCTETS))
    this.deliver()
  }

  /** Hand pending pieces to the session, in order, until it pauses; then the FIN that came behind them. */
  private deliver(): void {
    // each piece leaves the list before the session sees it: a resume from inside `data` goes on in order
    while (!this.paused && !this.ended && this.pending.length > 0) this.events!.data(this.pending.shift()!)
    if (this.endPending && this.pending.length === 0 && !this.ended) {
      this.endPending = false
      this.onEnd()
    }
  }

  /** @internal the peer sent FIN: its replies are still owed (half-close) */
  onEnd(): void {
    this.peerEnded = true
    if (this.lingering !== undefined) return this.endNow() // the wait for it is over
    if (this.closing && this.lingerMs > 0) return // our side ends once the queue is written
    if (this.pending.length > 0) return void (this.endPending = true) // after the input it sent before
    if (this.events?.ended) this.events.ended()
    else this.onClose()
  }

  /** @internal */
  onClose(error?: unknown): void {
    if (this.ended) return
    this.shutDown()
    this.events?.closed(error ?? undefined)
  }

  /** The connection is gone: nothing more is written, and whoever waits for a drain or the end is let go. */
  private shutDown(): void {
    this.ended = true
    clearTimeout(this.cutOff)
    clearTimeout(this.lingering)
    this.queue = []
    this.settleDrain()
    this.settleGone()
  }

  /** Close the connection at once, whatever is still queued and whether or not the peer reads (a server's close deadline). */
  cut(): void {
    this.socket.terminate()
    this.onClose()
  }

  /** @internal the kernel took what was written: write what is queued, in order */
  onDrain(): void {
    while (this.queue.length > 0) {
      const head = this.queue[0]!
      const n = this.socket.write(head)
      if (n < 0) return this.onClose()
      if (n < head.length) {
        this.queue[0] = head.subarray(n)
        return
      }
      this.queue.shift()
    }
    this.settleDrain()
    if (this.closing) this.finish()
  }

  private settleDrain(): void {
    const d = this.drained
    this.drained = undefined
    d?.resolve()
  }

  write(bytes: Uint8Array): true | Promise<void> {
    if (this.ended || this.closing) return true
    if (this.queue.length > 0) {
      this.queue.push(bytes)
      return this.waitDrain()
    }
    // Writes made in one turn (replies to answers that came back together) leave in one write and
    // one segment, as corking does on Node; Bun's write is a system call each time.
    if (this.batch.length === 0) process.nextTick(this.flush)
    this.batch.push(bytes)
    this.batched += bytes.length
    if (this.batched < BATCH_LIMIT) return true
    this.flush() // a big write (message data) goes at once, and waits if the kernel is full
    return this.queue.length > 0 ? this.waitDrain() : true
  }

  private readonly flush = (): void => {
    const batch = this.batch
    this.batch = []
    this.batched = 0
    if (batch.length === 0 || this.ended) return
    const bytes = batch.length === 1 ? batch[0]! : concat(batch)
    const n = this.socket.write(bytes)
    if (n >= 0 && n < bytes.length) this.queue.push(bytes.subarray(n))
  }

  /** One waiter for every blocked write, settled by drain or close. */
  private waitDrain(): Promise<void> {
    if (this.drained === undefined) {
      let resolve!: () => void
      const promise = new Promise<void>((r) => (resolve = r))
      this.drained = { promise, resolve }
    }
    return this.drained.promise
  }

  pause(): void {
    this.paused = true
    this.socket.pause()
  }

  resume(): void {
    this.paused = false
    this.deliver()
    if (!this.paused) this.socket.resume()
  }

  async startTls(): Promise<TlsInfo> {
    const role = this.role
    if (role === undefined) throw new Error('TLS is not configured')
    // from here on nothing read in clear reaches the session (RFC 3207 4); the 220 goes out first
    this.upgrading = true
    this.pending = []
    this.endPending = false
    this.flush()
    if (this.queue.length > 0) await this.waitDrain()
    if (this.ended) throw new Error('connection closed before the TLS handshake')
    const raw = this.socket
    raw.data = { transport: undefined }
    this.upgrading = false // only the TLS socket's events reach this transport now
    return new Promise((resolve, reject) => {
      const slot: Slot = { transport: this }
      const [, upgraded] = raw.upgradeTLS<Slot>({
        data: slot,
        tls: role.tls,
        socket: {
          ...bunHandlers,
          close: (s, e) => {
            reject(e ?? new Error('connection closed during the TLS handshake'))
            s.data?.transport?.onClose(e)
          },
          error: (s, e) => {
            reject(e)
            s.data?.transport?.onClose(e)
          },
          // On the server `ok` is false only for a handshake that failed (the client left, or spoke something
          // else): a client certificate that did not verify still has `ok`, and the application judges it in
          // onSecure. On the client `ok` is also false for a server certificate that did not verify.
          handshake: (s, ok, error) => {
            if (!ok && (role.server || role.tls.rejectUnauthorized !== false || handshakeBroke(error))) {
              // The session hears of the failure from this rejection. Bun runs the close handler within
              // terminate(), so the socket is detached first: told as a lost connection, the failure would come
              // to the session before the rejection and hide it.
              slot.transport = undefined
              this.shutDown()
              reject(
                error ??
                  new Error(role.server ? 'the TLS handshake failed' : 'the server certificate was not verified'),
              )
              s.terminate()
              return
            }
            this.tls = bunTlsInfo(s, role.server)
            resolve(this.tls)
          },
        },
      })
      this.socket = upgraded
      upgraded.data = slot
    })
  }

  close(): void {
    if (this.ended || this.closing) return
    this.flush()
    this.closing = true
    if (this.lingerMs > 0) {
      // the session is over: what it held back is dropped, and reading goes on, so that the peer's FIN is seen
      this.pending = []
      if (this.endPending) this.peerEnded = true
      this.endPending = false
      if (this.paused) {
        this.paused = false
        this.socket.resume()
      }
    }
    if (this.queue.length === 0) this.finish()
  }

  /** Once the queued writes are out: end our side, at once or after the peer's FIN (`lingerMs`). */
  private finish(): void {
    if (this.ended || this.cutOff !== undefined || this.lingering !== undefined) return
    if (this.lingerMs === 0 || this.peerEnded) return this.endNow()
    this.lingering = setTimeout(this.endNow, this.lingerMs)
    this.lingering.unref()
  }

  /** End our side; a peer that never closes its side is cut off after 5 s. */
  private readonly endNow = (): void => {
    clearTimeout(this.lingering)
    // once: a drain after our FIN must not start a second timer (onClose clears only the last one)
    if (this.ended || this.cutOff !== undefined) return
    const socket = this.socket
    // the timer first: end() may close the socket and call onClose, which clears it, before it returns.
    // A timer left pending would keep this transport, and its session, for its 5 s.
    this.cutOff = setTimeout(() => {
      if (!this.ended) socket.terminate()
    }, 5000)
    this.cutOff.unref()
    socket.end()
  }
}
