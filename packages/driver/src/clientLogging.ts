// Structured events of one client session, written to a pino-shaped logger: the connection, TLS, the
// server's greeting and EHLO capabilities, the AUTH outcome (never a credential), each transaction and
// the close. The client driver tells this what it sees (bytes read, each step of the session, each
// result); the events are read off the session's state and outputs, the session itself is not touched.
import type { ClientError, ClientOutput, ClientState, MessageResult, Reply } from '@smtpure/core'
import { type ClientEvent, type Logger, replyLine } from './logging.js'
import type { TlsInfo } from './Transport.js'

/**
 * The server's id for a message, as servers put it in the 250 after the data; an id holds a digit, so
 * that words ("Ok: delivered", "Message accepted for delivery") are never taken for one.
 */
const queueIdPatterns: ReadonlyArray<RegExp> = [
  /\bqueued as (?=[^\s]*\d)([A-Za-z0-9._-]+)/i, // Postfix "Ok: queued as 4dQk2x1Z9"
  /\bid=(?=[^\s]*\d)([A-Za-z0-9._-]+)/i, // Exim "OK id=1vQx8e-000123-AB"
  /^(?=[^\s]*\d)([A-Za-z0-9._-]{6,}) (?:message accepted|accepted for delivery)/i, // Sendmail "5AUJj4x1012345 Message accepted for delivery"
  /^OK\s+\d+\s+(\S+) - gsmtp$/i, // Gmail "OK  1764528000 a1b2c3-4d5e6f.12 - gsmtp"
  /\[InternalId=(\d+)/i, // Exchange "<...> [InternalId=1234, Hostname=...] Queued mail for delivery"
  /^Ok (?=\S*\d)(\S{20,})$/i, // Amazon SES "Ok 0100018c2e5f...-000000"
]

/** The server's id for the message in its reply, if it gave one. */
export const queueIdOf = (r: Reply | undefined): string | undefined => {
  const text = r?.lines[0]
  if (text === undefined) return undefined
  for (const p of queueIdPatterns) {
    const m = p.exec(text)
    if (m !== null) return m[1]
  }
  return undefined
}

/** Reads whole replies out of what the server sent: only what the events need (code and lines). */
class ReplyReader {
  private part = ''
  private lines: string[] = []
  greeting: ReadonlyArray<string> | undefined
  last: { readonly code: number; readonly lines: ReadonlyArray<string> } | undefined
  read(bytes: Uint8Array): void {
    for (const b of bytes) {
      if (b !== 0x0a) {
        if (this.part.length < 1024) this.part += String.fromCharCode(b)
        continue
      }
      const line = this.part.replace(/\r$/, '')
      this.part = ''
      if (this.lines.length < 200) this.lines.push(line)
      // RFC 5321 4.2.1: the last line of a reply has a space (or nothing) after its code
      if (!/^[0-9]{3}(?: |$)/.test(line)) continue
      this.last = { code: Number(line.slice(0, 3)), lines: this.lines }
      this.greeting ??= this.lines
      this.lines = []
    }
  }
  reset(): void {
    this.part = ''
    this.lines = []
  }
}

/** What a client session's logger is told, and the events it writes. */
export class ClientLog {
  private readonly replies = new ReplyReader()
  private readonly octets = new Map<string, number>()
  private transactions = 0
  private accepted = 0
  private quitAsked = false

  constructor(
    private readonly logger: Logger,
    readonly session: string,
  ) {}

  private write(
    level: 'info' | 'warn',
    event: ClientEvent,
    fields: Readonly<Record<string, unknown>>,
    message: string,
  ): void {
    this.logger[level]({ event, session: this.session, ...fields }, message)
  }

  /** The connection is up (`tls` when it was TLS from the first byte). */
  connected(peer: { readonly host: string; readonly port: number } | undefined, tls: TlsInfo | undefined): void {
    this.write('info', 'connection', { ...peer, tls: tls !== undefined }, 'connected')
    if (tls !== undefined) this.tlsStarted(tls)
  }

  tlsStarted(tls: TlsInfo): void {
    this.replies.reset()
    this.write('info', 'tls', { protocol: tls.protocol, cipher: tls.cipher }, 'TLS started')
  }

  /** Octets read from the server. */
  read(bytes: Uint8Array): void {
    this.replies.read(bytes)
  }

  /** `n` octets of message `id`'s body went to the session. */
  body(id: string, n: number): void {
    this.octets.set(id, (this.octets.get(id) ?? 0) + n)
  }

  quit(): void {
    this.quitAsked = true
  }

  /** One step of the session: what changed from `before` to `after`, and what it output. */
  step(before: ClientState, after: ClientState, outputs: ReadonlyArray<ClientOutput>): void {
    const b = before.phase
    if (after.capabilities !== undefined && after.capabilities !== before.capabilities) {
      const verb = b._tag === 'Hello' ? b.verb : undefined
      const lines = this.replies.last?.lines ?? []
      this.write(
        'info',
        'hello',
        {
          greeting: this.replies.greeting?.[0] ?? '',
          verb,
          tls: after.tls,
          // the keyword lines of the EHLO (LHLO) reply, as the server wrote them (RFC 5321 4.1.1.1)
          capabilities: verb === 'HELO' ? [] : lines.slice(1).map((l) => l.slice(4)),
        },
        'server greeted',
      )
    }
    const a = after.phase
    if (b._tag === 'Auth' && (a._tag !== 'Auth' || a.mechanism !== b.mechanism)) {
      const code = this.replies.last?.code
      const result = after.authenticated ? 'accepted' : code !== undefined && code >= 400 ? 'refused' : 'failed'
      this.write(
        result === 'accepted' ? 'info' : 'warn',
        'auth',
        { mechanism: b.mechanism, result, ...(code !== undefined && result !== 'failed' ? { code } : {}) },
        `auth ${result}`,
      )
    }
    for (const o of outputs) if (o._tag === 'MessageResult') this.message(o)
  }

  private message(m: MessageResult): void {
    this.transactions += 1
    const accepted = m.recipients.filter((r) => r.status === 'accepted').length
    if (m.status === 'accepted') this.accepted += 1
    const id = queueIdOf(m.reply)
    this.write(
      m.status === 'accepted' ? 'info' : 'warn',
      'message',
      {
        transaction: `${this.session}.${this.transactions}`,
        ...(id !== undefined ? { id } : {}),
        octets: m.id === undefined ? 0 : (this.octets.get(m.id) ?? 0),
        recipients: m.recipients.length,
        accepted,
        refused: m.recipients.length - accepted,
        verdict: m.status,
        ...(m.reply !== undefined ? { code: m.reply.code, reply: replyLine(m.reply) } : {}),
        ...(m.error !== undefined ? { error: m.error._tag, reason: describeClientError(m.error) } : {}),
      },
      `message ${m.status}`,
    )
    if (m.id !== undefined) this.octets.delete(m.id)
  }

  /** The connection is closed; `failure` is why the session ended, if it did not end with QUIT. */
  closed(failure: ClientError | undefined): void {
    const cause = failure !== undefined ? 'error' : this.quitAsked ? 'quit' : 'closed'
    const reply = failure !== undefined && 'reply' in failure && failure.reply !== undefined ? failure.reply : undefined
    this.write(
      cause === 'error' ? 'warn' : 'info',
      'close',
      {
        cause,
        ...(failure !== undefined ? { error: failure._tag, reason: describeClientError(failure) } : {}),
        ...(reply !== undefined ? { reply: replyLine(reply) } : {}),
        messages: this.accepted,
      },
      'connection closed',
    )
  }
}

/**
 * What went wrong, as one plain line (the server's reply shortened to its first line, see `replyLine`).
 * @example
 * describeClientError({ _tag: 'TlsRequired' }) // 'the server offers no STARTTLS and TLS is required'
 */
export const describeClientError = (e: ClientError): string => {
  const said = 'reply' in e && e.reply !== undefined ? `: ${replyLine(e.reply)}` : ''
  switch (e._tag) {
    case 'InvalidEnvelope':
      return `the envelope cannot be sent: ${e.reason}`
    case 'Unsupported':
      return `the server lacks ${e.extension}: ${e.reason}`
    case 'ProtocolError':
      return `the server broke the protocol: ${e.reason}${said}`
    case 'GreetingRefused':
      return `the server refused the connection${said}`
    case 'HelloRefused':
      return `the server refused our EHLO/HELO/LHLO${said}`
    case 'TlsRequired':
      return 'the server offers no STARTTLS and TLS is required'
    case 'TlsRefused':
      return `the server refused STARTTLS${said}`
    case 'AuthUnavailable':
      return `cannot authenticate: ${e.reason}`
    case 'AuthFailed':
      return `the server refused the credentials${said}`
    case 'ServiceClosing':
      return `the server closed the session${said}`
    case 'Timeout':
      return `the server did not answer in time (waiting for ${e.waitingFor})`
    case 'ConnectionLost':
      return 'the connection was lost'
  }
}
