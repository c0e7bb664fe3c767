// The pure loop: a real client session wired to a real server session with no I/O. Bytes move both ways
// in pieces cut by a random source, the server's questions are answered by a policy, both sides get
// TlsStarted when STARTTLS succeeds, and the application side submits messages and feeds their bodies.
// Used by the property tests and, later, by the benchmark.
import type { ServerOptions } from '../../src/Config.js'
import { serverConfig } from '../../src/Config.js'
import {
  type ClientEnvelope,
  type ClientError,
  type ClientOptions,
  type ClientOutput,
  type MessageResult,
  ClientInput,
  clientConfig,
  clientInit,
  clientStep,
} from '../../src/client/index.js'
import {
  type Answer,
  type Connection,
  type Question,
  type ServerInput,
  type ServerOutput,
  type TimerName,
  answered,
  init,
  peerClosed,
  received,
  step,
  timerFired,
  tlsStarted,
} from '../../src/server/index.js'
import { concat } from '../../src/wire/bytes.js'
import { deepFreeze } from '../arb/frozen.js'

export interface LoopMessage {
  readonly envelope: ClientEnvelope
  /** The body as the application hands it over, chunk by chunk. */
  readonly body: ReadonlyArray<Uint8Array>
  readonly id?: string
}

export interface LoopOptions {
  readonly server: ServerOptions
  readonly client: ClientOptions
  readonly messages: ReadonlyArray<LoopMessage>
  /** The server application's decisions. */
  readonly answer: (q: Question) => Answer
  /** A number in [0, 1) per call: cuts the byte streams and picks which side moves. Default: whole writes. */
  readonly random?: () => number
  /** The server connection (e.g. `tls` for implicit TLS); the nonce defaults to a fixed value. */
  readonly connection?: Connection
  /** Stop after this many deliveries and timer firings (default 100000). */
  readonly maxSteps?: number
  /** Break the connection (PeerClosed to both sides) once this many octets were delivered in all. */
  readonly cutAt?: number
  /** Keep every output (off for benchmarks). Default true. */
  readonly record?: boolean
}

export interface Delivery {
  readonly question: Extract<Question, { _tag: 'Message' }>
  readonly body: Uint8Array
  readonly answer: Answer
}

export interface LoopResult {
  readonly clientOutputs: ReadonlyArray<ClientOutput>
  readonly serverOutputs: ReadonlyArray<ServerOutput>
  readonly results: ReadonlyArray<MessageResult>
  readonly failures: ReadonlyArray<ClientError>
  readonly misuse: ReadonlyArray<string>
  readonly questions: ReadonlyArray<{ readonly question: Question; readonly answer: Answer }>
  readonly deliveries: ReadonlyArray<Delivery>
  /** Messages submitted (the rest never got a Ready). */
  readonly submitted: number
  readonly steps: number
  /** Both sides closed. */
  readonly ended: boolean
  /** Timers the loop had to fire because nothing else could move. */
  readonly timeouts: number
  readonly bytes: { readonly toServer: number; readonly toClient: number }
}

const ok = <A>(r: { _tag: 'Left'; left: { errors: ReadonlyArray<string> } } | { _tag: 'Right'; right: A }): A => {
  if (r._tag === 'Left') throw new Error(r.left.errors.join('; '))
  return r.right
}

