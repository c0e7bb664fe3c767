// Runs one server session over a Transport: feeds the reducer what the transport and the hooks
// say, and carries out what the reducer asks (writes, questions, message streams, TLS, timers).
// All inputs go through `dispatch`, one at a time, so the reducer sees a single ordered history.
import {
  type Answer,
  type Hello,
  type ClientAttributes,
  type ProxyHeader,
  type Question,
  type Reply,
  type ServerConfig,
  type ServerInput,
  type ServerOutput,
  type ServerState,
  type SessionFacts,
  type TimerName,
  accept,
  answerProblem,
  answered,
  concat,
  encode,
  enhancedCodesOn,
  formatReceived,
  formatReply,
  withStatusClass,
  init,
  isEnhancedFor,
  isPositive,
  isReplyCode,
  mailboxText,
  peerClosed,
  perRecipient,
  protocolWord,
  received,
  reject,
  reply,
  respond,
  sessionFacts,
  shutdown,
  step,
  stopRequested,
  timerFired,
  tlsStarted,
  waiting,
} from '@smtpure/core'
import * as t from 'io-ts'
import { aside, reporter } from './aside.js'
import { ChunkStream } from './ChunkStream.js'
import {
  type CloseReason,
  type HookSignal,
  type IncomingMessage,
  type ServerHooks,
  type SessionInfo,
  SmtpError,
  type Verdict,
  authReplyOf,
} from './hooks.js'
import type { Runtime, TlsInfo, Transport } from './Transport.js'

/** Buffered message octets past which reading pauses until the application catches up. */
const HIGH_WATER = 1024 * 1024

// Hooks are application code: their answers are decoded before they reach the session.
const ReplyCodec = t.intersection([
  t.type({ code: t.number, lines: t.readonlyArray(t.string) }),
  t.partial({ enhanced: t.string }),
])

const localError = reply(451, '4.3.0', 'Local error in processing')
const authError = reply(454, '4.7.0', 'Temporary authentication failure')
const noAuth = reply(535, '5.7.8', 'Authentication credentials invalid')

/** Turn what a hook returned (or threw) into an answer; a 2yz reply or nothing accepts. */
const verdictAnswer = (v: unknown, failure: Reply): Answer => {
  if (v === undefined || v === null) return accept()
  if (!ReplyCodec.is(v)) return reject(failure)
  return isPositive(v) ? accept(v) : reject(v)
}
const errorAnswer = (e: unknown, failure: Reply): Answer =>
  e instanceof SmtpError ? reject(e.reply, e.challenge) : reject(failure)

const refused = reject(noAuth)

/**
 * The answer to a question when the application has no hook for it: AUTH fails (535: nothing can check the
 * credentials). The greeting, MAIL and RCPT without a hook are not asked (`askedBy`); VRFY, EXPN and the message
 * go the way of a hook's, even without one.
 */
const unhooked = (q: Question, hooks: ServerHooks): Answer | undefined =>
  q._tag === 'Auth' && hooks.onAuth === undefined ? refused : undefined

/**
 * `config` with the questions the hooks answer (`ServerConfig.questions`): the greeting, MAIL and RCPT without a
 * hook are left to the session, which then answers them within the step that read them. Each of the eight
 * combinations is made once per config: a server passes the same config to every session.
 */
const askedBy = (config: ServerConfig, hooks: ServerHooks): ServerConfig => {
  const which =
    (hooks.onHello !== undefined ? 1 : 0) |
    (hooks.onMailFrom !== undefined ? 2 : 0) |
    (hooks.onRcptTo !== undefined ? 4 : 0)
  let made = askedConfigs.get(config)
  if (made === undefined) askedConfigs.set(config, (made = []))
  return (made[which] ??= { ...config, questions: optional.filter((_, i) => (which & (1 << i)) !== 0) })
}
const optional = ['Hello', 'Mail', 'Rcpt'] as const
const askedConfigs = new WeakMap<ServerConfig, ServerConfig[]>()

