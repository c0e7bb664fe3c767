// One end of an in-memory connection, as the driver's Transport: the same contract the Node adapter
// keeps. Writes are copied and travel through the network (which decides latency, how they are cut and
// merged, and faults); reading pauses and resumes with real backpressure on the writer; a close sends
// FIN after what was written, and a peer's FIN is `ended` (or `closed` for a driver that cannot take a
// half-close); STARTTLS drops every plaintext octet that was not read before the upgrade (RFC 3207 4).
import { READ_PIECE_OCTETS, type TlsInfo, type Transport, type TransportEvents } from '@smtpure/driver'
import type { Connection } from './MemoryNetwork.js'

/** A piece in flight or waiting to be read: bytes (sent in clear or under TLS), or the sender's FIN. */
export type Piece = { readonly bytes: Uint8Array; readonly tls: boolean } | { readonly fin: true }

/** Octets in flight plus unread at the peer past which `write` asks the writer to wait (Node's default). */
export const HIGH_WATER = 16 * 1024
/** Node destroys a socket whose peer has not closed 5 s after `close` (NodeTransport.close). */
export const LINGER_MS = 5000

export class MemoryTransport implements Transport {
  events: TransportEvents | undefined
  peer!: MemoryTransport
  /** Written and not yet arrived at the peer. */
  readonly outbound: Piece[] = []
  outboundBytes = 0
  /** Arrived and not yet handed to the session (reading paused, or waiting for TLS). */
  readonly inbox: Piece[] = []
  inboxBytes = 0
  /** The most octets this end ever held in its inbox plus its outbound queue (for the boundedness check). */
  maxHeld = 0
  paused = false
  /** Fault: this end never reads again (a peer that stops reading). */
  deaf = false
  tlsMode: 'plain' | 'handshake' | 'tls' = 'plain'
  tls: TlsInfo | undefined
  finSent = false
  finDelivered = false
  finReceived = false
  isClosed = false
  private flushQueued = false
  private drain: { promise: Promise<void>; resolve: () => void } | undefined
  private cancelLinger: (() => void) | undefined
  handshake: { resolve: (i: TlsInfo) => void; reject: (e: Error) => void } | undefined

  constructor(
    readonly conn: Connection,
    /** This end's host name. */
    readonly name: string,
    readonly remoteAddress: string,
    /** Whether this end can do TLS (a server without certificates cannot). */
    readonly canTls: boolean,
    implicitTls: boolean,
    /** Whether this end is the server's (its TLS facts are the server side's). */
    readonly serverSide = false,
    readonly remotePort?: number,
    readonly localAddress?: string,
    readonly localPort?: number,
  ) {
    if (implicitTls) {
      this.tlsMode = 'tls'
      this.tls = conn.network.tlsInfo(serverSide ? name : undefined)
    }
  }

  start(events: TransportEvents): void {
    this.events = events
    this.queueFlush()
  }

  write(bytes: Uint8Array): true | Promise<void> {
    if (this.isClosed || this.finSent) return true
    this.outbound.push({ bytes: bytes.slice(), tls: this.tlsMode === 'tls' })
    this.outboundBytes += bytes.length
    this.maxHeld = Math.max(this.maxHeld, this.outboundBytes + this.peer.inboxBytes)
    this.conn.send(this)
    if (this.outboundBytes + this.peer.inboxBytes <= HIGH_WATER) return true
    if (this.drain === undefined) {
      let resolve!: () => void
      const promise = new Promise<void>((r) => (resolve = r))
      this.drain = { promise, resolve }
    }
    return this.drain.promise
  }

  /** Called when the peer took octets in, or the connection ended: wake a blocked writer. */
  maybeDrained(): void {
    if (this.drain === undefined) return
    if (!this.isClosed && this.outboundBytes + this.peer.inboxBytes > HIGH_WATER / 4) return
    const d = this.drain
    this.drain = undefined
    d.resolve()
  }

  pause(): void {
    this.paused = true
  }

  resume(): void {
    this.paused = false
    this.queueFlush()
  }

