import { describe, expect, it } from 'vitest'
import { xclientLines } from '../../src/client/commands/xclient.js'

const all = new Set(['ADDR', 'PORT', 'NAME', 'HELO', 'PROTO', 'LOGIN', 'DESTADDR', 'DESTPORT'])

describe('client XCLIENT (XCLIENT_README)', () => {
  it('sends the attributes the server offers, NAME and ADDR last (note 1), values as xtext', () => {
    expect(
      xclientLines({ address: '192.0.2.1', name: 'spike.porcupine.org', helo: 'a b', proto: 'ESMTP', port: 4000 }, all),
    ).toEqual(['XCLIENT HELO=a+20b PROTO=ESMTP PORT=4000 NAME=spike.porcupine.org ADDR=192.0.2.1'])
    expect(xclientLines({ address: '192.0.2.1', login: 'alice' }, new Set(['ADDR']))).toEqual([
      'XCLIENT ADDR=192.0.2.1',
    ])
    expect(xclientLines({ login: 'alice' }, new Set(['ADDR']))).toEqual([])
  })
  it('prefixes IPv6 addresses with IPV6:', () => {
    expect(xclientLines({ address: '2001:db8::1', destAddress: '::1' }, all)).toEqual([
      'XCLIENT DESTADDR=IPV6:::1 ADDR=IPV6:2001:db8::1',
    ])
  })
  it('keeps each command within 512 octets by sending several (note 1)', () => {
    const lines = xclientLines({ helo: 'h'.repeat(255), name: 'n'.repeat(255), address: '192.0.2.1' }, all)
    expect(lines).toEqual([`XCLIENT HELO=${'h'.repeat(255)}`, `XCLIENT NAME=${'n'.repeat(255)} ADDR=192.0.2.1`])
    for (const l of lines) expect(l.length + 2).toBeLessThanOrEqual(512)
  })
})
