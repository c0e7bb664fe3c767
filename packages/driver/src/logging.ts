// Structured events of a server's sessions, written to a logger shaped like pino's, so an
// application passes the logger it already has. The events come from wrapping the hooks: nothing
// about the session changes, and no credential other than the user name is ever written.
import { type Credentials, type Reply, mailboxText } from '@smtpure/core'
import {
  type IncomingMessage,
  type ServerHooks,
  type SessionInfo,
  SmtpError,
  type Verdict,
  authReplyOf,
} from './hooks.js'

/** A log method as pino has it: the event's fields first, then a short message. */
export type LogMethod = (fields: Readonly<Record<string, unknown>>, message: string) => void

/** A logger shaped like pino's (`pino()`, its child loggers, and anything with these four methods). */
export interface Logger {
  readonly error: LogMethod
  readonly warn: LogMethod
  readonly info: LogMethod
  readonly debug: LogMethod
}

/**
 * The `event` field of every event a server writes (see `loggedHooks`; `transcript` with the
 * `transcript` option). The list is exported so that documentation can be checked against it.
 */
export const serverEvents = [
  'connection',
  'tls',
  'hello',
  'auth',
  'message',
  'hook-error',
  'close',
  'transcript',
] as const
export type ServerEvent = (typeof serverEvents)[number]

/** The `event` field of every event a client session writes (see `ClientSessionOptions.logger`). */
export const clientEvents = ['connection', 'tls', 'hello', 'auth', 'message', 'close', 'transcript'] as const
export type ClientEvent = (typeof clientEvents)[number]

/** Why the session stopped waiting for a hook call, as its signal says. */
const stopReason = (s: SessionInfo): string => {
  const r: unknown = s.signal.reason
  return r instanceof Error ? r.message : String(r)
}

/** Replies longer than this many lines are shown as their first line and a count of the rest. */
const SHOWN_REPLY_LINES = 1

/**
 * A reply as one line for people and logs: `code enhanced text`, its first line only when it has
 * more, followed by `(N more lines)`.
 * @example
 * replyLine({ code: 250, enhanced: '2.0.0', lines: ['Ok: queued as 4ABC'] }) // '250 2.0.0 Ok: queued as 4ABC'
 */
export const replyLine = (r: Pick<Reply, 'code' | 'enhanced' | 'lines'>): string => {
  const shown = r.lines.slice(0, SHOWN_REPLY_LINES)
  const more = r.lines.length - shown.length
  return [String(r.code), r.enhanced, ...shown, more > 0 ? `(${more} more line${more === 1 ? '' : 's'})` : undefined]
    .filter((x) => x !== undefined && x !== '')
    .join(' ')
}

/**
 * Where transcript lines go: `transcript` events at debug level, with `session`, `dir` (`C` or `S`),
 * `line` and, for message content, `octets`.
 */
export const transcriptTo =
  (logger: Logger, session: string) =>
  (dir: 'C' | 'S', line: string, fields?: Readonly<Record<string, unknown>>): void =>
    logger.debug(
      { event: 'transcript' satisfies ServerEvent & ClientEvent, session, dir, line, ...fields },
      `${dir}: ${line}`,
    )

/** Reply code of a hook's answer: its own reply, the one of an `SmtpError`, or undefined for "accepted". */
const codeOf = (v: unknown): number | undefined =>
  typeof v === 'object' && v !== null && typeof (v as Reply).code === 'number' ? (v as Reply).code : undefined

/** Counts the octets of a message body as the application reads it. */
const counted = (chunks: AsyncIterable<Uint8Array>, add: (n: number) => void): AsyncIterable<Uint8Array> => ({
  async *[Symbol.asyncIterator]() {
    for await (const chunk of chunks) {
      add(chunk.byteLength)
      yield chunk
    }
  },
})

/**
 * The same hooks, writing one event per step of each session to `logger`, all with `session` (its id):
 * - `connection` (info): `remoteAddress`, `tls` (true on implicit TLS);
 * - `tls` (info): the first greeting after STARTTLS;
 * - `hello` (debug): `verb`, `domain`;
 * - `auth` (info when accepted, warn when refused): `username`, `mechanism`, `result`, `code`; never a password,
 *   token, digest or challenge; `result` is `abandoned`, with `reason` (info), when the session stopped waiting;
 * - `message` (info): `transaction` (`<session>.<n>`), `from`, `recipients` (count), `octets` read by
 *   `onMessage`, `verdict` (`accepted` or `refused`) and `code`; `verdict` is `abandoned`, with `reason`
 *   and no code, when the session stopped waiting for the hook (the client left, the message was aborted,
 *   the hook's deadline answered in its place);
 * - `hook-error` (error): a hook threw something other than `SmtpError` (the client got 451 or 454); at
 *   debug level, with `abandoned` (the reason), when the session had stopped waiting for it;
 * - `close` (info): `cause` and `reply` (see `CloseReason`), `messages` accepted and `authFailures`.
 * With the server's `transcript` option, `transcript` (debug) events carry each line (see `transcribed`).
 * @example
 * createSmtpServer({ hooks: loggedHooks(hooks, pino()) })
 */