  startTls(): Promise<TlsInfo> {
    if (!this.canTls) return Promise.reject(new Error('TLS is not configured'))
    // RFC 3207 4: from here on, nothing that came in clear reaches the session.
    this.tlsMode = 'handshake'
    this.dropPlaintext()
    return new Promise((resolve, reject) => {
      this.handshake = { resolve, reject }
      this.conn.handshake()
    })
  }

  close(): void {
    if (this.isClosed || this.finSent) return
    this.finSent = true
    this.outbound.push({ fin: true })
    this.conn.send(this)
    // a peer that never closes its side must not keep the connection forever
    this.cancelLinger = this.conn.network.scheduler.at(LINGER_MS, () => this.conn.reset(this, 'linger'))
  }

  /** Pieces arrived from the peer. */
  arrive(piece: Piece): void {
    if (this.isClosed) return
    this.inbox.push(piece)
    if ('bytes' in piece) {
      this.inboxBytes += piece.bytes.length
      this.maxHeld = Math.max(this.maxHeld, this.inboxBytes + this.outboundBytes)
    }
    if (this.tlsMode === 'handshake') this.dropPlaintext()
    this.flush()
  }

  /** Hand arrived pieces to the session later in this virtual instant, never from inside a driver call. */
  queueFlush(): void {
    if (this.flushQueued) return
    this.flushQueued = true
    this.conn.network.scheduler.at(0, () => {
      this.flushQueued = false
      this.flush()
    })
  }

  flush(): void {
    while (!this.paused && !this.deaf && !this.isClosed && this.events !== undefined && this.inbox.length > 0) {
      const piece = this.inbox[0]!
      if ('fin' in piece) {
        this.inbox.shift()
        this.receiveFin()
        return
      }
      if (piece.tls !== (this.tlsMode === 'tls')) {
        if (piece.tls) return // TLS octets wait for our side of the handshake
        this.dropPlaintext() // RFC 3207 4: plaintext after the upgrade began is discarded
        continue
      }
      // the network may have merged many writes into one piece: it goes READ_PIECE_OCTETS at a time, so that
      // a pause between two holds the rest
      const bytes = piece.bytes.length > READ_PIECE_OCTETS ? piece.bytes.subarray(0, READ_PIECE_OCTETS) : piece.bytes
      if (bytes === piece.bytes) this.inbox.shift()
      else this.inbox[0] = { bytes: piece.bytes.subarray(READ_PIECE_OCTETS), tls: piece.tls }
      this.inboxBytes -= bytes.length
      this.peer.maybeDrained()
      this.conn.network.trace.record({
        at: this.conn.network.scheduler.now,
        conn: this.conn.id,
        from: this.peer.name,
        to: this.name,
        kind: 'data',
        bytes,
      })
      this.events.data(bytes)
    }
  }

  private dropPlaintext(): void {
    let dropped = 0
    for (let i = 0; i < this.inbox.length; i++) {
      const p = this.inbox[i]!
      if ('bytes' in p && !p.tls) {
        dropped += p.bytes.length
        this.inbox.splice(i--, 1)
      }
    }
    if (dropped === 0) return
    this.inboxBytes -= dropped
    this.conn.network.note(this.conn, this.name, 'tls', `dropped ${dropped} plaintext octets`)
    this.peer.maybeDrained()
  }

  private receiveFin(): void {
    this.finReceived = true
    this.conn.network.trace.record({
      at: this.conn.network.scheduler.now,
      conn: this.conn.id,
      from: this.peer.name,
      to: this.name,
      kind: 'fin',
    })
    if (this.events?.ended) {
      this.events.ended()
      if (this.finDelivered) this.closed()
      return
    }
    // Like a Node socket without allowHalfOpen: the read side ended, so ours ends too.
    this.close()
    this.closed()
  }

  /** The connection is over for this end. */
  closed(error?: unknown): void {
    if (this.isClosed) return
    this.isClosed = true
    this.cancelLinger?.()
    this.handshake?.reject(new Error('connection closed during the TLS handshake'))
    this.handshake = undefined
    this.inbox.length = 0
    this.inboxBytes = 0
    this.maybeDrained()
    this.peer.maybeDrained()
    this.events?.closed(error)
    this.conn.ended()
  }
}
