// What the client session asks its driver and application to do or know: bytes to send, TLS to start,
// timers, body pieces wanted, per-recipient and per-message results (RFC 5321 4.2.1, 6.1; RFC 2033 4.2)
// and typed errors. Outputs are imperative or plain facts; each tag has a lowercase constructor.
import type { Reply } from '../Reply.js'
import type { ServerCapabilities } from './capabilities.js'

/** The session's single timer: the server must answer (or take the next data block) in time (RFC 5321 4.5.3.2). */
export type ClientTimer = 'reply'

/**
 * A recipient's fate. `accepted`: the server took responsibility for the message for it; `temporary` (4yz, or
 * no reply before the session ended) and `permanent` (5yz) say it did not; `unknown`: the connection ended
 * between the end of the data and its reply, so the message may or may not have been taken (RFC 5321 6.1).
 */
export type DeliveryStatus = 'accepted' | 'temporary' | 'permanent' | 'unknown'

/** One recipient's result; `reply` is the server reply that decided it, when there was one. */
export interface RecipientOutcome {
  readonly address: string
  readonly status: DeliveryStatus
  readonly reply: Reply | undefined
  /**
   * `reply` answered the message data (SMTP's one reply after the end of data, RFC 5321 4.1.1.4, or this
   * recipient's own in LMTP, RFC 2033 4.2), not MAIL or RCPT: a refusal then is of the message itself.
   */
  readonly afterData: boolean
}

/** Why a transaction could not be sent as asked; the session goes on. */
export type TransactionError =
  /** An address or parameter does not fit the grammar of RFC 5321 4.1.2 (and no injection gets through). */
  | { readonly _tag: 'InvalidEnvelope'; readonly reason: string }
  /** The server lacks an extension the message needs, or its SIZE limit is smaller than the message. */
  | { readonly _tag: 'Unsupported'; readonly extension: string; readonly reason: string }

/** Why the session ended (or, in a `MessageResult`, why a transaction did). */
export type ClientError =
  | TransactionError
  /** The server sent something that is not a reply, or a reply that makes no sense here. */
  | { readonly _tag: 'ProtocolError'; readonly reason: string; readonly reply: Reply | undefined }
  /** The greeting was not 220 (RFC 5321 3.1: 554 refuses service; 421 is not available now). */
  | { readonly _tag: 'GreetingRefused'; readonly reply: Reply }
  /** EHLO/HELO/LHLO was refused. */
  | { readonly _tag: 'HelloRefused'; readonly reply: Reply }
  /** `tls: 'required'`, and the server does not offer STARTTLS (RFC 3207 4). */
  | { readonly _tag: 'TlsRequired' }
  /** `tls: 'required'`, and STARTTLS was refused (RFC 3207 4: 454 or 501). */
  | { readonly _tag: 'TlsRefused'; readonly reply: Reply }
  /** AUTH was configured but cannot be done here (no TLS, not offered, no common mechanism). */
  | { readonly _tag: 'AuthUnavailable'; readonly reason: string }
  /** The server refused our credentials or the exchange (RFC 4954 6: 535, 454, 534, 538, 501, ...). */
  | { readonly _tag: 'AuthFailed'; readonly reply: Reply }
  /** The server said 421: it is closing the channel (RFC 5321 3.8). */
  | { readonly _tag: 'ServiceClosing'; readonly reply: Reply }
  /** The reply timer ran out while waiting for `waitingFor` (RFC 5321 4.5.3.2). */
  | { readonly _tag: 'Timeout'; readonly waitingFor: string }
  /**
   * The connection ended before the session did, or the client closed it: a message's body failed, or
   * turned out unsendable after DATA's 354 (that message has its own error).
   */
  | { readonly _tag: 'ConnectionLost' }

/** The application asked for something that makes no sense now; the state was left unchanged. */
export interface ClientMisuse {
  readonly _tag: 'Misuse'
  readonly message: string
}

