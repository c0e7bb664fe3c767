// Opening a client session: the greeting (RFC 5321 3.1, 4.3.2), EHLO with its fallback to HELO (3.2,
// 4.1.4), LHLO (RFC 2033 4.1), and STARTTLS (RFC 3207 4, 4.2, 5.2) under the configured policy.
import { type Reply, isPositive } from '../../Reply.js'
import { noCapabilities, parseCapabilities } from '../capabilities.js'
import { type Out, endSession, unexpected } from '../effects.js'
import { startTls } from '../Output.js'
import { replyParserInit } from '../replyParser.js'
import { type ClientState, update } from '../State.js'
import { offerXclient } from './xclient.js'

/** Send our greeting: LHLO in LMTP, EHLO, or HELO when so configured or after a refused EHLO. */
export const sendHello = (s: ClientState, out: Out, verb: 'EHLO' | 'HELO' | 'LHLO'): ClientState => {
  out.command(`${verb} ${s.config.helo}`)
  return update(s, { phase: { _tag: 'Hello', verb } })
}

export const firstHello = (s: ClientState): 'EHLO' | 'HELO' | 'LHLO' =>
  s.config.lmtp ? 'LHLO' : s.config.ehlo ? 'EHLO' : 'HELO'

/** The server's greeting: 220 opens the session, anything else ends it. */
export const onGreeting = (s: ClientState, out: Out, r: Reply): ClientState => {
  if (r.code === 220) return sendHello(s, out, firstHello(s))
  // RFC 5321 3.8: 421 means the server is closing already, so there is nobody to say QUIT to.
  if (r.code === 421) return endSession(s, out, { _tag: 'GreetingRefused', reply: r }, 'close')
  // RFC 5321 3.1: after a 554 greeting the server waits for QUIT; any other refusal is treated the same.
  if (r.code >= 400) return endSession(s, out, { _tag: 'GreetingRefused', reply: r }, 'quit')
  return unexpected(s, out, r, 'as a greeting')
}

/** The reply to EHLO, HELO or LHLO. */
export const onHelloReply = (s: ClientState, out: Out, verb: 'EHLO' | 'HELO' | 'LHLO', r: Reply): ClientState => {
  if (isPositive(r)) {
    // A HELO reply carries no extensions (RFC 5321 4.1.1.1).
    const capabilities = verb === 'HELO' ? noCapabilities : parseCapabilities(r)
    return afterHello(update(s, { capabilities }), out)
  }
  // RFC 5321 3.2 and 4.1.4: a server that does not know EHLO gets HELO (LMTP has no fallback, RFC 2033 4.1).
  if (verb === 'EHLO' && (r.code === 500 || r.code === 502)) return sendHello(s, out, 'HELO')
  if (r.code >= 400) return endSession(s, out, { _tag: 'HelloRefused', reply: r }, 'quit')
  return unexpected(s, out, r, `to ${verb}`)
}

/** After a greeting: STARTTLS if the policy wants it, then AUTH, then Ready. */
const afterHello = (s: ClientState, out: Out): ClientState => {
  const policy = s.config.tls
  if (s.tls || policy === 'none') return offerXclient(s, out)
  if (s.capabilities?.startTls === true) {
    out.command('STARTTLS')
    return update(s, { phase: { _tag: 'StartTls' } })
  }
  // RFC 3207 4: with TLS required and not offered, no mail goes out in clear; QUIT carries none.
  if (policy === 'required') return endSession(s, out, { _tag: 'TlsRequired' }, 'quit')
  return offerXclient(s, out)
}

/** The reply to STARTTLS: 220 starts the handshake. */
export const onStartTlsReply = (s: ClientState, out: Out, r: Reply): ClientState => {
  if (r.code === 220) {
    out.push(startTls)
    // RFC 3207 5.2: whatever the server sent after this reply, before the handshake, is thrown away.
    return update(s, { phase: { _tag: 'TlsWait' }, parser: replyParserInit })
  }
  if (r.code < 400) return unexpected(s, out, r, 'to STARTTLS')
  if (s.config.tls === 'required') return endSession(s, out, { _tag: 'TlsRefused', reply: r }, 'quit')
  return offerXclient(s, out) // opportunistic: go on in clear (RFC 3207 4.1 lets the client decide)
}

/** The handshake is done: forget what the server said before it and greet again (RFC 3207 4.2). */
export const onTlsStarted = (s: ClientState, out: Out): ClientState =>
  sendHello(
    update(s, { tls: true, capabilities: undefined, authenticated: false, parser: replyParserInit }),
    out,
    firstHello(s),
  )
