// Test harness for the client reducer: plays the application (submits queued messages on Ready, feeds
// their bodies on BodyWanted, quits when done) and runs C:/S: transcripts byte for byte.
import { expect } from 'vitest'
import {
  type ClientEnvelope,
  type ClientOptions,
  type ClientOutput,
  type ClientState,
  ClientInput,
  clientConfig,
  clientInit,
  clientStep,
} from '../../src/client/index.js'
import { encode, latin1 } from '../../src/wire/bytes.js'
import { deepFreeze } from '../arb/frozen.js'

/** A message the harness submits: its envelope and its body in the chunks to feed (strings as Latin-1). */
export interface Message {
  readonly envelope: ClientEnvelope
  readonly body: ReadonlyArray<string | Uint8Array>
  readonly id?: string
}

/** Text to bytes, one byte per character (Latin-1); characters above U+00FF go as UTF-8. */
export const bytesOf = (text: string): Uint8Array =>
  [...text].every((c) => c.charCodeAt(0) <= 0xff) ? Uint8Array.from(text, (c) => c.charCodeAt(0)) : encode(text)

export const configOf = (options: ClientOptions) => {
  const c = clientConfig(options)
  if (c._tag === 'Left') throw new Error(c.left.errors.join('; '))
  return c.right
}

export class ClientHarness {
  state: ClientState
  outputs: ClientOutput[] = []
  sent = ''
  private unread = 0
  closed = false
  startTls = 0
  /** When true, the harness sends QuitRequested once its queue is empty and the session is Ready. */
  quitWhenDone = true
  /** When false, the harness plays no application at all: tests feed every input themselves. */
  auto = true
  private queue: Message[]
  private current: Message | undefined
  private chunk = 0
  private pending: ClientInput[] = []

  constructor(options: ClientOptions, messages: ReadonlyArray<Message> = []) {
    const [s, outs] = clientInit(configOf(options))
    this.state = s
    this.queue = [...messages]
    this.take(outs)
  }

  /**
   * Feed one input; what the reducer emits is processed, and the application's reactions fed after it. Each step
   * gets a deep-frozen state: a reducer that changed the state it was given would throw.
   */
  input(i: ClientInput): this {
    this.apply(i)
    while (this.pending.length > 0) this.apply(this.pending.shift()!)
    return this
  }

  private apply(i: ClientInput): void {
    const [s, outs] = clientStep(deepFreeze(this.state), i)
    this.state = s
    this.take(outs)
  }

  /** Server bytes; a string is sent as UTF-8. */
  feed(data: string | Uint8Array): this {
    return this.input(ClientInput.received(typeof data === 'string' ? encode(data) : data))
  }

  /** What the client sent since the last call. */
  read(): string {
    const r = this.sent.slice(this.unread)
    this.unread = this.sent.length
    return r
  }

  of<T extends ClientOutput['_tag']>(tag: T): Array<Extract<ClientOutput, { _tag: T }>> {
    return this.outputs.filter((o): o is Extract<ClientOutput, { _tag: T }> => o._tag === tag)
  }

  private take(outs: ReadonlyArray<ClientOutput>): void {
    for (const o of outs) {
      this.outputs.push(o)
      if (!this.auto && (o._tag === 'Ready' || o._tag === 'BodyWanted')) continue
      switch (o._tag) {
        case 'Send':
          this.sent += latin1(o.bytes)
          break
        case 'Close':
          this.closed = true
          break
        case 'StartTls':
          this.startTls++
          break
        case 'Ready': {
          const m = this.queue.shift()
          this.current = m
          this.chunk = 0
          if (m !== undefined) this.pending.push(ClientInput.submitted(m.envelope, m.id))
          else if (this.quitWhenDone) this.pending.push(ClientInput.quitRequested)
          break
        }
        case 'BodyWanted': {
          const part = this.current?.body[this.chunk++]
          if (part === undefined) this.pending.push(ClientInput.bodyEnd)
          else this.pending.push(ClientInput.bodyChunk(typeof part === 'string' ? bytesOf(part) : part))
          break
        }
        default:
          break
      }
    }
  }
}

/**
 * Run a C:/S: script byte for byte. Consecutive `S:` lines are fed as one input, each with CRLF; the
 * `C:` lines since the last input must be exactly what the client sent (CRLF after each). `-- tls` feeds
 * TlsStarted after checking that the client asked for it.
 */
export const transcript = (h: ClientHarness, script: ReadonlyArray<string>): void => {
  let expected = ''
  let serverText = ''
  const flush = (): void => {
    if (serverText === '') return
    expect(h.read()).toBe(expected)
    expected = ''
    h.feed(serverText)
    serverText = ''
  }
  for (const raw of script) {
    const line = raw.replace(/^\s+/, '')
    if (line.startsWith('S:')) serverText += line.slice(3) + '\r\n'
    else if (line.startsWith('C:')) {
      flush()
      expected += line.slice(3) + '\r\n'
    } else if (line === '-- tls') {
      flush()
      expect(h.read()).toBe(expected)
      expected = ''
      expect(h.startTls).toBeGreaterThan(0)
      h.input(ClientInput.tlsStarted)
    } else throw new Error(`bad script line: ${raw}`)
  }
  flush()
  expect(h.read()).toBe(expected)
}

/** Bring a harness to the end of its greeting: 220, then the EHLO reply with these extension lines. */
export const greet = (h: ClientHarness, extensions: ReadonlyArray<string>): ClientHarness => {
  const lines = ['mx.example.com', ...extensions]
  h.feed('220 mx.example.com ESMTP\r\n')
  h.feed(lines.map((l, i) => `250${i === lines.length - 1 ? ' ' : '-'}${l}\r\n`).join(''))
  return h
}

/** A harness that does nothing on its own after Ready: tests drive it input by input. */
export const manual = (options: ClientOptions): ClientHarness => {
  const h = new ClientHarness(options)
  h.auto = false
  return h
}

/** The results a harness collected, in a compact form for assertions. */
export const resultsOf = (h: ClientHarness) =>
  h.of('MessageResult').map((m) => ({
    status: m.status,
    code: m.reply?.code,
    recipients: m.recipients.map((r) => `${r.address} ${r.status} ${r.reply?.code ?? '-'}`),
  }))
