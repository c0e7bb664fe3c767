// BDAT (RFC 3030 2): a chunk of exactly the declared size follows the command line. Its octets are
// read even when the command is refused, so message data is never taken for commands. A refused BDAT
// fails its transaction, whatever the refusal (a size too big, a line that does not parse, no
// recipients yet): its chunk is not part of the message, so no later chunk may complete it. Further
// chunks are read and refused with 503 until RSET. In LMTP a BDAT LAST ends such a transaction, and one
// without a successful RCPT, with one reply per accepted recipient: none when there is none (RFC 2033 4.3).
import { Replies, type Reply, reply } from '../../Reply.js'
import { type Out, bad, closeWith, countJunk, facts, say } from '../effects.js'
import { messageAborted, messageStart } from '../Output.js'
import { type Phase, type ServerState, update, withPhase } from '../State.js'
import { endOfMessage, noRecipients, streamPieces } from './data.js'

type BdatPhase = Extract<Phase, { _tag: 'Bdat' }>
type EnvelopePhase = Extract<Phase, { _tag: 'Envelope' }>
type DiscardPhase = Extract<Phase, { _tag: 'BdatDiscard' }>

/** A chunk size: 1*DIGIT (RFC 3030 2), leading zeros allowed, at most a safe integer. */
const chunkSize = (digits: string): number | undefined => {
  const size = Number(digits.replace(/^0+(?=[0-9])/, ''))
  return digits.length <= 40 && Number.isSafeInteger(size) ? size : undefined
}

/** `BDAT` SP chunk-size [SP "LAST"] (RFC 3030 2). */
export const parseBdat = (arg: string): { readonly size: number; readonly last: boolean } | undefined => {
  const m = /^ ([0-9]+)(?: (LAST))?$/i.exec(arg)
  const size = m === null ? undefined : chunkSize(m[1]!)
  return size === undefined ? undefined : { size, last: m![2] !== undefined }
}

/**
 * The chunk size of a BDAT line that does not parse strictly only for its white space (two spaces, a tab,
 * a trailing space): a relay in front of us may have read it that way and sent that many octets, so they
 * are read as data all the same rather than run as commands. Anything else around the digits (`0x0c`,
 * `1.2e1`, `12abc`, other scripts' digits) gives no size one can trust: the framing is lost.
 */
const looseSize = (arg: string): number | undefined => {
  const m = /^[ \t]+([0-9]+)(?:[ \t]+LAST)?[ \t]*$/i.exec(arg)
  return m === null ? undefined : chunkSize(m[1]!)
}

/**
 * Refuse a BDAT command: read and drop its chunk if its size can be made out, then reply. When it cannot
 * (no digits, or more than any octet count can be), nobody knows where the chunk ends, so its octets would
 * run as commands: the framing is lost and the session ends (reply, then close). Within a transaction the
 * refusal fails it (see `failTransaction`).
 */
export const refuseBdat = (s0: ServerState, out: Out, arg: string, r: Reply): ServerState => {
  const size = parseBdat(arg)?.size ?? looseSize(arg)
  // A size of digits too big to count is a limit (RFC 1870 6.1's 552); either way the chunk is lost.
  if (size === undefined && arg.trim() !== '')
    return closeWith(
      s0,
      out,
      /^[ \t]+[0-9]+(?:[ \t]+LAST)?[ \t]*$/i.test(arg) ? Replies.bdatHuge : Replies.bdatUnframed,
      'tooBig',
    )
  const s = failTransaction(s0, out)
  if (size === undefined || size === 0) return bad(s, out, r) // no chunk follows
  return withPhase(s, { _tag: 'BdatDiscard', remaining: size, reply: r, count: 1, after: s.phase })
}

/**
 * An LMTP BDAT LAST that no message can come of: a chunk before it failed, or no RCPT succeeded. It ends the data
 * all the same, and RFC 2033 4.3 answers a BDAT LAST once per successful RCPT whatever became of the message: each
 * accepted recipient hears that the transaction failed, and with none there is no reply at all (a 503 there would
 * be taken for the reply to the client's next command). Its chunk is read and dropped, and the transaction is over.
 */
const lastOfNothing = (s: ServerState, out: Out, p: EnvelopePhase, size: number): ServerState => {
  const discard: DiscardPhase = {
    _tag: 'BdatDiscard',
    remaining: size,
    reply: Replies.bdatFailed,
    count: p.tx.recipients.length,
    after: { _tag: 'Idle', hello: p.hello },
  }
  return size === 0 ? discarded(s, out, discard) : withPhase(s, discard)
}

/**
 * A BDAT refused within a transaction fails it (RFC 3030 2): a message whose chunks had begun to stream is
 * aborted (and counts toward `maxMessagesPerSession`, as one refused at its end does), and every later BDAT,
 * DATA or RCPT gets 503 until RSET. Otherwise the chunks sent after the refused one (pipelined before the
 * client read the refusal) would complete a message missing a chunk. Where CHUNKING is not offered no BDAT
 * can add to a message: the transaction is left alone, for the client to send its data with DATA.
 */
