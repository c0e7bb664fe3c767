// Punycode encoding of one label (RFC 3492 6.3), the step that turns an IDNA U-label into its A-label
// (RFC 5890 2.3.2.1: "xn--" and the Punycode of the label). Integer arithmetic only; no tables.

const BASE = 36
const T_MIN = 1
const T_MAX = 26
const SKEW = 38
const DAMP = 700
const INITIAL_BIAS = 72
const INITIAL_N = 0x80

/** RFC 3492 5: digit values 0..25 are a..z, 26..35 are 0..9. */
const digit = (d: number): string => String.fromCharCode(d < 26 ? 97 + d : 22 + d)

/** RFC 3492 6.1: bias adaptation after each encoded code point. */
const adapt = (delta0: number, points: number, first: boolean): number => {
  let delta = first ? Math.floor(delta0 / DAMP) : delta0 >> 1
  delta += Math.floor(delta / points)
  let k = 0
  while (delta > ((BASE - T_MIN) * T_MAX) >> 1) {
    delta = Math.floor(delta / (BASE - T_MIN))
    k += BASE
  }
  return k + Math.floor(((BASE - T_MIN + 1) * delta) / (delta + SKEW))
}

/**
 * The Punycode of `label` (RFC 3492 6.3), without the `xn--` prefix: its ASCII characters, a `-` if
 * there were any, then the non-ASCII code points as base-36 deltas. Labels are at most a few hundred
 * code points here, far from the overflow limits of RFC 3492 6.4.
 * @example
 * punycodeEncode('bücher') // 'bcher-kva'
 */
export const punycodeEncode = (label: string): string => {
  const points = Array.from(label, (ch) => ch.codePointAt(0) ?? 0)
  let out = points
    .filter((c) => c < 0x80)
    .map((c) => String.fromCharCode(c))
    .join('')
  const basic = out.length
  let handled = basic
  if (basic > 0) out += '-'
  let n = INITIAL_N
  let delta = 0
  let bias = INITIAL_BIAS
  while (handled < points.length) {
    let m = Number.MAX_SAFE_INTEGER
    for (const c of points) if (c >= n && c < m) m = c
    delta += (m - n) * (handled + 1)
    n = m
    for (const c of points) {
      if (c < n) delta++
      if (c !== n) continue
      let q = delta
      for (let k = BASE; ; k += BASE) {
        const t = k <= bias ? T_MIN : k >= bias + T_MAX ? T_MAX : k - bias
        if (q < t) break
        out += digit(t + ((q - t) % (BASE - t)))
        q = Math.floor((q - t) / (BASE - t))
      }
      out += digit(q)
      bias = adapt(delta, handled + 1, handled === basic)
      delta = 0
      handled++
    }
    delta++
    n++
  }
  return out
}
