// XCLIENT on the client side (Postfix's XCLIENT_README): a proxy built on this client passes on what it
// knows about its own client, once per connection, after TLS and before AUTH, then greets again.
import { asciiUpper } from '../../grammar/chars.js'
import { xtextEncode } from '../../grammar/xtext.js'
import type { Reply } from '../../Reply.js'
import type { ClientXclient } from '../Config.js'
import { type Out, endSession, unexpected } from '../effects.js'
import { type ClientState, update } from '../State.js'
import { startAuth } from './auth.js'
import { firstHello, sendHello } from './hello.js'

/** README note 1: NAME and ADDR go last, since after ADDR the client is usually trusted no more. */
const order: ReadonlyArray<readonly [string, keyof ClientXclient]> = [
  ['HELO', 'helo'],
  ['PROTO', 'proto'],
  ['LOGIN', 'login'],
  ['DESTADDR', 'destAddress'],
  ['DESTPORT', 'destPort'],
  ['PORT', 'port'],
  ['NAME', 'name'],
  ['ADDR', 'address'],
]

/** Attribute values: xtext (RFC 3461 4), IPv6 addresses with the `IPV6:` prefix. */
const value = (key: keyof ClientXclient, v: string | number): string => {
  const text = String(v)
  return xtextEncode((key === 'address' || key === 'destAddress') && text.includes(':') ? `IPV6:${text}` : text)
}

/** The commands to send, each within the 512-octet command line (RFC 5321 4.5.3.1.4, README note 1). */
export const xclientLines = (want: ClientXclient, offered: ReadonlySet<string>): ReadonlyArray<string> => {
  const lines: string[] = []
  let line = ''
  for (const [name, key] of order) {
    const v = want[key]
    if (v === undefined || !offered.has(name)) continue
    const word = `${name}=${value(key, v)}`
    if (line !== '' && `XCLIENT ${line} ${word}\r\n`.length > 512) {
      lines.push(`XCLIENT ${line}`)
      line = word
    } else line = line === '' ? word : `${line} ${word}`
  }
  if (line !== '') lines.push(`XCLIENT ${line}`)
  return lines
}

/** Send XCLIENT if configured, offered and not sent yet; otherwise go on to AUTH. */
export const offerXclient = (s: ClientState, out: Out): ClientState => {
  const want = s.config.xclient
  const keyword = s.capabilities?.other.find((l) => asciiUpper(l.trim().split(/ +/)[0] ?? '') === 'XCLIENT')
  if (want === undefined || s.xclientSent || keyword === undefined) return startAuth(s, out)
  const offered = new Set(keyword.trim().split(/ +/).slice(1).map(asciiUpper))
  const [first, ...rest] = xclientLines(want, offered)
  if (first === undefined) return startAuth(s, out)
  out.command(first)
  return update(s, { phase: { _tag: 'Xclient', rest }, xclientSent: true })
}

/** The reply to XCLIENT: 220 means the server starts over, so greet again (README "server response"). */
export const onXclientReply = (s: ClientState, out: Out, rest: ReadonlyArray<string>, r: Reply): ClientState => {
  if (r.code === 220) {
    const [next, ...more] = rest
    if (next === undefined) return sendHello(update(s, { capabilities: undefined }), out, firstHello(s))
    out.command(next)
    return update(s, { phase: { _tag: 'Xclient', rest: more } })
  }
  // the proxy cannot vouch for its client: no mail goes with the wrong identity
  if (r.code >= 400) return endSession(s, out, { _tag: 'ProtocolError', reason: 'XCLIENT refused', reply: r }, 'quit')
  return unexpected(s, out, r, 'to XCLIENT')
}
