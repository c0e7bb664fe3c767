// The client session reducer: `clientStep(state, input) -> [state, outputs]`. Total (never throws) and
// pure. Server bytes are read into replies (RFC 5321 4.2) and each reply goes to the phase that waits for
// it; one timer, re-armed per command with the timeouts of RFC 5321 4.5.3.2, guards every wait.
import { absurd } from 'fp-ts/lib/function.js'
import type { Reply } from '../Reply.js'
import { onBodyChunk, onBodyEnd, onChunkReply, onFinalReply } from './commands/body.js'
import { onAuthReply } from './commands/auth.js'
import { onGreeting, onHelloReply, onStartTlsReply, onTlsStarted } from './commands/hello.js'
import { onXclientReply } from './commands/xclient.js'
import { onEnvelopeReply, onResetReply, onSubmitted } from './commands/transaction.js'
import { Out, announceReady, closeNow, endSession, sendQuit, unexpected } from './effects.js'
import type { ClientInput } from './Input.js'
import { type ClientError, type ClientOutput, clearTimer, misuse, setTimer } from './Output.js'
import { type ReplyFault, readReply } from './replyParser.js'
import { type ClientState, copyState, update } from './State.js'

/**
 * Advance the session by one input.
 * @example
 * const [s1, outputs] = clientStep(s0, ClientInput.received(encode('220 mx.example.com ESMTP\r\n')))
 */
export const clientStep = (s: ClientState, input: ClientInput): readonly [ClientState, ReadonlyArray<ClientOutput>] => {
  const out = new Out()
  let next: ClientState
  switch (input._tag) {
    case 'Received':
      next = onReceived(s, out, input.bytes)
      break
    case 'Submitted': {
      const p = s.phase
      const early = p._tag === 'Final' && p.early && p.next === undefined && !s.quitWhenReady
      if ((p._tag !== 'Ready' && !early) || s.staleBody)
        return [s, [misuse(`Submitted while ${waitingFor(s)}: wait for Ready`)]]
      next = onSubmitted(s, out, input.envelope, input.id)
      break
    }
    case 'BodyChunk':
    case 'BodyEnd': {
      const p = s.phase
      if (p._tag !== 'Body' || !p.wanted) {
        if (!s.staleBody) return [s, [misuse(`${input._tag} without a BodyWanted`)]]
        // The answer to a BodyWanted of a transaction that has ended: dropped, and a held Ready goes out.
        if (p._tag === 'Ready') announceReady(s, out)
        next = update(s, { staleBody: false })
        break
      }
      const phase = { ...p, wanted: false }
      const taken = update(s, { phase })
      next = input._tag === 'BodyChunk' ? onBodyChunk(taken, out, phase, input.bytes) : onBodyEnd(taken, out, phase)
      break
    }
    case 'TlsStarted':
      if (s.phase._tag !== 'TlsWait') return [s, [misuse('TlsStarted without a StartTls output')]]
      next = onTlsStarted(s, out)
      break
    case 'TimerFired':
      if (!s.timer || s.phase._tag === 'Closed') return [s, []] // a stale timer
      // A server that does not answer QUIT is simply left (RFC 5321 4.1.1.10 needs nothing more).
      next =
        s.phase._tag === 'Quitting'
          ? closeNow(s, out)
          : endSession(s, out, { _tag: 'Timeout', waitingFor: waitingFor(s) }, 'close')
      break
    case 'PeerClosed':
      if (s.phase._tag === 'Closed') return [s, []]
      next = s.phase._tag === 'Quitting' ? closeNow(s, out) : endSession(s, out, closedBecause(s), 'close')
      break
    case 'QuitRequested':
      if (s.phase._tag === 'Closed' || s.phase._tag === 'Quitting') return [s, []]
      next = s.phase._tag === 'Ready' ? sendQuit(s, out) : update(s, { quitWhenReady: true })
      break
    default:
      return absurd(input)
  }
  return [armTimer(next, out), out.done()]
}

/** What the session waits for now, for messages. */
const waitingFor = (s: ClientState): string => {
  const p = s.phase
  switch (p._tag) {
    case 'Greeting':
      return 'the greeting'
    case 'Hello':
      return `the reply to ${p.verb}`
    case 'StartTls':
      return 'the reply to STARTTLS'
    case 'Xclient':
      return 'the reply to XCLIENT'
    case 'TlsWait':
      return 'the TLS handshake'
    case 'Auth':
      return 'the reply to AUTH'
    case 'Ready':
      return s.staleBody ? 'the answer to the last BodyWanted' : 'nothing'
    case 'Envelope':
      // with PIPELINING, DATA may be out while RCPT replies are still owed: the first reply owed is what it waits for
      return p.tx.mail === undefined
        ? 'the reply to MAIL'
        : p.tx.rcpts.length < p.tx.rcptLines.length
          ? 'the reply to RCPT'
          : 'the reply to DATA'
    case 'Body':
      // The driver pulls the next piece once the last one was taken, so this is the data still going out.
      return p.wanted ? 'the server to take the message data' : 'the reply to BDAT'
    case 'Final':
      return 'the reply to the end of the data'
    case 'Resetting':
      return 'the reply to RSET'
    case 'Quitting':
      return 'the reply to QUIT'
    case 'Closed':
      return 'nothing: the session is closed'
    default:
      return absurd(p)
  }
}

