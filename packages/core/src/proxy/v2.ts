// PROXY protocol version 2 (HAProxy's specification 2.2): a 16-octet binary header (signature,
// version and command, family and transport, length), the address block, then TLVs (2.2.1-2.2.8),
// with the CRC32c check of 2.2.3.
import * as E from 'fp-ts/lib/Either.js'
import { decodeUtf8, latin1 } from '../wire/bytes.js'
import { formatIPv4, formatIPv6 } from './address.js'
import { type ProxyEndpoint, type ProxyError, type ProxyHeader, type ProxyTlv, proxyError } from './ProxyHeader.js'

/** The 12-octet signature that opens every version 2 header (PROXY protocol 2.2). */
export const V2_SIGNATURE = Uint8Array.of(0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a)

/** The fixed part of a version 2 header, in octets. */
export const V2_FIXED = 16

/** Registered TLV types (PROXY protocol 2.2). */
export const Pp2Type = {
  ALPN: 0x01,
  AUTHORITY: 0x02,
  CRC32C: 0x03,
  NOOP: 0x04,
  UNIQUE_ID: 0x05,
  SSL: 0x20,
  SSL_VERSION: 0x21,
  SSL_CN: 0x22,
  SSL_CIPHER: 0x23,
  SSL_SIG_ALG: 0x24,
  SSL_KEY_ALG: 0x25,
  NETNS: 0x30,
} as const

// CRC32c (Castagnoli), reflected, as RFC 4960 Appendix B computes it.
const crcTable = ((): Uint32Array => {
  const t = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1
    t[n] = c >>> 0
  }
  return t
})()

