// The connection gate: a cap on connections at once and per client address, loopback exempt unless asked.
import { describe, expect, it } from 'vitest'
import { ConnectionGate, addressKey, isLoopback } from '../src/index.js'

describe('ConnectionGate', () => {
  it('refuses past the per-address cap with 421 4.7.0 and admits again after a release', () => {
    const gate = new ConnectionGate(
      { maxConnections: 0, maxConnectionsPerAddress: 2, limitLoopback: false },
      'mx.example',
    )
    const a = gate.admit('192.0.2.1')
    gate.admit('192.0.2.1')
    expect(gate.admit('192.0.2.1')).toMatchObject({ _tag: 'Refused', reply: { code: 421, enhanced: '4.7.0' } })
    expect(gate.admit('192.0.2.2')._tag).toBe('Admitted')
    if (a._tag === 'Admitted') a.release()
    expect(gate.admit('192.0.2.1')._tag).toBe('Admitted')
  })

  it('refuses past the total cap, and a release is counted once', () => {
    const gate = new ConnectionGate(
      { maxConnections: 1, maxConnectionsPerAddress: 0, limitLoopback: false },
      'mx.example',
    )
    const a = gate.admit('192.0.2.1')
    expect(gate.admit('192.0.2.9')._tag).toBe('Refused')
    if (a._tag === 'Admitted') {
      a.release()
      a.release()
    }
    expect(gate.size).toBe(0)
  })

  it('loopback clients are held to the per-address cap only with limitLoopback', () => {
    const free = new ConnectionGate({ maxConnections: 0, maxConnectionsPerAddress: 1, limitLoopback: false }, 'mx')
    expect([free.admit('127.0.0.1'), free.admit('127.0.0.1')].map((a) => a._tag)).toEqual(['Admitted', 'Admitted'])
    const held = new ConnectionGate({ maxConnections: 0, maxConnectionsPerAddress: 1, limitLoopback: true }, 'mx')
    expect([held.admit('::1'), held.admit('::1')].map((a) => a._tag)).toEqual(['Admitted', 'Refused'])
  })

  it.each([
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['192.0.2.1', false],
    ['::ffff:192.0.2.1', false],
    ['2001:db8::1', false],
  ])('isLoopback(%s) is %s', (address, loopback) => expect(isLoopback(address)).toBe(loopback))

  it('one IPv6 /64 counts as one address: 200 addresses of one host take at most the cap', () => {
    const gate = new ConnectionGate({ maxConnections: 1000, maxConnectionsPerAddress: 50, limitLoopback: false }, 'mx')
    const admitted = Array.from({ length: 200 }, (_, i) => gate.admit(`2001:db8:1:2::${(i + 1).toString(16)}`))
    expect(admitted.filter((a) => a._tag === 'Admitted')).toHaveLength(50)
    expect(gate.admit('2001:db8:1:3::1')._tag).toBe('Admitted')
  })

  it.each([
    ['192.0.2.1', '192.0.2.1'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:aaaa:bbbb:cccc:dddd', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
  ])('addressKey(%s) is %s', (address, key) => expect(addressKey(address)).toBe(key))
})
