// DATA (RFC 5321 4.1.1.4) and the end of a message, shared with BDAT: the body streams out as
// views of the input, the size limit is enforced as it streams (RFC 1870 6.3), and only a clean
// CRLF.CRLF makes the session ask the application for its verdict (in LMTP, one per recipient).
import { Replies, type Reply } from '../../Reply.js'
import { type DotScan, dotScanStart, scanData } from '../../wire/dotScan.js'
import { type Out, askApp, bad, facts, say } from '../effects.js'
import {
  type Accept,
  type PerRecipient,
  type Question,
  type Reject,
  messageAborted,
  messageChunk,
  messageStart,
} from '../Output.js'
import { type Envelope, type Hello, type Phase, type ServerState, copyState, update, withPhase } from '../State.js'

type DataPhase = Extract<Phase, { _tag: 'Data' }>

export const onData = (s: ServerState, out: Out, arg: string): ServerState => {
  const p = s.phase
  if (p._tag !== 'Envelope') return bad(s, out, Replies.needMail)
  if (arg !== '') return bad(s, out, Replies.noArguments) // RFC 5321 4.3.2
  if (p.chunked !== undefined) return bad(s, out, Replies.dataAfterBdat) // RFC 3030 2
  if (p.tx.params.body === 'BINARYMIME') return bad(s, out, Replies.binaryNeedsBdat) // RFC 3030 3
  if (p.tx.recipients.length === 0) return bad(s, out, noRecipients(s, p))
  say(s, out, Replies.startData)
  out.push(messageStart(p.tx, facts(s)))
  const phase: DataPhase = { _tag: 'Data', hello: p.hello, tx: p.tx, scan: dotScanStart, size: 0, tooBig: false }
  return withPhase(s, phase)
}

/**
 * DATA or BDAT with no accepted recipient. RFC 5321 3.3: 503 when no RCPT was tried, 554 when every one
 * was refused; RFC 2033 4.2: 503 in LMTP either way.
 */
export const noRecipients = (s: ServerState, p: Extract<Phase, { _tag: 'Envelope' }>): Reply =>
  p.refused === 0 ? Replies.needRcpt : s.config.lmtp ? Replies.lmtpNoValidRecipients : Replies.noValidRecipients

/** Pass message pieces on, unless the message is already lost; say so once when it becomes lost. */
export const streamPieces = (
  s: ServerState,
  out: Out,
  pieces: ReadonlyArray<Uint8Array>,
  size: number,
  lost: boolean,
): { readonly size: number; readonly tooBig: boolean } => {
  const max = s.config.size ? s.config.maxMessageSize : 0
  let total = size
  let tooBig = false
  for (const piece of pieces) total += piece.length
  if (max > 0 && total > max) tooBig = true
  if (!lost && tooBig) out.push(messageAborted('tooBig'))
  if (!lost && !tooBig) for (const piece of pieces) out.push(messageChunk(piece))
  return { size: total, tooBig }
}

/** Feed message text to the DATA phase; returns the new state and how far the input was used. */
export const feedData = (
  s: ServerState,
  p: DataPhase,
  out: Out,
  bytes: Uint8Array,
  pos: number,
): readonly [ServerState, number] => {
  const policy = {
    rejectBareLineEndings: s.config.bareLineEndings === 'reject',
    maxLineLength: s.config.maxTextLineLength,
  }
  const r = scanData(p.scan, bytes, pos, policy)
  const wasLost = p.tooBig || p.scan.fault !== undefined
  const faultNow = !wasLost && r.scan.fault !== undefined
  if (faultNow) out.push(messageAborted(r.scan.fault!))
  const streamed = streamPieces(s, out, r.pieces, p.size, wasLost || faultNow)
  const tooBig = p.tooBig || streamed.tooBig
  if (r.end === -1) {
    const phase = { _tag: p._tag, hello: p.hello, tx: p.tx, scan: r.scan, size: streamed.size, tooBig }
    return [withPhase(s, phase), bytes.length]
  }
  return [endOfMessage(s, out, p.hello, p.tx, streamed.size, tooBig, r.scan), r.end]
}

const faultReply = (scan: DotScan | undefined): Reply | undefined =>
  scan?.fault === 'bareLineEnding'
    ? Replies.bareLineEnding
    : scan?.fault === 'lineTooLong'
      ? Replies.textLineTooLong
      : undefined

/** The message is complete: refuse it for what went wrong while it streamed, or ask. */
export const endOfMessage = (
  s: ServerState,
  out: Out,
  hello: Hello,
  tx: Envelope,
  size: number,
  tooBig: boolean,
  scan: DotScan | undefined,
): ServerState => {
  const idle: Phase = { _tag: 'Idle', hello }
  const refusal = tooBig ? Replies.sizeExceeded : faultReply(scan)
  const counted = copyState(s)
  counted.messages = s.messages + 1
  if (refusal !== undefined) {
    counted.phase = idle
    for (let i = 0; i < replyCount(s, tx); i++) say(counted, out, refusal)
    return counted
  }
  return askApp(counted, out, idle, (id, session) => ({
    _tag: 'Message',
    id,
    envelope: tx,
    size,
    recipients: tx.recipients,
    session,
  }))
}

// LMTP answers the end of data once per accepted recipient (RFC 2033 4.2); SMTP once.
const replyCount = (s: ServerState, tx: Envelope): number => (s.config.lmtp ? tx.recipients.length : 1)

export const answerMessage = (
  s0: ServerState,
  out: Out,
  q: Extract<Question, { _tag: 'Message' }>,
  answer: Accept | Reject | PerRecipient,
): ServerState => {
  const decide = (a: Accept | Reject): Reply => (a._tag === 'Accept' ? (a.reply ?? Replies.messageOk) : a.reply)
  const decisions = answer._tag === 'PerRecipient' ? answer.decisions : [answer]
  // mail was taken: the client is doing what SMTP is for, so its count of junk commands starts again
  const s = decisions.some((d) => d._tag === 'Accept') && s0.junkCommands !== 0 ? update(s0, { junkCommands: 0 }) : s0
  if (!s.config.lmtp) {
    // validated by the caller: PerRecipient only comes in LMTP
    say(s, out, answer._tag === 'PerRecipient' ? decide(answer.decisions[0]!) : decide(answer))
    return s
  }
  q.recipients.forEach((_, i) =>
    say(s, out, answer._tag === 'PerRecipient' ? decide(answer.decisions[i]!) : decide(answer)),
  )
  return s
}