/** CRC32c of the octets. */
export const crc32c = (bytes: Uint8Array): number => {
  let c = 0xffffffff
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

const addressLength = { 1: 12, 2: 36, 3: 216 } as const

const unixPath = (b: Uint8Array): string => {
  const nul = b.indexOf(0)
  const raw = nul === -1 ? b : b.subarray(0, nul)
  return decodeUtf8(raw) ?? latin1(raw)
}

const readTlvs = (block: Uint8Array): E.Either<ProxyError, ReadonlyArray<ProxyTlv>> => {
  const tlvs: ProxyTlv[] = []
  let i = 0
  while (i < block.length) {
    if (block.length - i < 3) return E.left(proxyError('version 2 header: a TLV is cut short'))
    const length = (block[i + 1]! << 8) | block[i + 2]!
    if (i + 3 + length > block.length) return E.left(proxyError('version 2 header: a TLV runs past the header'))
    tlvs.push({ type: block[i]!, value: block.subarray(i + 3, i + 3 + length) })
    i += 3 + length
  }
  return E.right(tlvs)
}

/** PROXY protocol 2.2.3: with a CRC32C TLV, the header with that field zeroed must have that checksum. */
const checkCrc = (header: Uint8Array, tlvsAt: number): boolean => {
  let i = tlvsAt
  while (i + 3 <= header.length) {
    const type = header[i]!
    const length = (header[i + 1]! << 8) | header[i + 2]!
    if (type === Pp2Type.CRC32C) {
      if (length !== 4) return false
      const v = header.subarray(i + 3, i + 7)
      const sent = ((v[0]! << 24) | (v[1]! << 16) | (v[2]! << 8) | v[3]!) >>> 0
      const zeroed = header.slice()
      zeroed.fill(0, i + 3, i + 7)
      return crc32c(zeroed) === sent
    }
    i += 3 + length
  }
  return true
}

/**
 * Parse one whole version 2 header (16 octets plus its length field's count), signature included.
 * @example
 * parseProxyV2(bytes) // right({ _tag: 'Proxied', version: 2, source: { family: 'IPv4', ... }, ... })
 */
export const parseProxyV2 = (header: Uint8Array): E.Either<ProxyError, ProxyHeader> => {
  if (header.length < V2_FIXED) return E.left(proxyError('version 2 header: shorter than 16 octets'))
  for (let i = 0; i < V2_SIGNATURE.length; i++)
    if (header[i] !== V2_SIGNATURE[i]) return E.left(proxyError('version 2 header: wrong signature'))
  const version = header[12]! >> 4
  const command = header[12]! & 0x0f
  // only version 2 is accepted, and only the LOCAL and PROXY commands (PROXY protocol 2.2)
  if (version !== 2) return E.left(proxyError(`version 2 header: version ${version} is not 2`))
  if (command > 1) return E.left(proxyError(`version 2 header: unassigned command ${command}`))
  const length = (header[14]! << 8) | header[15]!
  if (header.length !== V2_FIXED + length)
    return E.left(proxyError('version 2 header: the length field does not match the header'))
  // LOCAL: the proxy's own connection (a health check); the block, family included, is skipped (2.2)
  if (command === 0) return E.right({ _tag: 'Local', version: 2, reason: 'local', tlvs: [] })
  const family = header[13]! >> 4
  const proto = header[13]! & 0x0f
  if (family > 3 || proto > 2)
    return E.left(proxyError(`version 2 header: unassigned family or transport 0x${header[13]!.toString(16)}`))
  if (family === 0 || proto === 0) return E.right({ _tag: 'Local', version: 2, reason: 'unspecified', tlvs: [] })
  const need = addressLength[family as 1 | 2 | 3]
  if (length < need) return E.left(proxyError(`version 2 header: ${length} octets cannot hold the addresses`))
  const a = header.subarray(V2_FIXED, V2_FIXED + need)
  let source: ProxyEndpoint
  let destination: ProxyEndpoint
  if (family === 3) {
    source = { family: 'Unix', path: unixPath(a.subarray(0, 108)) }
    destination = { family: 'Unix', path: unixPath(a.subarray(108, 216)) }
  } else {
    const n = family === 1 ? 4 : 16
    const format = family === 1 ? formatIPv4 : formatIPv6
    const fam = family === 1 ? 'IPv4' : 'IPv6'
    const port = (at: number): number => (a[at]! << 8) | a[at + 1]!
    source = { family: fam, address: format(a.subarray(0, n)), port: port(2 * n) }
    destination = { family: fam, address: format(a.subarray(n, 2 * n)), port: port(2 * n + 2) }
  }
  const tlvs = readTlvs(header.subarray(V2_FIXED + need))
  if (E.isLeft(tlvs)) return tlvs
  if (!checkCrc(header, V2_FIXED + need)) return E.left(proxyError('version 2 header: CRC32c mismatch'))
  return E.right({
    _tag: 'Proxied',
    version: 2,
    transport: proto === 1 ? 'stream' : 'dgram',
    source,
    destination,
    tlvs: tlvs.right,
  })
}

/** The registered TLVs of a header, decoded (PROXY protocol 2.2.1-2.2.7); unknown types stay in `tlvs`. */
export interface ProxyTlvInfo {
  readonly alpn?: string
  /** The host name the client asked for (often its TLS SNI). */
  readonly authority?: string
  readonly uniqueId?: Uint8Array
  readonly netns?: string
  readonly ssl?: {
    /** PP2_CLIENT_* bits: 1 TLS, 2 certificate on this connection, 4 certificate in the TLS session. */
    readonly client: number
    /** The client's certificate was presented and verified. */
    readonly verified: boolean
    readonly version?: string
    readonly cipher?: string
    readonly commonName?: string
  }
}

const text = (v: Uint8Array): string => decodeUtf8(v) ?? latin1(v)

/**
 * Decode the registered TLVs of a header.
 * @example
 * const { authority, ssl } = proxyTlvInfo(header.tlvs)
 */
export const proxyTlvInfo = (tlvs: ReadonlyArray<ProxyTlv>): ProxyTlvInfo => {
  const info: { -readonly [K in keyof ProxyTlvInfo]: ProxyTlvInfo[K] } = {}
  for (const { type, value } of tlvs) {
    if (type === Pp2Type.ALPN) info.alpn = text(value)
    else if (type === Pp2Type.AUTHORITY) info.authority = text(value)
    else if (type === Pp2Type.UNIQUE_ID) info.uniqueId = value
    else if (type === Pp2Type.NETNS) info.netns = text(value)
    else if (type === Pp2Type.SSL && value.length >= 5) {
      const verify = ((value[1]! << 24) | (value[2]! << 16) | (value[3]! << 8) | value[4]!) >>> 0
      const sub = readTlvs(value.subarray(5))
      const ssl: { -readonly [K in keyof NonNullable<ProxyTlvInfo['ssl']>]: NonNullable<ProxyTlvInfo['ssl']>[K] } = {
        client: value[0]!,
        verified: verify === 0 && (value[0]! & 0x06) !== 0,
      }
      for (const s of E.isRight(sub) ? sub.right : []) {
        if (s.type === Pp2Type.SSL_VERSION) ssl.version = text(s.value)
        else if (s.type === Pp2Type.SSL_CIPHER) ssl.cipher = text(s.value)
        else if (s.type === Pp2Type.SSL_CN) ssl.commonName = text(s.value)
      }
      info.ssl = ssl
    }
  }
  return info
}