/** Run one connection to its end (or to `maxSteps`). */
export const runLoop = (o: LoopOptions): LoopResult => {
  const rnd = o.random
  const record = o.record ?? true
  const cConfig = ok(clientConfig(o.client))
  const sConfig = ok(serverConfig(o.server))
  const conn: Connection = { nonce: 'loop', tls: cConfig.implicitTls, ...o.connection }
  const toServer: Uint8Array[] = []
  const toClient: Uint8Array[] = []
  const clientOutputs: ClientOutput[] = []
  const serverOutputs: ServerOutput[] = []
  const results: MessageResult[] = []
  const failures: ClientError[] = []
  const misuse: string[] = []
  const questions: Array<{ question: Question; answer: Answer }> = []
  const deliveries: Delivery[] = []
  const appInputs: ClientInput[] = []
  const answers: ServerInput[] = []
  let chunks: Uint8Array[] = []
  const queue = [...o.messages]
  let current: LoopMessage | undefined
  let part = 0
  let submitted = 0
  let clientClosed = false
  let serverClosed = false
  let serverPaused = false
  let clientTimer = false
  const serverTimers = new Set<TimerName>() // armed and not yet fired
  let tlsPending = false
  let peerToServer = false
  let peerToClient = false
  let bytesToServer = 0
  let bytesToClient = 0

  const onClient = (outs: ReadonlyArray<ClientOutput>): void => {
    for (const out of outs) {
      if (record) clientOutputs.push(out)
      switch (out._tag) {
        case 'Send':
          toServer.push(out.bytes.slice())
          bytesToServer += out.bytes.length
          break
        case 'Ready': {
          current = queue.shift()
          part = 0
          if (current === undefined) appInputs.push(ClientInput.quitRequested)
          else {
            submitted++
            appInputs.push(ClientInput.submitted(current.envelope, current.id))
          }
          break
        }
        case 'BodyWanted': {
          const next = current?.body[part++]
          appInputs.push(next === undefined ? ClientInput.bodyEnd : ClientInput.bodyChunk(next))
          break
        }
        case 'StartTls':
          tlsPending = true
          break
        case 'SetTimer':
          clientTimer = true
          break
        case 'ClearTimer':
          clientTimer = false
          break
        case 'Close':
          clientClosed = true
          clientTimer = false
          break
        case 'MessageResult':
          results.push(out)
          break
        case 'Failed':
          failures.push(out.error)
          break
        case 'Misuse':
          misuse.push(`client: ${out.message}`)
          break
        default:
          break
      }
    }
  }

  const onServer = (outs: ReadonlyArray<ServerOutput>): void => {
    for (const out of outs) {
      if (record) serverOutputs.push(out)
      switch (out._tag) {
        case 'Send':
          toClient.push(out.bytes.slice())
          bytesToClient += out.bytes.length
          break
        case 'Ask': {
          const answer = o.answer(out.question)
          questions.push({ question: out.question, answer })
          if (out.question._tag === 'Message') deliveries.push({ question: out.question, body: concat(chunks), answer })
          chunks = []
          answers.push(answered(out.question.id, answer))
          break
        }
        case 'MessageStart':
        case 'MessageAborted':
          chunks = []
          break
        case 'MessageChunk':
          chunks.push(out.bytes.slice())
          break
        case 'SetTimer':
          serverTimers.add(out.timer)
          break
        case 'ClearTimer':
          serverTimers.delete(out.timer)
          break
        case 'PauseReading':
          serverPaused = true
          break
        case 'ResumeReading':
          serverPaused = false
          break
        case 'Close':
          serverClosed = true
          serverTimers.clear()
          break
        case 'Misuse':
          misuse.push(`server: ${out.message}`)
          break
        default:
          break
      }
    }
  }

  const [c0, cOuts] = clientInit(cConfig)
  const [s0, sOuts] = init(sConfig, conn)
  let cs = c0
  let ss = s0
  const toC = (i: ClientInput): void => {
    if (clientClosed) return
    const r = clientStep(deepFreeze(cs), i) // frozen: a step that changed its input state would throw
    cs = r[0]
    onClient(r[1])
  }
  const toS = (i: ServerInput): void => {
    if (serverClosed) return
    const r = step(deepFreeze(ss), i)
    ss = r[0]
    onServer(r[1])
  }
  onServer(sOuts)
  onClient(cOuts)

  /** Let both applications react, and finish a STARTTLS handshake, until nothing is left to do at once. */
  const settle = (): void => {
    while (appInputs.length > 0 || answers.length > 0 || tlsPending) {
      if (answers.length > 0) toS(answers.shift()!)
      else if (appInputs.length > 0) toC(appInputs.shift()!)
      else {
        // The handshake: whatever was in flight in clear is gone (RFC 3207 5.2), both sides start over.
        tlsPending = false
        toServer.length = 0
        toClient.length = 0
        toS(tlsStarted)
        toC(ClientInput.tlsStarted)
      }
    }
  }

  let delivered = 0

  /** Hand the receiver a piece of the oldest write in this direction: a random prefix, or all of it. */
  const take = (q: Uint8Array[]): Uint8Array => {
    const head = q[0]!
    const room = o.cutAt === undefined ? head.length : Math.max(1, o.cutAt - delivered)
    const n = Math.min(room, rnd === undefined ? head.length : 1 + Math.floor(rnd() * head.length))
    if (n >= head.length) q.shift()
    else q[0] = head.subarray(n)
    return head.subarray(0, n)
  }

  const maxSteps = o.maxSteps ?? 100000
  let steps = 0
  let timeouts = 0
  for (; steps < maxSteps; steps++) {
    settle()
    if (o.cutAt !== undefined && delivered >= o.cutAt && !(peerToServer && peerToClient)) {
      // The connection breaks: whatever is in flight is lost and both sides see the end.
      toServer.length = 0
      toClient.length = 0
      peerToServer = peerToClient = true
      toS(peerClosed)
      toC(ClientInput.peerClosed)
      continue
    }
    const canServer = toServer.length > 0 && !serverClosed && !serverPaused
    const canClient = toClient.length > 0 && !clientClosed
    if (canServer && (!canClient || (rnd !== undefined && rnd() < 0.5))) {
      const piece = take(toServer)
      delivered += piece.length
      toS(received(piece))
    } else if (canClient) {
      const piece = take(toClient)
      delivered += piece.length
      toC(ClientInput.received(piece))
    }
    // A side that closed leaves the other an end of stream once its bytes are read.
    else if (clientClosed && !serverClosed && toServer.length === 0 && !peerToServer) {
      peerToServer = true
      toS(peerClosed)
    } else if (serverClosed && !clientClosed && toClient.length === 0 && !peerToClient) {
      peerToClient = true
      toC(ClientInput.peerClosed)
    } else if (!clientClosed && clientTimer) {
      timeouts++
      toC(ClientInput.timerFired('reply'))
    } else if (!serverClosed && serverTimers.size > 0) {
      timeouts++
      const timer = [...serverTimers][0]!
      serverTimers.delete(timer) // a timer that fired is gone until the session sets it again
      toS(timerFired(timer))
    } else break
  }
  settle()
  return {
    clientOutputs,
    serverOutputs,
    results,
    failures,
    misuse,
    questions,
    deliveries,
    submitted,
    steps,
    ended: clientClosed && serverClosed,
    timeouts,
    bytes: { toServer: bytesToServer, toClient: bytesToClient },
  }
}
