// Test harness: drives the server reducer as a driver would, answering questions with a policy,
// collecting what the server sent and the messages it handed out.
import { expect } from 'vitest'
import { type ServerOptions, serverConfig } from '../../src/Config.js'
import { concat, encode, latin1 } from '../../src/wire/bytes.js'
import {
  type Answer,
  type Connection,
  type Question,
  type ServerInput,
  type ServerOutput,
  type ServerState,
  accept,
  answered,
  init,
  received,
  step,
} from '../../src/server/index.js'
import { deepFreeze } from '../arb/frozen.js'

export type Answerer = (q: Question) => Answer | undefined

export const acceptAll: Answerer = () => accept()

export interface Delivered {
  readonly question: Extract<Question, { _tag: 'Message' }>
  readonly body: Uint8Array
}

export class Harness {
  state: ServerState
  outputs: ServerOutput[] = []
  sent = ''
  private unread = 0
  questions: Question[] = []
  delivered: Delivered[] = []
  aborted: string[] = []
  closed = false
  startTls = 0
  private chunks: Uint8Array[] = []
  private queueAnswer: Array<[number, Answer]> = []

  constructor(
    options: ServerOptions,
    public answerer: Answerer = acceptAll,
    conn: Connection = {},
  ) {
    const config = serverConfig(options)
    if (config._tag === 'Left') throw new Error(config.left.errors.join('; '))
    const [s, outs] = init(config.right, conn)
    this.state = s
    this.take(outs)
  }

  /**
   * Feed one input; the reducer must not throw, must not change the state it is given (frozen, it would throw),
   * and what it emits is processed.
   */
  input(i: ServerInput): void {
    const [s, outs] = step(deepFreeze(this.state), i)
    this.state = s
    this.take(outs)
  }

  feed(data: string | Uint8Array): this {
    this.input(received(typeof data === 'string' ? encode(data) : data))
    return this
  }

  /** What the server sent since the last call. */
  read(): string {
    const r = this.sent.slice(this.unread)
    this.unread = this.sent.length
    return r
  }

  get pending(): Question | undefined {
    return this.state.pending
  }

  answer(a: Answer): this {
    const q = this.state.pending
    if (q === undefined) throw new Error('no pending question')
    this.input(answered(q.id, a))
    return this
  }

  private take(outs: ReadonlyArray<ServerOutput>): void {
    for (const o of outs) {
      this.outputs.push(o)
      switch (o._tag) {
        case 'Send':
          this.sent += latin1(o.bytes)
          break
        case 'Ask': {
          this.questions.push(o.question)
          if (o.question._tag === 'Message')
            this.delivered.push({ question: o.question, body: concat(this.chunks.map((c) => c.slice())) })
          this.chunks = []
          const a = this.answerer(o.question)
          if (a !== undefined) {
            // answer after this batch of outputs, as an asynchronous driver would
            this.queueAnswer.push([o.question.id, a])
          }
          break
        }
        case 'MessageStart':
          this.chunks = []
          break
        case 'MessageChunk':
          this.chunks.push(o.bytes.slice())
          break
        case 'MessageAborted':
          this.aborted.push(o.reason)
          this.chunks = []
          break
        case 'Close':
          this.closed = true
          break
        case 'StartTls':
          this.startTls++
          break
        default:
          break
      }
    }
    while (this.queueAnswer.length > 0) {
      const [id, a] = this.queueAnswer.shift()!
      this.input(answered(id, a))
    }
  }
}

export const bodyText = (d: Delivered): string => latin1(d.body)

/**
 * Run a C:/S: script byte for byte. Each `C:` line is sent with CRLF as its own input; the `S:`
 * lines after it must be exactly what the server sent in reply (CRLF after each).
 */
export const transcript = (h: Harness, script: string): void => {
  const lines = script.split('\n').filter((l) => l.trim() !== '')
  let expected = ''
  const check = (): void => {
    expect(h.read()).toBe(expected)
    expected = ''
  }
  for (const raw of lines) {
    const line = raw.replace(/^\s+/, '')
    if (line.startsWith('S: ')) expected += line.slice(3) + '\r\n'
    else if (line.startsWith('C: ') || line === 'C:') {
      check()
      h.feed(line.slice(3) + '\r\n')
    } else throw new Error(`bad script line: ${raw}`)
  }
  check()
}
