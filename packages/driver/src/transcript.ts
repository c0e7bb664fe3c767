// The protocol transcript: every command and reply line of a session, as either side saw it, with
// what must not be written left out. It reads the two byte streams of a connection (what the client
// sent, what the server sent) and keeps just enough of SMTP's framing to know what each octet is:
// - a reply ends at a line whose code is followed by a space (RFC 5321 4.2.1), and replies come in
//   the order of the commands (RFC 2920 3.2), so each one is matched to its command in a queue;
// - in LMTP the end of the data (the final "." or BDAT LAST) gets one reply per successful RCPT, and a
//   BDAT LAST none at all when no RCPT succeeded (RFC 2033 4.2, 4.3). The RCPTs may be pipelined with
//   it, so its count is set only when its turn in the queue comes, once the replies before it were read;
// - after DATA the client's octets are message content up to CRLF "." CRLF (RFC 5321 4.1.1.4);
//   after `BDAT n` the next n octets are a chunk (RFC 3030 2); neither is written, only its size;
// - from an AUTH command to its final (non-334) reply every client line is SASL data (RFC 4954 4):
//   the initial response on the AUTH line and every line after it become `***`. A hidden line may be
//   a command pipelined behind a refused AUTH, even another AUTH, so each one waits for a reply of its
//   own (a 334 or a final reply, as a server answers every line once) and lines stay hidden while
//   any of them waits or the last one was answered with 334.
// The transcript sits in the driver, outside the pure core, on the bytes the transport moves.
import { decodeUtf8, latin1 } from '@smtpure/core'
import type { Transport, TransportEvents } from './Transport.js'

/** Who sent a line: `C` the client, `S` the server. */
export type Direction = 'C' | 'S'

/** What takes the lines: the direction, the line as written (without CRLF), and extra fields. */
export type TranscriptSink = (dir: Direction, line: string, fields?: Readonly<Record<string, unknown>>) => void

/** Written in place of each SASL line and of an AUTH command's initial response. */
export const REDACTED = '***'

/** CRLF "." CRLF: the end of the data (RFC 5321 4.1.1.4). */
const END_OF_DATA = [0x0d, 0x0a, 0x2e, 0x0d, 0x0a]

/**
 * Most octets held after DATA until its reply says what they are: content (354) or pipelined commands
 * (any other reply). Past this they are taken for content.
 */
const MAX_EARLY = 8 * 1024

/** Longest line kept whole, in octets; the rest of a longer line is cut and counted. */
const MAX_LINE = 2048

/**
 * A BDAT line whose chunk the server reads (RFC 3030 2: 1*DIGIT, leading zeros allowed): it also reads the
 * chunk of a line it refuses only for its white space (two spaces, a tab), so the framing holds.
 */
const chunkLine = /^BDAT[ \t]+([0-9]{1,40})(?:[ \t]+(LAST))?[ \t]*$/i

/** A BDAT LAST as the server takes it, one space apart (RFC 3030 2): the end of the data, not a refused line. */
const lastLine = /^BDAT [0-9]{1,40} LAST$/i

/** A mechanism name (RFC 4954 4: 1 to 20 of A-Z, 0-9, '-' and '_'); anything else on an AUTH line is hidden too. */
const mechanismName = /^[A-Za-z0-9_-]{1,20}$/

/**
 * What the transcript needs to know of the server's options to tell which BDAT LAST the server takes as the end of
 * the data: with `chunking` off every BDAT is refused, and with `bareLineEndings` `reject` so is a line that ends
 * in a bare LF. Without it, the server's defaults (a client's transcript: its own lines end in CRLF, and it sends
 * BDAT only where CHUNKING is offered).
 */
export interface ServerFacts {
  readonly chunking: boolean
  readonly bareLineEndings: 'reject' | 'keep'
}

/**
 * One command waiting for its reply; `replies` > 1 for LMTP's end of data (one per accepted recipient).
 * `verb` is `AUTH` for an AUTH command and `***` for a hidden line.
 */
interface Pending {
  readonly verb: string
  replies: number
  /** A hidden line that was DATA: if it gets a 354 it was a command, and content follows. */
  readonly data?: boolean
  /** The end of the data ("." or BDAT LAST), whose count of replies is set when its turn comes (see `turn`). */
  end?: boolean
}

