// The application's side of a server: async hooks in the style of smtp-server, typed. A hook
// accepts by returning nothing, refuses by returning a 4yz/5yz reply or throwing `SmtpError`;
// any other exception becomes 451 (454 for AUTH) and the session goes on.
import type {
  ClientAttributes,
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
import type { TlsInfo } from './Transport.js'

/**
 * What a hook knows about the session it is called for. The addresses and ports are those the
 * runtime reports for the connection; behind a trusted PROXY header the remote side is the header's
 * source and the local side its destination, and XCLIENT's ADDR, PORT, DESTADDR and DESTPORT come
 * before both.
 */
export interface SessionInfo {
  readonly id: string
  readonly remoteAddress: string
  /** The client's port; undefined where the runtime does not report it. */
  readonly remotePort: number | undefined
  /** The server's address the client connected to; undefined where the runtime does not report it. */
  readonly localAddress: string | undefined
  /** The server's port the client connected to; undefined where the runtime does not report it. */
  readonly localPort: number | undefined
  readonly tls: boolean
  /**
   * Once TLS is on (after STARTTLS, or from the start with implicit TLS): protocol, cipher, SNI name,
   * whether the client's certificate was verified, and the certificate when the client presented one.
   * Fields the runtime cannot tell are undefined.
   */
  readonly tlsInfo: TlsInfo | undefined
  readonly authenticated: string | undefined
  /**
   * What `onAuth` returned as `user` when it accepted (see `AuthVerdict`); undefined before or without one, and
   * once an XCLIENT command started the session over (its LOGIN, if any, is `authenticated`, with no `user`).
   */
  readonly user: unknown
  readonly hello: Hello | undefined
  /** AUTH attempts refused so far in this session; `onAuth` sees the count before this attempt. */
  readonly authFailures: number
  /**
   * The PROXY header from a trusted load balancer (its source is `remoteAddress`; its TLVs can be decoded
   * with `proxyTlvInfo`), when there was one.
   */
  readonly proxy?: ProxyHeader
  /**
   * What a trusted proxy said about its client with XCLIENT (XCLIENT_README), every attribute so far, when it
   * said anything: NAME, HELO, PROTO and LOGIN here; ADDR and PORT (DESTADDR, DESTPORT) are also `remoteAddress`
   * and `remotePort` (`localAddress`, `localPort`).
   */
  readonly xclient?: ClientAttributes
  /**
   * Aborts when the session stops waiting for this hook call: `hookTimeoutMs` passed (the client heard
   * 451, 454 or 421 in its place), the message was aborted, or the session ended (the client left, or
   * the server's close deadline came). Work the hook does after that is not reported to the client, so
   * a hook that stores something must not commit it once this aborted (pass it to fetch, timers, or
   * your store). Each call has its own; in `onClose` it is already aborted. `signal` and `aborted` are
   * getters of the session object: a copy made with `{ ...session }` has neither.
   */
  readonly signal: HookSignal
  /**
   * `signal.aborted`, read without making the signal: on Node each AbortSignal costs memory, so a hook
   * that only needs to check (a store before its commit) should read this instead. Read it when you check:
   * it is live, a copy of the session object is not.
   */
  readonly aborted: boolean
}

/** The part of the standard `AbortSignal` hooks use: what a build without runtime or DOM types sees. */
export interface AbortSignalLike {
  readonly aborted: boolean
  readonly reason: unknown
  readonly addEventListener: (type: 'abort', listener: () => void, options?: { readonly once?: boolean }) => void
  readonly removeEventListener: (type: 'abort', listener: () => void) => void
  readonly throwIfAborted: () => void
}

/**
 * The runtime's own `AbortSignal` (Node, Bun, Deno and browsers declare it), so it can be passed to
 * `fetch`, timers or a store; `AbortSignalLike` where no such type is declared.
 */
export type HookSignal = typeof globalThis extends { AbortSignal: { prototype: infer S } } ? S : AbortSignalLike

/**
 * Why a session ended, as `onClose` hears it: `quit` (221 after QUIT), `server` (the server closed
 * with `reply`, such as a 421 on a timeout or at shutdown), `client` (the client hung up), `tls`
 * (the STARTTLS handshake failed, the client left before it was done, or it was not done when the command
 * deadline or a shutdown came: nothing is said in clear after the 220, RFC 3207 4) or `hook-timeout`
 * (`onConnect` or `onSecure` did not answer in time).
 * An `onSecure` refusal is `server`, with its reply.
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

/**
 * What `onAuth` returns: a `Verdict`, or `{ user }` to accept and keep a value of the application's
 * (an account record, a user id) that later hooks see as `session.user`. With `reply` (a 235 of the
 * application's wording: RFC 4954 4 allows no other success, and another 2yz becomes 454) that reply is
 * sent instead of the default 235; a 4yz/5yz `reply` refuses.
 */
export type AuthVerdict = Verdict | { readonly user: unknown; readonly reply?: Reply }

/**
 * The reply part of what `onAuth` returned: the `reply` of `{ user, reply? }`, or the verdict itself. For
 * wrappers of `onAuth` (loggers, metrics) that judge the verdict as the session does.
 * @example
 * authReplyOf({ user: account, reply: { code: 535, enhanced: '5.7.8', lines: ['No'] } }) // the 535
 */
export const authReplyOf = (v: unknown): unknown =>
  typeof v === 'object' && v !== null && typeof (v as { code?: unknown }).code !== 'number' && 'user' in v
    ? (v as { reply?: unknown }).reply
    : v

type Hook<A extends unknown[], R = Verdict> = (...args: A) => Promise<R> | R

/**
 * The application's hooks. Each may be async; each is given the session's facts (`SessionInfo`) last,
 * with an `AbortSignal` for the call.
 */
export interface ServerHooks {
  /**
   * Before the greeting. A 5yz reply refuses service: the greeting is 554 with its text and only QUIT is
   * taken (RFC 5321 3.1). A 4yz refuses for now: the client hears 421 with its text and the connection is
   * closed (RFC 5321 3.8).
   */
  readonly onConnect?: Hook<[session: SessionInfo]>
  /**
   * After each TLS handshake (STARTTLS, RFC 3207; or implicit TLS, RFC 8314 3.3, before `onConnect`), with
   * `session.tlsInfo` set. Returning a 4yz/5yz reply (or throwing `SmtpError`) sends it and closes the
   * connection (RFC 3207 4.1 names `554 5.7.0 Command refused due to lack of security` for a server
   * that finds the TLS not good enough); any other exception, or no answer within `hookTimeoutMs`,
   * closes it with 421.
   */
  readonly onSecure?: Hook<[session: SessionInfo]>
  readonly onHello?: Hook<[hello: Hello, session: SessionInfo]>
  /**
   * Verify credentials; without this hook every AUTH attempt fails with 535. Return `{ user }` to
   * accept with a value later hooks see as `session.user`.
   */
  readonly onAuth?: Hook<[credentials: Credentials, session: SessionInfo], AuthVerdict>
  readonly onMailFrom?: Hook<[from: ReversePath, params: MailParams, session: SessionInfo]>
  readonly onRcptTo?: Hook<[to: Mailbox, params: RcptParams, envelope: Envelope, session: SessionInfo]>
  readonly onVrfy?: Hook<[argument: string, session: SessionInfo], Reply>
  readonly onExpn?: Hook<[argument: string, session: SessionInfo], Reply>
  /**
   * The message, from its first chunk. Return one verdict, or in LMTP one per recipient. Until
   * this resolves the client waits for its reply, so return only once the message is safe, and do
   * not make it safe once `session.signal` aborted: the client then heard 451 or 421 and will send
   * it again.
   */
  readonly onMessage?: Hook<[message: IncomingMessage, session: SessionInfo], Verdict | ReadonlyArray<Verdict>>
  /**
   * The session ended; the driver always passes `reason` (optional so that wrappers written before it still fit).
   * Nothing waits for it: what it throws, or the rejection of the promise an async one returns, goes to `onError`.
   */
  readonly onClose?: (session: SessionInfo, reason?: CloseReason) => void | Promise<void>
}
