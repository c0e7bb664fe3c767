// What happened to the client session: server bytes arrived, the application submitted a message or gave
// a piece of its body, TLS came up, a timer fired, the server went away, or the application wants to stop.
// Inputs are past tense; `ClientInput` is both the union and the object of its constructors.
import type { BodyType, RcptParams } from '../grammar/index.js'
import type { ClientTimer } from './Output.js'

/** A recipient with DSN parameters (RFC 3461 4.1, 4.2). */
export interface ClientRecipient {
  /** The address without angle brackets, e.g. `alice@example.com`. */
  readonly address: string
  readonly params?: RcptParams
}

/** MAIL parameters the application may ask for (RFC 1870, RFC 6152, RFC 3030 3, RFC 6531, RFC 3461, RFC 8689). */
export interface ClientMailParams {
  /** The message size in octets, sent as SIZE= when the server offers SIZE (RFC 1870 6). */
  readonly size?: number
  /** The body type (default 7BIT). 8BITMIME needs 8BITMIME; BINARYMIME needs BINARYMIME and CHUNKING. */
  readonly body?: BodyType
  /**
   * Ask for SMTPUTF8 even with ASCII addresses (for UTF-8 header fields, RFC 6531 3.4). The driver sets it for
   * a whole body whose header fields hold UTF-8 when it is left undefined; `false` keeps that off. An address
   * that is not ASCII asks for SMTPUTF8 whatever this says: it cannot go without it (RFC 6531 3.4).
   */
  readonly smtpUtf8?: boolean
  readonly ret?: 'FULL' | 'HDRS'
  readonly envid?: string
  /** REQUIRETLS (RFC 8689 2): only over TLS, to a server that offers it. */
  readonly requireTls?: boolean
}

/** A message's envelope (RFC 5321 3.3). */
export interface ClientEnvelope {
  /** The sender's address without angle brackets; null is the null reverse-path `<>` (RFC 5321 4.5.5). */
  readonly from: string | null
  readonly to: ReadonlyArray<string | ClientRecipient>
  readonly params?: ClientMailParams
}

/** What happened: one input per call of `clientStep`. */
export type ClientInput =
  /** Bytes from the server. */
  | { readonly _tag: 'Received'; readonly bytes: Uint8Array }
  /** Send a message: allowed only after a `Ready` output, one transaction at a time. */
  | { readonly _tag: 'Submitted'; readonly envelope: ClientEnvelope; readonly id: string | undefined }
  /** The next piece of the body, answering a `BodyWanted`. Kept as a view until sent: do not reuse it. */
  | { readonly _tag: 'BodyChunk'; readonly bytes: Uint8Array }
  /** The body is complete, answering a `BodyWanted`. */
  | { readonly _tag: 'BodyEnd' }
  /** The TLS handshake after a `StartTls` output finished. */
  | { readonly _tag: 'TlsStarted' }
  | { readonly _tag: 'TimerFired'; readonly timer: ClientTimer }
  /** The server closed the connection, or it broke. */
  | { readonly _tag: 'PeerClosed' }
  /** Send QUIT at the next point where the session would be `Ready` (now, if it is). */
  | { readonly _tag: 'QuitRequested' }

const received = (bytes: Uint8Array): ClientInput => ({ _tag: 'Received', bytes })
const submitted = (envelope: ClientEnvelope, id?: string): ClientInput => ({ _tag: 'Submitted', envelope, id })
const bodyChunk = (bytes: Uint8Array): ClientInput => ({ _tag: 'BodyChunk', bytes })
const bodyEnd: ClientInput = { _tag: 'BodyEnd' }
const tlsStarted: ClientInput = { _tag: 'TlsStarted' }
const timerFired = (timer: ClientTimer): ClientInput => ({ _tag: 'TimerFired', timer })
const peerClosed: ClientInput = { _tag: 'PeerClosed' }
const quitRequested: ClientInput = { _tag: 'QuitRequested' }

/**
 * Constructors of client inputs, one lowercase function or value per tag.
 * @example
 * const input = ClientInput.submitted({ from: 'bob@example.org', to: ['alice@example.com'] }, 'msg-1')
 */
export const ClientInput = {
  received,
  submitted,
  bodyChunk,
  bodyEnd,
  tlsStarted,
  timerFired,
  peerClosed,
  quitRequested,
} as const