export const loggedHooks = (hooks: ServerHooks, logger: Logger): ServerHooks => {
  const sessions = new Map<string, { tls: boolean; transactions: number; accepted: number }>()
  const of = (s: SessionInfo) => {
    let known = sessions.get(s.id)
    if (known === undefined) {
      known = { tls: s.tls, transactions: 0, accepted: 0 }
      sessions.set(s.id, known)
    }
    return known
  }
  /**
   * Run a hook; log what it threw unless it is a refusal. Once the session stopped waiting for the call (the
   * client left, the message was aborted, the hook's deadline answered), no client hears what the hook threw,
   * which is most often that stop itself (a message stream that ended early): then it is only a debug event.
   */
  const call = async <A extends unknown[], R>(
    name: string,
    s: SessionInfo,
    hook: ((...a: A) => R | Promise<R>) | undefined,
    ...args: A
  ): Promise<R | undefined> => {
    try {
      return hook === undefined ? undefined : await hook(...args)
    } catch (e) {
      if (!(e instanceof SmtpError)) {
        const fields = { event: 'hook-error' satisfies ServerEvent, session: s.id, hook: name, error: String(e) }
        if (s.aborted)
          logger.debug({ ...fields, abandoned: stopReason(s) }, `${name} failed after the session stopped waiting`)
        else logger.error(fields, `${name} failed`)
      }
      throw e
    }
  }
  return {
    ...hooks,
    onConnect: (s) => {
      of(s)
      logger.info(
        { event: 'connection' satisfies ServerEvent, session: s.id, remoteAddress: s.remoteAddress, tls: s.tls },
        'connection',
      )
      return call('onConnect', s, hooks.onConnect, s)
    },
    onHello: (hello, s) => {
      const known = of(s)
      if (s.tls && !known.tls) {
        known.tls = true
        const t = s.tlsInfo
        logger.info(
          {
            event: 'tls' satisfies ServerEvent,
            session: s.id,
            ...(t?.protocol !== undefined ? { protocol: t.protocol } : {}),
            ...(t?.cipher !== undefined ? { cipher: t.cipher } : {}),
            ...(t?.servername !== undefined ? { servername: t.servername } : {}),
          },
          'TLS started',
        )
      }
      logger.debug(
        { event: 'hello' satisfies ServerEvent, session: s.id, verb: hello.verb, domain: hello.domain },
        'hello',
      )
      return call('onHello', s, hooks.onHello, hello, s)
    },
    // an onSecure hook makes the session wait for it after each handshake: wrapped only when there is one
    ...(hooks.onSecure === undefined ? {} : { onSecure: (s: SessionInfo) => call('onSecure', s, hooks.onSecure, s) }),
    // without an onAuth hook AUTH is refused by the session itself: that stays as it is
    ...(hooks.onAuth === undefined
      ? {}
      : {
          onAuth: async (credentials: Credentials, s: SessionInfo) => {
            const fields = {
              event: 'auth' satisfies ServerEvent,
              session: s.id,
              username: credentials.username,
              mechanism: credentials.mechanism,
            }
            // the session stopped waiting for the verdict: the client heard 454 (the deadline) or nothing
            const abandoned = (): boolean => {
              if (!s.aborted) return false
              logger.info({ ...fields, result: 'abandoned', reason: stopReason(s) }, 'auth abandoned')
              return true
            }
            try {
              const v = await call('onAuth', s, hooks.onAuth, credentials, s)
              if (abandoned()) return v
              const code = codeOf(authReplyOf(v)) // `{ user, reply }` refuses when its reply does
              if (code !== undefined && code >= 400) logger.warn({ ...fields, result: 'refused', code }, 'auth refused')
              else logger.info({ ...fields, result: 'accepted' }, 'auth accepted')
              return v
            } catch (e) {
              if (!abandoned())
                logger.warn(
                  { ...fields, result: 'refused', code: e instanceof SmtpError ? e.reply.code : 454 },
                  'auth refused',
                )
              throw e
            }
          },
        }),
    onMessage: async (message: IncomingMessage, s) => {
      const known = of(s)
      known.transactions += 1
      let octets = 0
      const fields = () => ({
        event: 'message' satisfies ServerEvent,
        session: s.id,
        transaction: `${s.id}.${known.transactions}`,
        from: message.envelope.from === null ? '' : mailboxText(message.envelope.from),
        recipients: message.envelope.recipients.length,
        octets,
      })
      const seen: IncomingMessage = { ...message, chunks: counted(message.chunks, (n) => (octets += n)) }
      // the session stopped waiting for the verdict: the client heard another reply, or none
      const abandoned = (): boolean => {
        if (!s.aborted) return false
        logger.info({ ...fields(), verdict: 'abandoned', reason: stopReason(s) }, 'message abandoned')
        return true
      }
      try {
        // without an onMessage hook the message is read to its end and accepted, as the session does
        const v = hooks.onMessage
          ? await call('onMessage', s, hooks.onMessage, seen, s)
          : await (async () => {
              for await (const chunk of seen.chunks) void chunk
            })()
        if (abandoned()) return v
        const verdicts: ReadonlyArray<Verdict> = Array.isArray(v) ? v : [v as Verdict]
        const codes = verdicts.map((x) => codeOf(x) ?? 250)
        const accepted = codes.some((c) => c < 400)
        if (accepted) known.accepted += 1
        logger.info(
          { ...fields(), verdict: accepted ? 'accepted' : 'refused', code: codes.length === 1 ? codes[0] : codes },
          accepted ? 'message accepted' : 'message refused',
        )
        return v
      } catch (e) {
        if (!abandoned())
          logger.info(
            { ...fields(), verdict: 'refused', code: e instanceof SmtpError ? e.reply.code : 451 },
            'message refused',
          )
        throw e
      }
    },
    onClose: (s, reason) => {
      const known = of(s)
      sessions.delete(s.id)
      logger.info(
        {
          event: 'close' satisfies ServerEvent,
          session: s.id,
          ...(reason !== undefined ? { cause: reason.cause } : {}),
          ...(reason?.reply !== undefined ? { reply: reason.reply } : {}),
          messages: known.accepted,
          authFailures: s.authFailures,
        },
        'connection closed',
      )
      return hooks.onClose?.(s, reason) // an async hook's promise goes back to the driver, which reports a rejection
    },
  }
}