/** Cuts a stream into lines, holding at most `MAX_LINE` octets of a partial line. */
class Lines {
  private readonly part = new Uint8Array(MAX_LINE)
  private length = 0
  private cut = 0
  private cr = false
  /**
   * Feed `bytes` from `from` up to its first LF; calls `line` if it ends one (`crlf`: it ended in CRLF, not a bare
   * LF), returns where to go on.
   */
  feed(bytes: Uint8Array, from: number, line: (text: string, crlf: boolean) => void): number {
    const lf = bytes.indexOf(0x0a, from)
    const end = lf < 0 ? bytes.length : lf
    if (end > from) {
      const keep = Math.min(end - from, MAX_LINE - this.length)
      this.part.set(bytes.subarray(from, from + keep), this.length)
      this.length += keep
      this.cut += end - from - keep
      this.cr = bytes[end - 1] === 0x0d
    }
    if (lf < 0) return bytes.length
    // the CR of CRLF is not part of the line, whether it was kept or cut
    const kept = this.cut === 0 && this.cr ? this.length - 1 : this.length
    const more = this.cut - (this.cut > 0 && this.cr ? 1 : 0)
    // UTF-8 where it is (RFC 6531), octet for octet where it is not
    const text = decodeUtf8(this.part, 0, kept) ?? latin1(this.part, 0, kept)
    const crlf = this.cr
    this.reset()
    line(more > 0 ? `${text}... (${more} more octets)` : text, crlf)
    return lf + 1
  }
  reset(): void {
    this.length = 0
    this.cut = 0
    this.cr = false
  }
}

// eslint-disable-next-line no-control-regex -- spaces and every control character (a NUL, a tab) part words in a line
const blanks = /[\x00-\x20]+/
// eslint-disable-next-line no-control-regex -- the same, at the start of a line
const leadingBlanks = /^[\x00-\x20]+/

/**
 * Reads both directions of one session and writes a transcript line for each command and reply
 * (see the module comment for what is left out). After LHLO, the end of the data is answered once
 * per accepted recipient, and a BDAT LAST not at all when there is none (RFC 2033 4.2, 4.3). Memory
 * is bounded: two partial lines of at most 2048 octets, one entry per command awaiting its reply, and
 * at most 8 KiB sent after DATA before its reply.
 * @example
 * const t = new Transcript((dir, line) => console.log(`${dir}: ${line}`))
 * t.server(bytesFromServer) // S: 220 mx.example ESMTP
 * t.client(bytesFromClient) // C: AUTH PLAIN ***
 */
export class Transcript {
  private readonly clientLines = new Lines()
  private readonly serverLines = new Lines()
  /** Commands sent and not yet answered; the greeting is answered first. */
  private readonly queue: Pending[] = [{ verb: 'greeting', replies: 1 }]
  /** Lines of an AUTH exchange (the AUTH command and hidden lines) waiting for their reply. */
  private saslWaiting = 0
  /** The last line of an AUTH exchange to be answered was answered with 334: the next line is SASL data. */
  private continued = false
  /** Message content: after DATA, how far CRLF "." CRLF is matched (0..5); for BDAT, octets left. */
  private body:
    | { readonly kind: 'data'; matched: number; octets: number }
    | { readonly kind: 'bdat'; left: number; octets: number; last: boolean }
    | undefined
  /** Octets sent after DATA before its reply came (see `MAX_EARLY`), and how many. */
  private early: { readonly chunks: Uint8Array[]; octets: number } | undefined
  /** The last greeting that succeeded was LHLO (RFC 2033 4.1). */
  private lmtp = false
  /** The server is in a mail transaction, as far as the replies read so far tell: MAIL succeeded, nothing ended it. */
  private open = false
  /** Recipients accepted in that transaction. */
  private accepted = 0

  /**
   * `sasl`, when given, says whether the session itself is in an AUTH exchange (a client session
   * knows): it alone then says which lines are SASL data, whatever the replies seemed to say.
   */
  constructor(
    private readonly sink: TranscriptSink,
    private readonly sasl?: () => boolean,
    private readonly takes: ServerFacts = { chunking: true, bareLineEndings: 'reject' },
  ) {}

  /** Octets the client sent. */
  client(bytes: Uint8Array): void {
    let i = 0
    while (i < bytes.length) {
      if (this.early !== undefined) return this.hold(bytes.subarray(i))
      if (this.body !== undefined) i = this.content(bytes, i)
      else i = this.clientLines.feed(bytes, i, (line, crlf) => this.command(line, crlf))
    }
  }

  /** Octets the server sent. */
  server(bytes: Uint8Array): void {
    let i = 0
    while (i < bytes.length) i = this.serverLines.feed(bytes, i, (line) => this.reply(line))
  }

  /**
   * TLS starts: what either side had half sent in clear is gone, and so is anything pipelined behind
   * STARTTLS (RFC 3207 4, 5.2): no command waits for a reply.
   */
  restart(): void {
    this.clientLines.reset()
    this.serverLines.reset()
    this.queue.length = 0
    this.saslWaiting = 0
    this.continued = false
    this.body = undefined
    this.early = undefined
    this.open = false // the session starts again from its greeting (RFC 3207 4.2)
    this.accepted = 0
  }