/** `onAuth` may return `{ user, reply? }` (see `AuthVerdict`): the verdict is its reply, the user is kept. */
const authVerdict = (v: unknown): { verdict: unknown; user?: unknown } => {
  const verdict = authReplyOf(v)
  return verdict === v ? { verdict } : { verdict, user: (v as { user: unknown }).user }
}

/** A 4yz/5yz reply from a hook that refuses the connection (onSecure); 2yz or nothing lets it go on. */
const refusal = (v: unknown): Reply | undefined =>
  v === undefined || v === null || !ReplyCodec.is(v) || isPositive(v)
    ? undefined
    : sendable(v) && v.code >= 400
      ? v
      : closing

/** A reply the session can send as it is: a reply code (RFC 5321 4.2) and an enhanced code of its class (RFC 3463 2). */
const sendable = (r: Reply): boolean =>
  isReplyCode(r.code) && (r.enhanced === undefined || isEnhancedFor(r.code, r.enhanced))

const closing = reply(421, '4.3.0', 'Local error in processing, closing connection')

interface Controller {
  readonly signal: HookSignal
  readonly abort: (reason: unknown) => void
}
// The driver's own build declares no runtime types; every runtime it runs on has AbortController.
const Controller = (globalThis as unknown as { AbortController: new () => Controller }).AbortController

/**
 * One hook call's signal and how the session aborts it. The AbortSignal is made only when the hook reads
 * it (most never do, and `aborted` answers without it): Node 20 gives each AbortSignal its prototype after
 * making it, an object V8 cannot shape, and one per call made a loop of short-lived calls hold several
 * times the memory.
 */
class CallSignal {
  private controller: Controller | undefined
  private reason: string | undefined
  get aborted(): boolean {
    return this.reason !== undefined
  }
  get signal(): HookSignal {
    if (this.controller === undefined) {
      this.controller = new Controller()
      if (this.reason !== undefined) this.controller.abort(new Error(this.reason))
    }
    return this.controller.signal
  }
  abort(reason: string): void {
    if (this.reason !== undefined) return
    this.reason = reason
    this.controller?.abort(new Error(reason))
  }
}
/**
 * The `SessionInfo` a hook call gets. A class, so that `signal` and `aborted` are getters of its prototype:
 * an object literal with getters is an object V8 cannot shape, and costs as much memory as the signal would.
 */
class HookSession implements SessionInfo {
  readonly #call: CallSignal
  declare readonly proxy?: ProxyHeader
  declare readonly xclient?: ClientAttributes
  constructor(
    call: CallSignal,
    readonly id: string,
    readonly remoteAddress: string,
    readonly remotePort: number | undefined,
    readonly localAddress: string | undefined,
    readonly localPort: number | undefined,
    readonly tls: boolean,
    readonly tlsInfo: TlsInfo | undefined,
    readonly authenticated: string | undefined,
    readonly user: unknown,
    readonly hello: Hello | undefined,
    readonly authFailures: number,
    proxy: ProxyHeader | undefined,
    xclient: ClientAttributes | undefined,
  ) {
    this.#call = call
    if (proxy !== undefined) (this as { proxy?: ProxyHeader }).proxy = proxy
    if (xclient !== undefined) (this as { xclient?: ClientAttributes }).xclient = xclient
  }
  get signal(): HookSignal {
    return this.#call.signal
  }
  get aborted(): boolean {
    return this.#call.aborted
  }
}

const abortedCall = (reason: string): CallSignal => {
  const c = new CallSignal()
  c.abort(reason)
  return c
}

