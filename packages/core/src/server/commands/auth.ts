// AUTH (RFC 4954 4): choose a mechanism, run its SASL exchange over 334 lines (base64 both ways,
// "*" cancels, "=" is an empty initial response), then ask the application about the credentials.
import type { AuthMechanism } from '../../Config.js'
import { type Reply, Replies, reply } from '../../Reply.js'
import { decodeBase64, encodeBase64 } from '../../sasl/base64.js'
import { parseMechanism } from '../../sasl/Mechanism.js'
import { type SaslServerStep, saslServerNext, saslServerStart } from '../../sasl/server.js'
import { encode, latin1 } from '../../wire/bytes.js'
import { type Out, askApp, bad, closeWith, say } from '../effects.js'
import { type Accept, type Question, type Reject, setTimer } from '../Output.js'
import { type Hello, type Phase, type ServerState, update, withPhase } from '../State.js'

type SaslPhase = Extract<Phase, { _tag: 'Sasl' }>

const continuation = (out: Out, data: Uint8Array): void => out.reply(`334 ${encodeBase64(data)}\r\n`)

/** RFC 4954 4: "=" stands for an empty initial response; anything else is base64. */
const decodeResponse = (text: string): Uint8Array | undefined => (text === '=' ? new Uint8Array(0) : decodeBase64(text))

export const onAuth = (s: ServerState, out: Out, arg: string): ServerState => {
  const p = s.phase
  if (p._tag !== 'Idle') return bad(s, out, Replies.authInTransaction)
  if (s.authenticated !== undefined) return bad(s, out, Replies.alreadyAuthenticated) // RFC 4954 4
  if (!s.tls && !s.config.allowInsecureAuth) return bad(s, out, Replies.authNeedsTls)
  const m = /^ ([A-Za-z0-9_-]{1,20})(?: (\S+))?$/.exec(arg)
  if (m === null) return bad(s, out, reply(501, '5.5.4', 'Syntax: AUTH mechanism [initial-response]'))
  const mechanism = parseMechanism(m[1]!)
  if (mechanism === undefined || !s.config.authMechanisms.includes(mechanism))
    return bad(s, out, Replies.unknownMechanism)
  let initial: Uint8Array | undefined
  if (m[2] !== undefined) {
    initial = decodeResponse(m[2])
    if (initial === undefined) return bad(s, out, Replies.badBase64)
  }
  const attempt = s.authAttempts + 1
  const challenge = `<${s.nonce}.${attempt}@${s.config.hostname}>` // RFC 2195 2: a unique msg-id
  return onStep(
    update(s, { authAttempts: attempt }),
    out,
    p.hello,
    mechanism,
    saslServerStart(mechanism, initial, challenge),
  )
}

const onStep = (s: ServerState, out: Out, hello: Hello, mechanism: AuthMechanism, r: SaslServerStep): ServerState => {
  const idle: Phase = { _tag: 'Idle', hello }
  switch (r._tag) {
    case 'Challenge':
      continuation(out, r.challenge)
      return withPhase(s, { _tag: 'Sasl', hello, mechanism, sasl: r.state })
    case 'Failed':
      return bad(withPhase(s, idle), out, reply(501, r.enhanced, r.reason))
    case 'Done':
      return askApp(s, out, idle, (id, session) => ({
        _tag: 'Auth',
        id,
        mechanism,
        credentials: r.credentials,
        session,
      }))
  }
}

/** A line during the exchange: a base64 response, or "*" to cancel (RFC 4954 4). */
export const onSaslLine = (s: ServerState, p: SaslPhase, out: Out, line: Uint8Array): ServerState => {
  const idle: ServerState = withPhase(s, { _tag: 'Idle', hello: p.hello })
  const text = latin1(line).trim()
  if ('failing' in p.sasl) {
    // the XOAUTH2 client answered the error challenge, which was the refusal (counted, and sent late): the reply
    // follows at once; an application's 421 closes (RFC 5321 3.8), and so does the last failure allowed
    if (p.sasl.failing.code === 421) return closeWith(idle, out, p.sasl.failing, 'closed')
    say(idle, out, p.sasl.failing)
    return p.sasl.close ? closeWith(idle, out, Replies.tooManyAuthFailures, 'closed') : idle
  }
  if (text === '*') return bad(idle, out, Replies.authCancelled)
  const response = decodeBase64(text)
  if (response === undefined) return bad(idle, out, Replies.badBase64)
  return onStep(s, out, p.hello, p.mechanism, saslServerNext(p.sasl, response))
}

export const answerAuth = (
  s: ServerState,
  out: Out,
  q: Extract<Question, { _tag: 'Auth' }>,
  answer: Accept | Reject,
): ServerState => {
  if (answer._tag === 'Accept') {
    say(s, out, answer.reply ?? Replies.authOk)
    return update(s, { authenticated: q.credentials.username })
  }
  const p = s.phase
  if (answer.challenge !== undefined && q.mechanism === 'XOAUTH2' && p._tag === 'Idle') {
    // The error challenge tells the client it was refused: it is the refusal, and goes as one would (counted and
    // late when 5yz), so that a client cannot read it and hang up before the delay or the count.
    const challenge: Reply = { code: 334, lines: [encodeBase64(encode(answer.challenge))] }
    const failing = (t: ServerState, close: boolean): ServerState =>
      withPhase(t, { _tag: 'Sasl', hello: p.hello, mechanism: q.mechanism, sasl: { failing: answer.reply, close } })
    if (answer.reply.code < 500) {
      say(s, out, challenge)
      return failing(s, false)
    }
    const { counted, close } = tally(s)
    return late(failing(counted, close), out, challenge, false)
  }
  if (answer.reply.code < 500) {
    say(s, out, answer.reply)
    return s
  }
  const { counted, close } = tally(s)
  return late(counted, out, answer.reply, close)
}

/**
 * A 5yz refusal is a failed attempt (a 4yz one is the server's own trouble): it counts, it is answered after
 * `authFailureDelayMs`, and the `maxAuthFailures`-th ends the session, so passwords cannot be guessed at line
 * speed. `close`: this failure is the last allowed.
 */
const tally = (s: ServerState): { readonly counted: ServerState; readonly close: boolean } => {
  const authFailures = s.authFailures + 1
  const limit = s.config.maxAuthFailures
  return { counted: update(s, { authFailures }), close: limit > 0 && authFailures >= limit }
}

/** Send the refusal `r` after `authFailureDelayMs` (input waits meanwhile), then close if `close`. */
const late = (s: ServerState, out: Out, r: Reply, close: boolean): ServerState => {
  if (s.config.authFailureDelayMs > 0) {
    out.push(setTimer('authDelay', s.config.authFailureDelayMs))
    return update(s, { delayed: { reply: r, close } })
  }
  say(s, out, r)
  return close ? closeWith(s, out, Replies.tooManyAuthFailures, 'closed') : s
}
