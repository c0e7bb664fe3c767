// The server session reducer: `step(state, input) -> [state, outputs]`. Total (never throws) and
// pure. Input bytes are cut into command lines (RFC 5321 2.3.8, 4.5.3.1.4), message text and BDAT
// chunks; while the application has a question to answer, further input is held, in order.
import { absurd } from 'fp-ts/lib/function.js'
import type { ServerConfig } from '../Config.js'
import { type Reply, Replies, formatReply, isEnhancedFor, isReplyCode, withStatusClass } from '../Reply.js'
import { type ParamSupport, everyParam } from '../grammar/params.js'
import { concat, decodeUtf8, latin1 } from '../wire/bytes.js'
import { answerAuth, onAuth, onSaslLine } from './commands/auth.js'
import { feedBdat, feedDiscard, onBdat, refuseBdat } from './commands/bdat.js'
import { answerMessage, feedData, onData } from './commands/data.js'
import { answerHello, onHello } from './commands/hello.js'
import { answerMail, answerRcpt, onMail, onRcpt, paramSupport } from './commands/mail.js'
import { answerVerify, onHelp, onNoop, onQuit, onRset, onVerify } from './commands/misc.js'
import { onStartTls, onTlsStarted } from './commands/starttls.js'
import { onXclient } from './commands/xclient.js'
import { Out, bad, closeWith, countJunk, say } from './effects.js'
import type { ServerInput } from './Input.js'
import {
  type Answer,
  type Question,
  type ServerOutput,
  type TimerName,
  clearTimer,
  misuse,
  pauseReading,
  resumeReading,
  setTimer,
} from './Output.js'
import { type CommandPhase, type Verb, accepts, outOfSequence, verbAt } from './sequencing.js'
import { type Phase, type ServerState, copyState, quiet, waiting, update, withPhase } from './State.js'

const LF = 10
const CR = 13

/**
 * Advance the session by one input.
 * @example
 * const [s1, outputs] = step(s0, received(encode('EHLO client.example\r\n')))
 */
export const step = (s: ServerState, input: ServerInput): readonly [ServerState, ReadonlyArray<ServerOutput>] => {
  const out = new Out()
  let next: ServerState
  switch (input._tag) {
    case 'Received':
      next = armTimers(onReceived(s, out, input.bytes), s, out)
      break
    case 'Answered': {
      const problem = answerProblem(s, input.id, input.answer)
      if (problem !== undefined) {
        if (problem === '') return [s, []] // a late answer after the session closed
        return [s, [misuse(problem)]]
      }
      next = armTimers(onAnswered(s, out, s.pending!, input.answer), s, out)
      break
    }
    case 'TlsStarted':
      if (s.phase._tag !== 'TlsWait') return [s, [misuse('TlsStarted without a StartTls output')]]
      // the handshake is done: a whole deadline for EHLO, or the 421 of a stop asked for during it, now over TLS
      next = armTimers(stopIfQuiet(onTlsStarted(s), out), s, out, true)
      break
    case 'TimerFired':
      next = armTimers(onTimer(s, out, input.timer), s, out)
      break
    case 'PeerClosed':
      next = s.phase._tag === 'Closed' ? s : closeWith(s, out, undefined, 'closed')
      break
    case 'Shutdown':
      next = s.phase._tag === 'Closed' ? s : closeWith(s, out, Replies.shuttingDown, 'shutdown')
      break
    case 'StopRequested':
      next = s.phase._tag === 'Closed' ? s : stopIfQuiet(update(s, { stopping: true }), out)
      break
    default:
      return absurd(input)
  }
  return [next, out.done()]
}

/**
 * Message data: DATA, BDAT chunks, and the whole of a chunked transaction between its chunks, so that a
 * stream of tiny BDAT commands is held to the data rate too.
 */
const inData = (p: Phase): boolean =>
  p._tag === 'Data' ||
  p._tag === 'Bdat' ||
  p._tag === 'BdatDiscard' ||
  (p._tag === 'Envelope' && p.chunked !== undefined)