  /** Octets after DATA whose reply has not come: kept, up to `MAX_EARLY`, then taken for content. */
  private hold(bytes: Uint8Array): void {
    this.early!.chunks.push(bytes.slice())
    this.early!.octets += bytes.length
    if (this.early!.octets > MAX_EARLY) this.settle(true)
  }

  /** DATA's reply came (`content` is true for 354): read what was held as content or as commands. */
  private settle(content: boolean): void {
    const held = this.early!.chunks
    this.early = undefined
    if (!content) this.body = undefined
    for (const bytes of held) this.client(bytes)
  }

  private command(line: string, crlf: boolean): void {
    // words as a lenient server might read them: a tab, a NUL or a leading space does not keep an AUTH line's
    // credentials out of the mask
    const words = line.replace(leadingBlanks, '').split(blanks)
    const verb = words[0]!.toUpperCase()
    // a session that knows its own AUTH phase decides alone, else the replies tell; an AUTH command
    // (a word, a space) is never SASL data
    const hidden =
      this.sasl !== undefined
        ? this.sasl() && !(verb === 'AUTH' && words.length > 1)
        : this.saslWaiting > 0 || this.continued
    if (hidden) {
      this.sink('C', REDACTED)
      this.saslWaiting++
      this.queue.push({ verb: REDACTED, replies: 1, data: verb === 'DATA' })
      return
    }
    switch (verb) {
      case 'AUTH': {
        // RFC 4954 4: AUTH mechanism [initial-response]; from here on every client line is SASL data
        this.saslWaiting++
        const mechanism = words[1] ?? ''
        const shown = mechanismName.test(mechanism) ? ['AUTH', mechanism] : ['AUTH', REDACTED]
        this.sink('C', words.length > 2 && shown[1] !== REDACTED ? [...shown, REDACTED].join(' ') : shown.join(' '))
        break
      }
      case 'DATA':
        this.sink('C', line)
        // content follows, counted: the line's own CRLF is the first of CRLF "." CRLF; what comes before the
        // reply is held, as a refused DATA makes it commands (RFC 5321 4.1.1.4, RFC 2920 3.1)
        this.body = { kind: 'data', matched: 2, octets: 0 }
        this.early = { chunks: [], octets: 0 }
        break
      case 'BDAT': {
        this.sink('C', line)
        const m = chunkLine.exec(line)
        const size = m === null ? undefined : Number(m[1])
        const last = m?.[2] !== undefined
        // no size one can count on: the server refuses it and reads no chunk, or closes
        if (size === undefined || !Number.isSafeInteger(size)) break
        // a LAST the server refuses ends nothing, and is answered once as any refusal: one refused for its white
        // space, for a bare LF where the server refuses those (RFC 5321 2.3.8), or by a server without CHUNKING
        const end =
          last && lastLine.test(line) && this.takes.chunking && (crlf || this.takes.bareLineEndings === 'keep')
        if (size === 0) this.endOfContent(end, 0)
        else this.body = { kind: 'bdat', left: size, octets: 0, last: end }
        return
      }
      default:
        this.sink('C', line)
    }
    this.queue.push({ verb, replies: 1 })
  }

  /** Message content from `from`: counted, never written; returns where commands start again. */
  private content(bytes: Uint8Array, from: number): number {
    const b = this.body!
    if (b.kind === 'bdat') {
      const take = Math.min(b.left, bytes.length - from)
      b.left -= take
      b.octets += take
      if (b.left === 0) this.endOfContent(b.last, b.octets)
      return from + take
    }
    // CRLF "." CRLF starts with a CR: between CRs the octets are only counted (a native search)
    for (let i = from; i < bytes.length;) {
      if (b.matched === 0) {
        const cr = bytes.indexOf(0x0d, i)
        const to = cr < 0 ? bytes.length : cr
        b.octets += to - i
        i = to
        if (cr < 0) break
      }
      const c = bytes[i++]!
      b.matched = c === END_OF_DATA[b.matched] ? b.matched + 1 : c === 0x0d ? 1 : 0
      b.octets++
      if (b.matched === END_OF_DATA.length) {
        this.body = undefined
        // the octets counted are the content and its end line, "." CRLF (3 octets) written as a line
        this.sink('C', `[${b.octets - 3} octets of message content]`, { octets: b.octets - 3 })
        this.sink('C', '.')
        this.queue.push({ verb: '.', replies: 1, end: true })
        return i
      }
    }
    return bytes.length
  }