/** The session can take a `Submitted` now. */
export interface ClientReady {
  readonly _tag: 'Ready'
  readonly capabilities: ServerCapabilities
  readonly tls: boolean
  readonly authenticated: boolean
}

/** One recipient's result, emitted for every recipient before its transaction's MessageResult. */
export interface RecipientResult extends RecipientOutcome {
  readonly _tag: 'RecipientResult'
  readonly id: string | undefined
}

/**
 * The end of one submitted transaction. `status` is `accepted` when at least one recipient is; otherwise
 * `unknown`, `temporary` or `permanent`, in that order of precedence over the recipients. `reply` is the reply
 * that ended the transaction, if one did (in LMTP, the per-recipient replies are in `recipients`).
 */
export interface MessageResult {
  readonly _tag: 'MessageResult'
  readonly id: string | undefined
  readonly status: DeliveryStatus
  readonly reply: Reply | undefined
  readonly error: ClientError | undefined
  readonly recipients: ReadonlyArray<RecipientOutcome>
  /**
   * The message asked for DSN, the server does not offer it, and `relayDsn` sent it without ENVID, RET, NOTIFY
   * and ORCPT: RFC 3461 5.2.2 (b)-(d) leave the "relayed" and "failed" DSNs to the caller. Absent otherwise.
   */
  readonly dsnOmitted?: true
}

/** What to do or know after one step, in order. */
export type ClientOutput =
  /** Write these bytes. Commands produced by one step are joined into one `Send` (RFC 2920 3.1). */
  | { readonly _tag: 'Send'; readonly bytes: Uint8Array }
  /** Upgrade the connection as a TLS client, then feed `TlsStarted`. */
  | { readonly _tag: 'StartTls' }
  | { readonly _tag: 'SetTimer'; readonly timer: ClientTimer; readonly ms: number }
  | { readonly _tag: 'ClearTimer'; readonly timer: ClientTimer }
  | { readonly _tag: 'Close' }
  | ClientReady
  /** Feed exactly one `BodyChunk` or `BodyEnd` for the current transaction. */
  | { readonly _tag: 'BodyWanted'; readonly id: string | undefined }
  | RecipientResult
  | MessageResult
  /** The session is over for this reason; a `Send` of QUIT or a `Close` follows. */
  | { readonly _tag: 'Failed'; readonly error: ClientError }
  | ClientMisuse

/** Write these bytes. */
export const send = (bytes: Uint8Array): ClientOutput => ({ _tag: 'Send', bytes })
/** Start the TLS handshake as a client. */
export const startTls: ClientOutput = { _tag: 'StartTls' }
/** (Re)start the reply timer. */
export const setTimer = (ms: number): ClientOutput => ({ _tag: 'SetTimer', timer: 'reply', ms })
/** Stop the reply timer. */
export const clearTimer: ClientOutput = { _tag: 'ClearTimer', timer: 'reply' }
/** Close the connection. */
export const close: ClientOutput = { _tag: 'Close' }
/** The session can take a transaction. */
export const ready = (capabilities: ServerCapabilities, tls: boolean, authenticated: boolean): ClientOutput => ({
  _tag: 'Ready',
  capabilities,
  tls,
  authenticated,
})
/** Ask the application for the next piece of the body. */
export const bodyWanted = (id: string | undefined): ClientOutput => ({ _tag: 'BodyWanted', id })
/** A recipient's result. */
export const recipientResult = (id: string | undefined, r: RecipientOutcome): ClientOutput => ({
  _tag: 'RecipientResult',
  id,
  ...r,
})
/** A transaction's result. */
export const messageResult = (m: Omit<MessageResult, '_tag'>): ClientOutput => ({ _tag: 'MessageResult', ...m })
/** The session ended for this reason. */
export const failed = (error: ClientError): ClientOutput => ({ _tag: 'Failed', error })
/** The application did something that makes no sense now. */
export const misuse = (message: string): ClientOutput => ({ _tag: 'Misuse', message })
