// Tests for mail routing from DNS answers: MX ordering, implicit MX and loop avoidance (RFC 5321 5.1),
// null MX (RFC 7505), and the order of a multihomed host's addresses.

import { describe, expect, it } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import {
  mxRoute,
  orderAddresses,
  type AddressRecord,
  type MxAnswer,
  type MxRecord,
  type Route,
  type RouteHost,
} from '../../src/routing/index.js'

const mx = (exchange: string, preference: number): MxRecord => ({ exchange, preference })
const records = (...list: ReadonlyArray<readonly [string, number]>): MxAnswer => ({
  _tag: 'Records',
  records: list.map(([exchange, preference]) => mx(exchange, preference)),
})

/** The hosts of a route, or its tag when it has none. */
const hostsOf = (route: Route): ReadonlyArray<RouteHost> | Route['_tag'] =>
  route._tag === 'Hosts' ? route.hosts : route._tag
const namesOf = (route: Route): ReadonlyArray<string> | Route['_tag'] =>
  route._tag === 'Hosts' ? route.hosts.map((h) => h.host) : route._tag

/** How the tests spell an exchange as the code should normalize it. */
const norm = (name: string): string => (name.endsWith('.') ? name.slice(0, -1) : name).toLowerCase()

/** Exchanges of every kind: repeats in other spellings, the root, addresses and malformed names. */
const exchange = fc.oneof(
  fc.constantFrom(
    'mx1.example.org',
    'MX1.Example.ORG.',
    'mx2.example.org',
    'mx2.example.org.',
    'mx3.example.net',
    'backup.example.com',
    'a.b',
    '.',
    '',
    '192.0.2.1',
    '[192.0.2.1]',
    '2001:db8::1',
    'bad_name.example',
    '-bad.example',
  ),
  fc.domain(),
)
const preference = fc.oneof(fc.constantFrom(0, 10, 10, 20), fc.integer({ min: 0, max: 0xffff }))
// Never empty: an empty list is the implicit MX, tested on its own.
const mxRecords = fc.array(fc.record({ exchange, preference }), { minLength: 1, maxLength: 12 })
const seed = fc.integer({ min: 0, max: 0xffffffff })

/** The hosts sorted canonically, to compare routes regardless of the shuffle. */
const canonical = (route: Route): ReadonlyArray<RouteHost> | Route['_tag'] =>
  route._tag === 'Hosts'
    ? [...route.hosts].sort((a, b) => a.preference - b.preference || (a.host < b.host ? -1 : 1))
    : route._tag

