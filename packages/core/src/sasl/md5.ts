// MD5 (RFC 1321) and HMAC-MD5 (RFC 2104), needed only to compute and check CRAM-MD5 answers (RFC 2195 2).
// MD5 is broken as a hash; CRAM-MD5 keeps it for compatibility, so nothing else should use this file.

/** Per-round left-rotation amounts (RFC 1321 3.4). */
const shifts = [
  7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 4,
  11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
]

/** RFC 1321 3.4: T[i] is floor(2^32 * |sin(i + 1)|), written out so no engine's sin() is trusted. */
const sines = Uint32Array.of(
  0xd76aa478,
  0xe8c7b756,
  0x242070db,
  0xc1bdceee,
  0xf57c0faf,
  0x4787c62a,
  0xa8304613,
  0xfd469501,
  0x698098d8,
  0x8b44f7af,
  0xffff5bb1,
  0x895cd7be,
  0x6b901122,
  0xfd987193,
  0xa679438e,
  0x49b40821,
  0xf61e2562,
  0xc040b340,
  0x265e5a51,
  0xe9b6c7aa,
  0xd62f105d,
  0x02441453,
  0xd8a1e681,
  0xe7d3fbc8,
  0x21e1cde6,
  0xc33707d6,
  0xf4d50d87,
  0x455a14ed,
  0xa9e3e905,
  0xfcefa3f8,
  0x676f02d9,
  0x8d2a4c8a,
  0xfffa3942,
  0x8771f681,
  0x6d9d6122,
  0xfde5380c,
  0xa4beea44,
  0x4bdecfa9,
  0xf6bb4b60,
  0xbebfbc70,
  0x289b7ec6,
  0xeaa127fa,
  0xd4ef3085,
  0x04881d05,
  0xd9d4d039,
  0xe6db99e5,
  0x1fa27cf8,
  0xc4ac5665,
  0xf4292244,
  0x432aff97,
  0xab9423a7,
  0xfc93a039,
  0x655b59c3,
  0x8f0ccc92,
  0xffeff47d,
  0x85845dd1,
  0x6fa87e4f,
  0xfe2ce6e0,
  0xa3014314,
  0x4e0811a1,
  0xf7537e82,
  0xbd3af235,
  0x2ad7d2bb,
  0xeb86d391,
)

/** The MD5 digest of `bytes`: 16 bytes (RFC 1321 3). */
export const md5 = (bytes: Uint8Array): Uint8Array => {
  // RFC 1321 3.1 and 3.2: append 0x80, zero-fill to 56 mod 64, then the bit length as 64-bit little-endian.
  const blocks = Math.floor((bytes.length + 8) / 64) + 1
  const message = new Uint8Array(blocks * 64)
  message.set(bytes)
  message[bytes.length] = 0x80
  const bits = bytes.length * 8
  const lengthAt = blocks * 64 - 8
  for (let k = 0; k < 4; k++) message[lengthAt + k] = (bits >>> (8 * k)) & 255
  const high = Math.floor(bits / 0x100000000)
  for (let k = 0; k < 4; k++) message[lengthAt + 4 + k] = (high >>> (8 * k)) & 255

  // RFC 1321 3.3: the initial state words A, B, C, D.
  let a0 = 0x67452301
  let b0 = 0xefcdab89
  let c0 = 0x98badcfe
  let d0 = 0x10325476
  const x = new Uint32Array(16)
  for (let block = 0; block < message.length; block += 64) {
    for (let j = 0; j < 16; j++) {
      const p = block + j * 4
      x[j] = message[p]! | (message[p + 1]! << 8) | (message[p + 2]! << 16) | (message[p + 3]! << 24)
    }
    let a = a0
    let b = b0
    let c = c0
    let d = d0
    // RFC 1321 3.4: four rounds of sixteen operations, each with its own function F, G, H or I.
    for (let i = 0; i < 64; i++) {
      let f: number
      let g: number
      if (i < 16) {
        f = (b & c) | (~b & d)
        g = i
      } else if (i < 32) {
        f = (b & d) | (c & ~d)
        g = (5 * i + 1) & 15
      } else if (i < 48) {
        f = b ^ c ^ d
        g = (3 * i + 5) & 15
      } else {
        f = c ^ (b | ~d)
        g = (7 * i) & 15
      }
      const sum = (a + f + sines[i]! + x[g]!) | 0
      const s = shifts[i]!
      a = d
      d = c
      c = b
      b = (b + ((sum << s) | (sum >>> (32 - s)))) | 0
    }
    a0 = (a0 + a) | 0
    b0 = (b0 + b) | 0
    c0 = (c0 + c) | 0
    d0 = (d0 + d) | 0
  }
  // RFC 1321 3.5: the digest is A, B, C, D, each written low byte first.
  const out = new Uint8Array(16)
  const words = [a0, b0, c0, d0]
  for (let w = 0; w < 4; w++) for (let k = 0; k < 4; k++) out[w * 4 + k] = (words[w]! >>> (8 * k)) & 255
  return out
}

/** MD5 works on 64-byte blocks, the HMAC block size B (RFC 2104 2). */
const blockSize = 64

/** HMAC-MD5 of `data` under `key`: 16 bytes (RFC 2104 2). */
export const hmacMd5 = (key: Uint8Array, data: Uint8Array): Uint8Array => {
  // RFC 2104 2: a key longer than the block is first hashed; a shorter one is zero-filled to the block.
  const k = new Uint8Array(blockSize)
  k.set(key.length > blockSize ? md5(key) : key)
  const inner = new Uint8Array(blockSize + data.length)
  const outer = new Uint8Array(blockSize + 16)
  for (let i = 0; i < blockSize; i++) {
    inner[i] = k[i]! ^ 0x36
    outer[i] = k[i]! ^ 0x5c
  }
  // RFC 2104 2: H(K xor opad, H(K xor ipad, text)).
  inner.set(data, blockSize)
  outer.set(md5(inner), blockSize)
  return md5(outer)
}

/** Bytes as lowercase hexadecimal, two digits per byte (the form CRAM-MD5 sends, RFC 2195 2). */
export const toHex = (bytes: Uint8Array): string => {
  let s = ''
  for (let i = 0; i < bytes.length; i++) s += (bytes[i]! < 16 ? '0' : '') + bytes[i]!.toString(16)
  return s
}
