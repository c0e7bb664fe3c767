// Runs one client session over a Transport: the application submits messages (an envelope and a
// body as bytes, text or an async iterable of chunks) and gets per-recipient results back. Body
// chunks are pulled only when the session asks and the previous write was taken (backpressure).
import {
  type ClientConfig,
  type ClientEnvelope,
  type ClientError,
  ClientInput,
  type ClientOutput,
  type ClientReady,
  type ClientState,
  type MessageResult,
  clientInit,
  clientStep,
  concat,
  decodeUtf8,
  encode,
  splitEnvelope,
} from '@smtpure/core'
import { reporter } from './aside.js'
import { ClientLog, describeClientError } from './clientLogging.js'
import { type Logger, transcriptTo } from './logging.js'
import { transcribed } from './transcript.js'
import type { Runtime, Transport } from './Transport.js'

export { describeClientError }

/** The session ended with this error; `error` is the core's typed value. */
export class SmtpClientError extends Error {
  constructor(readonly error: ClientError) {
    super(describeClientError(error))
    this.name = 'SmtpClientError'
  }
}

/**
 * A message body: bytes, text (sent as UTF-8), or an iterable of chunks pulled one at a time as the
 * connection takes them. A chunk may be written to the socket after the next one is pulled, so
 * an iterator must yield a fresh buffer each time, never refill one it yielded before.
 */
export type MessageBody = Uint8Array | string | Iterable<Uint8Array> | AsyncIterable<Uint8Array>

export interface OutgoingMessage {
  readonly envelope: ClientEnvelope
  readonly body: MessageBody
}

/**
 * A message's result. When the server's LIMITS (RFC 9422 4.2, 4.3) made the client split the recipients
 * into several transactions, `transactions` holds each one's own result, in order, and the fields above
 * merge them: every recipient's outcome in the order given, the best status, the first reply and error.
 * A part never sent because the session ended after an earlier part has its recipients `temporary`, with
 * the session's error; `send` rejects only when no part was sent.
 */
export type SentMessage = MessageResult & {
  readonly transactions?: ReadonlyArray<MessageResult>
  /**
   * The body went out (the server took DATA with 354, or BDAT chunks were sent): a refusal in `reply`
   * is then the server's verdict on the message itself, not on its envelope.
   */
  readonly dataSent: boolean
}

export interface ClientSession {
  /** Resolves once the session can take messages (greeting, EHLO, STARTTLS, AUTH done). */
  readonly ready: Promise<ClientReady>
  /**
   * Send one message; messages are sent one after another on this connection. More recipients than the
   * server's RCPTMAX go in several transactions; a streamed body is then read whole into memory first.
   */
  readonly send: (message: OutgoingMessage) => Promise<SentMessage>
  /**
   * After every send asked for before it, and once the session is ready (a stalled greeting or EHLO is waited for
   * under its own timeout): QUIT, wait for the reply (`timeouts.quit`) and close. Resolves however the session
   * ended; never rejects.
   */
  readonly quit: () => Promise<void>
  /**
   * End the session at once, without QUIT: what is in flight gets its result as for a lost connection
   * (`unknown` once its end of data is out, RFC 5321 6.1, else `temporary`; `ready` and sends not yet begun
   * reject with ConnectionLost), and the connection is closed. For a session that stalls (a server silent
   * before its greeting) or a shutdown that cannot wait for `quit`. Resolves as `closed` does.
   */
  readonly close: () => Promise<void>
  /** Resolves when the session has ended and its connection was closed from this side. */
  readonly closed: Promise<void>
}

export interface ClientSessionOptions {
  readonly config: ClientConfig
  readonly runtime: Runtime
  readonly onError?: (error: unknown) => void
  /**
   * Largest piece of a message body written at once, in octets (default 64 KiB). The data timeout
   * (`timeouts.dataBlock`) covers one piece, so it must be small enough to go out within it.
   */
  readonly bodyPieceOctets?: number
  /**
   * A logger shaped like pino's: the session's events go to it, each with `event` and `session` (an id
   * drawn from the runtime): `connection` (`host`, `port`, `tls`), `tls` (`protocol`, `cipher`), `hello`
   * (`greeting`, `verb`, `tls`, `capabilities`), `auth` (`mechanism`, `result`, `code`; never a
   * credential), `message` (`transaction`, the server's `id` when its reply names one, `octets`,
   * `recipients`, `accepted`, `refused`, `verdict`, `code`, `reply`), `close` (`cause`: `quit`, `error`
   * or `closed`; `error`, `reason`, `reply`, `messages`). See docs/logging.md.
   */
  readonly logger?: Logger
  /**
   * With `logger`: also write each command and reply line as a `transcript` event at debug level,
   * AUTH data redacted and message content left out (see `transcribed`). Default false.
   */
  readonly transcript?: boolean
  /** The server's host and port, for the `connection` event. */
  readonly peer?: { readonly host: string; readonly port: number }
}

