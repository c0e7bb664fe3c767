// XCLIENT (Postfix's XCLIENT_README): a trusted client, such as a proxy in front of the server,
// tells the session who the real client is. The command is allowed only on connections the driver
// marked trusted; success resets the session to the greeting stage and answers 220.
import * as E from 'fp-ts/lib/Either.js'
import { asciiUpper } from '../../grammar/chars.js'
import { isDomainName, parseDomainArg } from '../../grammar/domain.js'
import { xtextDecode } from '../../grammar/xtext.js'
import { type Reply, formatReply, reply } from '../../Reply.js'
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6, strictDecimal } from '../../proxy/address.js'
import { type Out, bad } from '../effects.js'
import { type ClientAttributes, type ServerState, update } from '../State.js'

/** The attribute names this server takes, as listed after the XCLIENT keyword in the EHLO reply. */
export const xclientAttributes = ['ADDR', 'PORT', 'NAME', 'HELO', 'PROTO', 'LOGIN', 'DESTADDR', 'DESTPORT'] as const
type AttributeName = (typeof xclientAttributes)[number]

const syntax = (why: string): Reply => reply(501, '5.5.4', `Bad XCLIENT syntax: ${why}`)
/** The README's reply for a client that may not use XCLIENT. */
export const xclientDenied = reply(550, '5.7.0', 'Insufficient authorization')

type Changes = { -readonly [K in keyof ClientAttributes]?: ClientAttributes[K] | null }

/** `[UNAVAILABLE]` (any case) clears an attribute; NAME also takes `[TEMPUNAVAIL]` (XCLIENT_README). */
const unavailable = (v: string, name: AttributeName): boolean => {
  const u = asciiUpper(v)
  return u === '[UNAVAILABLE]' || (name === 'NAME' && u === '[TEMPUNAVAIL]')
}

/** An address: dotted IPv4, or IPv6 with the `IPV6:` prefix in any case, never in brackets. */
const address = (v: string): string | undefined => {
  if (/^ipv6:/i.test(v)) {
    const b = parseIPv6(v.slice(5))
    return b === undefined ? undefined : formatIPv6(b)
  }
  const b = parseIPv4(v)
  return b === undefined ? undefined : formatIPv4(b)
}

const setAttribute = (c: Changes, name: AttributeName, v: string): string | undefined => {
  const key = {
    ADDR: 'address',
    PORT: 'port',
    NAME: 'name',
    HELO: 'helo',
    PROTO: 'proto',
    LOGIN: 'login',
    DESTADDR: 'destAddress',
    DESTPORT: 'destPort',
  }[name] as keyof ClientAttributes
  if (unavailable(v, name)) {
    c[key] = null
    return undefined
  }
  switch (name) {
    case 'ADDR':
    case 'DESTADDR': {
      const a = address(v)
      if (a === undefined) return `${name} needs an IPv4 address or IPV6: and an IPv6 address`
      c[key as 'address'] = a
      return undefined
    }
    case 'PORT':
    case 'DESTPORT': {
      const p = strictDecimal(v, 65535)
      if (p === undefined) return `${name} needs a port number 0..65535`
      c[key as 'port'] = p
      return undefined
    }
    case 'PROTO': {
      const u = asciiUpper(v)
      if (u !== 'SMTP' && u !== 'ESMTP') return 'PROTO is SMTP or ESMTP'
      c.proto = u
      return undefined
    }
    case 'NAME':
      // a host name (XCLIENT_README), written into the Received field's TCP-info (RFC 5321 4.4): nothing else
      if (v.length > 255 || !isDomainName(v.replace(/_/g, 'u'), false)) return 'NAME needs a host name'
      c.name = v
      return undefined
    case 'HELO':
      // what the client's greeting could have said: a domain or an address literal (RFC 5321 4.1.1.1), as EHLO
      // (parseDomainArg trims spaces around it, as a command line may have them: a value must have none)
      if (v.length > 255 || !E.exists((d) => d === v)(parseDomainArg(v)))
        return 'HELO needs a domain or an address literal'
      c.helo = v
      return undefined
    case 'LOGIN':
      // a SASL name of at most 255 characters (XCLIENT_README note 1)
      if (v.length === 0 || v.length > 255) return `${name} needs 1 to 255 characters`
      c.login = v
      return undefined
  }
}

/**
 * Parse the XCLIENT arguments: one or more `NAME=xtext` attributes, names without regard to case.
 * @example
 * parseXclient(' NAME=spike.porcupine.org ADDR=168.100.189.2') // right({ name: 'spike...', address: '168.100.189.2' })
 */
export const parseXclient = (arg: string): E.Either<Reply, Changes> => {
  const words = arg
    .trim()
    .split(/ +/)
    .filter((w) => w !== '')
  if (words.length === 0) return E.left(syntax('expected XCLIENT attribute=value ...'))
  const c: Changes = {}
  for (const w of words) {
    const eq = w.indexOf('=')
    const name = asciiUpper(eq === -1 ? w : w.slice(0, eq))
    if (!(xclientAttributes as ReadonlyArray<string>).includes(name))
      return E.left(syntax(`unknown attribute ${JSON.stringify(name)}`))
    if (eq === -1) return E.left(syntax(`${name} needs =value`))
    // values are xtext (RFC 3461 4, as the README asks)
    const value = xtextDecode(w.slice(eq + 1))
    if (value === undefined) return E.left(syntax(`${name} value is not xtext`))
    const problem = setAttribute(c, name as AttributeName, value)
    if (problem !== undefined) return E.left(syntax(problem))
  }
  return E.right(c)
}

const apply = (before: ClientAttributes, c: Changes): ClientAttributes => {
  const next: Record<string, unknown> = { ...before }
  for (const [k, v] of Object.entries(c)) {
    if (v === null) delete next[k]
    else next[k] = v
  }
  return next as ClientAttributes
}

/**
 * XCLIENT: check trust and syntax, then take the attributes, go back to the greeting stage and say 220
 * (XCLIENT_README "server response"). TLS stays on; LOGIN makes the session authenticated as that name.
 */
export const onXclient = (s: ServerState, out: Out, arg: string): ServerState => {
  if (s.xclient === undefined) return bad(s, out, xclientDenied)
  const parsed = parseXclient(arg)
  if (E.isLeft(parsed)) return bad(s, out, parsed.left)
  const client = apply(s.xclient, parsed.right)
  const greeting = { code: 220, lines: [s.config.greeting] }
  out.reply(formatReply(greeting, false)) // a greeting never carries an enhanced code (RFC 2034 3)
  return update(s, {
    xclient: client,
    phase: { _tag: 'AwaitHello' },
    // back at the greeting stage the session is as authenticated as the proxy says, by this command's LOGIN or
    // an earlier one's: an AUTH made before it belonged to the proxy's own connection, not the client's
    authenticated: client.login ?? undefined,
  })
}