export interface ServerSessionOptions {
  readonly config: ServerConfig
  readonly hooks: ServerHooks
  readonly runtime: Runtime
  /** Called with errors the session survived (hook failures, misuse), for logging. */
  readonly onError?: (error: unknown) => void
  /**
   * How long a hook may take before the session answers 451 (454 for AUTH) in its place (default 5
   * minutes, under the client's RFC 5321 4.5.3.2 timeouts); a late answer is then ignored.
   */
  readonly hookTimeoutMs?: number
  /** The client may send XCLIENT (a trusted proxy): its ADDR, NAME, HELO and PROTO then describe the client. */
  readonly xclient?: boolean
  /** The session's id (default: a fresh token from the runtime). */
  readonly id?: string
}

/** A running session: `done` settles when it ended; `stop` ends it with 421. */
export interface ServerSession {
  readonly done: Promise<void>
  /**
   * Stop the session with 421 (RFC 5321 3.8). Unless `now`, a transaction in progress is let
   * finish first; call again with `now` at the deadline.
   */
  readonly stop: (now?: boolean) => void
}

/** What `lastWrite` is while nothing waits to be written: one promise for every session and every write. */
const written: Promise<void> = Promise.resolve()

/**
 * Run one SMTP (or LMTP) server session on a connected transport.
 * @example
 * const session = startServerSession(transport, { config, hooks: { onMessage: async (m) => save(m) }, runtime })
 * await session.done
 */