const CR = 0x0d
const LF = 0x0a
const HIGHS = 0x80808080
const BELOW14 = 0x0e0e0e0e

/**
 * What one pass over a whole text body tells:
 * - `eightBit`: is any octet above 127?
 * - `size`: the octets it takes as sent, each line ending CRLF (RFC 1870 5 counts the CRLF pairs): every
 *   bare LF or bare CR goes out as CRLF, one octet more, and a body that stops mid-line gets a CRLF (RFC 5321
 *   4.1.1.4). The dots doubled by dot-stuffing do not count (RFC 1870 5).
 * Whole 32-bit words are tested at once (an octet above 127; an octet below 14, as CR and LF are), so text
 * costs a few integer operations per four octets, some 20 ms for 50 MB.
 */
const textFacts = (b: Uint8Array): { readonly eightBit: boolean; readonly size: number } => {
  let high = false
  let extra = 0
  // the octet at i: a CR or LF without its partner adds one
  const look = (i: number): void => {
    const c = b[i]!
    if (c > 0x7f) high = true
    else if (c === LF) {
      if (i === 0 || b[i - 1] !== CR) extra++
    } else if (c === CR && b[i + 1] !== LF) extra++
  }
  const n = b.length
  const head = Math.min(n, (4 - (b.byteOffset & 3)) & 3)
  const count = (n - head) >>> 2
  let i = 0
  for (; i < head; i++) look(i)
  if (count > 0) {
    const words = new Uint32Array(b.buffer, b.byteOffset + head, count)
    for (let w = 0; w < count; w++) {
      const v = words[w]!
      if ((v & HIGHS) !== 0 || ((v - BELOW14) & ~v & HIGHS) !== 0) {
        const at = head + w * 4
        look(at)
        look(at + 1)
        look(at + 2)
        look(at + 3)
      }
    }
    i = head + count * 4
  }
  for (; i < n; i++) look(i)
  const last = b[n - 1]
  return { eightBit: high, size: n + extra + (n > 0 && last !== LF && last !== CR ? 2 : 0) }
}

/**
 * UTF-8 in the header section, which ends at the first empty line (RFC 5322 2.1): octets above 127 there that
 * decode as UTF-8 (RFC 6532 3.2). A bare LF or bare CR ends a line, as it does when the body is sent (CRLF on the
 * wire). Other 8-bit octets there (Latin-1, say) are no UTF-8: SMTPUTF8 would not make them lawful, so they are not
 * a reason to ask for it, nor to refuse the message to a server that does not offer it.
 */
const utf8Header = (bytes: Uint8Array): boolean => {
  let lineStart = true
  let high = false
  let end = bytes.length
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!
    if (c > 0x7f) high = true
    if (lineStart && (c === 0x0a || c === 0x0d)) {
      end = i // an empty line: the body follows
      break
    }
    lineStart = c === 0x0a || (c === 0x0d && bytes[i + 1] !== 0x0a)
  }
  return high && decodeUtf8(bytes, 0, end) !== undefined
}

/**
 * What a body given whole (bytes or text) says of itself, where the envelope does not:
 * - its size (see `textFacts`), sent as SIZE= to a server that offers SIZE, so that one whose limit it
 *   passes refuses it before the data (RFC 1870 6); the client refuses it first, as `Unsupported`, when the
 *   server announced the limit;
 * - 8-bit octets: BODY=8BITMIME (RFC 6152 3: without it the body counts as 7BIT);
 * - UTF-8 in its header fields: SMTPUTF8, which a server that does not offer it never gets (RFC 6531 3.2,
 *   3.6: the message is then refused as `Unsupported` before MAIL).
 * A streamed body cannot be looked at first. Without a BODY of its own it goes as BODY=8BITMIME to a server that
 * offers 8BITMIME (it may hold 8-bit octets, and 7-bit text is 8-bit MIME too), else as 7BIT, where an octet
 * above 127 fails it as `Unsupported`; its size and SMTPUTF8 it must declare itself.
 */
