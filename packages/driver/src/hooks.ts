// The application's side of a server: async hooks in the style of smtp-server, typed. A hook
// accepts by returning nothing, refuses by returning a 4yz/5yz reply or throwing `SmtpError`;
// any other exception becomes 451 (454 for AUTH) and the session goes on.
import type {
  Credentials,
  Envelope,
  Hello,
  Mailbox,
  MailParams,
  ProxyHeader,
  RcptParams,
  Reply,
  ReversePath,
} from '@smtpure/core'

/** What a hook knows about the session it is called for. */
export interface SessionInfo {
  readonly id: string
  readonly remoteAddress: string
  readonly tls: boolean
  readonly authenticated: string | undefined
  readonly hello: Hello | undefined
  /** AUTH attempts refused so far in this session; `onAuth` sees the count before this attempt. */
  readonly authFailures: number
  /**
   * The PROXY header from a trusted load balancer (its source is `remoteAddress`; its TLVs can be decoded
   * with `proxyTlvInfo`), when there was one.
   */
  readonly proxy?: ProxyHeader
}

/**
 * Why a session ended, as `onClose` hears it: `quit` (221 after QUIT), `server` (the server closed
 * with `reply`, such as a 421 on a timeout or at shutdown), `client` (the client hung up), `tls`
 * (the STARTTLS handshake failed) or `hook-timeout` (`onConnect` did not answer in time).
 */
export interface CloseReason {
  readonly cause: 'quit' | 'server' | 'client' | 'tls' | 'hook-timeout'
  /** The last reply line the server sent, for `server`. */
  readonly reply?: string
}

/** Throw this from a hook to refuse with an exact reply (or return the reply). */
export class SmtpError extends Error {
  readonly reply: Reply
  /** XOAUTH2 only: a JSON error sent as a 334 challenge before the refusal. */
  readonly challenge: string | undefined
  constructor(code: number, enhanced: string | undefined, text: string, challenge?: string) {
    super(`${code} ${text}`)
    this.name = 'SmtpError'
    this.reply = enhanced === undefined ? { code, lines: [text] } : { code, enhanced, lines: [text] }
    this.challenge = challenge
  }
}

/** A message as it streams in: read `chunks` once, to the end, then return your verdict. */
export interface IncomingMessage {
  readonly envelope: Envelope
  readonly chunks: AsyncIterable<Uint8Array>
  /** A ready Received: header field for this message (RFC 5321 4.4), CRLF included. */
  readonly received: string
}

/** A hook's verdict: nothing (accept with the default reply) or a reply (accept if 2yz). */
export type Verdict = void | Reply

type Hook<A extends unknown[], R = Verdict> = (...args: A) => Promise<R> | R

export interface ServerHooks {
  /** Before the greeting; a 4yz/5yz reply refuses service (554, RFC 5321 3.1). */
  readonly onConnect?: Hook<[session: SessionInfo]>
  readonly onHello?: Hook<[hello: Hello, session: SessionInfo]>
  /** Verify credentials; without this hook every AUTH attempt fails with 535. */
  readonly onAuth?: Hook<[credentials: Credentials, session: SessionInfo]>
  readonly onMailFrom?: Hook<[from: ReversePath, params: MailParams, session: SessionInfo]>
  readonly onRcptTo?: Hook<[to: Mailbox, params: RcptParams, envelope: Envelope, session: SessionInfo]>
  readonly onVrfy?: Hook<[argument: string, session: SessionInfo], Reply>
  readonly onExpn?: Hook<[argument: string, session: SessionInfo], Reply>
  /**
   * The message, from its first chunk. Return one verdict, or in LMTP one per recipient. Until
   * this resolves the client waits for its reply, so return only once the message is safe.
   */
  readonly onMessage?: Hook<[message: IncomingMessage, session: SessionInfo], Verdict | ReadonlyArray<Verdict>>
  /** The session ended; the driver always passes `reason` (optional so that wrappers written before it still fit). */
  readonly onClose?: (session: SessionInfo, reason?: CloseReason) => void
}
