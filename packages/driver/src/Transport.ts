// The one interface a runtime adapter implements: bytes in and out, reading paused and resumed,
// an upgrade to TLS, closing, and timers. Everything else (the protocol, hooks, backpressure
// between the session and the application) lives in the driver and the core.
import type { ProxyHeader } from '@smtpure/core'

/** What the transport tells the driver. */
export interface TransportEvents {
  /** Bytes arrived. The driver keeps views of them: the adapter must not reuse the buffer. */
  readonly data: (bytes: Uint8Array) => void
  /** The peer closed the connection, or it failed. */
  readonly closed: (error?: unknown) => void
  /**
   * The peer finished sending (read EOF) but can still read: replies owed for what it sent must
   * still be written (a client may half-close after QUIT). Adapters that cannot tell call `closed`.
   */
  readonly ended?: () => void
}

/** Facts about TLS once it is on. */
export interface TlsInfo {
  readonly protocol?: string
  readonly cipher?: string
  /** The server name the client asked for (SNI), on the server side. */
  readonly servername?: string
  readonly authorized?: boolean
}

export interface Transport {
  /** Start delivering events; called once. */
  readonly start: (events: TransportEvents) => void
  /**
   * Write bytes. `true`: taken at once. A promise: the runtime's buffer is full; it settles once
   * there is room again (backpressure), and meanwhile the driver stops reading.
   */
  readonly write: (bytes: Uint8Array) => true | Promise<void>
  readonly pause: () => void
  readonly resume: () => void
  /**
   * Turn the connection into TLS (server side for a server session, client side for a client
   * session). From the call on, no plaintext bytes may be delivered (RFC 3207 4: bytes the peer
   * sent before the handshake are dropped). Resolves when the handshake is done. Bytes delivered
   * after the call are the decrypted stream, even if they come before the promise settles. On the
   * client side the driver pauses reading before the call and resumes it after.
   */
  readonly startTls: () => Promise<TlsInfo>
  /** Close the connection after pending writes. */
  readonly close: () => void
  /** The peer's address, for trace headers. */
  readonly remoteAddress: string
  /** Set when the connection was TLS from the start (implicit TLS). */
  readonly tls: TlsInfo | undefined
  /** The PROXY protocol header a trusted load balancer sent before the session, if any. */
  readonly proxy?: ProxyHeader
}

/** Timers and randomness, which the core never touches. */
export interface Runtime {
  /** Run `fire` after `ms`; returns a function that cancels it. */
  readonly setTimer: (ms: number, fire: () => void) => () => void
  /** A fresh unpredictable token (CRAM-MD5 challenges, message ids). */
  readonly randomToken: () => string
  /** Milliseconds since the epoch and the local zone offset, for trace headers. */
  readonly now: () => { readonly epochMs: number; readonly offsetMinutes: number }
}