/** Which deadline runs: none while the session waits, a rate window during message data, else the command deadline. */
const clockOf = (s: ServerState): 'idle' | 'data' | undefined =>
  s.phase._tag === 'Closed' || waiting(s) ? undefined : inData(s.phase) ? 'data' : 'idle'

/**
 * Keep the deadlines (RFC 5321 4.5.3.2.7). The command deadline starts when the session becomes ready for a
 * command and again after each complete line it answers, never on bytes alone, so a client that trickles a
 * line in cannot put it off. During message data the `data` timer measures windows of the same length.
 */
const armTimers = (s: ServerState, before: ServerState, out: Out, progressed = !out.isEmpty()): ServerState => {
  const was = clockOf(before)
  const now = clockOf(s)
  if (s.phase._tag === 'Closed') return s
  if (was !== now) {
    if (was !== undefined) out.push(clearTimer(was))
    if (now === undefined) return s
    out.push(setTimer(now, s.config.idleTimeoutMs))
    return now === 'data' ? withDataWindow(s, 0) : s
  }
  // a line was answered (or a question put): the next command gets a whole deadline
  if (now === 'idle' && progressed) out.push(setTimer('idle', s.config.idleTimeoutMs))
  return s
}

/** A copy of `s` with `dataWindow` octets counted in the current window of message data. */
const withDataWindow = (s: ServerState, dataWindow: number): ServerState => {
  const next = copyState(s)
  next.dataWindow = dataWindow
  return next
}

const onTimer = (s: ServerState, out: Out, timer: TimerName): ServerState => {
  if (s.phase._tag === 'Closed') return s
  switch (timer) {
    case 'authDelay': {
      const d = s.delayed
      if (d === undefined) return s
      const released = update(s, { delayed: undefined })
      say(released, out, d.reply)
      return d.close ? closeWith(released, out, Replies.tooManyAuthFailures, 'closed') : drain(released, out)
    }
    case 'data': {
      if (clockOf(s) !== 'data') return s
      // RFC 5321 4.5.3.2.7 puts no rate on data; a window that brought less than minDataRate's worth is a stall.
      const needed = Math.max(1, Math.ceil((s.config.minDataRate * s.config.idleTimeoutMs) / 1000))
      if (s.dataWindow < needed) return closeWith(s, out, Replies.slowData, 'timeout')
      out.push(setTimer('data', s.config.idleTimeoutMs))
      return update(s, { dataWindow: 0 })
    }
    case 'idle':
      return clockOf(s) === 'idle' ? closeWith(s, out, Replies.timeout, 'timeout') : s
    default:
      return absurd(timer)
  }
}

const onReceived = (s0: ServerState, out: Out, bytes: Uint8Array): ServerState => {
  if (s0.phase._tag === 'Closed' || bytes.length === 0) return s0
  const s = clockOf(s0) === 'data' ? withDataWindow(s0, s0.dataWindow + bytes.length) : s0
  if (!waiting(s)) {
    const [next, pos] = consume(s, out, bytes, 0)
    // a stop asked for during a transaction: 421 as soon as it is over, without waiting for the client's next
    // command (a transaction may end in silence: an LMTP BDAT LAST without a recipient, RFC 2033 4.3)
    if (pos === bytes.length) return stopIfQuiet(next, out)
    const rest = bytes.subarray(pos) // a question came first: the rest waits for its answer
    return withHeld(next, [rest, ...next.held], next.heldBytes + rest.length)
  }
  const heldBytes = s.heldBytes + bytes.length
  // Reading pauses between two pieces, so the piece that passes maxHeldBytes is held whole, whatever its
  // size (a runtime's read: 64 KiB on Node). Input after the pause past twice the limit means the driver
  // did not pause: stop here.
  if (s.paused && heldBytes > 2 * s.config.maxHeldBytes) return closeWith(s, out, Replies.heldOverflow, 'closed')
  const paused = s.paused || heldBytes > s.config.maxHeldBytes
  if (paused && !s.paused) out.push(pauseReading)
  return update(s, { held: [...s.held, bytes], heldBytes, paused })
}