describe('routing/mx', () => {
  describe('mxRoute: ordering', () => {
    it.each([
      [
        [
          ['c.example', 20],
          ['b.example', 10],
          ['a.example', 30],
        ],
        ['b.example', 'c.example', 'a.example'],
      ],
      [
        [
          ['z.example', 0],
          ['y.example', 65535],
        ],
        ['z.example', 'y.example'],
      ],
      [
        [
          ['hi.example', 100],
          ['lo.example', 5],
          ['mid.example', 50],
        ],
        ['lo.example', 'mid.example', 'hi.example'],
      ],
    ] as const)('tries lower preferences first (RFC 5321 5.1): %j', (list, expected) => {
      expect(namesOf(mxRoute('example.org', records(...list), 1))).toEqual(expected)
    })

    it('keeps the preference and marks hosts as explicit (RFC 5321 5.1)', () => {
      expect(hostsOf(mxRoute('example.org', records(['mx.example.org', 10]), 0))).toEqual([
        { host: 'mx.example.org', preference: 10, implicit: false },
      ])
    })

    it('randomizes equal preferences by seed only (RFC 5321 5.1)', () => {
      const answer = records(
        ['a.example', 10],
        ['b.example', 10],
        ['c.example', 10],
        ['d.example', 10],
        ['z.example', 5],
      )
      const orders = new Set<string>()
      for (let s = 0; s < 50; s++) {
        const names = namesOf(mxRoute('example.org', answer, s))
        expect(names).toEqual(namesOf(mxRoute('example.org', answer, s)))
        expect(Array.isArray(names) && names[0]).toBe('z.example')
        orders.add(JSON.stringify(names))
      }
      expect(orders.size).toBeGreaterThan(10)
    })

    test.prop([fc.shuffledSubarray(['a.example', 'b.example', 'c.example', 'd.example'], { minLength: 4 }), seed])(
      'orders ties the same way whatever order the resolver listed them in (RFC 5321 5.1)',
      (names, s) => {
        const sorted = records(...[...names].sort().map((n) => [n, 10] as const))
        const listed = records(...names.map((n) => [n, 10] as const))
        expect(mxRoute('example.org', listed, s)).toEqual(mxRoute('example.org', sorted, s))
      },
    )

    it.each([
      [-1, 0xffffffff],
      [0.5, 0],
      [2 ** 32, 0],
      [Number.NaN, 0],
    ])('reads seed %d as the 32-bit seed %d', (given, same) => {
      const answer = records(['a.example', 1], ['b.example', 1], ['c.example', 1], ['d.example', 1], ['e.example', 1])
      expect(mxRoute('example.org', answer, given)).toEqual(mxRoute('example.org', answer, same))
    })
  })

  describe('mxRoute: implicit MX', () => {
    it.each<[string, MxAnswer]>([
      ['NoRecords', { _tag: 'NoRecords' }],
      ['an empty record list', { _tag: 'Records', records: [] }],
    ])('uses the domain itself at preference 0 for %s (RFC 5321 5.1)', (_name, answer) => {
      expect(hostsOf(mxRoute('example.org', answer, 7))).toEqual([
        { host: 'example.org', preference: 0, implicit: true },
      ])
    })

    it('normalizes the implicit host like an exchange (RFC 5321 5.1)', () => {
      expect(namesOf(mxRoute('Mail.Example.ORG.', { _tag: 'NoRecords' }, 0))).toEqual(['mail.example.org'])
    })

    it.each(['[192.0.2.1]', '192.0.2.1', '', '.', 'bad_name.example', 'a..b'])(
      'reports an unusable implicit MX %j as NoHosts (RFC 5321 5.1)',
      (domain) => {
        expect(mxRoute(domain, { _tag: 'NoRecords' }, 0)).toEqual({ _tag: 'NoHosts' })
      },
    )

    it.each(['example.org', 'EXAMPLE.org.'])(
      'reports NoHosts when the domain is the local name %j, to avoid a loop (RFC 5321 5.1)',
      (local) => {
        expect(mxRoute('example.org', { _tag: 'NoRecords' }, 0, [local])).toEqual({ _tag: 'NoHosts' })
      },
    )

    it('never uses the domain itself when MX records exist, even unusable ones (RFC 5321 5.1)', () => {
      expect(mxRoute('example.org', records(['192.0.2.1', 10]), 0)).toEqual({ _tag: 'NoHosts' })
    })
  })

  describe('mxRoute: non-existent domain', () => {
    it('reports NXDOMAIN as NoSuchDomain (RFC 5321 5.1)', () => {
      expect(mxRoute('nowhere.example', { _tag: 'NoDomain' }, 0)).toEqual({ _tag: 'NoSuchDomain' })
    })
  })

  describe('mxRoute: null MX', () => {
    it.each([
      [[['.', 0]]],
      [[['', 0]]],
      [[['.', 10]]],
      [
        [
          ['.', 0],
          ['', 0],
        ],
      ],
    ] as const)('reads %j as a domain that accepts no mail (RFC 7505 3)', (list) => {
      expect(mxRoute('example.org', records(...list), 0)).toEqual({ _tag: 'NullMx' })
    })

    it.each([
      [
        [
          ['.', 0],
          ['mx.example.org', 10],
        ],
        ['mx.example.org'],
      ],
      [
        [
          ['mx.example.org', 10],
          ['', 0],
          ['mx2.example.org', 20],
        ],
        ['mx.example.org', 'mx2.example.org'],
      ],
    ] as const)('ignores root exchanges mixed with others, %j (RFC 7505 3)', (list, expected) => {
      expect(namesOf(mxRoute('example.org', records(...list), 0))).toEqual(expected)
    })

    it('leaves ignored root exchanges out of the local-name cut too (RFC 7505 3, RFC 5321 5.1)', () => {
      const mixed = records(['.', 0], ['mx.example.org', 10])
      expect(namesOf(mxRoute('example.org', mixed, 0, ['.']))).toEqual(['mx.example.org'])
    })

    it('does not read a single unusable exchange as a null MX (RFC 7505 3)', () => {
      expect(mxRoute('example.org', records(['..', 0]), 0)).toEqual({ _tag: 'NoHosts' })
    })
  })

  describe('mxRoute: names', () => {
    it.each([
      [
        [
          ['MX.Example.ORG.', 20],
          ['mx.example.org', 10],
        ],
        [{ host: 'mx.example.org', preference: 10, implicit: false }],
      ],
      [
        [
          ['mx.example.org', 5],
          ['MX.EXAMPLE.ORG', 30],
          ['b.example', 10],
        ],
        [
          { host: 'mx.example.org', preference: 5, implicit: false },
          { host: 'b.example', preference: 10, implicit: false },
        ],
      ],
    ] as const)(
      'compares exchanges without case or root dot and keeps the lowest preference of a duplicate: %j',
      (list, expected) => {
        expect(hostsOf(mxRoute('example.org', records(...list), 0))).toEqual(expected)
      },
    )

    it.each([
      '192.0.2.1',
      '[192.0.2.1]',
      '2001:db8::1',
      '[IPv6:2001:db8::1]',
      '1.2.3',
      '-bad.example',
      'bad-.example',
      'a..b',
      '..',
      'bad_name.example',
      'sp ace.example',
      'é.example',
      `${'a'.repeat(64)}.example`,
      `${'abcdefghi.'.repeat(25)}example`,
    ])('drops the exchange %j: not a host name (RFC 5321 5.1)', (name) => {
      const route = mxRoute('example.org', records([name, 0], ['ok.example', 10]), 0)
      expect(namesOf(route)).toEqual(['ok.example'])
    })

    it.each([
      'localhost',
      '1mx.example',
      'mx-1.example',
      '3com.com',
      `${'a'.repeat(63)}.example`,
      'xn--bcher-kva.example',
    ])('keeps the exchange %j: a host name (RFC 5321 5.1)', (name) => {
      expect(namesOf(mxRoute('example.org', records([name, 0]), 0))).toEqual([name])
    })

    it.each([-1, 65536, 1.5, Number.NaN, Infinity])('drops a record with preference %d, outside 16 bits', (p) => {
      expect(namesOf(mxRoute('example.org', records(['bad.example', p], ['ok.example', 10]), 0))).toEqual([
        'ok.example',
      ])
    })

    it('reports NoHosts when no MX record is usable (RFC 5321 5.1)', () => {
      expect(mxRoute('example.org', records(['192.0.2.1', 0], ['bad_name.example', 10]), 0)).toEqual({
        _tag: 'NoHosts',
      })
    })
  })

  describe('mxRoute: local names', () => {
    const answer = records(['a.example', 10], ['b.example', 20], ['c.example', 20], ['d.example', 30])
    it.each([
      [['b.example'], ['a.example']],
      [['c.example'], ['a.example']],
      [['B.EXAMPLE.'], ['a.example']],
      [['d.example'], ['a.example', 'b.example', 'c.example']],
      [['d.example', 'b.example'], ['a.example']],
      [['elsewhere.example'], ['a.example', 'b.example', 'c.example', 'd.example']],
      [[], ['a.example', 'b.example', 'c.example', 'd.example']],
    ] as const)('with local names %j drops that preference and higher numbers (RFC 5321 5.1)', (locals, expected) => {
      const names = namesOf(mxRoute('example.org', answer, 3, locals))
      expect(Array.isArray(names) && [...names].sort()).toEqual(expected)
    })

    it.each([[['a.example']], [['A.Example.']], [['d.example', 'a.example']]])(
      'reports NoHosts when a local name %j has the best preference (RFC 5321 5.1)',
      (locals) => {
        expect(mxRoute('example.org', answer, 3, locals)).toEqual({ _tag: 'NoHosts' })
      },
    )

    it('cuts at the lowest preference of a local name listed twice (RFC 5321 5.1)', () => {
      const twice = records(['a.example', 5], ['me.example', 30], ['b.example', 20], ['ME.example.', 10])
      expect(namesOf(mxRoute('example.org', twice, 0, ['me.example']))).toEqual(['a.example'])
    })

    it('cuts at a local name even if it is not a valid host name (RFC 5321 5.1)', () => {
      const odd = records(['a.example', 5], ['my_host.example', 10], ['b.example', 20])
      expect(namesOf(mxRoute('example.org', odd, 0, ['my_host.example']))).toEqual(['a.example'])
    })
  })

  describe('mxRoute: properties', () => {
    test.prop([mxRecords, seed])('returns hosts sorted by preference (RFC 5321 5.1)', (list, s) => {
      const route = mxRoute('example.org', { _tag: 'Records', records: list }, s)
      if (route._tag !== 'Hosts') return
      for (let i = 1; i < route.hosts.length; i++) {
        expect(route.hosts[i - 1]!.preference).toBeLessThanOrEqual(route.hosts[i]!.preference)
      }
    })

    test.prop([mxRecords, seed, fc.array(exchange, { maxLength: 3 })])(
      'gives the same route for the same seed (RFC 5321 5.1)',
      (list, s, locals) => {
        const answer: MxAnswer = { _tag: 'Records', records: list }
        expect(mxRoute('example.org', answer, s, locals)).toEqual(mxRoute('example.org', answer, s, locals))
      },
    )

    test.prop([mxRecords, seed, seed])('varies only the order among equal preferences with the seed', (list, s, t) => {
      const answer: MxAnswer = { _tag: 'Records', records: list }
      const a = mxRoute('example.org', answer, s)
      const b = mxRoute('example.org', answer, t)
      expect(canonical(a)).toEqual(canonical(b))
      if (a._tag === 'Hosts' && b._tag === 'Hosts') {
        expect(a.hosts.map((h) => h.preference)).toEqual(b.hosts.map((h) => h.preference))
      }
    })

    it('produces every order of three equal preferences over many seeds (RFC 5321 5.1)', () => {
      const answer = records(['a.example', 10], ['b.example', 10], ['c.example', 10])
      const counts = new Map<string, number>()
      for (let s = 0; s < 600; s++) {
        const key = JSON.stringify(namesOf(mxRoute('example.org', answer, s)))
        counts.set(key, (counts.get(key) ?? 0) + 1)
      }
      expect(counts.size).toBe(6)
      // Roughly uniform: each of the six orders shows up about 100 times.
      for (const n of counts.values()) expect(n).toBeGreaterThan(60)
    })

    test.prop([mxRecords, seed])('never lists a host twice', (list, s) => {
      const route = mxRoute('example.org', { _tag: 'Records', records: list }, s)
      if (route._tag !== 'Hosts') return
      expect(new Set(route.hosts.map((h) => h.host)).size).toBe(route.hosts.length)
    })

    test.prop([mxRecords, seed, fc.array(exchange, { maxLength: 3 })])(
      'never includes a host at or above the preference of a local name (RFC 5321 5.1)',
      (list, s, locals) => {
        const localSet = new Set(locals.map(norm))
        const cut = Math.min(
          ...list.filter((r) => norm(r.exchange) !== '' && localSet.has(norm(r.exchange))).map((r) => r.preference),
        )
        const route = mxRoute('example.org', { _tag: 'Records', records: list }, s, locals)
        if (route._tag !== 'Hosts') return
        for (const h of route.hosts) {
          expect(h.preference).toBeLessThan(cut)
          expect(localSet.has(h.host)).toBe(false)
        }
      },
    )

    test.prop([mxRecords, seed])(
      'lists only normalized exchanges from the answer at their best preference',
      (list, s) => {
        const route = mxRoute('example.org', { _tag: 'Records', records: list }, s)
        if (route._tag !== 'Hosts') return
        for (const h of route.hosts) {
          const same = list.filter((r) => norm(r.exchange) === h.host)
          expect(h.host).toBe(h.host.toLowerCase())
          expect(h.host.endsWith('.')).toBe(false)
          expect(h.implicit).toBe(false)
          expect(h.preference).toBe(Math.min(...same.map((r) => r.preference)))
        }
      },
    )

    test.prop([mxRecords, seed])('omits no usable exchange when there are no local names (RFC 5321 5.1)', (list, s) => {
      const route = mxRoute('example.org', { _tag: 'Records', records: list }, s)
      const plain = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/
      const usable = new Set(
        list.map((r) => norm(r.exchange)).filter((n) => plain.test(n) && !/(?:^|\.)[0-9]+$/.test(n) && n.length <= 253),
      )
      if (usable.size === 0) expect(route._tag).not.toBe('Hosts')
      else expect(route._tag === 'Hosts' && new Set(route.hosts.map((h) => h.host))).toEqual(usable)
    })
  })

  describe('orderAddresses', () => {
    const v4 = (host: string, address: string): AddressRecord => ({ host, address, family: 4 })
    const v6 = (host: string, address: string): AddressRecord => ({ host, address, family: 6 })
    const input = [
      v4('a.example', '192.0.2.1'),
      v6('a.example', '2001:db8::1'),
      v4('b.example', '192.0.2.9'),
      v4('a.example', '192.0.2.2'),
      v6('A.Example.', '2001:db8::2'),
      v6('b.example', '2001:db8::9'),
    ]
    it.each([
      [true, ['2001:db8::1', '2001:db8::2', '192.0.2.1', '192.0.2.2', '2001:db8::9', '192.0.2.9']],
      [false, ['192.0.2.1', '192.0.2.2', '2001:db8::1', '2001:db8::2', '192.0.2.9', '2001:db8::9']],
    ])(
      'with preferIpv6 %s puts that family first per host, keeping hosts and addresses in order (RFC 5321 5.1)',
      (preferIpv6, expected) => {
        expect(orderAddresses(input, preferIpv6).map((r) => r.address)).toEqual(expected)
      },
    )

    it('returns nothing for no records', () => {
      expect(orderAddresses([], true)).toEqual([])
    })

    const addressRecords = fc.array(
      fc.record({
        host: fc.constantFrom('a.example', 'A.example.', 'b.example', 'c.example'),
        address: fc.string({ maxLength: 4 }),
        family: fc.constantFrom(4 as const, 6 as const),
      }),
      { maxLength: 15 },
    )
    test.prop([addressRecords, fc.boolean()])(
      'keeps every record, groups them by host in order of first appearance, preferred family first and stable (RFC 5321 5.1)',
      (list, preferIpv6) => {
        const out = orderAddresses(list, preferIpv6)
        const hosts = [...new Set(list.map((r) => norm(r.host)))]
        const preferred = preferIpv6 ? 6 : 4
        const expected = hosts.flatMap((h) => {
          const mine = list.filter((r) => norm(r.host) === h)
          return [...mine.filter((r) => r.family === preferred), ...mine.filter((r) => r.family !== preferred)]
        })
        expect(out).toEqual(expected)
        expect(out.every((r, i) => r === expected[i])).toBe(true)
      },
    )
  })
})
