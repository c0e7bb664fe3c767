// Cutting one byte stream into chunks at given points: the split-invariance properties feed the same
// bytes whole and cut, and compare.

/** `bytes` cut at each point (taken modulo the length, duplicates ignored); the pieces are copies. */
export const cut = (bytes: Uint8Array, cuts: ReadonlyArray<number>): Uint8Array[] => {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
  return [...points, bytes.length].map((end, i) => bytes.slice(i === 0 ? 0 : points[i - 1], end))
}
