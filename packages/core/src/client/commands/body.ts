// The message body, pulled from the application one piece per BodyWanted: after DATA each piece is
// dot-stuffed and given CRLF line ends as it goes (RFC 5321 4.5.2, 2.3.8) and ends with "." CRLF
// (4.1.1.4); with CHUNKING each piece is a BDAT chunk, text with CRLF line ends and BINARYMIME as is,
// ended by a BDAT LAST that carries any line break the text still owes (RFC 3030 2, 3).
import { type Reply, isPositive } from '../../Reply.js'
import { concat, encode, isAscii } from '../../wire/bytes.js'
import { canonicalEnd, stuff, stuffEnd } from '../../wire/dotStuff.js'
import { type Out, announceReady, becomeReady, endSession, failTx, unexpected } from '../effects.js'
import { type ClientError, bodyWanted } from '../Output.js'
import { acceptedCount, emitResults } from '../results.js'
import { type ClientState, type Phase, update } from '../State.js'

type BodyPhase = Extract<Phase, { _tag: 'Body' }>
type FinalPhase = Extract<Phase, { _tag: 'Final' }>

const not8Bit: ClientError = {
  _tag: 'Unsupported',
  extension: '8BITMIME',
  reason: 'the body has octets above 127, but the message was not declared BODY=8BITMIME (RFC 6152 3)',
}

/** Octets above 127 in a 7-bit body. BDAT can still be taken back with RSET; DATA cannot, so the session closes. */
const refuse8Bit = (s: ClientState, out: Out, p: BodyPhase): ClientState => {
  const ending = { _tag: 'Failed', reply: undefined, status: 'permanent', error: not8Bit } as const
  if (p.tx.bdat) return failTx(s, out, p, ending, p.chunks)
  // After DATA's 354 the message cannot be taken back but by closing: the transaction fails as Unsupported, the
  // session as a connection lost, so that messages queued behind it are not refused for this one's body
  return endSession(s, out, { _tag: 'ConnectionLost' }, 'close', undefined, ending)
}

/** A piece of the body: stuffed and sent after DATA, or sent as a BDAT chunk. */
export const onBodyChunk = (s: ClientState, out: Out, p: BodyPhase, bytes: Uint8Array): ClientState => {
  if (!p.tx.eightBit && !isAscii(bytes)) return refuse8Bit(s, out, p)
  if (!p.tx.bdat) {
    const [next, pieces] = stuff(p.stuff, bytes)
    if (pieces.length > 0) out.data(concat(pieces))
    out.push(bodyWanted(p.tx.id))
    return update(s, { phase: { ...p, stuff: next, wanted: true } })
  }
  if (bytes.length === 0) {
    out.push(bodyWanted(p.tx.id))
    return update(s, { phase: { ...p, wanted: true } })
  }
  // RFC 3030 2: text goes in canonical form, CRLF line ends; BINARYMIME octet for octet.
  const [next, pieces] = p.tx.binary ? [p.stuff, [bytes]] : stuff(p.stuff, bytes, false)
  const chunk = concat(pieces)
  if (chunk.length === 0) {
    out.push(bodyWanted(p.tx.id))
    return update(s, { phase: { ...p, stuff: next, wanted: true } })
  }
  // The chunk follows its BDAT line at once.
  out.data(concat([encode(`BDAT ${chunk.length}\r\n`), chunk]))
  // With PIPELINING the next chunk need not wait for this one's reply (RFC 3030 4.2).
  if (p.tx.pipelined) out.push(bodyWanted(p.tx.id))
  return update(s, { phase: { ...p, stuff: next, chunks: p.chunks + 1, wanted: p.tx.pipelined } })
}