  private endOfContent(last: boolean, octets: number): void {
    this.body = undefined
    if (octets > 0) this.sink('C', `[${octets} octets of message content]`, { octets })
    this.queue.push({ verb: 'BDAT', replies: 1, end: last })
  }

  /**
   * The command the next reply answers, its count of replies set. The end of the data gets one reply in SMTP; in
   * LMTP one per RCPT that succeeded in its transaction (RFC 2033 4.2, 4.3), counted only now, when every reply
   * before it was read. A BDAT LAST after none gets no reply at all (4.3) and leaves the queue here; one outside
   * a transaction (after RSET, or a refused MAIL) is refused like any command, once. Either way the transaction
   * is over.
   */
  private turn(): Pending | undefined {
    for (let head = this.queue[0]; head !== undefined; head = this.queue[0]) {
      if (head.end !== true) return head
      head.end = false
      if (this.lmtp && this.open) head.replies = head.verb === 'BDAT' ? this.accepted : Math.max(1, this.accepted)
      this.open = false
      this.accepted = 0
      if (head.replies > 0) return head
      this.queue.shift()
    }
    return undefined
  }

  private reply(line: string): void {
    this.sink('S', line)
    // RFC 5321 4.2.1: "ddd-" goes on, "ddd SP" or "ddd" alone is the last line of a reply
    if (!/^[0-9]{3}(?: |$)/.test(line)) return
    const code = Number(line.slice(0, 3))
    const head = this.turn()
    if (head === undefined) return // a reply nobody asked for (421 before closing)
    const sasl = head.verb === 'AUTH' || head.verb === REDACTED
    // RFC 4954 4: a 334 answers nothing but AUTH and its SASL lines, and says the exchange goes on
    if (code === 334 && !sasl) return
    if (--head.replies > 0) return
    this.queue.shift()
    const positive = code >= 200 && code < 300
    if (sasl) {
      this.saslWaiting--
      this.continued = code === 334
    }
    // a 354 answers nothing but DATA (RFC 5321 4.1.1.4): a hidden DATA was a command, its content follows
    if (head.data === true && code === 354 && this.body === undefined)
      this.body = { kind: 'data', matched: 2, octets: 0 }
    switch (head.verb) {
      case 'DATA':
        // refused: no content follows, and what was held for it was commands (RFC 5321 4.1.1.4)
        if (this.early !== undefined) this.settle(code === 354)
        else if (code !== 354 && this.body?.kind === 'data') this.body = undefined
        break
      case 'MAIL':
        // a refused MAIL leaves the transaction as it was, if there was one (a nested MAIL is refused with 503)
        if (positive) {
          this.open = true
          this.accepted = 0
        }
        break
      case 'RCPT':
        if (positive) this.accepted++
        break
      case 'RSET':
        if (positive) this.open = false
        break
      case 'HELO':
      case 'EHLO':
      case 'LHLO':
        // a greeting ends any transaction (RFC 5321 4.1.4), and the one that succeeded says which protocol this is
        if (positive) {
          this.open = false
          this.lmtp = head.verb === 'LHLO'
        }
        break
    }
  }
}

/**
 * The same transport, writing the transcript of its session to `sink`. `role` says which side this
 * end is: a server reads the client's octets and writes its own replies; a client the other way.
 * Everything but `start`, `write` and `startTls` is the transport's own, read through. `sasl`: see
 * `Transcript`; `server`: the server's options it needs (see `ServerFacts`).
 * @example
 * const session = startServerSession(transcribed(transport, 'server', (dir, line) => log(dir, line)), options)
 */
export const transcribed = (
  transport: Transport,
  role: 'client' | 'server',
  sink: TranscriptSink,
  sasl?: () => boolean,
  server?: ServerFacts,
): Transport => {
  const transcript = new Transcript(sink, sasl, server)
  const read = (bytes: Uint8Array): void => (role === 'server' ? transcript.client(bytes) : transcript.server(bytes))
  const wrote = (bytes: Uint8Array): void => (role === 'server' ? transcript.server(bytes) : transcript.client(bytes))
  const own: Partial<Transport> = {
    start: (events: TransportEvents) =>
      transport.start({
        ...events,
        data: (bytes) => {
          read(bytes)
          events.data(bytes)
        },
      }),
    write: (bytes) => {
      wrote(bytes)
      return transport.write(bytes)
    },
    startTls: () => {
      transcript.restart()
      return transport.startTls()
    },
  }
  // everything else (addresses, TLS facts, pause, close, what a runtime adds) is the transport's own
  return new Proxy(transport, {
    get: (target, key) => {
      if (Object.hasOwn(own, key)) return own[key as keyof Transport]
      const value: unknown = Reflect.get(target, key, target)
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
    },
  })
}
