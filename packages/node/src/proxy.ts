// The PROXY protocol on Node (HAProxy's specification): which sources may send a header, reading it
// from a trusted connection before the SMTP session starts, and refusing a header from anyone else.
// The parsing is the core's pure scanner; this file only moves bytes and keeps the deadline.
import * as net from 'node:net'
import * as tls from 'node:tls'
import {
  type ProxyHeader,
  type ProxyScanner,
  endProxy,
  formatReply,
  proxiedAddress,
  proxyScanner,
  relayedEndpoints,
  reply,
  scanProxy,
} from '@smtpure/core'
import { OptionsError, type Transport, kindOf } from '@smtpure/driver'

export interface ProxyOptions {
  /**
   * Sources allowed (and required) to open with a PROXY header: addresses or CIDR blocks such as
   * `127.0.0.1`, `10.0.0.0/8`, `::1` or `fd00::/8`. Every other source that sends a header is refused.
   */
  readonly trusted: ReadonlyArray<string>
  /** ms a trusted source has to send its whole header before the connection is dropped (default 5000). */
  readonly timeoutMs?: number
  /** The largest header accepted, in octets (default 1024; at least 232, a version 2 header with UNIX addresses). */
  readonly maxHeaderBytes?: number
}

/** An IPv4-mapped IPv6 address as Node reports it (`::ffff:192.0.2.1`) is checked as the IPv4 address. */
const plain = (address: string): string => (/^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address) ? address.slice(7) : address)

/**
 * The trusted list as a predicate. `path` names the option in errors (`proxy.trusted`, `xclient.trusted`).
 * @throws OptionsError for a list that is not an array of strings, or an entry that is neither an address nor a
 * CIDR block.
 */
export const trustedSources = (
  entries: ReadonlyArray<string>,
  path = 'proxy.trusted',
): ((address: string) => boolean) => {
  const list = new net.BlockList()
  if (!Array.isArray(entries) || !entries.every((e) => typeof e === 'string'))
    throw new OptionsError('server', [
      `${path}: expected an array of IP addresses or CIDR blocks, given ${kindOf(entries)}`,
    ])
  for (const entry of entries) {
    const [address, bits, extra] = entry.split('/')
    const family = net.isIP(address ?? '')
    const prefix = bits === undefined ? undefined : Number(bits)
    const max = family === 4 ? 32 : 128
    if (
      family === 0 ||
      extra !== undefined ||
      (prefix !== undefined && !(Number.isInteger(prefix) && prefix >= 0 && prefix <= max))
    )
      throw new OptionsError('server', [`${path}: ${JSON.stringify(entry)} is not an IP address or CIDR block`])
    const type = family === 4 ? 'ipv4' : 'ipv6'
    if (prefix === undefined) list.addAddress(address!, type)
    else list.addSubnet(address!, prefix, type)
  }
  return (address) => {
    const a = plain(address)
    const family = net.isIP(a)
    return family !== 0 && list.check(a, family === 4 ? 'ipv4' : 'ipv6')
  }
}

export type ProxyOutcome =
  | { readonly _tag: 'Header'; readonly header: ProxyHeader; readonly clientAddress: string }
  /** No header, from a source that must not send one: its bytes are back on the socket. */
  | { readonly _tag: 'Absent' }
  | { readonly _tag: 'Refused'; readonly reason: string }

/**
 * Read the PROXY header a trusted source opens with. The socket is left paused, with the bytes that
 * followed the header put back for the SMTP session. `clientAddress` is the header's source, or the real
 * peer for LOCAL and UNKNOWN headers and for UDP and UNIX ones (PROXY protocol 2.1, 2.2; see `relayedEndpoints`). With `required` false (an untrusted
 * source, before an implicit TLS handshake) it only checks: a header is refused, anything else is
 * `Absent` with every byte put back.
 */
export const readProxyHeader = (socket: net.Socket, options: ProxyOptions, required = true): Promise<ProxyOutcome> =>
  new Promise((resolve) => {
    let scanner = proxyScanner(options.maxHeaderBytes)
    const timeoutMs = options.timeoutMs ?? 5000
    const done = (outcome: ProxyOutcome): void => {
      clearTimeout(timer)
      socket.off('data', onData)
      socket.off('end', onClose)
      socket.off('close', onClose)
      resolve(outcome)
    }
    const timer = setTimeout(
      () => done({ _tag: 'Refused', reason: `no whole PROXY header within ${timeoutMs} ms` }),
      timeoutMs,
    )
    const onClose = (): void => done({ _tag: 'Refused', reason: 'closed before the PROXY header' })
    const onData = (d: Buffer): void => {
      const r = scanProxy(scanner, new Uint8Array(d.buffer, d.byteOffset, d.length))
      switch (r._tag) {
        case 'NeedMore':
          scanner = r.scanner
          return
        case 'Header':
          if (!required) return done({ _tag: 'Refused', reason: 'a PROXY header from an untrusted source' })
          socket.pause()
          if (r.rest.length > 0) socket.unshift(Buffer.from(r.rest)) // SMTP that came with the header
          return done({
            _tag: 'Header',
            header: r.header,
            clientAddress: proxiedAddress(r.header) ?? socket.remoteAddress ?? 'unknown',
          })
        case 'Absent':
          if (required) return done({ _tag: 'Refused', reason: 'a trusted source sent no PROXY header' })
          socket.pause()
          socket.unshift(Buffer.from(r.rest))
          return done({ _tag: 'Absent' })
        case 'Invalid':
          return done({ _tag: 'Refused', reason: r.error.reason })
      }
    }
    socket.on('data', onData)
    // the socket is half-open: a FIN comes only as 'end', and no header can follow it
    socket.on('end', onClose)
    socket.on('close', onClose)
  })