/** The end of the body: the end-of-data line after DATA, or BDAT 0 LAST. */
export const onBodyEnd = (s: ClientState, out: Out, p: BodyPhase): ClientState => {
  if (p.tx.bdat) {
    // a text body ends as it would after DATA: with a line break (RFC 3030 2)
    const tail = p.tx.binary ? new Uint8Array(0) : canonicalEnd(p.stuff)
    out.data(concat([encode(`BDAT ${tail.length} LAST\r\n`), tail]))
  } else out.data(stuffEnd(p.stuff))
  // RFC 2920 3.1: after the end of a DATA body the next transaction may already be sent. Not after
  // BDAT, whose failure needs a RSET that would also reset the next transaction.
  const early = p.tx.pipelined && !p.tx.bdat && !s.quitWhenReady
  if (early) announceReady(s, out)
  return update(s, { phase: { _tag: 'Final', tx: p.tx, chunks: p.chunks, replies: [], early, next: undefined } })
}

/**
 * A BDAT chunk's reply. RFC 3030 2: after a failed chunk no more are sent, and the server answers (and drops)
 * every chunk already in flight, BDAT LAST included, before our RSET. In LMTP a BDAT LAST is answered once per
 * accepted recipient even then (RFC 2033 4.3).
 */
export const onChunkReply = (s: ClientState, out: Out, p: BodyPhase | FinalPhase, r: Reply): ClientState => {
  if (p.chunks === 0) return unexpected(s, out, r, 'while sending the body')
  if (!isPositive(r)) {
    if (r.code < 400) return unexpected(s, out, r, 'to BDAT')
    const last = p._tag !== 'Final' ? 0 : s.config.lmtp ? acceptedCount(p.tx) : 1
    const inFlight = p.chunks - 1 + last
    return failTx(s, out, p, { _tag: 'Failed', reply: r, status: 'permanent', error: undefined }, inFlight)
  }
  if (p._tag === 'Final') return update(s, { phase: { ...p, chunks: p.chunks - 1 } })
  const chunks = p.chunks - 1
  // Without PIPELINING the next chunk waits for this reply.
  if (!p.tx.pipelined) out.push(bodyWanted(p.tx.id))
  return update(s, { phase: { ...p, chunks, wanted: p.wanted || !p.tx.pipelined } })
}

/** The reply to the end of the data: one in SMTP, one per accepted recipient in LMTP (RFC 2033 4.2). */
export const onFinalReply = (s: ClientState, out: Out, p: FinalPhase, r: Reply): ClientState => {
  if (p.chunks > 0) return onChunkReply(s, out, p, r)
  if (r.code < 200 || (r.code >= 300 && r.code < 400)) return unexpected(s, out, r, 'to the end of the data')
  const replies = [...p.replies, r]
  if (s.config.lmtp && replies.length < acceptedCount(p.tx)) return update(s, { phase: { ...p, replies } })
  // LMTP: a recipient's 421 closes the session once every recipient has its verdict (RFC 2033 4.2, RFC 5321 3.8)
  const closing = replies.find((x) => x.code === 421)
  if (closing !== undefined) {
    const error: ClientError = { _tag: 'ServiceClosing', reply: closing }
    return endSession(s, out, error, 'close', closing, { _tag: 'Replied', replies, error })
  }
  // RFC 5321 4.1.1.4: with the reply to the end of the data the transaction is over, whatever its code.
  emitResults(out, p.tx, { _tag: 'Replied', replies, error: undefined }, s.config.lmtp)
  // But a refused BDAT leaves the server's state undefined, even the last one: RSET before another transaction
  // (RFC 3030 2). Before QUIT there is nothing to reset.
  if (p.tx.bdat && !s.quitWhenReady && !replies.every(isPositive)) {
    out.command('RSET')
    return update(s, { phase: { _tag: 'Resetting', skip: 0 } })
  }
  // The next transaction's replies follow; its commands went out behind this one's end of data.
  if (p.next !== undefined) return update(s, { phase: { _tag: 'Envelope', tx: p.next, dataSent: !p.next.bdat } })
  if (p.early && !s.quitWhenReady) return update(s, { phase: { _tag: 'Ready' } }) // Ready was given already
  return becomeReady(s, out)
}
