// HELO, EHLO (RFC 5321 4.1.1.1) and LHLO (RFC 2033 4.1): the greeting, its question to the
// application, and the EHLO capability list with only the extensions that are switched on.
import { enhancedCodesOn } from '../../Config.js'
import { parseDomainArg } from '../../grammar/index.js'
import { type Reply, formatReply, reply } from '../../Reply.js'
import { type Out, abortStream, accepted, askApp, bad } from '../effects.js'
import type { Accept, Reject } from '../Output.js'
import { xclientAttributes } from './xclient.js'
import { type Hello, type Phase, type ServerState, withPhase } from '../State.js'

/** RFC 9422 3, 4.1, 4.2: the limits this configuration enforces, as NAME=VALUE parameters of LIMITS. */
const limitsKeyword = (c: ServerState['config']): string =>
  [
    'LIMITS',
    `RCPTMAX=${c.maxRecipients}`,
    ...(c.maxMessagesPerSession > 0 ? [`MAILMAX=${c.maxMessagesPerSession}`] : []),
  ].join(' ')

/** The EHLO keywords this session offers now (RFC 5321 4.1.1.1; each extension's RFC). */
export const capabilities = (s: ServerState): ReadonlyArray<string> => {
  const c = s.config
  const caps: string[] = []
  if (c.pipelining || c.lmtp) caps.push('PIPELINING') // RFC 2920; LMTP requires it (RFC 2033 5)
  if (c.size) caps.push(c.maxMessageSize > 0 ? `SIZE ${c.maxMessageSize}` : 'SIZE') // RFC 1870 4
  if (c.eightBitMime) caps.push('8BITMIME')
  if (c.smtpUtf8) caps.push('SMTPUTF8')
  if (enhancedCodesOn(c)) caps.push('ENHANCEDSTATUSCODES') // RFC 2034; LMTP requires it
  if (c.chunking) caps.push('CHUNKING')
  if (c.binaryMime && c.chunking) caps.push('BINARYMIME')
  if (c.dsn) caps.push('DSN')
  if (c.startTls && !s.tls) caps.push('STARTTLS') // never again once TLS is on (RFC 3207 4.2)
  if (c.authMechanisms.length > 0 && (s.tls || c.allowInsecureAuth)) caps.push(`AUTH ${c.authMechanisms.join(' ')}`)
  if (c.requireTlsExtension && s.tls) caps.push('REQUIRETLS') // only over TLS (RFC 8689 2)
  if (c.limits) caps.push(limitsKeyword(c))
  if (s.xclient !== undefined) caps.push(`XCLIENT ${xclientAttributes.join(' ')}`) // trusted clients only
  return caps
}

/** HELO, EHLO or LHLO: check the argument, then ask the application (unless it left the question to the session). */
export const onHello = (s: ServerState, out: Out, verb: Hello['verb'], arg: string): ServerState => {
  const domain = parseDomainArg(arg, verb) // the error names the verb the client sent
  // Replies to HELO/EHLO never carry enhanced codes (RFC 2034 3).
  if (domain._tag === 'Left') return bad(s, out, reply(501, undefined, domain.left.text), true)
  const hello = { verb, domain: domain.right }
  if (!s.config.questions.includes('Hello')) return answerHello(s, out, hello, accepted)
  return askApp(s, out, s.phase, (id, session) => ({ _tag: 'Hello', id, hello, session }))
}

/** The application's answer to a greeting. A new greeting ends any transaction (RFC 5321 4.1.4). */
export const answerHello = (s: ServerState, out: Out, hello: Hello, answer: Accept | Reject): ServerState => {
  if (answer._tag === 'Reject') {
    out.reply(formatReply(answer.reply, false))
    return s
  }
  abortStream(s, out, 'reset')
  const next: Phase = { _tag: 'Idle', hello }
  const first = answer.reply?.lines[0] ?? s.config.hostname
  const code = answer.reply?.code ?? 250
  const lines: Reply =
    hello.verb === 'HELO' ? reply(code, undefined, first) : reply(code, undefined, first, ...capabilities(s))
  out.reply(formatReply(lines, false))
  return withPhase(s, next)
}
