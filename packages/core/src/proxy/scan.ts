// A resumable scanner for the PROXY header at the start of a connection (PROXY protocol 2.1, 2.2,
// 2.2 "identifying the protocol version"). It keeps at most `maxBytes` octets across inputs, and on
// success hands back the bytes that follow the header (SMTP the client already sent) untouched.
//
// Theory of operation: the first octets decide. If they are (a prefix of) the version 2 signature,
// wait for the 16-octet fixed part, read the length, then wait for the whole header. If they are
// (a prefix of) "PROXY", wait for CRLF within 107 octets. Anything else is not a PROXY header:
// `Absent` returns every octet seen, so a caller that only checks (an untrusted source) loses nothing.
import * as E from 'fp-ts/lib/Either.js'
import { concat } from '../wire/bytes.js'
import { type ProxyError, type ProxyHeader, proxyError } from './ProxyHeader.js'
import { V1_MAX_LINE, parseProxyV1 } from './v1.js'
import { V2_FIXED, V2_SIGNATURE, parseProxyV2 } from './v2.js'

/** What the scanner carries between inputs. */
export interface ProxyScanner {
  readonly _tag: 'ProxyScanner'
  /** Octets seen so far (never more than `maxBytes`). */
  readonly kept: Uint8Array
  /** The largest header accepted, in octets. */
  readonly maxBytes: number
}

export type ProxyScan =
  /** Not decided yet: feed the next input to `scanner`. */
  | { readonly _tag: 'NeedMore'; readonly scanner: ProxyScanner }
  /** A whole, valid header; `rest` is what followed it (a view, possibly empty). */
  | { readonly _tag: 'Header'; readonly header: ProxyHeader; readonly rest: Uint8Array }
  /** The connection does not start with a PROXY header; `rest` is every octet seen. */
  | { readonly _tag: 'Absent'; readonly rest: Uint8Array }
  /** It starts like a PROXY header but breaks the specification, or is larger than `maxBytes`. */
  | { readonly _tag: 'Invalid'; readonly error: ProxyError }

/** The default bound: a version 2 header with UNIX addresses (232 octets) plus room for TLVs. */
export const DEFAULT_PROXY_MAX_BYTES = 1024

/** The smallest bound that admits every header without TLVs: 16 + 216 octets (PROXY protocol 2.2). */
export const MIN_PROXY_MAX_BYTES = V2_FIXED + 216

/**
 * A fresh scanner. `maxBytes` (octets, at least 232) bounds a version 2 header; version 1 lines are always
 * bounded by 107 (PROXY protocol 2.1).
 * @example
 * let r = scanProxy(proxyScanner(), firstBytes)
 */
export const proxyScanner = (maxBytes = DEFAULT_PROXY_MAX_BYTES): ProxyScanner => ({
  _tag: 'ProxyScanner',
  kept: new Uint8Array(0),
  maxBytes: Math.max(maxBytes, MIN_PROXY_MAX_BYTES),
})

const V1_PREFIX = Uint8Array.of(0x50, 0x52, 0x4f, 0x58, 0x59) // "PROXY"

/** Do the first octets of `buf` agree with `sig` as far as both go? */
const agrees = (buf: Uint8Array, sig: Uint8Array): boolean => {
  const n = Math.min(buf.length, sig.length)
  for (let i = 0; i < n; i++) if (buf[i] !== sig[i]) return false
  return true
}

const finish = (r: E.Either<ProxyError, ProxyHeader>, rest: Uint8Array): ProxyScan =>
  E.isLeft(r) ? { _tag: 'Invalid', error: r.left } : { _tag: 'Header', header: r.right, rest }

/**
 * Feed the next input of the connection. Total: never throws; the result does not depend on how the
 * octets were cut into inputs (except that `rest` is a view of whatever input it came in).
 * @example
 * const r = scanProxy(proxyScanner(), encode('PROXY TCP4 192.0.2.1 192.0.2.2 5000 25\r\nEHLO x\r\n'))
 * // r._tag === 'Header', latin1(r.rest) === 'EHLO x\r\n'
 */
export const scanProxy = (s: ProxyScanner, input: Uint8Array): ProxyScan => {
  const buf = s.kept.length === 0 ? input : concat([s.kept, input])
  const more = (): ProxyScan => ({ _tag: 'NeedMore', scanner: { ...s, kept: buf.slice() } })
  if (buf.length === 0) return more()
  if (agrees(buf, V2_SIGNATURE)) {
    if (buf.length < V2_FIXED) return more()
    const total = V2_FIXED + ((buf[14]! << 8) | buf[15]!)
    if (total > s.maxBytes)
      return { _tag: 'Invalid', error: proxyError(`version 2 header of ${total} octets exceeds ${s.maxBytes}`) }
    if (buf.length < total) return more()
    return finish(parseProxyV2(buf.subarray(0, total)), buf.subarray(total))
  }
  if (agrees(buf, V1_PREFIX)) {
    const lf = buf.indexOf(0x0a)
    // CRLF must come within the first 107 octets (PROXY protocol 2.1)
    if (lf === -1 || lf >= V1_MAX_LINE) {
      if (buf.length < V1_MAX_LINE) return more()
      return { _tag: 'Invalid', error: proxyError('version 1 header: no CRLF within 107 octets') }
    }
    // a bare LF never ends the line (PROXY protocol 2.1)
    if (lf === 0 || buf[lf - 1] !== 0x0d)
      return { _tag: 'Invalid', error: proxyError('version 1 header: line ends in a bare LF') }
    return finish(parseProxyV1(buf.subarray(0, lf - 1)), buf.subarray(lf + 1))
  }
  return { _tag: 'Absent', rest: buf }
}

/**
 * The input ended (the peer closed its side) before `scanProxy` decided: decide with what was kept. Octets
 * that began a header's signature, whole ("PROXY", or the 12 octets of version 2), are a header cut short:
 * `Invalid`. Fewer (a lone "P", a CRLF) are not a header: `Absent`, with every octet kept.
 */
export const endProxy = (s: ProxyScanner): Extract<ProxyScan, { _tag: 'Absent' | 'Invalid' }> => {
  const kept = s.kept
  const begun =
    (kept.length >= V1_PREFIX.length && agrees(kept, V1_PREFIX)) ||
    (kept.length >= V2_SIGNATURE.length && agrees(kept, V2_SIGNATURE))
  return begun
    ? { _tag: 'Invalid', error: proxyError('the connection ended inside a PROXY header') }
    : { _tag: 'Absent', rest: kept }
}
