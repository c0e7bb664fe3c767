// Helpers every client handler shares: the output collector, Ready, RSET after a failed transaction
// (RFC 5321 4.1.1.5), QUIT (4.1.1.10), and the ways a session ends, with its transaction's results.
import type { Reply } from '../Reply.js'
import { Outbox } from '../wire/Outbox.js'
import { noCapabilities } from './capabilities.js'
import { type ClientError, type ClientOutput, clearTimer, close, failed, ready, send } from './Output.js'
import { type Ending, emitResults } from './results.js'
import { type ClientState, type Phase, update } from './State.js'

/**
 * One step's outputs; command lines are joined into one Send, so a pipelined group leaves in one write
 * (RFC 2920 3.1). `progress` records that a reply was read or something sent, to re-arm the timer.
 */
export class Out extends Outbox<ClientOutput> {
  progress = false

  constructor() {
    super(send)
  }

  /** A command line; CRLF is added (RFC 5321 2.3.8). */
  command(line: string): void {
    this.write(`${line}\r\n`)
    this.progress = true
  }

  /** Bytes that go out as they are (message data). */
  data(bytes: Uint8Array): void {
    this.push(send(bytes))
    this.progress = true
  }
}

/** Close the connection now, without QUIT. */
export const closeNow = (s: ClientState, out: Out): ClientState => {
  if (s.timer) out.push(clearTimer)
  out.push(close)
  return update(s, { phase: { _tag: 'Closed' }, timer: false })
}

/** QUIT, then wait for 221 (RFC 5321 4.1.1.10). */
export const sendQuit = (s: ClientState, out: Out): ClientState => {
  out.command('QUIT')
  return update(s, { phase: { _tag: 'Quitting' } })
}

/**
 * The session can take the next transaction, unless the application asked to quit. While the application
 * still owes the answer to a BodyWanted of a finished transaction, `Ready` waits for it, so that answer can
 * never be taken for a piece of the next message.
 */
export const becomeReady = (s: ClientState, out: Out): ClientState => {
  if (s.quitWhenReady) return sendQuit(s, out)
  if (!s.staleBody) announceReady(s, out)
  return update(s, { phase: { _tag: 'Ready' } })
}

/** Emit `Ready` with what the session knows now. */
export const announceReady = (s: ClientState, out: Out): void =>
  out.push(ready(s.capabilities ?? noCapabilities, s.tls, s.authenticated))

/**
 * A transaction failed before the end of its data: report it, then RSET (RFC 5321 4.1.1.5) so the server
 * forgets it. `skip` replies to commands already in flight come before the RSET's (RFC 2920 3.2).
 */
export const failTx = (s: ClientState, out: Out, p: Phase, ending: Ending, skip = 0): ClientState => {
  if ('tx' in p) emitResults(out, p.tx, ending, s.config.lmtp)
  out.command('RSET')
  return update(s, { phase: { _tag: 'Resetting', skip }, staleBody: bodyOpen(p) })
}

/** Is a BodyWanted open in this phase? */
const bodyOpen = (p: Phase): boolean => p._tag === 'Body' && p.wanted

/** How a transaction that is cut short ends: unknown once its end of data is out (RFC 5321 6.1). */
const interrupted = (p: Phase, error: ClientError, cause: Reply | undefined): Ending => {
  if (p._tag === 'Final' && p.chunks === 0)
    return { _tag: 'Replied', replies: cause === undefined ? p.replies : [...p.replies, cause], error }
  if (p._tag === 'Final' && cause === undefined) return { _tag: 'Failed', reply: undefined, status: 'unknown', error }
  return { _tag: 'Failed', reply: cause, status: 'temporary', error }
}

/**
 * End the session: the transaction in flight gets its results, then `Failed`, then QUIT (`quit`, for a
 * server that still listens) or an immediate close. `cause` is the reply that ended it, if one did;
 * `ending` overrides how the transaction is reported.
 */
export const endSession = (
  s: ClientState,
  out: Out,
  error: ClientError,
  how: 'quit' | 'close',
  cause?: Reply,
  ending?: Ending,
): ClientState => {
  if ('tx' in s.phase) emitResults(out, s.phase.tx, ending ?? interrupted(s.phase, error, cause), s.config.lmtp)
  // A transaction pipelined behind the end of data never got its data out: temporary.
  if (s.phase._tag === 'Final' && s.phase.next !== undefined)
    emitResults(out, s.phase.next, { _tag: 'Failed', reply: undefined, status: 'temporary', error }, s.config.lmtp)
  out.push(failed(error))
  // Inside DATA a QUIT would be message text (RFC 5321 4.1.1.4): close instead.
  const inData = s.phase._tag === 'Body' && !s.phase.tx.bdat
  const next = update(s, { staleBody: bodyOpen(s.phase) })
  return how === 'quit' && !inData ? sendQuit(next, out) : closeNow(next, out)
}

/** A reply that makes no sense in this phase: the server is not speaking our protocol. */
export const unexpected = (s: ClientState, out: Out, r: Reply, what: string): ClientState =>
  endSession(s, out, { _tag: 'ProtocolError', reason: `unexpected ${r.code} reply ${what}`, reply: r }, 'close')
