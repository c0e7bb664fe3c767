// The envelope of a transaction: MAIL (RFC 5321 4.1.1.2), RCPT (4.1.1.3) and DATA (4.1.1.4), one command
// at a time or, with PIPELINING, all in one write with the replies matched in order (RFC 2920 3.1, 3.2),
// and RSET after a transaction that failed (4.1.1.5).
import * as E from 'fp-ts/lib/Either.js'
import { type Reply, isPositive } from '../../Reply.js'
import { stuffInit } from '../../wire/dotStuff.js'
import { type Out, announceReady, becomeReady, endSession, failTx, unexpected } from '../effects.js'
import type { ClientEnvelope } from '../Input.js'
import { bodyWanted, messageResult } from '../Output.js'
import { hasRecipients } from '../results.js'
import { type ClientState, type Phase, type Tx, update } from '../State.js'
import { prepareTx } from './envelope.js'

type EnvelopePhase = Extract<Phase, { _tag: 'Envelope' }>

/** Check the envelope, then send MAIL (and, pipelined, every RCPT and DATA with it). */
export const onSubmitted = (s: ClientState, out: Out, e: ClientEnvelope, id: string | undefined): ClientState => {
  const prepared = prepareTx(s, e, id)
  if (E.isLeft(prepared)) {
    const error = prepared.left
    const recipients = e.to.map((t) => ({
      address: typeof t === 'string' ? t : t.address,
      status: 'permanent' as const,
      reply: undefined,
      afterData: false,
    }))
    out.push(messageResult({ id, status: 'permanent', reply: undefined, error, recipients }))
    if (s.phase._tag === 'Final') {
      announceReady(s, out) // still waiting for the previous end of data; another may be submitted
      return s
    }
    return becomeReady(s, out)
  }
  const tx = prepared.right
  const p = s.phase
  if (p._tag === 'Final') {
    // RFC 2920 3.1: the whole group goes behind the previous end of data; replies come in order.
    out.command(tx.mailLine)
    for (const line of tx.rcptLines) out.command(line)
    if (!tx.bdat) out.command('DATA')
    return update(s, { phase: { ...p, next: tx } })
  }
  out.command(tx.mailLine)
  if (!tx.pipelined) return update(s, { phase: { _tag: 'Envelope', tx, dataSent: false } })
  for (const line of tx.rcptLines) out.command(line)
  // RFC 2920 3.1: DATA may end the group; BDAT waits for the RCPT replies (RFC 3030 2).
  if (!tx.bdat) out.command('DATA')
  return update(s, { phase: { _tag: 'Envelope', tx, dataSent: !tx.bdat } })
}

/** Start the body: BodyWanted, with the stuffer or the BDAT count at zero. */
const startBody = (s: ClientState, out: Out, tx: Tx): ClientState => {
  out.push(bodyWanted(tx.id))
  return update(s, { phase: { _tag: 'Body', tx, wanted: true, stuff: stuffInit, chunks: 0 } })
}

/** Every RCPT has its reply (and DATA is not in flight): send the body, DATA, or give up. */
const afterRecipients = (s: ClientState, out: Out, p: EnvelopePhase, tx: Tx): ClientState => {
  // RFC 5321 3.3: with no recipient accepted there is nothing to send.
  if (!hasRecipients(tx))
    return failTx(s, out, { ...p, tx }, { _tag: 'Failed', reply: undefined, status: 'permanent', error: undefined })
  if (tx.bdat) return startBody(s, out, tx)
  out.command('DATA')
  return update(s, { phase: { _tag: 'Envelope', tx, dataSent: true } })
}

/** The reply to DATA: 354 starts the body, anything else ends the transaction. */
const onDataReply = (s: ClientState, out: Out, p: EnvelopePhase, r: Reply): ClientState => {
  const tx = p.tx
  const ok = hasRecipients(tx)
  if (r.code === 354) {
    if (ok) return startBody(s, out, tx)
    // RFC 2920 3.1: a server that said 354 with nothing to deliver to gets just the end of data, and a
    // RSET after it; the reply to that "." is skipped.
    out.command('.')
    return failTx(s, out, p, { _tag: 'Failed', reply: undefined, status: 'permanent', error: undefined }, 1)
  }
  if (r.code < 400) return unexpected(s, out, r, 'to DATA')
  return failTx(s, out, p, { _tag: 'Failed', reply: ok ? r : undefined, status: 'permanent', error: undefined })
}

/** A reply in the envelope phase: to MAIL, to the next RCPT, or to DATA, in the order they were sent. */
export const onEnvelopeReply = (s: ClientState, out: Out, p: EnvelopePhase, r: Reply): ClientState => {
  const tx = p.tx
  if (r.code >= 300 && r.code < 400 && !(p.dataSent && tx.rcpts.length === tx.rcptLines.length))
    return unexpected(s, out, r, tx.mail === undefined ? 'to MAIL' : 'to RCPT')
  if (tx.mail === undefined) {
    const next = { ...tx, mail: r }
    if (tx.pipelined) return update(s, { phase: { ...p, tx: next } })
    // RFC 5321 3.3: without an accepted MAIL there is no transaction to add recipients to.
    if (!isPositive(r))
      return failTx(s, out, { ...p, tx: next }, { _tag: 'Failed', reply: r, status: 'permanent', error: undefined })
    out.command(tx.rcptLines[0]!)
    return update(s, { phase: { ...p, tx: next } })
  }
  if (tx.rcpts.length < tx.rcptLines.length) {
    const next = { ...tx, rcpts: [...tx.rcpts, r] }
    const sent = next.rcpts.length
    if (sent < tx.rcptLines.length) {
      if (!tx.pipelined) out.command(tx.rcptLines[sent]!)
      return update(s, { phase: { ...p, tx: next } })
    }
    if (p.dataSent) return update(s, { phase: { ...p, tx: next } }) // DATA's reply comes next
    return afterRecipients(s, out, p, next)
  }
  if (p.dataSent) return onDataReply(s, out, p, r)
  return unexpected(s, out, r, 'after the envelope')
}

/** The reply to the RSET after a failed transaction, after any replies to commands already in flight. */
export const onResetReply = (s: ClientState, out: Out, skip: number, r: Reply): ClientState => {
  if (skip > 0) return update(s, { phase: { _tag: 'Resetting', skip: skip - 1 } })
  if (isPositive(r)) return becomeReady(s, out)
  return endSession(s, out, { _tag: 'ProtocolError', reason: `RSET refused with ${r.code}`, reply: r }, 'quit')
}
