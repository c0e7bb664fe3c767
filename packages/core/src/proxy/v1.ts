// PROXY protocol version 1 (HAProxy's specification 2.1): one US-ASCII line,
// "PROXY" SP ("TCP4" | "TCP6") SP src SP dst SP srcport SP dstport CRLF, or "PROXY UNKNOWN" ... CRLF.
import * as E from 'fp-ts/lib/Either.js'
import { latin1 } from '../wire/bytes.js'
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6, strictDecimal } from './address.js'
import { type ProxyError, type ProxyHeader, proxyError } from './ProxyHeader.js'

/** The longest version 1 line a receiver must take, CRLF included (PROXY protocol 2.1). */
export const V1_MAX_LINE = 107

/**
 * Parse one version 1 line, without its CRLF.
 * @example
 * parseProxyV1(encode('PROXY TCP4 192.0.2.1 198.51.100.2 56324 25')) // right(Proxied from 192.0.2.1:56324)
 */
export const parseProxyV1 = (line: Uint8Array): E.Either<ProxyError, ProxyHeader> => {
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!
    // the line is printable US-ASCII; a lone CR or LF never ends it (PROXY protocol 2.1)
    if (c < 0x20 || c > 0x7e) return E.left(proxyError('version 1 header: a control or non-ASCII octet in the line'))
  }
  const text = latin1(line)
  if (text === 'PROXY UNKNOWN' || text.startsWith('PROXY UNKNOWN '))
    // UNKNOWN: the rest of the line is ignored, the real endpoints apply (PROXY protocol 2.1)
    return E.right({ _tag: 'Local', version: 1, reason: 'unknown', tlvs: [] })
  const parts = text.split(' ')
  if (parts[0] !== 'PROXY') return E.left(proxyError('version 1 header: expected "PROXY" and one space'))
  const family = parts[1]
  if (family !== 'TCP4' && family !== 'TCP6')
    return E.left(proxyError(`version 1 header: unknown protocol ${JSON.stringify(family ?? '')}`))
  if (parts.length !== 6)
    return E.left(
      proxyError('version 1 header: expected PROXY, protocol, two addresses and two ports, one space apart'),
    )
  const parse = family === 'TCP4' ? parseIPv4 : parseIPv6
  const format = family === 'TCP4' ? formatIPv4 : formatIPv6
  const src = parse(parts[2]!)
  const dst = parse(parts[3]!)
  if (src === undefined || dst === undefined)
    return E.left(
      proxyError(
        `version 1 header: ${family} needs two ${family === 'TCP4' ? 'IPv4 addresses (dotted decimal without heading zeroes)' : 'IPv6 addresses'}`,
      ),
    )
  const srcPort = strictDecimal(parts[4]!, 65535)
  const dstPort = strictDecimal(parts[5]!, 65535)
  if (srcPort === undefined || dstPort === undefined)
    return E.left(proxyError('version 1 header: ports are decimal 0..65535 without heading zeroes'))
  const fam = family === 'TCP4' ? 'IPv4' : 'IPv6'
  return E.right({
    _tag: 'Proxied',
    version: 1,
    transport: 'stream',
    source: { family: fam, address: format(src), port: srcPort },
    destination: { family: fam, address: format(dst), port: dstPort },
    tlvs: [],
  })
}
