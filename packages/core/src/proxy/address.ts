// IP address text for PROXY headers: the strict version 1 forms (PROXY protocol 2.1) and the
// RFC 5952 text of a 16-octet IPv6 address.

/** A decimal number 0..max without heading zeroes (PROXY protocol 2.1 forbids them), else undefined. */
export const strictDecimal = (s: string, max: number): number | undefined => {
  if (s.length === 0 || s.length > String(max).length) return undefined
  if (s.length > 1 && s[0] === '0') return undefined
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x30 || c > 0x39) return undefined
  }
  const n = Number(s)
  return n <= max ? n : undefined
}

/** Four octets from dotted-decimal text with no heading zeroes, else undefined. */
export const parseIPv4 = (s: string): Uint8Array | undefined => {
  const parts = s.split('.')
  if (parts.length !== 4) return undefined
  const out = new Uint8Array(4)
  for (let i = 0; i < 4; i++) {
    const n = strictDecimal(parts[i]!, 255)
    if (n === undefined) return undefined
    out[i] = n
  }
  return out
}

const hexGroup = (s: string): number | undefined => (/^[0-9A-Fa-f]{1,4}$/.test(s) ? parseInt(s, 16) : undefined)

/** Sixteen octets from IPv6 text (groups of 1-4 hex digits, one `::` at most, an IPv4 tail allowed), else undefined. */
export const parseIPv6 = (s: string): Uint8Array | undefined => {
  const halves = s.split('::')
  if (halves.length > 2) return undefined
  const groups = (part: string): number[] | undefined => {
    if (part === '') return []
    const words: number[] = []
    const items = part.split(':')
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!
      if (i === items.length - 1 && item.includes('.')) {
        const v4 = parseIPv4(item)
        if (v4 === undefined) return undefined
        words.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!)
      } else {
        const g = hexGroup(item)
        if (g === undefined) return undefined
        words.push(g)
      }
    }
    return words
  }
  const head = groups(halves[0]!)
  const tail = halves.length === 2 ? groups(halves[1]!) : []
  if (head === undefined || tail === undefined) return undefined
  // the decoded address must be exactly 128 bits (PROXY protocol 2.1)
  const missing = 8 - head.length - tail.length
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined
  const words = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail]
  const out = new Uint8Array(16)
  words.forEach((w, i) => {
    out[2 * i] = w >> 8
    out[2 * i + 1] = w & 0xff
  })
  return out
}

/** Dotted text of four octets. */
export const formatIPv4 = (b: Uint8Array): string => `${b[0]}.${b[1]}.${b[2]}.${b[3]}`

/**
 * RFC 5952 4 text of sixteen octets: lower case, no heading zeroes, the longest run of two or more zero groups
 * (the first of equals) as `::`; an IPv4-mapped address ends in dotted form (RFC 5952 5).
 */
export const formatIPv6 = (b: Uint8Array): string => {
  const w: number[] = []
  for (let i = 0; i < 8; i++) w.push((b[2 * i]! << 8) | b[2 * i + 1]!)
  if (w.slice(0, 5).every((x) => x === 0) && w[5] === 0xffff) return `::ffff:${formatIPv4(b.subarray(12))}`
  let best = -1
  let bestLen = 1
  for (let i = 0; i < 8;) {
    let j = i
    while (j < 8 && w[j] === 0) j++
    if (j - i > bestLen) {
      best = i
      bestLen = j - i
    }
    i = j === i ? i + 1 : j
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(':')
  if (best === -1) return hex(w)
  return `${hex(w.slice(0, best))}::${hex(w.slice(best + bestLen))}`
}
