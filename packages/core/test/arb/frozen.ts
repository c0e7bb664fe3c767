// Deep freezing for tests that hold the reducers to their contract: `step` never changes the state it is given.
// A state that is frozen throws (strict mode) the moment any code assigns to it or to anything it holds.

/**
 * Freeze `value` and everything it holds, in place, and return it. Byte arrays are left as they are: a typed array
 * with elements cannot be frozen, and the reducers never write into input bytes (their own tests check that).
 */
export const deepFreeze = <T>(value: T, seen: Set<object> = new Set()): T => {
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value) || seen.has(value)) return value
  seen.add(value)
  for (const v of Object.values(value)) deepFreeze(v, seen)
  return Object.freeze(value)
}
