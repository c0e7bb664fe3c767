// AUTH for the client (RFC 4954 4, 6): the strongest mechanism both sides allow, never in clear unless
// allowed, 334 challenges answered in base64 ("*" to give up), 235 for success. A 5yz refusal gets one try
// of the next allowed mechanism; any other failure, or a second refusal, ends the session.
import type { Reply } from '../../Reply.js'
import { chooseMechanism, decodeBase64, encodeBase64, saslClientNext, saslClientStart } from '../../sasl/index.js'
import type { Mechanism, SaslSecret } from '../../sasl/index.js'
import type { ClientAuth } from '../Config.js'
import { type Out, becomeReady, endSession, unexpected } from '../effects.js'
import { type ClientState, type Phase, update } from '../State.js'

type AuthPhase = Extract<Phase, { _tag: 'Auth' }>

/** RFC 4954 4 keeps AUTH within the command line limit of RFC 5321 4.5.3.1.4 (512 octets with CRLF). */
const MAX_AUTH_LINE = 512

const secretOf = (a: ClientAuth): SaslSecret => ({
  username: a.username,
  ...(a.password === undefined ? {} : { password: a.password }),
  ...(a.token === undefined ? {} : { token: a.token }),
  ...(a.authzid === undefined ? {} : { authzid: a.authzid }),
})

const unavailable = (s: ClientState, out: Out, reason: string): ClientState =>
  endSession(s, out, { _tag: 'AuthUnavailable', reason }, 'quit')

/** Authenticate if configured, then become Ready. */
export const startAuth = (s: ClientState, out: Out): ClientState => {
  const a = s.config.auth
  if (a === undefined || s.authenticated) return becomeReady(s, out)
  // RFC 4954 4 and 14: no credentials over a channel that is not encrypted, unless the user insists.
  if (!s.tls && !s.config.allowInsecureAuth) return unavailable(s, out, 'AUTH without TLS is not allowed')
  const offered = s.capabilities?.auth ?? []
  if (offered.length === 0) return unavailable(s, out, 'the server does not offer AUTH')
  const mechanism = chooseMechanism(offered, a.mechanisms, secretOf(a))
  if (mechanism === undefined)
    return unavailable(
      s,
      out,
      `no usable mechanism: the server offers ${offered.join(' ')}, we allow ${a.mechanisms.join(' ')}`,
    )
  return sendAuth(s, out, a, mechanism, [])
}

/** The AUTH command for `mechanism`, with its initial response when it fits on the line. */
const sendAuth = (
  s: ClientState,
  out: Out,
  a: ClientAuth,
  mechanism: Mechanism,
  tried: ReadonlyArray<Mechanism>,
): ClientState => {
  const { initial, state } = saslClientStart(mechanism, secretOf(a))
  let line = `AUTH ${mechanism}`
  if (initial !== undefined) {
    // RFC 4954 4: an empty initial response is "="; one that would make the line too long waits for a 334.
    const text = initial.length === 0 ? '=' : encodeBase64(initial)
    if (line.length + 1 + text.length + 2 <= MAX_AUTH_LINE) line += ` ${text}`
  }
  out.command(line)
  return update(s, {
    phase: { _tag: 'Auth', mechanism, sasl: state, cancelled: undefined, tried: [...tried, mechanism] },
  })
}

/**
 * After a 5yz to the first mechanism, the next one both sides allow, if any (RFC 4954 4 lets the client
 * try another mechanism). Only one such retry, so a server that refuses everything is not asked again
 * and again.
 */
const fallback = (s: ClientState, p: AuthPhase): Mechanism | undefined => {
  const a = s.config.auth
  if (a === undefined || p.tried.length !== 1) return undefined
  const offered = (s.capabilities?.auth ?? []).filter((m) => !p.tried.includes(m as Mechanism))
  const next = chooseMechanism(offered, a.mechanisms, secretOf(a))
  // Without TLS, a refusal of a mechanism that keeps the password secret (CRAM-MD5) never leads to one that
  // sends it (RFC 4954 4, 14): anyone in the middle could answer 535 to learn it.
  if (!s.tls && next !== undefined && !revealsSecret(p.tried[0]!) && revealsSecret(next)) return undefined
  return next
}

/** Mechanisms that put the password (or bearer token) itself on the wire. */
const revealsSecret = (m: Mechanism): boolean => m === 'PLAIN' || m === 'LOGIN' || m === 'XOAUTH2'

/**
 * Give up the exchange with "*" (RFC 4954 4) for `reason`, a fault of the server's challenge: the server's
 * 501 then ends the session as a ProtocolError (the credentials were never judged).
 */
const cancel = (s: ClientState, out: Out, p: AuthPhase, reason: string): ClientState => {
  out.command('*')
  return update(s, { phase: { ...p, cancelled: reason } })
}

/** A reply during AUTH: 235 done, 334 a challenge, anything else a failure. */
export const onAuthReply = (s: ClientState, out: Out, p: AuthPhase, r: Reply): ClientState => {
  // RFC 4954 4: success is 235 and nothing else; another 2yz is a reply the client cannot place
  if (p.cancelled !== undefined) {
    const reason = `${p.mechanism} exchange cancelled: ${p.cancelled}`
    return endSession(s, out, { _tag: 'ProtocolError', reason, reply: r }, 'quit')
  }
  if (r.code === 235) return becomeReady(update(s, { authenticated: true }), out)
  if (r.code === 334) {
    // RFC 4954 4: the challenge is the base64 text after "334 "; one that does not decode is cancelled.
    const challenge = decodeBase64((r.lines[0] ?? '').trim())
    if (challenge === undefined) return cancel(s, out, p, 'the challenge is not base64 (RFC 4954 4)')
    const next = saslClientNext(p.sasl, challenge)
    if (next._tag === 'Failed') return cancel(s, out, p, next.reason)
    out.command(encodeBase64(next.response))
    return update(s, { phase: { ...p, sasl: next.state } })
  }
  const next = r.code >= 500 ? fallback(s, p) : undefined
  if (next !== undefined && s.config.auth !== undefined) return sendAuth(s, out, s.config.auth, next, p.tried)
  if (r.code >= 400) return endSession(s, out, { _tag: 'AuthFailed', reply: r }, 'quit')
  return unexpected(s, out, r, 'to AUTH')
}