/** The reply to a PROXY header from an untrusted source, without its CRLF: the session writes it and closes. */
const forgedReply = formatReply(reply(554, '5.7.1', 'PROXY header not accepted from this address'), true).slice(0, -2)

/**
 * The transport a session sees: the client address from the header in place of the proxy's, and, for
 * an untrusted source, a check of its first octets: a PROXY header there (whole or malformed) gets 554
 * 5.7.1, the connection is closed and the session ends with that reply (its `onClose` hears cause
 * `server`); nothing the source sends after the header reaches the session. Anything else passes
 * through unchanged.
 */
export const proxiedTransport = (
  inner: Transport,
  remoteAddress: string,
  header: ProxyHeader | undefined,
  untrusted?: { readonly maxHeaderBytes?: number; readonly onForged: (reason: string) => void },
): Transport => {
  let scanner: ProxyScanner | undefined = untrusted ? proxyScanner(untrusted.maxHeaderBytes) : undefined
  // a header for TCP names the connection's endpoints, both sides; otherwise (LOCAL, UDP, UNIX) the socket's are right
  const relayed = header === undefined ? undefined : relayedEndpoints(header)
  const remotePort = relayed ? relayed.source.port : inner.remotePort
  const localAddress = relayed ? relayed.destination.address : inner.localAddress
  const localPort = relayed ? relayed.destination.port : inner.localPort
  let refused = false // the session ended with the 554: the connection's later events are not its own
  return {
    start: (events) => {
      const refuse = (reason: string): void => {
        refused = true
        untrusted!.onForged(reason)
        events.closed(undefined, forgedReply)
      }
      inner.start({
        data: (bytes) => {
          if (scanner === undefined) return refused ? undefined : events.data(bytes)
          const r = scanProxy(scanner, bytes)
          if (r._tag === 'NeedMore') {
            scanner = r.scanner
            return
          }
          scanner = undefined
          if (r._tag === 'Absent') return events.data(r.rest)
          refuse(r._tag === 'Invalid' ? r.error.reason : 'a PROXY header from an untrusted source')
        },
        closed: (error) => (refused ? undefined : events.closed(error)),
        // a source that half-closes inside a header can still read the 554; octets that began none are its own
        ended: () => {
          if (refused) return
          if (scanner !== undefined && scanner.kept.length > 0) {
            const r = endProxy(scanner)
            scanner = undefined
            if (r._tag === 'Invalid') return refuse(r.error.reason)
            events.data(r.rest)
          }
          if (events.ended) events.ended()
          else events.closed()
        },
      })
    },
    write: (bytes) => inner.write(bytes),
    pause: () => inner.pause(),
    resume: () => inner.resume(),
    startTls: () => inner.startTls(),
    close: () => inner.close(),
    remoteAddress,
    ...(remotePort !== undefined ? { remotePort } : {}),
    ...(localAddress !== undefined ? { localAddress } : {}),
    ...(localPort !== undefined ? { localPort } : {}),
    ...(header !== undefined ? { proxy: header } : {}),
    get tls() {
      return inner.tls
    },
  }
}

/**
 * Implicit TLS (RFC 8314 3.3) on a socket whose PROXY header was read: the handshake, within `timeoutMs`.
 * Resolves with the TLS socket, or undefined when the handshake failed or took too long.
 */
export const upgradeImplicitTls = (
  socket: net.Socket,
  options: {
    secureContext: tls.SecureContext
    SNICallback: tls.TlsOptions['SNICallback']
    requestCert?: boolean
    rejectUnauthorized?: boolean
  },
  timeoutMs: number,
): Promise<tls.TLSSocket | undefined> =>
  new Promise((resolve) => {
    const secure = new tls.TLSSocket(socket, { isServer: true, ...options })
    const fail = (): void => {
      clearTimeout(timer)
      secure.destroy()
      resolve(undefined)
    }
    const timer = setTimeout(fail, timeoutMs)
    secure.once('error', fail)
    // the socket is half-open: a FIN before the handshake is done comes only as 'end', and the handshake
    // can no longer finish, so the timer must not hold the connection to its deadline
    secure.once('end', fail)
    secure.once('secure', () => {
      clearTimeout(timer)
      secure.off('error', fail)
      secure.off('end', fail)
      resolve(secure)
    })
  })