/**
 * Process input from `pos` until it runs out or a question is put to the application; returns the state and
 * where it stopped (the input's length once it is all used, or dropped after STARTTLS or the end).
 */
const consume = (s0: ServerState, out: Out, bytes: Uint8Array, pos0: number): readonly [ServerState, number] => {
  let s = s0
  let pos = pos0
  const n = bytes.length
  while (pos < n && !waiting(s)) {
    // a stop asked for during a transaction takes effect before any command pipelined behind it
    if (s.stopping && quiet(s)) return [stopIfQuiet(s, out), n]
    const p = s.phase
    switch (p._tag) {
      case 'Closed':
      case 'TlsWait':
        return [s, n] // input after STARTTLS or after the end is dropped (RFC 3207 4)
      case 'Data':
        ;[s, pos] = feedData(s, p, out, bytes, pos)
        break
      case 'Bdat':
        ;[s, pos] = feedBdat(s, p, out, bytes, pos)
        break
      case 'BdatDiscard':
        ;[s, pos] = feedDiscard(s, p, out, bytes, pos)
        break
      default:
        ;[s, pos] = takeLine(s, out, bytes, pos)
    }
  }
  return [s, pos < n && waiting(s) && s.phase._tag !== 'Closed' ? pos : n]
}

/** Cut one line (up to LF) out of the input, or keep the partial line for the next input. */
const takeLine = (s: ServerState, out: Out, bytes: Uint8Array, pos: number): readonly [ServerState, number] => {
  // the longest line any command may have: AUTH's, or MAIL's or RCPT's with every parameter (see lineLimit)
  const cap = Math.max(s.config.maxAuthLineLength, s.config.maxLineLength + PARAM_ROOM)
  const lf = bytes.indexOf(LF, pos)
  const had = s.partial?.length ?? 0
  if (lf === -1) {
    const size = had + bytes.length - pos
    if (!s.overflow && size > cap && startsBdat(s, bytes, pos))
      return [closeWith(s, out, Replies.bdatUnframed, 'closed'), bytes.length]
    if (s.overflow || size > cap) return [update(s, { partial: undefined, overflow: true }), bytes.length]
    const partial = s.partial === undefined ? bytes.slice(pos) : concat([s.partial, bytes.subarray(pos)])
    return [update(s, { partial }), bytes.length]
  }
  const end = lf + 1
  if (!s.overflow && had + end - pos > cap && startsBdat(s, bytes, pos))
    return [closeWith(s, out, Replies.bdatUnframed, 'closed'), bytes.length]
  if (s.overflow || had + end - pos > cap) {
    const cleared = update(s, { partial: undefined, overflow: false })
    const r = s.phase._tag === 'Sasl' ? Replies.authLineTooLong : Replies.lineTooLong
    return [bad(leaveSasl(cleared), out, r), end]
  }
  if (s.partial === undefined) return [onLine(s, out, bytes, pos, end), end]
  const line = concat([s.partial, bytes.subarray(pos, end)])
  return [onLine(update(s, { partial: undefined }), out, line, 0, line.length), end]
}

const leaveSasl = (s: ServerState): ServerState =>
  s.phase._tag === 'Sasl' ? withPhase(s, { _tag: 'Idle', hello: s.phase.hello }) : s

