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
  encode,
} from '@smtpure/core'
import type { Runtime, Transport } from './Transport.js'

/** The session ended with this error; `error` is the core's typed value. */
export class SmtpClientError extends Error {
  constructor(readonly error: ClientError) {
    super(describeClientError(error))
    this.name = 'SmtpClientError'
  }
}

/** One line that says what went wrong. */
export const describeClientError = (e: ClientError): string => {
  const reply =
    'reply' in e && e.reply !== undefined
      ? `: ${e.reply.code} ${[e.reply.enhanced, ...e.reply.lines].filter(Boolean).join(' ')}`
      : ''
  switch (e._tag) {
    case 'InvalidEnvelope':
    case 'ProtocolError':
    case 'AuthUnavailable':
      return `${e._tag}: ${e.reason}${reply}`
    case 'Unsupported':
      return `${e._tag}: ${e.extension}: ${e.reason}`
    case 'Timeout':
      return `Timeout waiting for ${e.waitingFor}`
    default:
      return `${e._tag}${reply}`
  }
}

export type MessageBody = Uint8Array | string | Iterable<Uint8Array> | AsyncIterable<Uint8Array>

export interface OutgoingMessage {
  readonly envelope: ClientEnvelope
  readonly body: MessageBody
}

export interface ClientSession {
  /** Resolves once the session can take messages (greeting, EHLO, STARTTLS, AUTH done). */
  readonly ready: Promise<ClientReady>
  /** Send one message; messages are sent one after another on this connection. */
  readonly send: (message: OutgoingMessage) => Promise<MessageResult>
  /** QUIT, wait for the reply and close. */
  readonly quit: () => Promise<void>
  /** Settles when the connection is closed. */
  readonly closed: Promise<void>
}

export interface ClientSessionOptions {
  readonly config: ClientConfig
  readonly runtime: Runtime
  readonly onError?: (error: unknown) => void
}

const chunksOf = (body: MessageBody): AsyncIterator<Uint8Array> | Iterator<Uint8Array> => {
  if (typeof body === 'string') return [encode(body)][Symbol.iterator]()
  if (body instanceof Uint8Array) return [body][Symbol.iterator]()
  if (Symbol.asyncIterator in body) return body[Symbol.asyncIterator]()
  return body[Symbol.iterator]()
}

/**
 * Start a client session on a connected transport.
 * @example
 * const session = startClientSession(transport, { config, runtime })
 * await session.ready
 * const result = await session.send({ envelope: { from: 'bob@example.org', to: ['alice@example.com'] }, body: text })
 */
export const startClientSession = (transport: Transport, options: ClientSessionOptions): ClientSession => {
  const { runtime } = options
  let state: ClientState
  let failure: SmtpClientError | undefined
  let isClosed = false
  let cancelTimer: (() => void) | undefined
  let lastWrite: Promise<void> = Promise.resolve()
  let resolveReady!: (r: ClientReady) => void
  let rejectReady!: (e: unknown) => void
  const ready = new Promise<ClientReady>((res, rej) => {
    resolveReady = res
    rejectReady = rej
  })
  ready.catch(() => undefined)
  let resolveClosed!: () => void
  const closed = new Promise<void>((res) => (resolveClosed = res))
  let current:
    | {
        id: string
        body: AsyncIterator<Uint8Array> | Iterator<Uint8Array>
        done: (r: MessageResult) => void
        fail: (e: unknown) => void
      }
    | undefined
  const queue: Array<() => void> = []
  let counter = 0

  const dispatch = (input: ClientInput): void => {
    if (isClosed && input._tag !== 'PeerClosed') return
    const [next, outputs] = clientStep(state, input)
    state = next
    run(outputs)
  }

  const finish = (): void => {
    if (isClosed) return
    isClosed = true
    cancelTimer?.()
    transport.close()
    const error = failure ?? new SmtpClientError({ _tag: 'ConnectionLost' })
    rejectReady(error)
    current?.fail(error)
    current = undefined
    resolveClosed()
  }

  const run = (outputs: ReadonlyArray<ClientOutput>): void => {
    for (const o of outputs) {
      switch (o._tag) {
        case 'Send': {
          // the body is pulled only once the previous write was taken (backpressure)
          const taken = transport.write(o.bytes)
          lastWrite = taken === true ? Promise.resolve() : taken.catch((e) => options.onError?.(e))
          break
        }
        case 'StartTls':
          lastWrite
            .then(() => transport.startTls())
            .then(
              () => dispatch(ClientInput.tlsStarted),
              (e) => {
                options.onError?.(e)
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
          resolveReady(o)
          queue.shift()?.()
          break
        case 'BodyWanted':
          pullBody()
          break
        case 'RecipientResult':
          break
        case 'MessageResult': {
          const c = current
          current = undefined
          c?.done(o)
          break
        }
        case 'Failed':
          failure = new SmtpClientError(o.error)
          break
        case 'Misuse':
          options.onError?.(new Error(`smtpure misuse: ${o.message}`))
          break
      }
    }
  }

  const pullBody = (): void => {
    const c = current
    if (c === undefined) return
    lastWrite
      .then(() => c.body.next())
      .then(
        (r) => dispatch(r.done ? ClientInput.bodyEnd : ClientInput.bodyChunk(r.value)),
        (e) => {
          // the application's body failed: the message cannot be completed, so the connection goes
          options.onError?.(e)
          c.fail(e)
          current = undefined
          failure = new SmtpClientError({ _tag: 'ConnectionLost' })
          finish()
        },
      )
  }

  transport.start({
    data: (bytes) => dispatch(ClientInput.received(bytes)),
    closed: (e) => {
      if (e !== undefined) options.onError?.(e)
      dispatch(ClientInput.peerClosed)
      finish()
    },
  })
  const [s0, outputs] = clientInit(options.config)
  state = s0
  run(outputs)

  const send = (message: OutgoingMessage): Promise<MessageResult> =>
    ready.then(
      () =>
        new Promise<MessageResult>((resolve, reject) => {
          const go = (): void => {
            if (isClosed) return reject(failure ?? new SmtpClientError({ _tag: 'ConnectionLost' }))
            const id = `m${++counter}`
            current = { id, body: chunksOf(message.body), done: resolve, fail: reject }
            dispatch(ClientInput.submitted(message.envelope, id))
          }
          if (current === undefined && state.phase._tag === 'Ready') go()
          else queue.push(go)
        }),
    )

  const quit = (): Promise<void> => {
    if (current === undefined) dispatch(ClientInput.quitRequested)
    else queue.push(() => dispatch(ClientInput.quitRequested))
    return closed
  }

  return { ready, send, quit, closed }
}
