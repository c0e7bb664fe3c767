// A measure of everything a session state holds that could grow with input (octets of byte arrays
// and strings, one per other value), leaving out the configuration: the bounded-state properties
// check it stays under a fixed bound.
export const weight = (state: object): number => {
  let total = 0
  const visit = (v: unknown): void => {
    if (v instanceof Uint8Array) total += v.length
    else if (typeof v === 'string') total += v.length
    else if (Array.isArray(v)) {
      total += 1
      v.forEach(visit)
    } else if (typeof v === 'object' && v !== null) {
      total += 1
      for (const [k, x] of Object.entries(v)) if (k !== 'config') visit(x)
    } else total += 1
  }
  visit(state)
  return total
}
