// What the server session asks its driver to do, and the questions it puts to the application.
// Outputs are imperative (Send, Ask, StartTls, ...); each has a lowercase constructor.
import type { AuthMechanism } from '../Config.js'
import type { Reply } from '../Reply.js'
import type { Credentials } from '../sasl/server.js'
import type { ClientAttributes, Envelope, Hello, Recipient } from './State.js'
import type { MailParams, Mailbox, RcptParams, ReversePath } from '../grammar/index.js'

/**
 * The session's timers: `idle` is the deadline for the next command line (RFC 5321 4.5.3.2.7), `data` one
 * rate window of message data, `authDelay` the pause before a failed AUTH is answered.
 */
export type TimerName = 'idle' | 'data' | 'authDelay'

/** Facts about the session that every question carries. */
export interface SessionFacts {
  readonly tls: boolean
  /** The authenticated identity, if AUTH succeeded (RFC 4954). */
  readonly authenticated: string | undefined
  readonly hello: Hello | undefined
  /** AUTH attempts refused so far in this session (see `maxAuthFailures`). */
  readonly authFailures: number
  /** What a trusted proxy said about the real client with XCLIENT, when it did. */
  readonly xclient?: ClientAttributes
}

/** A decision the session needs from the application, with a number to answer it by. */
export type Question =
  | { readonly _tag: 'Hello'; readonly id: number; readonly hello: Hello; readonly session: SessionFacts }
  | {
      readonly _tag: 'Mail'
      readonly id: number
      readonly from: ReversePath
      readonly params: MailParams
      readonly session: SessionFacts
    }
  | {
      readonly _tag: 'Rcpt'
      readonly id: number
      readonly to: Mailbox
      readonly params: RcptParams
      readonly envelope: Envelope
      readonly session: SessionFacts
    }
  | {
      readonly _tag: 'Auth'
      readonly id: number
      readonly mechanism: AuthMechanism
      readonly credentials: Credentials
      readonly session: SessionFacts
    }
  | { readonly _tag: 'Vrfy'; readonly id: number; readonly argument: string; readonly session: SessionFacts }
  | { readonly _tag: 'Expn'; readonly id: number; readonly argument: string; readonly session: SessionFacts }
  | {
      readonly _tag: 'Message'
      readonly id: number
      readonly envelope: Envelope
      /** Octets of the message as handed out in `MessageChunk`s. */
      readonly size: number
      /** LMTP: the answer may give one reply per entry here, in this order (RFC 2033 4.2). */
      readonly recipients: ReadonlyArray<Recipient>
      readonly session: SessionFacts
    }

export type QuestionTag = Question['_tag']

/**
 * Why a message that had started streaming will not be asked about. `chunkRefused`: a BDAT command of its
 * transaction was refused (RFC 3030 2: the transaction has failed), so a chunk of it is missing.
 */
export type AbortReason =
  'tooBig' | 'bareLineEnding' | 'lineTooLong' | 'chunkRefused' | 'reset' | 'closed' | 'timeout' | 'shutdown'

/** The application asked for something that makes no sense; the state was left unchanged. */
export interface Misuse {
  readonly _tag: 'Misuse'
  readonly message: string
}

export type ServerOutput =
  /** Bytes to write to the client, in order. They may be shared with other sessions (a canned reply): read only. */
  | { readonly _tag: 'Send'; readonly bytes: Uint8Array }
  | { readonly _tag: 'Ask'; readonly question: Question }
  /**
   * A message begins to stream. `session` holds what the session knows as the message starts: the
   * greeting, TLS and the authenticated identity, which the trace fields need (RFC 5321 4.4, RFC 3848).
   */
  | { readonly _tag: 'MessageStart'; readonly envelope: Envelope; readonly session: SessionFacts }
  /** A view into the input: copy it before the input buffer is reused. */
  | { readonly _tag: 'MessageChunk'; readonly bytes: Uint8Array }
  | { readonly _tag: 'MessageAborted'; readonly reason: AbortReason }
  | { readonly _tag: 'StartTls' }
  | { readonly _tag: 'SetTimer'; readonly timer: TimerName; readonly ms: number }
  | { readonly _tag: 'ClearTimer'; readonly timer: TimerName }
  | { readonly _tag: 'PauseReading' }
  | { readonly _tag: 'ResumeReading' }
  | { readonly _tag: 'Close' }
  | Misuse

export const send = (bytes: Uint8Array): ServerOutput => ({ _tag: 'Send', bytes })
export const ask = (question: Question): ServerOutput => ({ _tag: 'Ask', question })
export const messageStart = (envelope: Envelope, session: SessionFacts): ServerOutput => ({
  _tag: 'MessageStart',
  envelope,
  session,
})
export const messageChunk = (bytes: Uint8Array): ServerOutput => ({ _tag: 'MessageChunk', bytes })
export const messageAborted = (reason: AbortReason): ServerOutput => ({ _tag: 'MessageAborted', reason })
export const startTls: ServerOutput = { _tag: 'StartTls' }
export const setTimer = (timer: TimerName, ms: number): ServerOutput => ({ _tag: 'SetTimer', timer, ms })
export const clearTimer = (timer: TimerName): ServerOutput => ({ _tag: 'ClearTimer', timer })
export const pauseReading: ServerOutput = { _tag: 'PauseReading' }
export const resumeReading: ServerOutput = { _tag: 'ResumeReading' }
export const close: ServerOutput = { _tag: 'Close' }
export const misuse = (message: string): ServerOutput => ({ _tag: 'Misuse', message })

/** Accept with the default positive reply, or with this reply (a 2yz code; 251 for RCPT, RFC 5321 3.4). */
export interface Accept {
  readonly _tag: 'Accept'
  readonly reply?: Reply
}
/** Refuse with a 4yz or 5yz reply. For XOAUTH2, `challenge` is sent in a 334 first (an error JSON). */
export interface Reject {
  readonly _tag: 'Reject'
  readonly reply: Reply
  readonly challenge?: string
}
/** LMTP end of data: one decision per recipient of the Message question (RFC 2033 4.2). */
export interface PerRecipient {
  readonly _tag: 'PerRecipient'
  readonly decisions: ReadonlyArray<Accept | Reject>
}
/** A VRFY / EXPN answer: any reply (250, 251, 252, 550, 551, 553, ...; RFC 5321 3.5). */
export interface Respond {
  readonly _tag: 'Respond'
  readonly reply: Reply
}
export type Answer = Accept | Reject | PerRecipient | Respond

export const accept = (reply?: Reply): Accept => (reply === undefined ? { _tag: 'Accept' } : { _tag: 'Accept', reply })
export const reject = (reply: Reply, challenge?: string): Reject =>
  challenge === undefined ? { _tag: 'Reject', reply } : { _tag: 'Reject', reply, challenge }
export const perRecipient = (decisions: ReadonlyArray<Accept | Reject>): PerRecipient => ({
  _tag: 'PerRecipient',
  decisions,
})
export const respond = (reply: Reply): Respond => ({ _tag: 'Respond', reply })
