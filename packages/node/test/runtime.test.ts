// The Node runtime's tokens: session ids and CRAM-MD5 challenges (RFC 2195 2), drawn from a pool of random octets.
import { describe, expect, it } from 'vitest'
import { nodeRuntime } from '../src/runtime.js'

describe('nodeRuntime.randomToken', () => {
  it('gives 12 base64url characters (9 octets), all distinct, across many refills of its pool', () => {
    const tokens = Array.from({ length: 5000 }, () => nodeRuntime.randomToken())
    for (const t of tokens) expect(t).toMatch(/^[A-Za-z0-9_-]{12}$/)
    expect(new Set(tokens).size).toBe(tokens.length)
  })

  it('draws each token from fresh octets: no token shares an octet run with the one before it', () => {
    const octets = Array.from({ length: 1000 }, () => Buffer.from(nodeRuntime.randomToken(), 'base64url'))
    for (const o of octets) expect(o.length).toBe(9)
    // a pool read at a fixed place would repeat; overlapping reads would make consecutive tokens share octets
    for (let i = 1; i < octets.length; i++)
      expect(octets[i]!.subarray(0, 8).equals(octets[i - 1]!.subarray(1, 9))).toBe(false)
  })
})
