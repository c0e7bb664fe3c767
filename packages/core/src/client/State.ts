// The client session's state: a tagged union of phases where a transaction exists only in the phases that
// run one, plus what every phase shares (the reply reader, TLS, the server's capabilities).
import type { Reply } from '../Reply.js'
import type { Mechanism, SaslClientState } from '../sasl/index.js'
import type { StuffState } from '../wire/dotStuff.js'
import type { ServerCapabilities } from './capabilities.js'
import type { ClientConfig } from './Config.js'
import type { ReplyParser } from './replyParser.js'

/** A checked transaction (RFC 5321 3.3) and the replies it got so far. */
export interface Tx {
  readonly id: string | undefined
  /** The recipients' addresses as given, in order. */
  readonly addresses: ReadonlyArray<string>
  /** The MAIL command line, without CRLF. */
  readonly mailLine: string
  /** One RCPT command line per recipient, without CRLF. */
  readonly rcptLines: ReadonlyArray<string>
  /** MAIL, RCPTs (and DATA) go in one write (RFC 2920 3.1). */
  readonly pipelined: boolean
  /** The body goes in BDAT chunks (RFC 3030 2), not after DATA. */
  readonly bdat: boolean
  /** BODY=BINARYMIME: chunks go octet for octet; otherwise text is sent with CRLF line ends (RFC 3030 2, 3). */
  readonly binary: boolean
  /** Octets above 127 may be sent: the body was declared BODY=8BITMIME or BINARYMIME (RFC 6152 3, RFC 3030 3). */
  readonly eightBit: boolean
  /** DSN parameters were asked for and left out, the server lacking DSN (`relayDsn`, RFC 3461 5.2.2). */
  readonly dsnOmitted: boolean
  readonly mail: Reply | undefined
  /** Replies to RCPT, in order. */
  readonly rcpts: ReadonlyArray<Reply>
}

/** Where the session stands; the transaction lives only in the phases that run one. */
export type Phase =
  /** Waiting for the 220 greeting (RFC 5321 3.1). */
  | { readonly _tag: 'Greeting' }
  /** EHLO, HELO or LHLO sent (RFC 5321 4.1.1.1, RFC 2033 4.1). */
  | { readonly _tag: 'Hello'; readonly verb: 'EHLO' | 'HELO' | 'LHLO' }
  /** STARTTLS sent (RFC 3207 4). */
  | { readonly _tag: 'StartTls' }
  /** StartTls output given; waiting for `TlsStarted`. Server bytes are dropped (RFC 3207 5.2). */
  | { readonly _tag: 'TlsWait' }
  /** An AUTH exchange (RFC 4954 4); `cancelled` says why, once "*" was sent. */
  | {
      readonly _tag: 'Auth'
      readonly mechanism: Mechanism
      readonly sasl: SaslClientState
      readonly cancelled: string | undefined
      /** The mechanisms tried so far in this session, this one last (one fallback, RFC 4954 4). */
      readonly tried: ReadonlyArray<Mechanism>
    }
  /** XCLIENT sent (Postfix's XCLIENT_README); `rest` are further XCLIENT lines to send after its 220. */
  | { readonly _tag: 'Xclient'; readonly rest: ReadonlyArray<string> }
  /** No transaction: `Submitted` is welcome. */
  | { readonly _tag: 'Ready' }
  /** MAIL, RCPT and maybe DATA sent; their replies come in order (RFC 2920 3.2). */
  | { readonly _tag: 'Envelope'; readonly tx: Tx; readonly dataSent: boolean }
  /**
   * The body is being sent. `wanted`: a `BodyWanted` is open. `stuff`: the dot-stuffer after DATA.
   * `chunks`: BDAT chunks whose replies are still to come.
   */
  | {
      readonly _tag: 'Body'
      readonly tx: Tx
      readonly wanted: boolean
      readonly stuff: StuffState
      readonly chunks: number
    }
  /**
   * The end of the data was sent: `chunks` BDAT replies come first, then the final reply (SMTP) or one per
   * accepted recipient (LMTP, RFC 2033 4.2), collected in `replies`.
   */
  | {
      readonly _tag: 'Final'
      readonly tx: Tx
      readonly chunks: number
      readonly replies: ReadonlyArray<Reply>
      /**
       * With PIPELINING, after a DATA body the next transaction's MAIL, RCPTs and DATA may follow the
       * end of the data before its reply (RFC 2920 3.1): `early` says Ready was given for that, and
       * `next` is the transaction already sent, whose replies come after this one's.
       */
      readonly early: boolean
      readonly next: Tx | undefined
    }
  /** RSET sent after a failed transaction; `skip` replies to earlier commands come before its reply. */
  | { readonly _tag: 'Resetting'; readonly skip: number }
  /** QUIT sent (RFC 5321 4.1.1.10). */
  | { readonly _tag: 'Quitting' }
  | { readonly _tag: 'Closed' }

/** The names of the phases. */
export type ClientPhaseTag = Phase['_tag']

/** The whole client session: what `clientInit` returns and `clientStep` takes and returns. */
export interface ClientState {
  readonly config: ClientConfig
  readonly phase: Phase
  readonly parser: ReplyParser
  /** TLS is active (implicit, or after STARTTLS). */
  readonly tls: boolean
  /** What the last EHLO/LHLO said; undefined before it and after STARTTLS (RFC 3207 4.2). */
  readonly capabilities: ServerCapabilities | undefined
  readonly authenticated: boolean
  /** QuitRequested arrived while busy: QUIT instead of the next `Ready`. */
  readonly quitWhenReady: boolean
  /** The reply timer is armed. */
  readonly timer: boolean
  /**
   * A BodyWanted was open when its transaction ended: the one BodyChunk or BodyEnd that may still answer
   * it is dropped without a word, as the application could not know.
   */
  readonly staleBody: boolean
  /** XCLIENT was sent on this connection (it is sent once, after TLS and before AUTH). */
  readonly xclientSent: boolean
}

// every key required, so a field added to the state and not copied below fails to compile
type Whole<T> = { -readonly [K in keyof T]-?: T[K] }

/**
 * A copy of `s` that the caller may still change, field by field, before it hands it on; `s` itself is never
 * changed. Fields are copied by name, and the steps taken for every reply set the copy's fields themselves
 * rather than call `update` (see the server's `copyState` for why).
 */
export const copyState = (s: ClientState): Whole<ClientState> => ({
  config: s.config,
  phase: s.phase,
  parser: s.parser,
  tls: s.tls,
  capabilities: s.capabilities,
  authenticated: s.authenticated,
  quitWhenReady: s.quitWhenReady,
  timer: s.timer,
  staleBody: s.staleBody,
  xclientSent: s.xclientSent,
})

/** A copy of `s` with `patch` applied; `s` itself is never changed. */
export const update = (s: ClientState, patch: Partial<ClientState>): ClientState => Object.assign(copyState(s), patch)

/** The transaction of this phase, if it runs one. */
export const txOf = (p: Phase): Tx | undefined => ('tx' in p ? p.tx : undefined)
