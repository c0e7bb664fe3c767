// The one interface a runtime adapter implements: bytes in and out, reading paused and resumed,
// an upgrade to TLS, closing, and timers. Everything else (the protocol, hooks, backpressure
// between the session and the application) lives in the driver and the core.
import type { ProxyHeader } from '@smtpure/core'

/** What the transport tells the driver. */
/**
 * The most octets an adapter hands to `data` at once (32 KiB). The session asks the adapter to pause once it
 * holds more input than it can act on (the core's `maxHeldBytes`, 64 KiB by default), and closes with 421 when
 * input goes on arriving after that, past twice the limit. It can only pause between two `data` calls, so an
 * adapter whose runtime reads more at a time (Bun, up to 512 KiB) hands a read over in pieces of this size,
 * and one that chooses its reads reads this much (Deno): what a session holds stays near its limit.
 */
export const READ_PIECE_OCTETS = 32 * 1024

export interface TransportEvents {
  /** Bytes arrived. The driver keeps views of them: the adapter must not reuse the buffer. */
  readonly data: (bytes: Uint8Array) => void
  /**
   * The peer closed the connection, or it failed. `refusal` is for a transport that refuses the
   * connection on what the peer sent, such as the PROXY check of an untrusted source's first octets
   * (after the greeting): a reply line without CRLF (`554 5.7.1 ...`). The session writes it,
   * closes the connection and ends as one the server closed with that reply; the transport passes
   * nothing more on.
   */
  readonly closed: (error?: unknown, refusal?: string) => void
  /**
   * The peer finished sending (read EOF) but can still read: replies owed for what it sent must
   * still be written (a client may half-close after QUIT). Adapters that cannot tell call `closed`.
   */
  readonly ended?: () => void
}

/**
 * The certificate the peer presented in the TLS handshake, in a shape every runtime can give: the DER
 * octets, and the fields the runtime decoded from them (undefined where it decodes none).
 */
export interface PeerCertificate {
  /** The certificate itself, DER (X.509, RFC 5280); parse it with any X.509 library for more. */
  readonly der: Uint8Array
  /** The subject's distinguished name, one `KEY=value` attribute per line (`CN=alice`), as OpenSSL prints it. */
  readonly subject?: string
  /** The issuer's distinguished name, in the same form. */
  readonly issuer?: string
  /** SHA-256 of `der`, upper-case hex octets joined by `:` (`AB:CD:...`). */
  readonly fingerprint256?: string
  /** The serial number, upper-case hex. */
  readonly serialNumber?: string
  /** The end of its validity, as the runtime prints it (`Nov 30 19:00:00 2026 GMT`). */
  readonly validTo?: string
}

/** The fields of an X509Certificate (node:crypto's, which Bun and Deno's node:tls give too) that `PeerCertificate` takes. */
export interface X509Like {
  readonly raw: Uint8Array
  readonly subject: string
  readonly issuer: string
  readonly fingerprint256: string
  readonly serialNumber: string
  readonly validTo: string
}

/** A peer's certificate in the driver's shape; undefined (or null) when none was presented. Adapters share it. */
export const peerCertificate = (x: X509Like | null | undefined): PeerCertificate | undefined =>
  x === undefined || x === null
    ? undefined
    : {
        der: new Uint8Array(x.raw.buffer, x.raw.byteOffset, x.raw.byteLength),
        subject: x.subject,
        issuer: x.issuer,
        fingerprint256: x.fingerprint256,
        serialNumber: x.serialNumber,
        validTo: x.validTo,
      }

/**
 * Facts about TLS once it is on. Each field is undefined where the runtime cannot tell it (see the
 * adapter's guide: Deno's native TLS reports none of them).
 */
export interface TlsInfo {
  /** The protocol version, such as `TLSv1.3`. */
  readonly protocol?: string
  /** The cipher suite's standard (IANA) name, such as `TLS_AES_256_GCM_SHA384`. */
  readonly cipher?: string
  /** The server name the client asked for (SNI, RFC 6066 3), on the server side. */
  readonly servername?: string
  /**
   * Whether the peer's certificate was verified against the trusted CAs: the server's certificate on the
   * client side; on the server side the client's, so false when the client presented none.
   */
  readonly authorized?: boolean
  /** Why the peer's certificate was not verified (`unable to verify the first certificate`), when it was not. */
  readonly authorizationError?: string
  /**
   * The peer's certificate, when it presented one: on the server side a client certificate, which clients
   * present only when the server asks for it (`tls.requestCert`).
   */
  readonly peerCertificate?: PeerCertificate
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
  /** The peer's port, where the runtime reports it. */
  readonly remotePort?: number | undefined
  /** The address of this end of the connection (the one the peer connected to), where the runtime reports it. */
  readonly localAddress?: string | undefined
  /** The port of this end, where the runtime reports it. */
  readonly localPort?: number | undefined
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