const failTransaction = (s: ServerState, out: Out): ServerState => {
  const p = s.phase
  if (!s.config.chunking || p._tag !== 'Envelope' || p.chunked?.failed === true) return s
  const failed: Phase = { ...p, chunked: { size: p.chunked?.size ?? 0, failed: true } }
  if (p.chunked === undefined) return withPhase(s, failed)
  out.push(messageAborted('chunkRefused'))
  return update(s, { phase: failed, messages: s.messages + 1 })
}

export const onBdat = (s: ServerState, out: Out, arg: string): ServerState => {
  const p = s.phase
  if (p._tag !== 'Envelope') return refuseBdat(s, out, arg, Replies.needMail)
  const b = parseBdat(arg)
  if (b === undefined) return refuseBdat(s, out, arg, Replies.badBdat)
  if (b.last && s.config.lmtp && (p.chunked?.failed === true || p.tx.recipients.length === 0))
    return lastOfNothing(s, out, p, b.size)
  if (p.chunked?.failed === true) return refuseBdat(s, out, arg, Replies.bdatFailed)
  if (p.tx.recipients.length === 0) return refuseBdat(s, out, arg, noRecipients(s, p))
  if (p.chunked === undefined) out.push(messageStart(p.tx, facts(s)))
  const chunked = p.chunked ?? { size: 0, failed: false }
  const phase: BdatPhase = {
    _tag: 'Bdat',
    hello: p.hello,
    tx: p.tx,
    remaining: b.size,
    last: b.last,
    chunked,
    tooBig: false,
  }
  return b.size === 0 ? chunkDone(withPhase(s, phase), out, phase) : withPhase(s, phase)
}

/** Feed chunk octets; returns the new state and how far the input was used. */
export const feedBdat = (
  s: ServerState,
  p: BdatPhase,
  out: Out,
  bytes: Uint8Array,
  pos: number,
): readonly [ServerState, number] => {
  const take = Math.min(p.remaining, bytes.length - pos)
  const streamed = streamPieces(s, out, [bytes.subarray(pos, pos + take)], p.chunked.size, p.tooBig)
  const phase: BdatPhase = {
    ...p,
    remaining: p.remaining - take,
    chunked: { ...p.chunked, size: streamed.size },
    tooBig: p.tooBig || streamed.tooBig,
  }
  const next = withPhase(s, phase)
  return [phase.remaining === 0 ? chunkDone(next, out, phase) : next, pos + take]
}

const chunkDone = (s: ServerState, out: Out, p: BdatPhase): ServerState => {
  // The last chunk ends the message whatever came of it, as the end of DATA does: a message too big gets
  // its 552 once per accepted recipient in LMTP (RFC 2033 4.2), as a delivered one gets its replies, and the
  // transaction is over (a client's RSET after it, which RFC 3030 2 asks for, finds nothing to reset).
  if (p.last) return endOfMessage(s, out, p.hello, p.tx, p.chunked.size, p.tooBig, undefined)
  if (p.tooBig) {
    say(s, out, Replies.sizeExceeded)
    const phase: Phase = {
      _tag: 'Envelope',
      hello: p.hello,
      tx: p.tx,
      refused: 0,
      chunked: { ...p.chunked, failed: true },
    }
    // the message ends here, refused, as one too big at the end of DATA does: it counts toward the session's
    // maxMessagesPerSession, so that resending it over and over is not free
    return update(s, { phase, messages: s.messages + 1 })
  }
  say(s, out, reply(250, '2.0.0', `${p.chunked.size} octets received`))
  return withPhase(s, { _tag: 'Envelope', hello: p.hello, tx: p.tx, refused: 0, chunked: p.chunked })
}

/** Drop the octets of a refused chunk; then send the refusal. */
export const feedDiscard = (
  s: ServerState,
  p: DiscardPhase,
  out: Out,
  bytes: Uint8Array,
  pos: number,
): readonly [ServerState, number] => {
  const take = Math.min(p.remaining, bytes.length - pos)
  if (take < p.remaining) return [withPhase(s, { ...p, remaining: p.remaining - take }), pos + take]
  return [discarded(s, out, p), pos + take]
}

/** A refused chunk was read: its replies, if it has any (counted as one error), and on to what comes after. */
const discarded = (s0: ServerState, out: Out, p: DiscardPhase): ServerState => {
  const s = withPhase(s0, p.after)
  // no reply (an LMTP BDAT LAST after no successful RCPT), yet it brought no mail: counted toward maxJunkCommands
  if (p.count === 0) return countJunk(s, out)
  for (let i = 1; i < p.count; i++) say(s, out, p.reply)
  return bad(s, out, p.reply)
}