const withBodyFacts = (m: OutgoingMessage, eightBitMime: boolean): ClientEnvelope => {
  const params = m.envelope.params
  if (params?.size !== undefined && params.body !== undefined && params.smtpUtf8 !== undefined) return m.envelope
  const whole = typeof m.body === 'string' ? encode(m.body) : m.body instanceof Uint8Array ? m.body : undefined
  if (whole === undefined)
    return eightBitMime && params?.body === undefined
      ? { ...m.envelope, params: { ...params, body: '8BITMIME' } }
      : m.envelope
  const facts = textFacts(whole)
  // BINARYMIME goes octet for octet (RFC 3030 3)
  const size = params?.size ?? (params?.body === 'BINARYMIME' ? whole.length : facts.size)
  if (!facts.eightBit) return { ...m.envelope, params: { ...params, size } }
  const asksUtf8 = params?.smtpUtf8 === undefined && utf8Header(whole)
  return {
    ...m.envelope,
    params: {
      ...params,
      size,
      ...(params?.body === undefined ? { body: '8BITMIME' as const } : {}),
      ...(asksUtf8 ? { smtpUtf8: true } : {}),
    },
  }
}

/** Default largest piece of a body handed to the session at a time, in octets. */
export const DEFAULT_BODY_PIECE = 64 * 1024

/** Views of at most `max` octets of each chunk, in order. */
function* cut(chunks: Iterable<Uint8Array>, max: number): Generator<Uint8Array> {
  for (const chunk of chunks) for (let i = 0; i < chunk.length; i += max) yield chunk.subarray(i, i + max)
}

/**
 * Pieces of at most `max` octets of an async body. Its iterator is taken at once, so that `return()` ends
 * it (a read stream is destroyed, its file closed) whether or not reading began.
 */
const cutAsync = (chunks: AsyncIterable<Uint8Array>, max: number): AsyncIterator<Uint8Array> => {
  const source = chunks[Symbol.asyncIterator]()
  let chunk: Uint8Array | undefined
  let at = 0
  let ended = false
  const over: IteratorReturnResult<undefined> = { value: undefined, done: true }
  return {
    next: async () => {
      while (chunk === undefined || at >= chunk.length) {
        if (ended) return over
        const r = await source.next()
        if (r.done === true) {
          ended = true
          return over
        }
        chunk = r.value
        at = 0
      }
      const piece = chunk.subarray(at, at + max)
      at += max
      return { value: piece, done: false }
    },
    return: async () => {
      if (!ended) {
        ended = true
        if (chunk === undefined) endUnread(chunks)
        await source.return?.()
      }
      return over
    },
  }
}

/**
 * A Node stream holds its file before it is read, and its iterator (an async generator) lets go of it only once
 * started: one never read is destroyed. Web streams and generators are ended by their iterator's `return()`.
 */
const endUnread = (body: AsyncIterable<Uint8Array>): void => {
  const destroy = (body as { destroy?: unknown }).destroy
  if (typeof destroy === 'function') destroy.call(body)
}

/**
 * Let go of a body the session is done with: sent, refused before DATA, or cut off. An async one that was
 * not read to its end is ended (a file's read stream is destroyed, so its descriptor is closed).
 */
const release = (body: AsyncIterator<Uint8Array> | Iterator<Uint8Array>, onError?: (e: unknown) => void): void => {
  try {
    void Promise.resolve(body.return?.()).catch((e: unknown) => onError?.(e))
  } catch (e) {
    onError?.(e)
  }
}

/** A body that never reached the session (the session closed first), let go of the same way. */
const releaseUnsent = (body: MessageBody, onError?: (e: unknown) => void): void => {
  if (typeof body === 'string' || body instanceof Uint8Array || !(Symbol.asyncIterator in body)) return
  try {
    endUnread(body)
    release(body[Symbol.asyncIterator](), onError)
  } catch (e) {
    onError?.(e)
  }
}

/**
 * The body as pieces of at most `max` octets. Each piece is one write, and the data timeout runs per
 * write (RFC 5321 4.5.3.2.5: per block of data): a large body sent as one write would be timed as a
 * whole, however steadily the server reads it.
 */
