// Building version 2 PROXY headers for tests, field by field (PROXY protocol 2.2).
import { concat } from '../../src/wire/bytes.js'
import { V2_SIGNATURE, crc32c } from '../../src/proxy/v2.js'

export interface V2Parts {
  readonly verCmd?: number
  readonly famProto: number
  readonly addresses: Uint8Array
  readonly tlvs?: ReadonlyArray<{ type: number; value: Uint8Array }>
  /** Add a CRC32C TLV; `badCrc` flips its value. */
  readonly crc?: boolean
  readonly badCrc?: boolean
  /** Override the length field. */
  readonly length?: number
}

const tlvBytes = (type: number, value: Uint8Array): Uint8Array =>
  concat([Uint8Array.of(type, value.length >> 8, value.length & 0xff), value])

export const v2 = (p: V2Parts): Uint8Array => {
  const tlvs = concat([
    ...(p.tlvs ?? []).map((t) => tlvBytes(t.type, t.value)),
    ...(p.crc ? [tlvBytes(0x03, new Uint8Array(4))] : []),
  ])
  const body = concat([p.addresses, tlvs])
  const length = p.length ?? body.length
  const header = concat([V2_SIGNATURE, Uint8Array.of(p.verCmd ?? 0x21, p.famProto, length >> 8, length & 0xff), body])
  if (p.crc) {
    const sum = (crc32c(header) ^ (p.badCrc ? 1 : 0)) >>> 0
    header.set([sum >>> 24, (sum >>> 16) & 0xff, (sum >>> 8) & 0xff, sum & 0xff], header.length - 4)
  }
  return header
}

export const inet4 = (src: number[], dst: number[], sport: number, dport: number): Uint8Array =>
  Uint8Array.of(...src, ...dst, sport >> 8, sport & 0xff, dport >> 8, dport & 0xff)

export const inet6 = (src: number[], dst: number[], sport: number, dport: number): Uint8Array =>
  Uint8Array.of(...src, ...dst, sport >> 8, sport & 0xff, dport >> 8, dport & 0xff)

export const unix = (src: string, dst: string): Uint8Array => {
  const out = new Uint8Array(216)
  for (let i = 0; i < src.length; i++) out[i] = src.charCodeAt(i)
  for (let i = 0; i < dst.length; i++) out[108 + i] = dst.charCodeAt(i)
  return out
}
