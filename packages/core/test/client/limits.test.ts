import { describe, expect, it } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import { noCapabilities, parseCapabilities } from '../../src/client/capabilities.js'
import { splitEnvelope } from '../../src/client/limits.js'
import { reply } from '../../src/Reply.js'

const caps = (...lines: string[]) => parseCapabilities(reply(250, undefined, 'mx.example', ...lines))

describe('client limits', () => {
  describe('LIMITS in the EHLO reply (RFC 9422 3)', () => {
    it('reads MAILMAX, RCPTMAX and RCPTDOMAINMAX, names without regard to case', () => {
      expect(caps('LIMITS RCPTMAX=50 mailmax=1000 RcptDomainMax=3').limits).toEqual({
        rcptMax: 50,
        mailMax: 1000,
        rcptDomainMax: 3,
      })
    })
    it('ignores unknown limits and values it cannot read (RFC 9422 3)', () => {
      expect(caps('LIMITS FOO=1 RCPTMAX=ten MAILMAX= RCPTDOMAINMAX=1234567 RCPTMAX=0').limits).toEqual({})
      expect(caps('LIMITS').limits).toEqual({})
      expect(caps('PIPELINING').limits).toEqual({})
      expect(noCapabilities.limits).toEqual({})
    })
  })

  describe('splitEnvelope (RFC 9422 4.2, 4.3)', () => {
    const to = ['a@x.example', 'b@x.example', 'c@y.example', 'd@y.example', 'e@z.example']
    it('returns the envelope alone without limits or within them', () => {
      const e = { from: 's@example.org', to }
      expect(splitEnvelope(e, { limits: {} })).toEqual([e])
      expect(splitEnvelope(e, { limits: { rcptMax: 5 } })[0]).toBe(e)
    })
    it('cuts at RCPTMAX recipients, in order', () => {
      const parts = splitEnvelope({ from: 's@example.org', to, params: { size: 10 } }, { limits: { rcptMax: 2 } })
      expect(parts.map((p) => p.to)).toEqual([to.slice(0, 2), to.slice(2, 4), to.slice(4)])
      for (const p of parts) expect(p).toMatchObject({ from: 's@example.org', params: { size: 10 } })
    })
    it('cuts when a new domain would pass RCPTDOMAINMAX', () => {
      const parts = splitEnvelope({ from: null, to }, { limits: { rcptDomainMax: 1 } })
      expect(parts.map((p) => p.to)).toEqual([to.slice(0, 2), to.slice(2, 4), to.slice(4)])
    })
    test.prop([
      fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.constantFrom('x.example', 'Y.example', 'z.example'))),
      fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
      fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
    ])('keeps every recipient once, in order, each part within both limits', (pairs, rcptMax, rcptDomainMax) => {
      const rcpts = pairs.map(([l, d]) => `${l}@${d}`)
      const limits = { ...(rcptMax ? { rcptMax } : {}), ...(rcptDomainMax ? { rcptDomainMax } : {}) }
      const parts = splitEnvelope({ from: 's@example.org', to: rcpts }, { limits })
      expect(parts.flatMap((p) => p.to)).toEqual(rcpts)
      for (const p of parts) {
        if (rcptMax) expect(p.to.length).toBeLessThanOrEqual(rcptMax)
        const domains = new Set(p.to.map((r) => String(r).split('@')[1]!.toLowerCase()))
        if (rcptDomainMax) expect(domains.size).toBeLessThanOrEqual(rcptDomainMax)
      }
    })
  })
})