export const startServerSession = (transport: Transport, options: ServerSessionOptions): ServerSession => {
  let stop: (now?: boolean) => void = () => undefined
  const done = new Promise<void>((resolve) => {
    const { hooks, runtime } = options
    const config = askedBy(options.config, hooks)
    const id = options.id ?? runtime.randomToken()
    let state: ServerState | undefined
    let closed = false
    let quitAnswered = false // the session ended with its 221 to QUIT
    // How to cancel each running timer, one slot per timer the core names: the idle timer stops and starts again
    // on every command, and a Map that empties and fills again reallocates its table each time (V8 shrinks it).
    const timers: Record<TimerName, (() => void) | undefined> = {
      idle: undefined,
      data: undefined,
      authDelay: undefined,
    }
    const pauses = new Set<string>()
    let lastWrite: Promise<void> = written
    let message:
      { stream: ChunkStream; verdict: Promise<Verdict | ReadonlyArray<Verdict>>; call: CallSignal } | undefined
    const report = reporter(options.onError)
    let messages = 0
    let upgrading: Uint8Array[] | undefined // decrypted bytes that came during the TLS handshake
    let handshaking = false // from the 220 to STARTTLS until the session hears TLS is up
    // a client that leaves between the 220 to STARTTLS and the end of its handshake failed the handshake
    const clientLeft = (): CloseReason => (handshaking ? { cause: 'tls' } : { cause: 'client' })
    let lastSent: Uint8Array | undefined // the last replies written, to tell why the session closed
    let peerGone = false
    let secure: TlsInfo | undefined = transport.tls // what the last handshake told
    let user: unknown // what onAuth returned as `user`, once AUTH succeeded
    let userXclient: ClientAttributes | undefined // the XCLIENT attributes when it did (each XCLIENT makes new ones)
    // Hook calls the session still waits for: each one's signal aborts when the session stops waiting. An array,
    // not a Set: it holds a few calls at most, and goes from one to none on every message.
    const waitingFor: CallSignal[] = []
    const track = (): CallSignal => {
      const c = new CallSignal()
      waitingFor.push(c)
      return c
    }
    const stopWaiting = (c: CallSignal, reason?: string): void => {
      const at = waitingFor.indexOf(c)
      if (at === -1) return
      waitingFor.splice(at, 1)
      if (reason !== undefined) c.abort(reason)
    }

    // Session facts come from the core: those a question or message start carried, or its account now.
    // XCLIENT's attributes describe the client (and the address it reached) in place of the connection's.
    const info = (call: CallSignal, told?: SessionFacts, tlsNow?: boolean): SessionInfo => {
      const facts = told ?? (state === undefined ? undefined : sessionFacts(state))
      const x = facts?.xclient
      const tls = tlsNow ?? facts?.tls ?? transport.tls !== undefined
      return new HookSession(
        call,
        id,
        x?.address ?? transport.remoteAddress,
        x?.address !== undefined ? x.port : transport.remotePort,
        x?.destAddress ?? transport.localAddress,
        x?.destAddress !== undefined ? x.destPort : transport.localPort,
        tls,
        tls ? (secure ?? transport.tls ?? {}) : undefined,
        facts?.authenticated,
        // the user of the AUTH that made this identity: an XCLIENT after it started the session over
        facts?.authenticated !== undefined && x === userXclient ? user : undefined,
        facts?.hello,
        facts?.authFailures ?? 0,
        transport.proxy,
        x,
      )
    }
    const pause = (why: string): void => {
      if (pauses.size === 0) transport.pause()
      pauses.add(why)
    }
    const unpause = (why: string): void => {
      if (pauses.delete(why) && pauses.size === 0 && !closed) transport.resume()
    }
    const finish = (reason: CloseReason): void => {
      if (closed) return
      closed = true
      quitAnswered = reason.cause === 'quit'
      for (const name of Object.keys(timers) as TimerName[]) {
        timers[name]?.()
        timers[name] = undefined
      }
      message?.stream.abort('closed')
      // hooks still running will not be heard: the client left, or heard its last reply
      for (const c of [...waitingFor]) stopWaiting(c, 'the session ended')
      transport.close()
      // nothing waits for onClose: an async one that rejects is reported like a throw, not left unhandled
      if (hooks.onClose !== undefined)
        aside(() => hooks.onClose!(info(abortedCall('the session ended')), reason), report)
      resolve()
    }

    const early: ServerInput[] = [] // input that came before the greeting was decided
    const dispatch = (input: ServerInput): void => {
      if (closed) return
      if (state === undefined) {
        early.push(input)
        return
      }
      let next: ServerInput | undefined = input
      while (next !== undefined) {
        const [after, outputs] = step(state, next)
        state = after
        run(outputs)
        // a question no hook answers: its answer is the next input, once this step's outputs have all run
        next = answerNow
        answerNow = undefined
        if (closed) return
      }
      afterDispatch()
    }
    let answerNow: ServerInput | undefined
    let afterDispatch = (): void => undefined

    const run = (outputs: ReadonlyArray<ServerOutput>): void => {
      for (let i = 0; i < outputs.length; i++) {
        const o = outputs[i]!
        switch (o._tag) {
          case 'Send': {
            lastSent = o.bytes
            const taken = transport.write(o.bytes)
            if (taken === true) lastWrite = written
            else {
              // a peer that does not read must not make us buffer without end: stop reading too
              pause('write')
              lastWrite = taken.then(() => unpause('write'), report)
            }
            break
          }
          case 'Ask':
            ask(o.question)
            break
          case 'MessageStart':
            startMessage(o.envelope, o.session)
            break
          case 'MessageChunk': {
            // Consecutive pieces (split where stuffing dots were removed) become one chunk, so the
            // application writes once per input rather than once per dotted line.
            let end = i + 1
            while (end < outputs.length && outputs[end]!._tag === 'MessageChunk') end++
            const chunk = end - i === 1 ? o.bytes : joinChunks(outputs.slice(i, end))
            i = end - 1
            message?.stream.push(chunk)
            if (message !== undefined && message.stream.buffered > HIGH_WATER) pause('message')
            break
          }
          case 'MessageAborted':
            message?.stream.abort(o.reason)
            if (message !== undefined) stopWaiting(message.call, 'the message was aborted')
            message = undefined
            unpause('message')
            break
          case 'StartTls':
            handshaking = true
            lastWrite
              .then(() => {
                // From this call on the transport delivers only decrypted bytes; some runtimes (Node's
                // layer under Deno) deliver them before the handshake promise settles, so they wait
                // here until the session knows TLS is on (plaintext before it is dropped, RFC 3207 4).
                upgrading = []
                return transport.startTls()
              })
              .then(async (told) => {
                secure = told
                // the application may refuse the connection on what the handshake told (a client certificate)
                if (!(await secured(true))) return
                const early = upgrading ?? []
                upgrading = undefined
                handshaking = false
                dispatch(tlsStarted)
                for (const bytes of early) dispatch(received(bytes))
              })
              .catch((e) => {
                report(e)
                finish({ cause: 'tls' })
              })
            break
          case 'SetTimer': {
            timers[o.timer]?.()
            // While the application is behind on the message, or judges a handshake (onSecure), reading is
            // paused by the server, not the client: a deadline then waits another round instead of blaming
            // the client for the stall (the hook has its own deadline).
            const fire = (): void => {
              if (pauses.has('message') || pauses.has('secure')) timers[o.timer] = runtime.setTimer(o.ms, fire)
              else dispatch(timerFired(o.timer))
            }
            timers[o.timer] = runtime.setTimer(o.ms, fire)
            break
          }
          case 'ClearTimer':
            timers[o.timer]?.()
            timers[o.timer] = undefined
            break
          case 'PauseReading':
            pause('held')
            break
          case 'ResumeReading':
            unpause('held')
            break
          case 'Close':
            // the transport writes what it holds before it closes; a close before TLS is up (the deadline or a
            // shutdown came first: the session then says nothing, RFC 3207 4) is the handshake's failure
            finish(peerGone || handshaking ? clientLeft() : closedBy(lastSent))
            break
          case 'Misuse':
            report(new Error(`smtpure misuse: ${o.message}`))
            break
        }
      }
    }

    /** The trace field is built from what the session said as the message started, nothing else. */
    const startMessage = (envelope: IncomingMessage['envelope'], facts: SessionFacts): void => {
      const stream = new ChunkStream(() => unpause('message'))
      const now = runtime.now()
      messages += 1
      const hello = facts.hello
      const x = facts.xclient ?? {} // what a trusted proxy said with XCLIENT comes first
      const receivedField = formatReceived({
        from: {
          helo: x.helo ?? hello?.domain ?? 'unknown',
          address: x.address ?? transport.remoteAddress,
          ...(x.name !== undefined ? { hostname: x.name } : {}),
        },
        by: config.hostname,
        with: protocolWord({
          lmtp: config.lmtp,
          extended: x.proto !== undefined ? x.proto === 'ESMTP' : hello?.verb !== 'HELO',
          tls: facts.tls,
          authenticated: facts.authenticated !== undefined,
          utf8: envelope.params.smtpUtf8 === true,
        }),
        // one id per message, the session's id first: a msg-id, since an Atom holds no "." (RFC 5321 4.4)
        id: `<${id}.${messages}@${config.hostname}>`,
        // a Path or Mailbox: the bare <Postmaster>, which has no domain, is neither (RFC 5321 4.4)
        ...(envelope.recipients.length === 1 && envelope.recipients[0]!.to.domain !== ''
          ? { for: mailboxText(envelope.recipients[0]!.to) }
          : {}),
        date: now,
      })
      const incoming: IncomingMessage = { envelope, chunks: stream, received: receivedField }
      const call = track()
      const verdict = hooks.onMessage
        ? Promise.resolve().then(() => hooks.onMessage!(incoming, info(call, facts)))
        : drain(stream)
      // A hook that gives up early must not leave the session waiting on unread chunks.
      verdict.then(
        () => stream.abort('not read'), // a no-op once the message ended
        () => stream.abort('hook failed'),
      )
      message = { stream, verdict, call }
    }

    const ask = (q: Question): void => {
      // No hook for AUTH: the session's own answer, with no promise, timer or call to track
      const own = unhooked(q, hooks)
      if (own !== undefined) {
        answerNow = answered(q.id, own)
        return
      }
      const failure = q._tag === 'Auth' ? authError : localError
      let settled = false
      let cancel = (): void => undefined
      // The message's hook was called when the message started; every other hook is called now, and its
      // call is tracked (and its session made) only when there is a hook to call.
      let call: CallSignal | undefined = q._tag === 'Message' ? message?.call : undefined
      const session = (): SessionInfo => info((call ??= track()), q.session)
      let authUser: unknown
      // Only application code gets a deadline: a question without a hook is answered at once, untimed.
      const arm = (): void => {
        cancel = runtime.setTimer(options.hookTimeoutMs ?? 5 * 60 * 1000, () => {
          report(new Error(`hook for ${q._tag} did not answer in time`))
          // the session answers in the hook's place: the hook's signal tells it so
          if (call !== undefined)
            stopWaiting(call, `no answer within hookTimeoutMs (the client was told ${failure.code})`)
          const r = reject(failure)
          answer(q._tag === 'Message' && config.lmtp ? perRecipient(q.recipients.map(() => r)) : r)
        })
      }
      const answer = (a: Answer): void => {
        if (settled) return // the timeout answered already
        settled = true
        cancel()
        if (call !== undefined) stopWaiting(call)
        if (q._tag === 'Auth' && a._tag === 'Accept') {
          user = authUser
          userXclient = q.session.xclient
        }
        // A hook's answer the session cannot take (a 2yz refusal, a bad enhanced code, the wrong
        // number of LMTP verdicts) becomes the failure reply: the client is never left waiting.
        const problem = state === undefined ? undefined : answerProblem(state, q.id, a)
        if (problem) {
          report(new Error(`hook answer refused: ${problem}`))
          const r = reject(failure)
          dispatch(answered(q.id, q._tag === 'Message' && config.lmtp ? perRecipient(q.recipients.map(() => r)) : r))
          return
        }
        dispatch(answered(q.id, a))
      }
      // a hook there is (`unhooked` answered for the questions without one)
      const callHook = (f: () => Promise<unknown> | unknown, failure: Reply): void => {
        call ??= track()
        arm()
        Promise.resolve()
          .then(f)
          .then(
            (v) => {
              if (q._tag !== 'Auth') return answer(verdictAnswer(v, failure))
              const { verdict, user } = authVerdict(v)
              authUser = user
              answer(verdictAnswer(verdict, failure))
            },
            (e) => {
              if (!(e instanceof SmtpError)) report(e)
              answer(errorAnswer(e, failure))
            },
          )
      }
      switch (q._tag) {
        case 'Hello':
          return callHook(() => hooks.onHello!(q.hello, session()), localError)
        case 'Auth':
          return callHook(() => hooks.onAuth!(q.credentials, session()), authError)
        case 'Mail':
          return callHook(() => hooks.onMailFrom!(q.from, q.params, session()), localError)
        case 'Rcpt':
          return callHook(() => hooks.onRcptTo!(q.to, q.params, q.envelope, session()), localError)
        case 'Vrfy':
        case 'Expn': {
          const hook = q._tag === 'Vrfy' ? hooks.onVrfy : hooks.onExpn
          if (hook !== undefined) {
            call ??= track()
            arm()
          }
          Promise.resolve()
            .then(() => (hook ? hook(q.argument, session()) : undefined))
            .then(
              (r) => answer(ReplyCodec.is(r) ? respond(r) : accept()),
              (e) => answer(e instanceof SmtpError ? respond(e.reply) : reject(localError)),
            )
          return
        }
        case 'Message': {
          const m = message
          message = undefined
          unpause('message')
          if (m === undefined) return answer(reject(localError))
          arm()
          m.stream.end()
          m.verdict.then(
            (v) => {
              if (Array.isArray(v) && config.lmtp)
                return answer(perRecipient(v.map((x) => verdictAnswer(x, localError) as ReturnType<typeof accept>)))
              answer(verdictAnswer(Array.isArray(v) ? v[0] : v, localError))
            },
            (e) => {
              if (!(e instanceof SmtpError)) report(e)
              answer(errorAnswer(e, localError))
            },
          )
          return
        }
      }
    }

    // Input that ends while a question is pending waits for its answer: the replies are still owed.
    let inputEnded = false
    const endIfDone = (): void => {
      if (!inputEnded || closed || state === undefined || waiting(state)) return
      peerGone = true
      dispatch(peerClosed)
      finish(clientLeft())
    }
    transport.start({
      data: (bytes) => (upgrading ? upgrading.push(bytes) : dispatch(received(bytes))),
      closed: (e, refusal) => {
        // a client that resets once it read the 221 to its QUIT (many do) left as it may: no error of the session's
        if (e !== undefined && !(quitAnswered && isReset(e))) report(e)
        if (refusal !== undefined) {
          transport.write(encode(`${refusal}\r\n`))
          return finish({ cause: 'server', reply: refusal })
        }
        peerGone = true
        dispatch(peerClosed)
        finish(clientLeft())
      },
      ended: () => {
        inputEnded = true
        endIfDone()
      },
    })
    pause('greeting') // nothing is read until the greeting is decided

    /**
     * After a TLS handshake: ask `onSecure` (within the hook deadline, reading paused meanwhile). A refusal
     * is sent and the connection closed; resolves whether the session goes on.
     */
    function secured(afterStartTls = false): Promise<boolean> {
      const onSecure = hooks.onSecure
      if (onSecure === undefined) return Promise.resolve(true)
      const c = track()
      pause('secure')
      return new Promise<Reply | 'timeout' | undefined>((resolve) => {
        const cancel = runtime.setTimer(options.hookTimeoutMs ?? 5 * 60 * 1000, () => {
          report(new Error('hook for Secure did not answer in time'))
          stopWaiting(c, 'no answer within hookTimeoutMs (the client was told 421)')
          resolve('timeout')
        })
        Promise.resolve()
          .then(() => onSecure(info(c, undefined, true)))
          .then(refusal, (e: unknown) =>
            e instanceof SmtpError ? (refusal(e.reply) ?? closing) : (report(e), closing),
          )
          .then((r) => {
            cancel()
            resolve(r)
          })
      }).then((outcome) => {
        const timedOut = outcome === 'timeout'
        if (!timedOut && !waitingFor.includes(c)) return false // the session ended meanwhile
        stopWaiting(c)
        if (closed) return false
        if (outcome === undefined) {
          unpause('secure')
          return true
        }
        const r = timedOut ? closing : outcome
        // after STARTTLS a reply like any other, with an enhanced code (RFC 2034 4); with implicit TLS it
        // stands in for the greeting, which needs none (RFC 2034 3)
        const enhanced = enhancedCodesOn(config)
        const bytes = encode(formatReply(afterStartTls && enhanced ? withStatusClass(r) : r, enhanced))
        lastSent = bytes
        transport.write(bytes)
        finish(timedOut ? { cause: 'hook-timeout' } : closedBy(bytes))
        return false
      })
    }
    // The core says 421 between transactions, before any command pipelined behind the last one.
    stop = (now = false) => dispatch(now ? shutdown : stopRequested)
    afterDispatch = endIfDone

    // The connection hook decides the greeting (RFC 5321 3.1), within the hook deadline like any hook:
    // past it the client hears 421 (RFC 5321 3.8) rather than nothing at all.
    const greet = async (): Promise<void> => {
      // With implicit TLS the handshake came first, so onSecure does too (RFC 8314 3.3).
      if (transport.tls !== undefined && !(await secured())) return
      if (closed) return
      const call = track()
      const unavailable = (): Uint8Array =>
        encode(formatReply(reply(421, '4.3.0', `${config.hostname} Service not available`), false))
      const connectDeadline = runtime.setTimer(options.hookTimeoutMs ?? 5 * 60 * 1000, () => {
        if (state !== undefined || closed) return
        report(new Error('hook for Connect did not answer in time'))
        stopWaiting(call, 'no answer within hookTimeoutMs (the client was told 421)')
        transport.write(unavailable())
        finish({ cause: 'hook-timeout' })
      })
      const refuse = await Promise.resolve()
        .then(() => hooks.onConnect?.(info(call)))
        .then(
          (v) => (v === undefined || v === null || !ReplyCodec.is(v) || isPositive(v) ? undefined : v),
          (e) => (e instanceof SmtpError ? e.reply : (report(e), 'failed' as const)),
        )
      connectDeadline()
      stopWaiting(call)
      if (closed) return
      // A connection check that failed (a bug, a database down) admits no one: the client hears 421 and
      // tries again later (RFC 5321 3.8), as when the check does not answer in time.
      // A 4yz refusal is for now (too busy, a rate limit): 421 with its text, and close (RFC 5321 3.8, 4.2.2).
      // Only a 5yz is the 554 greeting, which tells the client this host will not take its mail (RFC 5321 3.1).
      const later = refuse !== undefined && refuse !== 'failed' && refuse.code < 500
      if (refuse === 'failed' || later) {
        const bytes = later ? encode(formatReply({ code: 421, lines: refuse.lines }, false)) : unavailable()
        lastSent = bytes
        transport.write(bytes)
        finish(closedBy(bytes))
        return
      }
      const [s, outputs] = init(config, {
        tls: transport.tls !== undefined,
        nonce: runtime.randomToken(),
        ...(refuse ? { refuse: { ...refuse, code: 554 } } : {}),
        ...(options.xclient === true ? { xclient: true } : {}),
      })
      state = s
      run(outputs)
      if (answerNow !== undefined) {
        const a = answerNow
        answerNow = undefined
        dispatch(a)
      }
      for (const input of early.splice(0)) dispatch(input)
      unpause('greeting')
      afterDispatch() // a stop() or an end of input that came during onConnect
    }
    void greet()
  })
  return { done, stop: (now) => stop(now) }
}

