// Header fields the library builds, as the octets an application writes: no accepted address can add a
// line, end the header or carry a NUL (RFC 5322 2.2, 3.6.7; RFC 6532 3.2; RFC 5321 4.4; RFC 9228 4).
import { describe, expect, it } from 'vitest'
import { test } from '@fast-check/vitest'
import { mailboxText } from '../../src/grammar/address.js'
import { formatDeliveredTo, formatReceived, formatReturnPath, traceBlock } from '../../src/trace/index.js'
import { decodeUtf8 } from '../../src/wire/bytes.js'
import { mailbox } from '../arb/mailbox.js'

const date = { epochMs: Date.UTC(2026, 10, 30, 12, 0, 0), offsetMinutes: 0 }

const fieldsFor = (address: string, helo = 'client.example'): string[] => [
  formatReturnPath(address),
  formatDeliveredTo(address),
  formatReceived({ from: { helo, address: '192.0.2.1' }, by: 'mx.example', with: 'UTF8SMTPS', for: address, date }),
]

/** The field names at the start of each unfolded line; throws on a CR, LF or NUL out of place. */
const fieldNames = (octets: Uint8Array): string[] => {
  const names: string[] = []
  let lineStart = 0
  for (let i = 0; i < octets.length; i++) {
    const b = octets[i]!
    if (b === 0) throw new Error(`NUL at ${i}`)
    if (b === 13 && octets[i + 1] !== 10) throw new Error(`bare CR at ${i}`)
    if (b === 10 && octets[i - 1] !== 13) throw new Error(`bare LF at ${i}`)
    if (b !== 10) continue
    const first = octets[lineStart]!
    if (i - 1 === lineStart) throw new Error(`empty line at ${lineStart}: it would end the header`)
    if (first !== 9 && first !== 32) names.push(decodeUtf8(octets, lineStart, octets.indexOf(58, lineStart))!)
    lineStart = i + 1
  }
  if (lineStart !== octets.length) throw new Error('the block does not end with CRLF')
  return names
}

describe('trace header octets', () => {
  it('writes a UTF-8 mailbox as UTF-8, not Latin-1 (RFC 6532 3.2)', () => {
    const octets = traceBlock(fieldsFor('jörg@bücher.example'))
    const text = new TextDecoder('utf-8', { fatal: true }).decode(octets)
    expect(text).toContain('Delivered-To: jörg@bücher.example\r\n')
    expect(text).toContain('Return-Path: <jörg@bücher.example>\r\n')
    expect(text).toMatch(/for <jörg@bücher\.example>;/)
  })

  it('U+4E0D and U+4E0A (low bytes CR and LF) add no header line', () => {
    const octets = traceBlock(fieldsFor('a不b上c@example.com'))
    expect(fieldNames(octets)).toEqual(['Return-Path', 'Delivered-To', 'Received'])
    expect(new TextDecoder().decode(octets)).toContain('a不b上c@example.com')
  })

  test.prop([mailbox])('no accepted mailbox puts CR, LF or NUL into a built field', (m) => {
    const address = mailboxText(m)
    const octets = traceBlock(fieldsFor(address, m.domain))
    expect(fieldNames(octets)).toEqual(['Return-Path', 'Delivered-To', 'Received'])
    expect(decodeUtf8(octets)).toBe(fieldsFor(address, m.domain).join(''))
  })
})