/** One complete line, `buf[start..end)` with its LF; a range rather than a view, as this runs for every command. */
const onLine = (s: ServerState, out: Out, buf: Uint8Array, start: number, end: number): ServerState => {
  const crlf = end - start >= 2 && buf[end - 2] === CR
  const bodyEnd = end - (crlf ? 2 : 1)
  // RFC 5321 2.3.8: lines end in CRLF; a bare LF is refused unless the policy keeps it.
  if (!crlf && s.config.bareLineEndings === 'reject') return refuseLine(s, out, buf, start, bodyEnd, Replies.bareLf)
  if (s.phase._tag === 'Sasl') return onSaslLine(s, s.phase, out, buf.subarray(start, bodyEnd))
  let ascii = true
  for (let i = start; i < bodyEnd; i++) {
    const b = buf[i]!
    if (b < 0x20 || b === 0x7f) return refuseLine(s, out, buf, start, bodyEnd, Replies.controlChars)
    if (b > 0x7f) ascii = false
  }
  // verbs are case-blind in ASCII only (RFC 5321 2.4): `QUıT` must not become QUIT
  const verb = verbAt(buf, start, bodyEnd)
  // The argument is what follows the verb, from its space; a verb is ASCII, so it is whole UTF-8 whenever the line
  // is. Without a verb the whole line is decoded: bad UTF-8 is refused as such before the verb is unknown.
  const from = verb === undefined ? start : start + verb.length
  // UTF-8 only as SMTPUTF8 allows (RFC 6531 3.3)
  const arg = ascii ? latin1(buf, from, bodyEnd) : decodeUtf8(buf, from, bodyEnd)
  if (arg === undefined) return refuseLine(s, out, buf, start, bodyEnd, Replies.badUtf8)
  if (verb !== 'AUTH' && end - start > s.config.maxLineLength && end - start > lineLimit(s, verb))
    return refuseLine(s, out, buf, start, bodyEnd, Replies.lineTooLong)
  if (verb === undefined) return bad(s, out, Replies.unrecognized)
  return onCommand(s, out, verb, arg)
}

/**
 * Refuse the command line `buf[start..bodyEnd)` with `r`. A refused line that is a BDAT still has its chunk read,
 * so chunk bytes never run as commands, and its refusal fails the transaction (RFC 3030 2); other refused lines
 * just count as errors.
 */
const refuseLine = (
  s: ServerState,
  out: Out,
  buf: Uint8Array,
  start: number,
  bodyEnd: number,
  r: Reply,
): ServerState =>
  namesBdat(buf, start, bodyEnd) && s.phase._tag !== 'Sasl'
    ? refuseBdat(s, out, latin1(buf, start + 4, bodyEnd), r)
    : bad(leaveSasl(s), out, r)

/**
 * The longest line this command may have: `maxLineLength`, plus what each extension on offer adds to MAIL or
 * RCPT for its parameters (RFC 5321 4.5.3.1.4; RFC 3461 5 asks for room for any combination of them).
 */
const lineLimit = (s: ServerState, verb: Verb | undefined): number =>
  verb === 'MAIL' || verb === 'RCPT'
    ? s.config.maxLineLength + paramRoom(paramSupport(s), verb)
    : s.config.maxLineLength

/** Octets the parameters of the extensions in `p` may add to a MAIL or RCPT line. */
const paramRoom = (p: ParamSupport, word: 'MAIL' | 'RCPT'): number =>
  word === 'RCPT'
    ? p.dsn
      ? 530 // RFC 3461 5: ORCPT and NOTIFY
      : 0
    : (p.size ? 26 : 0) + // RFC 1870 5
      (p.eightBitMime || p.binaryMime ? 16 : 0) + // RFC 3030 3 (8): BODY=BINARYMIME, the longest BODY
      (p.smtpUtf8 ? 10 : 0) + // RFC 6531 3.1 (5)
      (p.dsn ? 116 : 0) + // RFC 3461 4.3, 4.4: RET=HDRS, and ENVID= with up to 100 characters
      (p.auth ? 500 : 0) + // RFC 4954 3 (5)
      (p.requireTls ? 11 : 0) // RFC 8689 4 (5)

/** The most `lineLimit` adds to any command: MAIL or RCPT with every extension on offer. */
const PARAM_ROOM = Math.max(paramRoom(everyParam, 'MAIL'), paramRoom(everyParam, 'RCPT'))