/** Why the server closed: 221 after QUIT, or the reply it closed with (421, 554, ...). */
const closedBy = (sent: Uint8Array | undefined): CloseReason => {
  // the last line of the last write is the reply that came with the close (RFC 5321 4.2: "code SP text"), read
  // from its last 1024 octets: every session ends here, most of them after QUIT, so no text is made for a 221
  if (sent === undefined) return { cause: 'server', reply: '' }
  const from = Math.max(0, sent.length - 1024)
  const crlfAt = (i: number): boolean => i - 2 >= from && sent[i - 2] === CR && sent[i - 1] === LF
  let end = sent.length
  while (crlfAt(end)) end -= 2 // empty lines are not replies
  let start = end
  while (start > from && !crlfAt(start)) start--
  if (end - start >= 3 && sent[start] === 0x32 && sent[start + 1] === 0x32 && sent[start + 2] === 0x31)
    return { cause: 'quit' } // 221
  let line = ''
  for (let i = start; i < end; i++) line += String.fromCharCode(sent[i]!)
  return { cause: 'server', reply: line }
}

/** A connection reset by the peer, as Node, Bun and Deno name it. */
const isReset = (e: unknown): boolean =>
  typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'ECONNRESET'

const CR = 0x0d
const LF = 0x0a

/** Run one session to its end (a shorthand for `startServerSession(...).done`). */
export const runServerSession = (transport: Transport, options: ServerSessionOptions): Promise<void> =>
  startServerSession(transport, options).done

const joinChunks = (outputs: ReadonlyArray<ServerOutput>): Uint8Array => {
  const parts = outputs.map((o) => (o._tag === 'MessageChunk' ? o.bytes : new Uint8Array(0)))
  return concat(parts)
}

const drain = async (chunks: AsyncIterable<Uint8Array>): Promise<Verdict> => {
  for await (const _ of chunks) void _
}