const chunksOf = (body: MessageBody, max: number): AsyncIterator<Uint8Array> | Iterator<Uint8Array> => {
  if (typeof body === 'string') return cut([encode(body)], max)
  if (body instanceof Uint8Array) return cut([body], max)
  if (Symbol.asyncIterator in body) return cutAsync(body, max)
  return cut(body, max)
}

/**
 * Start a client session on a connected transport.
 * @example
 * const session = startClientSession(transport, { config, runtime })
 * await session.ready
 * const result = await session.send({ envelope: { from: 'bob@example.org', to: ['alice@example.com'] }, body: text })
 */
export const startClientSession = (connection: Transport, options: ClientSessionOptions): ClientSession => {
  const { runtime } = options
  const onError = reporter(options.onError)
  const log = options.logger === undefined ? undefined : new ClientLog(options.logger, runtime.randomToken())
  const transport =
    log !== undefined && options.transcript === true
      ? // what the session writes while it authenticates is SASL data, whatever the replies looked like
        transcribed(connection, 'client', transcriptTo(options.logger!, log.session), () => state.phase._tag === 'Auth')
      : connection
  const pieceOctets = Math.max(1, Math.floor(options.bodyPieceOctets ?? DEFAULT_BODY_PIECE))
  let state: ClientState
  let failure: SmtpClientError | undefined
  let isClosed = false
  let cancelTimer: (() => void) | undefined
  let lastWrite: Promise<void> = Promise.resolve()
  let resolveReady!: (r: ClientReady) => void
  let rejectReady!: (e: unknown) => void
  let readySettled = false
  const ready = new Promise<ClientReady>((res, rej) => {
    resolveReady = res
    rejectReady = rej
  })
  ready.catch(() => undefined)
  let resolveClosed!: () => void
  const closed = new Promise<void>((res) => (resolveClosed = res))
  // Messages submitted and not finished, by id: with PIPELINING the next one may be on its way
  // while the previous waits for its final reply (results come back in order).
  interface InFlight {
    readonly body: AsyncIterator<Uint8Array> | Iterator<Uint8Array>
    readonly done: (r: SentMessage) => void
    readonly fail: (e: unknown) => void
  }
  const inflight = new Map<string, InFlight>()
  /** Messages whose body the session asked for. */
  const bodyStarted = new Set<string>()
  // The body read asked for by the last BodyWanted, while it is pending. Its transaction may end before it
  // answers (a refused chunk): the read is then abandoned, and the session goes on without waiting for it.
  let pulling: { readonly id: string; abandoned: boolean } | undefined
  const queue: Array<() => void> = []
  let counter = 0
  /** A Ready came and nothing was submitted since: the session takes a message now. */
  let canSubmit = false

  const dispatch = (input: ClientInput): void => {
    if (isClosed && input._tag !== 'PeerClosed') return
    const before = state
    const [next, outputs] = clientStep(state, input)
    state = next
    log?.step(before, next, outputs)
    run(outputs)
  }

  const finish = (): void => {
    if (isClosed) return
    isClosed = true
    cancelTimer?.()
    transport.close()
    // an error (with its stack) only when somebody is still waiting: a session that ended well needs none
    if (!readySettled || inflight.size > 0) {
      const error = failure ?? new SmtpClientError({ _tag: 'ConnectionLost' })
      rejectReady(error)
      for (const m of inflight.values()) m.fail(error)
    }
    for (const m of inflight.values()) release(m.body, onError)
    inflight.clear()
    for (const go of queue.splice(0)) go() // each sees the session closed and rejects
    log?.closed(failure?.error)
    resolveClosed()
  }

  const run = (outputs: ReadonlyArray<ClientOutput>): void => {
    let becameReady = false
    let owed = false
    for (const o of outputs) {
      switch (o._tag) {
        case 'Send': {
          // the body is pulled only once the previous write was taken (backpressure)
          const taken = transport.write(o.bytes)
          lastWrite = taken === true ? Promise.resolve() : taken.catch((e) => onError(e))
          break
        }
        case 'StartTls':
          // Read nothing more in clear: some runtimes (Deno.startTls) cannot upgrade under a pending read.
          transport.pause()
          lastWrite
            .then(() => transport.startTls())
            .then(
              (tls) => {
                log?.tlsStarted(tls)
                transport.resume()
                dispatch(ClientInput.tlsStarted)
              },
              (e) => {
                onError(e)
                failure = new SmtpClientError({
                  _tag: 'ProtocolError',
                  reason: `TLS handshake failed: ${e instanceof Error ? e.message : String(e)}`,
                  reply: undefined,
                })
                finish()
              },
            )
          break
        case 'SetTimer':
          cancelTimer?.()
          cancelTimer = runtime.setTimer(o.ms, () => dispatch(ClientInput.timerFired(o.timer)))
          break
        case 'ClearTimer':
          cancelTimer?.()
          cancelTimer = undefined
          break
        case 'Close':
          finish() // the transport writes what it holds before it closes
          break
        case 'Ready':
          readySettled = true
          resolveReady(o)
          canSubmit = true
          becameReady = true
          break
        case 'BodyWanted':
          if (o.id !== undefined) {
            bodyStarted.add(o.id)
            pullBody(o.id)
          }
          break
        case 'RecipientResult':
          break
        case 'MessageResult': {
          // A read of this message's body still pending: its answer is owed to the session (which holds Ready
          // for it), and a body may take any time to give it, or never (an upstream that stalls). It is given
          // now, and the read's own answer will be dropped.
          if (pulling !== undefined && pulling.id === o.id) {
            pulling.abandoned = true
            pulling = undefined
            owed = true
          }
          const m = o.id === undefined ? undefined : inflight.get(o.id)
          const dataSent = o.id !== undefined && bodyStarted.delete(o.id)
          if (o.id !== undefined) inflight.delete(o.id)
          if (m !== undefined) release(m.body, onError) // read to its end, refused unread, or cut off
          m?.done({ ...o, dataSent })
          break
        }
        case 'Failed':
          failure = new SmtpClientError(o.error)
          break
        case 'Misuse':
          onError(new Error(`smtpure misuse: ${o.message}`))
          break
      }
    }
    if (owed) dispatch(ClientInput.bodyEnd) // the answer the session waits for, in the abandoned read's place
    // the next queued request runs after this step's outputs (its timer must not be cleared by them)
    if (becameReady) queue.shift()?.()
  }

  const pullBody = (id: string): void => {
    const c = inflight.get(id)
    if (c === undefined) return
    const read = { id, abandoned: false }
    pulling = read
    lastWrite
      .then(() => c.body.next())
      .then(
        (r) => {
          if (pulling === read) pulling = undefined
          if (read.abandoned) return // its transaction has ended: the session was answered in its place
          if (!r.done) log?.body(id, r.value.byteLength)
          dispatch(r.done ? ClientInput.bodyEnd : ClientInput.bodyChunk(r.value))
        },
        (e) => {
          if (pulling === read) pulling = undefined
          // a body that fails after its transaction ended (an upstream destroyed once the refusal was seen)
          // is the application's affair: the session it no longer belongs to goes on
          if (read.abandoned) return onError(e)
          // the application's body failed: the message cannot be completed, so the connection goes
          onError(e)
          c.fail(e)
          inflight.delete(id)
          failure = new SmtpClientError({ _tag: 'ConnectionLost' })
          finish()
        },
      )
  }

  log?.connected(options.peer, transport.tls)
  transport.start({
    data: (bytes) => {
      log?.read(bytes)
      dispatch(ClientInput.received(bytes))
    },
    closed: (e) => {
      if (e !== undefined) onError(e)
      dispatch(ClientInput.peerClosed)
      finish()
    },
  })
  const [s0, outputs] = clientInit(options.config)
  state = s0
  run(outputs)

  /** Run `go` now if the session takes a request, else after the requests before it. */
  const enqueue = (go: () => void): void => {
    // once the session has ended nothing drains the queue again: a request then runs at once, and fails
    if (isClosed || (canSubmit && queue.length === 0)) go()
    else queue.push(go)
  }

  /** Submit one transaction once the session takes it (requests run in the order they were made). */
  const submit = (message: OutgoingMessage): Promise<SentMessage> =>
    new Promise<SentMessage>((resolve, reject) => {
      enqueue(() => {
        if (isClosed) {
          releaseUnsent(message.body, onError)
          return reject(failure ?? new SmtpClientError({ _tag: 'ConnectionLost' }))
        }
        const id = `m${++counter}`
        inflight.set(id, { body: chunksOf(message.body, pieceOctets), done: resolve, fail: reject })
        canSubmit = false
        dispatch(ClientInput.submitted(withBodyFacts(message, state.capabilities?.eightBitMime === true), id))
      })
    })

  const send = (message: OutgoingMessage): Promise<SentMessage> =>
    ready.then(
      () => {
        const parts = splitEnvelope(message.envelope, state.capabilities ?? { limits: {} })
        if (parts.length === 1) return submit(message)
        // Every part is queued now, in order, so a later request (another send, QUIT) waits for all of them.
        // The same body goes in each transaction: a streamed one is read whole once, first.
        const whole =
          typeof message.body === 'string' || message.body instanceof Uint8Array ? undefined : wholeBody(message.body)
        whole?.catch(() => undefined) // a body that fails is reported by the transaction that reads it
        const bodyOf = (): MessageBody =>
          whole === undefined
            ? message.body
            : (async function* () {
                yield await whole
              })()
        // A part never sent (the session ended before its turn) rejects; once an earlier part has a result,
        // that result stands (it may be `unknown`: delivered or not) and the part's recipients are temporary.
        return Promise.allSettled(parts.map((envelope) => submit({ envelope, body: bodyOf() }))).then((settled) => {
          const results = settled.map((s, i) => (s.status === 'fulfilled' ? s.value : notSent(parts[i]!, s.reason)))
          const first = settled.find((s) => s.status === 'rejected')
          // no part got a result, or one failed otherwise: the send fails as a whole, as one transaction would
          if (first !== undefined && (settled[0]!.status === 'rejected' || results.includes(undefined)))
            throw first.reason
          return mergeResults(results as ReadonlyArray<SentMessage>)
        })
      },
      (e: unknown) => {
        releaseUnsent(message.body, onError) // the session never started: the body goes unread
        throw e
      },
    )

  // QUIT waits behind every send asked for before it (their `ready.then` callbacks run first).
  const quit = (): Promise<void> => {
    ready.then(
      () =>
        enqueue(() => {
          canSubmit = false
          log?.quit()
          dispatch(ClientInput.quitRequested)
        }),
      () => undefined,
    )
    return closed
  }

  // as if the connection were lost: the session reports what was in flight, then it ends
  const close = (): Promise<void> => {
    dispatch(ClientInput.peerClosed)
    finish()
    return closed
  }

  return { ready, send, quit, close, closed }
}