/** The timeout for what the session waits for now (RFC 5321 4.5.3.2), or undefined when it waits for nothing. */
const timeoutFor = (s: ClientState): number | undefined => {
  const t = s.config.timeouts
  const p = s.phase
  switch (p._tag) {
    case 'Greeting':
      return t.greeting
    case 'Hello':
      return t.hello
    case 'Envelope':
      return p.tx.mail === undefined ? t.mail : p.tx.rcpts.length < p.tx.rcptLines.length ? t.rcpt : t.dataInit
    case 'Body':
      return t.dataBlock // RFC 5321 4.5.3.2.5: each block of data, and each BDAT reply
    case 'Final':
      // RFC 5321 4.5.3.2.6: the end of the data (BDAT LAST too) is out; a server may hold the earlier chunks'
      // replies until it has taken the whole message, so they get the same wait
      return t.dataEnd
    case 'Quitting':
      return t.quit // results are final: the reply to QUIT changes nothing (RFC 5321 4.1.1.10)
    case 'Ready':
    case 'Closed':
      return undefined
    default:
      return t.command
  }
}

/** Re-arm the timer when a reply was read or something sent; stop it when nothing is awaited. */
const armTimer = (s: ClientState, out: Out): ClientState => {
  if (s.phase._tag === 'Closed') return s
  const ms = timeoutFor(s)
  if (ms === undefined) {
    if (!s.timer) return s
    out.push(clearTimer)
    return update(s, { timer: false })
  }
  if (!out.progress && s.timer) return s
  out.push(setTimer(ms))
  return s.timer ? s : update(s, { timer: true })
}

const faultText = (f: ReplyFault): string => {
  switch (f._tag) {
    case 'LineTooLong':
      return `reply line longer than ${f.max} octets`
    case 'TooManyLines':
      return `reply of more than ${f.max} lines`
    case 'Malformed':
      return `not a reply line: ${JSON.stringify(f.line)}`
    case 'CodeChanged':
      return `multi-line reply changed its code from ${f.expected} to ${f.got} (RFC 5321 4.2.1)`
    default:
      return absurd(f)
  }
}

/** Read replies out of the input and act on each in turn. */
const onReceived = (s0: ClientState, out: Out, bytes: Uint8Array): ClientState => {
  let s = s0
  let pos = 0
  const limits = { maxLine: s.config.maxReplyLine, maxLines: s.config.maxReplyLines }
  while (pos < bytes.length) {
    // RFC 3207 5.2: nothing the server sends between the 220 to STARTTLS and the handshake is read.
    if (s.phase._tag === 'Closed' || s.phase._tag === 'TlsWait') return s
    const r = readReply(s.parser, bytes, pos, limits)
    if (r._tag === 'More') return withParser(s, r.parser)
    if (r._tag === 'Fault')
      return endSession(s, out, { _tag: 'ProtocolError', reason: faultText(r.fault), reply: r.fault.partial }, 'close')
    out.progress = true
    s = onReply(withParser(s, r.parser), out, r.reply)
    pos = r.pos
  }
  return s
}

/** A copy of `s` whose reply parser is `parser`. */
const withParser = (s: ClientState, parser: ClientState['parser']): ClientState => {
  const next = copyState(s)
  next.parser = parser
  return next
}

/**
 * Why the connection closed under the session: the server said it would, with an LMTP recipient's 421 among the
 * replies after the data (RFC 2033 4.2, RFC 5321 3.8), or it was lost.
 */
const closedBecause = (s: ClientState): ClientError => {
  const said = s.phase._tag === 'Final' ? s.phase.replies.find((r) => r.code === 421) : undefined
  return said === undefined ? { _tag: 'ConnectionLost' } : { _tag: 'ServiceClosing', reply: said }
}

/** One reply, to whatever the phase waits for. */
const onReply = (s: ClientState, out: Out, r: Reply): ClientState => {
  const p = s.phase
  // RFC 5321 3.8: a 421 can come at any point and means the server is closing the channel. In LMTP, one after
  // the end of the data is one recipient's verdict: the replies of the others still follow (RFC 2033 4.2).
  const lmtpVerdict = p._tag === 'Final' && p.chunks === 0 && s.config.lmtp
  if (r.code === 421 && p._tag !== 'Greeting' && p._tag !== 'Quitting' && !lmtpVerdict)
    return endSession(s, out, { _tag: 'ServiceClosing', reply: r }, 'close', r)
  switch (p._tag) {
    case 'Greeting':
      return onGreeting(s, out, r)
    case 'Hello':
      return onHelloReply(s, out, p.verb, r)
    case 'StartTls':
      return onStartTlsReply(s, out, r)
    case 'Xclient':
      return onXclientReply(s, out, p.rest, r)
    case 'Auth':
      return onAuthReply(s, out, p, r)
    case 'Envelope':
      return onEnvelopeReply(s, out, p, r)
    case 'Body':
      return onChunkReply(s, out, p, r)
    case 'Final':
      return onFinalReply(s, out, p, r)
    case 'Resetting':
      return onResetReply(s, out, p.skip, r)
    case 'Quitting':
      return closeNow(s, out) // 221, or anything else: the session is over (RFC 5321 4.1.1.10)
    case 'Ready':
      return unexpected(s, out, r, 'while no command was sent')
    case 'TlsWait':
    case 'Closed':
      return s
    default:
      return absurd(p)
  }
}
