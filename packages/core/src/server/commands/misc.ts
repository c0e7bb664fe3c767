// RSET, NOOP, QUIT (RFC 5321 4.1.1.5, 4.1.1.9, 4.1.1.10), VRFY and EXPN (3.5, 4.1.1.6-7, asked of
// the application) and HELP (4.1.1.8).
import { Replies, reply } from '../../Reply.js'
import { type Out, abortStream, askApp, bad, closeWith, say } from '../effects.js'
import type { Answer, Question } from '../Output.js'
import { type ServerState, helloOf, withPhase } from '../State.js'

export const onRset = (s: ServerState, out: Out, arg: string): ServerState => {
  if (arg !== '') return bad(s, out, Replies.noArguments)
  abortStream(s, out, 'reset')
  say(s, out, Replies.ok)
  const hello = helloOf(s.phase)
  // RSET clears the transaction but keeps the greeting (RFC 5321 4.1.1.5).
  return hello === undefined ? s : withPhase(s, { _tag: 'Idle', hello })
}

export const onNoop = (s: ServerState, out: Out): ServerState => {
  say(s, out, Replies.ok) // any argument is ignored (RFC 5321 4.1.1.9)
  return s
}

export const onQuit = (s: ServerState, out: Out, arg: string): ServerState => {
  if (arg !== '') return bad(s, out, Replies.noArguments)
  return closeWith(s, out, Replies.bye, 'closed')
}

export const onHelp = (s: ServerState, out: Out): ServerState => {
  say(s, out, reply(214, '2.0.0', ...s.config.helpText))
  return s
}

/** VRFY and EXPN take a string argument; the application decides what it reveals (RFC 5321 7.3). */
export const onVerify = (s: ServerState, out: Out, verb: 'VRFY' | 'EXPN', arg: string): ServerState => {
  const argument = arg.trim()
  if (argument === '') return bad(s, out, reply(501, '5.5.4', `Syntax: ${verb} string`))
  return askApp(s, out, s.phase, (id, session) => ({ _tag: verb === 'VRFY' ? 'Vrfy' : 'Expn', id, argument, session }))
}

export const answerVerify = (s: ServerState, out: Out, q: Question, answer: Answer): ServerState => {
  // RFC 5321 7.3: without an answer, 252, worded for the command that asked.
  const unknown = q._tag === 'Expn' ? Replies.expnUnknown : Replies.vrfyUnknown
  const r =
    answer._tag === 'PerRecipient' ? unknown : answer._tag === 'Accept' ? (answer.reply ?? unknown) : answer.reply
  // RFC 6531 3.7.4.2: UTF-8 in the reply only to a VRFY or EXPN that carried SMTPUTF8 itself (SP "SMTPUTF8")
  const utf8 = s.config.smtpUtf8 && (q._tag === 'Vrfy' || q._tag === 'Expn') && / SMTPUTF8$/i.test(q.argument)
  say(s, out, r, utf8)
  return s
}
