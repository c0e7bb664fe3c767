// The Transport for Deno: bytes, pause/resume, client-side STARTTLS and close on a Deno.Conn
// (Deno.listen, Deno.connect, Deno.startTls). Deno's reads and writes are
// promises, so reading is one loop that waits while paused, and writing is one queue drained in
// order. Deno.startTls upgrades only the client side of a connection.
import { concat } from '@smtpure/core'
import { READ_PIECE_OCTETS, type TlsInfo, type Transport, type TransportEvents } from '@smtpure/driver'
import { unrefTimeout } from './runtime.ts'

/** Octets queued for writing past which `write` asks the driver to wait (backpressure). */
const HIGH_WATER = 64 * 1024

/** How the client upgrades with STARTTLS (RFC 3207 4): the name to verify and extra CAs. */
export interface DenoTlsRole {
  readonly hostname: string
  readonly caCerts?: string[]
}

/**
 * The driver's Transport on one Deno connection. `role` lets the client upgrade with STARTTLS
 * (servers with a certificate run on node:tls, see server.ts); `tls` is set for a connection that
 * is TLS from the start (a client that upgraded at once).
 * @example
 * const session = startClientSession(new DenoTransport(await Deno.connect({ port: 25 }), { hostname: 'mx.example.com' }), options)
 */
export class DenoTransport implements Transport {
  private events: TransportEvents | undefined
  private paused = false
  private wake: (() => void) | undefined
  private queue: Uint8Array[] = []
  private queued = 0
  private writing: Promise<void> | undefined
  private drained: { promise: Promise<void>; resolve: () => void } | undefined
  private ended = false
  private eof = false
  private closing = false
  private cutOff: (() => void) | undefined
  private settleGone!: () => void
  /** Settles once the connection is closed, by either end. */
  readonly gone = new Promise<void>((resolve) => (this.settleGone = resolve))
  readonly remoteAddress: string
  readonly remotePort: number | undefined
  readonly localAddress: string | undefined
  readonly localPort: number | undefined

  constructor(
    private conn: Deno.Conn,
    private readonly role: DenoTlsRole | undefined,
    public tls: TlsInfo | undefined = undefined,
  ) {
    const remote = conn.remoteAddr.transport === 'tcp' ? conn.remoteAddr : undefined
    const local = conn.localAddr.transport === 'tcp' ? conn.localAddr : undefined
    this.remoteAddress = remote?.hostname ?? 'unknown'
    this.remotePort = remote?.port
    this.localAddress = local?.hostname
    this.localPort = local?.port
  }

  start(events: TransportEvents): void {
    this.events = events
    void this.read()
  }

  /** The one read loop: waits while paused, so no read is pending when the client upgrades to TLS. */
  private async read(): Promise<void> {
    try {
      for (;;) {
        while (this.paused && !this.ended) await new Promise<void>((resolve) => (this.wake = resolve))
        if (this.ended) return
        const buf = new Uint8Array(READ_PIECE_OCTETS)
        const n = await this.conn.read(buf)
        if (n === null) return this.onEnd()
        // a fresh buffer per read: the driver may keep views of it; small reads are copied out
        this.events?.data(n < 4096 ? buf.slice(0, n) : buf.subarray(0, n))
      }
    } catch (e) {
      this.onClose(e)
    }
  }

  private onEnd(): void {
    this.eof = true
    if (this.closing) this.shut()
    else if (this.events?.ended) this.events.ended()
    else this.onClose()
  }

  private onClose(error?: unknown): void {
    if (this.ended) return
    this.ended = true
    this.cutOff?.()
    this.queue = []
    this.settleDrain()
    this.wake?.()
    try {
      this.conn.close()
    } catch {
      // closed already
    }
    this.settleGone()
    this.events?.closed(error)
  }

  /** Close the connection at once, whatever is still queued and whether or not the peer reads (a server's close deadline). */
  cut(): void {
    this.onClose()
  }

  private settleDrain(): void {
    const d = this.drained
    this.drained = undefined
    d?.resolve()
  }

  write(bytes: Uint8Array): true | Promise<void> {
    if (this.ended || this.closing) return true
    this.queue.push(bytes)
    this.queued += bytes.length
    this.writing ??= this.flush()
    if (this.queued <= HIGH_WATER) return true
    if (this.drained === undefined) {
      let resolve!: () => void
      const promise = new Promise<void>((r) => (resolve = r))
      this.drained = { promise, resolve }
    }
    return this.drained.promise
  }

  /** Write the queue in order; small pieces queued together leave in one write. */
  private async flush(): Promise<void> {
    try {
      while (this.queue.length > 0 && !this.ended) {
        const bytes = this.queue.length === 1 ? this.queue[0]! : concat(this.queue)
        this.queue = []
        for (let off = 0; off < bytes.length;) off += await this.conn.write(bytes.subarray(off))
        this.queued -= bytes.length
        if (this.queued <= HIGH_WATER) this.settleDrain()
      }
    } catch (e) {
      this.onClose(e)
    }
    this.writing = undefined
    if (this.closing && !this.ended) this.shut()
  }

  pause(): void {
    this.paused = true
  }

  resume(): void {
    this.paused = false
    this.wake?.()
  }

  async startTls(): Promise<TlsInfo> {
    const role = this.role
    if (role === undefined) throw new Error('TLS is not configured')
    // the driver paused reading; Deno also needs no write in flight to take the connection over
    while (this.writing) await this.writing
    const upgraded = await Deno.startTls(this.conn as Deno.TcpConn, {
      hostname: role.hostname,
      ...(role.caCerts ? { caCerts: role.caCerts } : {}),
    })
    this.conn = upgraded
    await upgraded.handshake() // rustls verifies the chain and the name, or this throws
    // Deno's handshake reports only the ALPN protocol: no version, cipher or certificate
    this.tls = { authorized: true }
    return this.tls
  }

  close(): void {
    if (this.ended || this.closing) return
    this.closing = true
    if (this.writing === undefined) this.shut()
  }

  /**
   * After the queued writes: send FIN, read on to the peer's end (discarding), then close; a peer
   * that never closes its side is cut off after 5 s.
   */
  private shut(): void {
    if (this.eof) return this.onClose()
    this.conn.closeWrite().catch(() => this.onClose())
    this.resume()
    this.cutOff = unrefTimeout(() => this.onClose(), 5000)
  }
}
