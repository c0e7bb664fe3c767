// Base64 for SASL exchanges, which SMTP AUTH carries base64-encoded (RFC 4954 4).
// Strict RFC 4648 4: standard alphabet, mandatory padding, no whitespace, canonical trailing bits.

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const pad = 0x3d // '='

/** Character code to its 6-bit value, or -1 for anything outside the standard alphabet. */
const values: Int16Array = (() => {
  const table = new Int16Array(128).fill(-1)
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i
  return table
})()

const value = (text: string, i: number): number => {
  const c = text.charCodeAt(i)
  return c < 128 ? values[c]! : -1
}

/** Encode bytes as padded standard base64 (RFC 4648 4). */
export const encodeBase64 = (bytes: Uint8Array): string => {
  const out: string[] = []
  let i = 0
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!
    out.push(alphabet[n >> 18]! + alphabet[(n >> 12) & 63]! + alphabet[(n >> 6) & 63]! + alphabet[n & 63]!)
  }
  // RFC 4648 4: a final group of one or two bytes is padded to four characters with '='.
  const rest = bytes.length - i
  if (rest === 1) {
    const n = bytes[i]! << 16
    out.push(alphabet[n >> 18]! + alphabet[(n >> 12) & 63]! + '==')
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8)
    out.push(alphabet[n >> 18]! + alphabet[(n >> 12) & 63]! + alphabet[(n >> 6) & 63]! + '=')
  }
  return out.join('')
}

/**
 * Decode strict base64 (RFC 4648 4). Returns undefined for anything not in canonical form: characters
 * outside the standard alphabet (whitespace included), a length that is not a multiple of 4, padding
 * anywhere but the end, or non-zero bits in the padded tail. `''` decodes to an empty array.
 */
export const decodeBase64 = (text: string): Uint8Array | undefined => {
  // RFC 4648 4: encoded data always comes in whole four-character groups once padded.
  if (text.length % 4 !== 0) return undefined
  let padding = 0
  if (text.length > 0 && text.charCodeAt(text.length - 1) === pad) {
    padding = text.charCodeAt(text.length - 2) === pad ? 2 : 1
  }
  const out = new Uint8Array((text.length / 4) * 3 - padding)
  const whole = text.length - (padding > 0 ? 4 : 0)
  let o = 0
  // RFC 4954 4: any character outside the alphabet, '=' in the middle included, is refused.
  for (let i = 0; i < whole; i += 4) {
    const a = value(text, i)
    const b = value(text, i + 1)
    const c = value(text, i + 2)
    const d = value(text, i + 3)
    if ((a | b | c | d) < 0) return undefined
    const n = (a << 18) | (b << 12) | (c << 6) | d
    out[o++] = n >> 16
    out[o++] = (n >> 8) & 255
    out[o++] = n & 255
  }
  if (padding === 0) return out
  const a = value(text, whole)
  const b = value(text, whole + 1)
  if ((a | b) < 0) return undefined
  if (padding === 2) {
    // RFC 4648 3.5: the unused low bits of the last character must be zero.
    if ((b & 15) !== 0) return undefined
    out[o] = (a << 2) | (b >> 4)
    return out
  }
  const c = value(text, whole + 2)
  if (c < 0 || (c & 3) !== 0) return undefined
  out[o++] = (a << 2) | (b >> 4)
  out[o] = ((b & 15) << 4) | (c >> 2)
  return out
}