/** Does the line being cut (its kept part, then the input from `pos`) start like a BDAT command? */
const startsBdat = (s: ServerState, bytes: Uint8Array, pos: number): boolean =>
  s.phase._tag !== 'Sasl' &&
  (s.partial === undefined
    ? isBdatLine(bytes, pos, Math.min(bytes.length, pos + 5))
    : isBdatLine(concat([s.partial, bytes.subarray(pos, pos + 5)]), 0, Infinity))

/** Do the four octets at `start` spell BDAT (any case)? */
const isBdatVerb = (buf: Uint8Array, start: number): boolean =>
  (buf[start]! | 0x20) === 0x62 &&
  (buf[start + 1]! | 0x20) === 0x64 &&
  (buf[start + 2]! | 0x20) === 0x61 &&
  (buf[start + 3]! | 0x20) === 0x74

/**
 * Is `buf[start..end)` a BDAT command, however badly formed: the verb alone, or followed by anything but a
 * letter or digit (a control character where the space should be is still a BDAT whose chunk may follow)?
 */
const namesBdat = (buf: Uint8Array, start: number, end: number): boolean => {
  if (end - start < 4 || !isBdatVerb(buf, start)) return false
  if (end - start === 4) return true
  const c = buf[start + 4]! | 0x20
  return !((c >= 0x61 && c <= 0x7a) || (buf[start + 4]! >= 0x30 && buf[start + 4]! <= 0x39))
}

/** Does `buf[start..end)` start with the verb BDAT (any case) and a space or tab? */
const isBdatLine = (buf: Uint8Array, start: number, end: number): boolean =>
  Math.min(end, buf.length) - start > 4 &&
  isBdatVerb(buf, start) &&
  (buf[start + 4] === 0x20 || buf[start + 4] === 0x09)

/** Is the verb's extension switched off in this configuration? (502, or 500 for another protocol's greeting) */
const disabled = (c: ServerConfig, verb: Verb): Reply | undefined => {
  switch (verb) {
    case 'HELO':
    case 'EHLO':
      return c.lmtp ? Replies.unrecognized : undefined // LMTP has only LHLO (RFC 2033 4.1)
    case 'LHLO':
      return c.lmtp ? undefined : Replies.unrecognized
    case 'BDAT':
      return c.chunking ? undefined : Replies.notImplemented
    case 'STARTTLS':
      return c.startTls ? undefined : Replies.notImplemented
    case 'AUTH':
      return c.authMechanisms.length > 0 ? undefined : Replies.notImplemented
    default:
      return undefined
  }
}

// RFC 3207 4: a server that insists on TLS still answers these before it.
const allowedBeforeTls: ReadonlyArray<Verb> = ['NOOP', 'EHLO', 'LHLO', 'STARTTLS', 'QUIT']

const onCommand = (s: ServerState, out: Out, verb: Verb, arg: string): ServerState => {
  const phase = s.phase._tag as CommandPhase
  const refusal =
    disabled(s.config, verb) ??
    (s.config.requireTls && !s.tls && !allowedBeforeTls.includes(verb) ? Replies.tlsRequired : undefined) ??
    (accepts(phase, verb) ? undefined : outOfSequence(phase, verb, s.config.lmtp))
  if (refusal !== undefined) return verb === 'BDAT' ? refuseBdat(s, out, arg, refusal) : bad(s, out, refusal)
  if (!isJunk(s, verb)) return run(s, out, verb, arg)
  // counted before it runs: the command past the limit gets the 421 alone, whether its answer would have come from
  // the session at once (NOOP, a greeting no hook asks about) or from a question (a greeting or a VRFY asked)
  const counted = countJunk(s, out)
  return counted.phase._tag === 'Closed' ? counted : run(counted, out, verb, arg)
}

