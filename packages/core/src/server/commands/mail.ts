// MAIL (RFC 5321 4.1.1.2) and RCPT (4.1.1.3): parse the path and parameters, check the limits the
// session owns (SIZE, RFC 1870 6; recipients, 4.5.3.1.8; SMTPUTF8, RFC 6531 3.5), then ask (or accept at
// once, when the application left the question to the session).
import { type ParamSupport, mailParams, parseMailFrom, parseRcptTo, rcptParams } from '../../grammar/index.js'
import { type Reply, Replies, reply } from '../../Reply.js'
import { type Out, accepted, askApp, bad, closeWith, countJunk, say } from '../effects.js'
import type { Accept, Question, Reject } from '../Output.js'
import { type Phase, type ServerState, withPhase } from '../State.js'

/** Which MAIL/RCPT parameters this session takes: those of the extensions it offers now. */
export const paramSupport = (s: ServerState): ParamSupport => {
  const c = s.config
  return {
    size: c.size,
    eightBitMime: c.eightBitMime,
    binaryMime: c.binaryMime && c.chunking,
    smtpUtf8: c.smtpUtf8,
    dsn: c.dsn,
    auth: c.authMechanisms.length > 0,
    requireTls: c.requireTlsExtension && s.tls,
  }
}

const grammarReply = (e: { readonly code: number; readonly enhanced: string; readonly text: string }) =>
  reply(e.code, e.enhanced, e.text)

export const onMail = (s: ServerState, out: Out, arg: string): ServerState => {
  if (s.config.requireAuth && s.authenticated === undefined) return bad(s, out, Replies.authRequired) // RFC 4954 6
  const most = s.config.maxMessagesPerSession
  if (most > 0 && s.messages >= most) return closeWith(s, out, Replies.tooManyMessages, 'closed')
  const parsed = parseMailFrom(arg.trimEnd()) // trailing spaces are a common client slip; tolerate them
  if (parsed._tag === 'Left') return bad(s, out, grammarReply(parsed.left))
  const params = mailParams(parsed.right.params, paramSupport(s))
  if (params._tag === 'Left') return bad(s, out, grammarReply(params.left))
  const from = parsed.right.path
  // A UTF-8 address needs the SMTPUTF8 parameter on this very command (RFC 6531 3.4, 3.5).
  if (from !== null && from.utf8 && params.right.smtpUtf8 !== true) return bad(s, out, Replies.nonAsciiSender)
  const max = s.config.maxMessageSize
  // A declared size over the fixed limit is refused up front (RFC 1870 6.1).
  if (s.config.size && max > 0 && params.right.size !== undefined && params.right.size > max) {
    say(s, out, Replies.sizeExceeded)
    return countJunk(s, out)
  }
  // RFC 4954 5: from a client that has not authenticated, an AUTH= mailbox is taken as AUTH=<>
  const given = params.right
  const taken = given.auth !== undefined && given.auth !== null && s.authenticated === undefined
  const kept = taken ? { ...given, auth: null } : given
  if (!s.config.questions.includes('Mail')) return answerMail(s, out, { from, params: kept }, accepted)
  return askApp(s, out, s.phase, (id, session) => ({ _tag: 'Mail', id, from, params: kept, session }))
}

export const answerMail = (
  s: ServerState,
  out: Out,
  q: Pick<Extract<Question, { _tag: 'Mail' }>, 'from' | 'params'>,
  answer: Accept | Reject,
): ServerState => {
  const hello = s.phase._tag === 'Idle' ? s.phase.hello : undefined
  if (answer._tag === 'Reject' || hello === undefined) {
    say(s, out, answer._tag === 'Reject' ? answer.reply : Replies.badSequence)
    return countJunk(s, out)
  }
  say(s, out, answer.reply ?? Replies.mailOk)
  const phase: Phase = {
    _tag: 'Envelope',
    hello,
    tx: { from: q.from, params: q.params, recipients: [] },
    refused: 0,
    chunked: undefined,
  }
  return withPhase(s, phase)
}

export const onRcpt = (s: ServerState, out: Out, arg: string): ServerState => {
  const p = s.phase
  if (p._tag !== 'Envelope') return bad(s, out, Replies.needMail)
  if (p.chunked !== undefined) return bad(s, out, Replies.badSequence) // no RCPT once BDAT began (RFC 3030 2)
  const parsed = parseRcptTo(arg.trimEnd())
  if (parsed._tag === 'Left') return bad(s, out, grammarReply(parsed.left))
  const params = rcptParams(parsed.right.params, paramSupport(s))
  if (params._tag === 'Left') return bad(s, out, grammarReply(params.left))
  const to = parsed.right.path
  if (to.utf8 && p.tx.params.smtpUtf8 !== true) return bad(s, out, Replies.nonAsciiRecipient) // RFC 6531 3.5
  // RFC 5321 4.5.3.1.10: past the buffer, 452 tells the client to send the rest in a new transaction.
  if (p.tx.recipients.length >= s.config.maxRecipients) {
    say(s, out, Replies.tooManyRecipients)
    return countJunk(s, out)
  }
  if (!s.config.questions.includes('Rcpt')) return answerRcpt(s, out, { to, params: params.right }, accepted)
  return askApp(s, out, p, (id, session) => ({
    _tag: 'Rcpt',
    id,
    to,
    params: params.right,
    envelope: p.tx,
    session,
  }))
}

export const answerRcpt = (
  s: ServerState,
  out: Out,
  q: Pick<Extract<Question, { _tag: 'Rcpt' }>, 'to' | 'params'>,
  answer: Accept | Reject,
): ServerState => {
  const p = s.phase
  if (p._tag !== 'Envelope') {
    say(s, out, Replies.badSequence)
    return s
  }
  // RFC 6531 3.7.4.1: a 251 or 551 may name a UTF-8 mailbox in a transaction whose MAIL had SMTPUTF8
  const utf8 = (r: Reply): boolean => p.tx.params.smtpUtf8 === true && (r.code === 251 || r.code === 551)
  if (answer._tag === 'Reject') {
    say(s, out, answer.reply, utf8(answer.reply))
    const phase = { _tag: p._tag, hello: p.hello, tx: p.tx, refused: p.refused + 1, chunked: p.chunked }
    return countJunk(withPhase(s, phase), out)
  }
  const r = answer.reply ?? Replies.rcptOk
  say(s, out, r, utf8(r))
  const recipients = [...p.tx.recipients, { to: q.to, params: q.params }]
  const tx = { from: p.tx.from, params: p.tx.params, recipients }
  return withPhase(s, { _tag: p._tag, hello: p.hello, tx, refused: p.refused, chunked: p.chunked })
}
