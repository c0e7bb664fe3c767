// RFC 5321 4.4: Return-Path carries the reverse-path and Delivered-To (RFC 9228) the mailbox delivered to.
// A quoted local part may hold "<" and ">" (qtextSMTP); dropping them names a different mailbox, so a bounce
// goes to someone else. Writing the quoted string as it is stays one header line and injects nothing.
import { describe, expect, it } from 'vitest'
import { formatDeliveredTo, formatReceived, formatReturnPath } from '../../src/trace/received.js'

describe('trace fields name the same mailbox the envelope named', () => {
  it('Return-Path keeps a quoted local part with ">"', () => {
    // fails: gives Return-Path: <"victimx"@example.org>
    expect(formatReturnPath('"victim>x"@example.org')).toBe('Return-Path: <"victim>x"@example.org>\r\n')
  })
  it('Delivered-To keeps a quoted local part with "<"', () => {
    expect(formatDeliveredTo('"a<b"@example.com')).toBe('Delivered-To: "a<b"@example.com\r\n')
  })
  it('Received for <...> keeps a quoted local part with ">"', () => {
    const field = formatReceived({
      from: { helo: 'c.example', address: '192.0.2.1' },
      by: 'mx.example.com',
      with: 'ESMTP',
      for: '"a>b"@example.com',
      date: { epochMs: 0, offsetMinutes: 0 },
    })
    expect(field).toContain('for <"a>b"@example.com>;')
  })
})
