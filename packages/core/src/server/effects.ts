// Helpers every command handler shares: the output collector, replies with or without enhanced
// codes (RFC 2034), questions to the application, error counting and closing.
import { enhancedCodesOn } from '../Config.js'
import { type Reply, Replies, cannedBytes, formatReply } from '../Reply.js'
import { Outbox } from '../wire/Outbox.js'
import {
  type AbortReason,
  type Accept,
  type Question,
  accept,
  type ServerOutput,
  type SessionFacts,
  ask,
  close,
  messageAborted,
  send,
} from './Output.js'
import { type Phase, type ServerState, copyState, helloOf, update } from './State.js'

/** One step's outputs; replies are joined into one Send (RFC 2920 3.2 lets the server batch them). */
export class Out extends Outbox<ServerOutput> {
  constructor() {
    super(send, cannedBytes)
  }

  reply(text: string): void {
    this.write(text)
  }
}

/**
 * Enhanced codes are written whenever the extension is on (always in LMTP), whether the client greeted with
 * EHLO, with HELO or not yet (RFC 2034 4). The greeting and the replies to HELO and EHLO carry none (RFC 2034 3):
 * those are formatted plain where they are made.
 */
export const usesEnhanced = (s: ServerState): boolean => enhancedCodesOn(s.config)

/** Send a reply in the session's current style; its text in ASCII unless `utf8` (RFC 6531 3.7.4 allows it). */
export const say = (s: ServerState, out: Out, r: Reply, utf8 = false): void =>
  out.reply(formatReply(r, usesEnhanced(s), utf8))

/**
 * What the session knows about itself now (greeting, TLS, authenticated identity): the same facts every
 * question and message start carry, for a driver that needs them between questions (e.g. at close).
 * @example
 * const { hello, tls } = sessionFacts(state)
 */
export const sessionFacts = (s: ServerState): SessionFacts => facts(s)

/** What every question says about the session, as it will be in `phase`. */
export const facts = (s: ServerState, phase: Phase = s.phase): SessionFacts => {
  const f = { tls: s.tls, authenticated: s.authenticated, hello: helloOf(phase), authFailures: s.authFailures }
  // a conditional spread costs far more on V8 than one more assignment, and this runs for every question
  return s.xclient !== undefined && Object.keys(s.xclient).length > 0 ? Object.assign(f, { xclient: s.xclient }) : f
}

/**
 * Put a question to the application; input is held until it answers. `make` builds the question
 * from its number and the session facts (one object literal per kind keeps the shapes simple).
 */
export const askApp = (
  s: ServerState,
  out: Out,
  phase: Phase,
  make: (id: number, session: SessionFacts) => Question,
): ServerState => {
  const question = make(s.nextId, facts(s, phase))
  out.push(ask(question))
  const next = copyState(s)
  next.phase = phase
  next.pending = question
  next.nextId = s.nextId + 1
  return next
}

/** The answer to a question the application left to the session (`ServerConfig.questions`). */
export const accepted: Accept = accept()

/** Is a message being streamed to the application in this phase? */
export const streaming = (p: Phase): boolean =>
  (p._tag === 'Data' && !p.tooBig && p.scan.fault === undefined) ||
  (p._tag === 'Bdat' && !p.tooBig) ||
  (p._tag === 'Envelope' && p.chunked !== undefined && !p.chunked.failed)

/**
 * End the session: abort a message in flight, send `r` if given, and close. Between the 220 to STARTTLS and
 * the handshake `r` is not sent: the wire then belongs to TLS, so a deadline or a shutdown there just closes.
 */
export const closeWith = (s: ServerState, out: Out, r: Reply | undefined, reason: AbortReason): ServerState => {
  if (streaming(s.phase)) out.push(messageAborted(reason))
  // RFC 3207 4: after the 220 the client's next octets are its TLS handshake; a reply in clear would land in it
  if (r !== undefined && s.phase._tag !== 'TlsWait') say(s, out, r)
  out.push(close)
  return update(s, {
    phase: { _tag: 'Closed' },
    pending: undefined,
    held: [],
    heldBytes: 0,
    partial: undefined,
    overflow: false,
  })
}

/**
 * Reply to a command the client got wrong, and count it: past `maxBadCommands` the server says
 * 421 and closes, so a peer that speaks another protocol cannot keep the session busy.
 */
export const bad = (s: ServerState, out: Out, r: Reply, plain = false): ServerState => {
  if (plain) out.reply(formatReply(r, false))
  else say(s, out, r)
  return countError(s, out)
}

/** Count one error (the reply was already sent); past `maxBadCommands`, 421 and close. */
export const countError = (s: ServerState, out: Out): ServerState => {
  const badCommands = s.badCommands + 1
  const limit = s.config.maxBadCommands
  if (limit > 0 && badCommands >= limit)
    return closeWith(update(s, { badCommands }), out, Replies.tooManyErrors, 'closed')
  return update(s, { badCommands })
}

/** Count a command that brought no mail; past `maxJunkCommands` it is an error too. */
export const countJunk = (s: ServerState, out: Out): ServerState => {
  const junkCommands = s.junkCommands + 1
  const limit = s.config.maxJunkCommands
  const next = update(s, { junkCommands })
  return limit > 0 && junkCommands > limit ? countError(next, out) : next
}

/** Abort the message being streamed, if any (RSET, a new EHLO, QUIT). */
export const abortStream = (s: ServerState, out: Out, reason: AbortReason): void => {
  if (streaming(s.phase)) out.push(messageAborted(reason))
}