/** Commands that bring no mail; the first greeting is not one of them (see `maxJunkCommands`). */
const isJunk = (s: ServerState, verb: Verb): boolean => {
  switch (verb) {
    case 'NOOP':
    case 'RSET':
    case 'VRFY':
    case 'EXPN':
    case 'HELP':
      return true
    case 'HELO':
    case 'EHLO':
    case 'LHLO':
      return s.phase._tag !== 'AwaitHello'
    default:
      return false
  }
}

const run = (s: ServerState, out: Out, verb: Verb, arg: string): ServerState => {
  switch (verb) {
    case 'HELO':
    case 'EHLO':
    case 'LHLO':
      return onHello(s, out, verb, arg)
    case 'MAIL':
      return onMail(s, out, arg)
    case 'RCPT':
      return onRcpt(s, out, arg)
    case 'DATA':
      return onData(s, out, arg)
    case 'BDAT':
      return onBdat(s, out, arg)
    case 'RSET':
      return onRset(s, out, arg)
    case 'NOOP':
      return onNoop(s, out)
    case 'QUIT':
      return onQuit(s, out, arg)
    case 'VRFY':
    case 'EXPN':
      return onVerify(s, out, verb, arg)
    case 'HELP':
      return onHelp(s, out)
    case 'STARTTLS':
      return onStartTls(s, out, arg)
    case 'AUTH':
      return onAuth(s, out, arg)
    case 'XCLIENT':
      return onXclient(s, out, arg)
    default:
      return absurd(verb)
  }
}

const validReply = (r: Reply): boolean =>
  isReplyCode(r.code) &&
  (r.enhanced === undefined || isEnhancedFor(r.code, r.enhanced)) &&
  r.lines.every((l) => typeof l === 'string')

/**
 * Why `step` would refuse this answer as misuse ('' for a late answer to a closed session, which is
 * ignored), or undefined when it is fine. Drivers can check hook results with it before answering.
 */
export const answerProblem = (s: ServerState, id: number, a: Answer): string | undefined => {
  if (s.phase._tag === 'Closed' && s.pending === undefined) return ''
  const q = s.pending
  if (q === undefined || q.id !== id) return `no pending question has id ${id}`
  const replies = a._tag === 'PerRecipient' ? a.decisions.map((d) => d.reply) : [a.reply]
  for (const r of replies) if (r !== undefined && !validReply(r)) return `invalid reply: ${formatReply(r, true).trim()}`
  const tell = q._tag === 'Vrfy' || q._tag === 'Expn'
  if (a._tag === 'Respond' && !tell) return `Respond answers only VRFY and EXPN, not ${q._tag}`
  if (a._tag === 'PerRecipient') {
    if (q._tag !== 'Message' || !s.config.lmtp) return 'PerRecipient answers only LMTP messages'
    if (a.decisions.length !== q.recipients.length)
      return `PerRecipient needs ${q.recipients.length} decisions, got ${a.decisions.length}`
  }
  const decisions = a._tag === 'PerRecipient' ? a.decisions : a._tag === 'Respond' ? [] : [a]
  for (const d of decisions) {
    if (tell) break
    if (d._tag === 'Accept' && d.reply !== undefined && d.reply.code >= 300) return 'Accept needs a 2yz reply'
    // RFC 4954 4: a successful AUTH is answered 235, and clients take nothing else as success
    if (q._tag === 'Auth' && d._tag === 'Accept' && d.reply !== undefined && d.reply.code !== 235)
      return 'Accept to AUTH needs a 235 reply'
    if (d._tag === 'Reject' && d.reply.code < 400) return 'Reject needs a 4yz or 5yz reply'
  }
  return undefined
}