const wholeBody = async (body: MessageBody): Promise<Uint8Array> => {
  if (typeof body === 'string') return encode(body)
  if (body instanceof Uint8Array) return body
  const parts: Uint8Array[] = []
  if (Symbol.asyncIterator in body) for await (const c of body) parts.push(c.slice())
  else for (const c of body) parts.push(c.slice())
  return concat(parts)
}

const precedence: ReadonlyArray<MessageResult['status']> = ['accepted', 'unknown', 'temporary', 'permanent']

/**
 * The result of a part of a split envelope that was never sent because the session had ended (`reason`, its
 * SmtpClientError): each of its recipients temporary. Undefined for any other reason (a failing body).
 */
const notSent = (envelope: ClientEnvelope, reason: unknown): SentMessage | undefined =>
  reason instanceof SmtpClientError
    ? {
        _tag: 'MessageResult',
        id: undefined,
        status: 'temporary',
        reply: undefined,
        error: reason.error,
        recipients: envelope.to.map((to) => ({
          address: typeof to === 'string' ? to : to.address,
          status: 'temporary',
          reply: undefined,
          afterData: false,
        })),
        dataSent: false,
      }
    : undefined

/** One result for a message sent in several transactions (see `SentMessage`). */
const mergeResults = (results: ReadonlyArray<SentMessage>): SentMessage => {
  const recipients = results.flatMap((r) => r.recipients)
  const status = precedence.find((p) => recipients.some((r) => r.status === p)) ?? 'permanent'
  const merged: SentMessage = {
    _tag: 'MessageResult',
    id: results[0]!.id,
    status,
    reply: results[0]!.reply,
    error: results.find((r) => r.error !== undefined)?.error,
    recipients,
    transactions: results,
    dataSent: results.some((r) => r.dataSent),
  }
  return results.some((r) => r.dsnOmitted === true) ? { ...merged, dsnOmitted: true } : merged
}