const onAnswered = (s0: ServerState, out: Out, q: Question, a0: Answer): ServerState => {
  const a = q._tag === 'Hello' ? a0 : withEnhanced(a0)
  const s = copyState(s0)
  s.pending = undefined
  let next: ServerState
  switch (q._tag) {
    case 'Hello':
      next = answerHello(s, out, q.hello, a as Exclude<Answer, { _tag: 'PerRecipient' | 'Respond' }>)
      break
    case 'Mail':
      next = answerMail(s, out, q, a as Exclude<Answer, { _tag: 'PerRecipient' | 'Respond' }>)
      break
    case 'Rcpt':
      next = answerRcpt(s, out, q, a as Exclude<Answer, { _tag: 'PerRecipient' | 'Respond' }>)
      break
    case 'Auth':
      next = answerAuth(s, out, q, a as Exclude<Answer, { _tag: 'PerRecipient' | 'Respond' }>)
      break
    case 'Message':
      next = answerMessage(s, out, q, a as Exclude<Answer, { _tag: 'Respond' }>)
      break
    case 'Vrfy':
    case 'Expn':
      next = answerVerify(s, out, q, a)
      break
    default:
      return absurd(q)
  }
  // 421 is "closing transmission channel" (RFC 5321 3.8, 4.2.3): an application's 421 closes the session too
  if (next.phase._tag !== 'Closed' && closesChannel(a)) next = closeWith(next, out, undefined, 'closed')
  return drain(next, out)
}

/**
 * RFC 2034 4: with ENHANCEDSTATUSCODES every 2yz, 4yz and 5yz reply but the greeting and the reply to
 * EHLO carries an enhanced status code; an application's reply without one gets its class's X.0.0
 * ("other or undefined status", RFC 3463 3.1).
 */
const withEnhanced = (a: Answer): Answer => {
  if (a._tag !== 'PerRecipient') return classed(a)
  const decisions = a.decisions.map(classed)
  return decisions.every((d, i) => d === a.decisions[i]) ? a : { ...a, decisions }
}

/** `x` with its reply given its class's enhanced code where it has none; `x` itself when nothing changes. */
const classed = <T extends { readonly reply?: Reply | undefined }>(x: T): T => {
  const r = x.reply === undefined ? undefined : withStatusClass(x.reply)
  return r === x.reply ? x : { ...x, reply: r }
}

/**
 * The answer sends a 421 now. An XOAUTH2 refusal with a challenge sends its 334 first and its reply only after
 * the client's answer to it, where the session closes then (`onSaslLine`).
 */
const closesChannel = (a: Answer): boolean =>
  a._tag === 'PerRecipient'
    ? a.decisions.some((d) => d.reply?.code === 421)
    : a.reply?.code === 421 && !(a._tag === 'Reject' && a.challenge !== undefined)

/** Run the input held while the question was pending; resume reading once it is all used. */
const drain = (s0: ServerState, out: Out): ServerState => {
  let s = s0
  while (!waiting(s) && s.held.length > 0 && s.phase._tag !== 'Closed') {
    const held = s.held
    const first = held[0]!
    const [next, pos] = consume(s, out, first, 0)
    // STARTTLS and closing drop what was held: then nothing of `first` stays either
    if (next.held !== held) s = next
    else if (pos === first.length) s = withHeld(next, held.slice(1), next.heldBytes - first.length)
    else s = withHeld(next, [first.subarray(pos), ...held.slice(1)], next.heldBytes - pos)
  }
  if (s.paused && !waiting(s)) {
    if (s.phase._tag !== 'Closed') out.push(resumeReading)
    return stopIfQuiet(update(s, { paused: false }), out)
  }
  return stopIfQuiet(s, out)
}

/** A copy of `s` holding `held` input, `heldBytes` octets in all. */
const withHeld = (s: ServerState, held: ReadonlyArray<Uint8Array>, heldBytes: number): ServerState => {
  const next = copyState(s)
  next.held = held
  next.heldBytes = heldBytes
  return next
}

/** After a graceful stop was asked for: 421 and close once no transaction is in progress. */
const stopIfQuiet = (s: ServerState, out: Out): ServerState =>
  s.stopping && s.phase._tag !== 'Closed' && quiet(s) ? closeWith(s, out, Replies.shuttingDown, 'shutdown') : s
