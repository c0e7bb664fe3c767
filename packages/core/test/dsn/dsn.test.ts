// Tests for the DSN builder: RFC 3464 2 (layout), 2.2 and 2.3 (fields), RFC 6522 (multipart/report),
// RFC 3461 4.3 (RET) and the refusals for input that would make a broken or injectable report.
import { describe, expect, it } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import * as E from 'fp-ts/lib/Either.js'
import { type DsnInput, buildDsn } from '../../src/dsn/index.js'
import { encode } from '../../src/wire/bytes.js'

/** One character per octet, so string offsets are octet offsets. */
const decode = (b: Uint8Array): string => {
  let s = ''
  for (const x of b) s += String.fromCharCode(x)
  return s
}

const original = encode('From: bob@example.org\r\nSubject: hello\r\nMessage-ID: <m1@example.org>\r\n\r\nline one\r\n')
const base: DsnInput = {
  reportingMta: 'relay.example.org',
  from: 'postmaster@relay.example.org',
  to: 'bob@example.org',
  date: { epochMs: Date.UTC(2008, 0, 15, 21, 2, 43), offsetMinutes: 0 },
  messageId: 'dsn.1@relay.example.org',
  boundary: 'dsn.1/relay',
  arrival: { epochMs: Date.UTC(2008, 0, 15, 20, 0, 0), offsetMinutes: 0 },
  recipients: [
    {
      finalRecipient: 'alice@example.com',
      action: 'failed',
      status: '5.1.1',
      remoteMta: 'mx.example.com',
      diagnostic: { code: 550, enhanced: '5.1.1', lines: ['No such user'] },
    },
  ],
  original,
}

const text = (d: DsnInput): string => {
  const r = buildDsn(d)
  if (E.isLeft(r)) throw new Error(r.left.reason)
  return decode(r.right.message)
}
const reason = (d: DsnInput): string => {
  const r = buildDsn(d)
  if (E.isRight(r)) throw new Error('expected a DsnError')
  return r.left.reason
}

describe('buildDsn', () => {
  describe('layout', () => {
    it('is a multipart/report of report-type delivery-status in three parts (RFC 3464 2, RFC 6522)', () => {
      const t = text(base)
      expect(t).toContain('Content-Type: multipart/report; report-type=delivery-status; boundary="dsn.1/relay"\r\n')
      const parts = t.split('\r\n--dsn.1/relay')
      expect(parts).toHaveLength(5) // preamble, three parts, the closing delimiter
      expect(parts[1]).toMatch(/^\r\nContent-Type: text\/plain/)
      expect(parts[2]).toMatch(/^\r\nContent-Type: message\/delivery-status\r\n\r\n/)
      expect(parts[3]).toMatch(/^\r\nContent-Type: text\/rfc822-headers\r\n\r\n/)
      expect(parts[4]).toBe('--\r\n')
    })
    it('is addressed to the reverse-path and marked automatic (RFC 3464 2, RFC 3834 5)', () => {
      const t = text(base)
      expect(t).toMatch(/^From: Mail Delivery System <postmaster@relay\.example\.org>\r\nTo: <bob@example\.org>\r\n/)
      expect(t).toContain('\r\nAuto-Submitted: auto-replied\r\n')
      expect(t).toContain('\r\nDate: Tue, 15 Jan 2008 21:02:43 +0000\r\n')
      expect(t).toContain('\r\nMessage-ID: <dsn.1@relay.example.org>\r\n')
    })
    it('has CRLF line ends only', () => {
      expect(text(base).replace(/\r\n/g, '')).not.toMatch(/[\r\n]/)
    })
  })

  describe('fields', () => {
    it('writes the per-message and per-recipient fields (RFC 3464 2.2, 2.3)', () => {
      const t = text({ ...base, envelopeId: 'QQ314159' })
      expect(t).toContain(
        'Content-Type: message/delivery-status\r\n\r\n' +
          'Original-Envelope-Id: QQ314159\r\nReporting-MTA: dns; relay.example.org\r\n' +
          'Arrival-Date: Tue, 15 Jan 2008 20:00:00 +0000\r\n\r\n' +
          'Final-Recipient: rfc822; alice@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n' +
          'Remote-MTA: dns; mx.example.com\r\nDiagnostic-Code: smtp; 550 5.1.1 No such user\r\n',
      )
    })
    it('separates recipients with an empty line and joins a multiline reply (RFC 3464 2.1, 2.3.6)', () => {
      const t = text({
        ...base,
        recipients: [
          base.recipients[0]!,
          {
            finalRecipient: 'carol@example.net',
            originalRecipient: 'rfc822;carol@example.net',
            action: 'delayed',
            status: '4.4.1',
            diagnostic: { code: 451, lines: ['busy', 'try later'] },
            willRetryUntil: { epochMs: Date.UTC(2008, 0, 20), offsetMinutes: 0 },
          },
        ],
      })
      expect(t).toContain(
        '\r\n\r\nOriginal-Recipient: rfc822;carol@example.net\r\nFinal-Recipient: rfc822; carol@example.net\r\n' +
          'Action: delayed\r\nStatus: 4.4.1\r\nDiagnostic-Code: smtp; 451-busy 451 try later\r\n' +
          'Will-Retry-Until: Sun, 20 Jan 2008 00:00:00 +0000\r\n',
      )
      expect(t).toContain('Subject: Undelivered Mail Returned to Sender')
    })
  })

  describe('returned content (RFC 3461 4.3)', () => {
    it('returns the header section by default', () => {
      const t = text(base)
      expect(t).toContain('Message-ID: <m1@example.org>\r\n\r\n--dsn.1/relay--\r\n')
      expect(t).not.toContain('line one')
    })
    it('returns the whole message as message/rfc822 with RET=FULL', () => {
      const t = text({ ...base, returnContent: 'full' })
      expect(t).toContain('Content-Type: message/rfc822\r\n\r\nFrom: bob@example.org\r\n')
      expect(t).toContain('line one\r\n--dsn.1/relay--\r\n')
    })
    it('says when the returned content needs 8BITMIME', () => {
      const eight = Uint8Array.from([...original.subarray(0, original.length - 2), 0xe9, 13, 10])
      const r = buildDsn({ ...base, original: eight, returnContent: 'full' })
      expect(E.isRight(r) && r.right.eightBit).toBe(true)
      const h = buildDsn({ ...base, original: eight })
      expect(E.isRight(h) && h.right.eightBit).toBe(false)
    })
  })

  describe('refusals', () => {
    it.each([
      ['no recipients', { recipients: [] }, 'at least one recipient'],
      ['a null reverse-path', { to: '' }, 'null reverse-path'],
      ['a status that is no RFC 3463 code', { recipients: [{ ...base.recipients[0]!, status: '5.1' }] }, 'RFC 3463'],
      ['a status of the wrong class', { recipients: [{ ...base.recipients[0]!, status: '4.1.1' }] }, 'does not fit'],
      ['CRLF in a recipient', { recipients: [{ ...base.recipients[0]!, finalRecipient: 'a@b\r\nX: y' }] }, 'one line'],
      [
        'CRLF in the diagnostic',
        { recipients: [{ ...base.recipients[0]!, diagnostic: { code: 550, lines: ['a\r\nb'] } }] },
        'CR, LF',
      ],
      [
        'a non-ASCII recipient',
        { recipients: [{ ...base.recipients[0]!, finalRecipient: 'j\u00f6rg@example.com' }] },
        'RFC 6533',
      ],
      ['a bad Reporting-MTA', { reportingMta: 'relay example' }, 'Reporting-MTA'],
      ['a bad boundary', { boundary: 'a"b' }, 'boundary'],
      ['a boundary found in the content', { original: encode('Subject: x\r\n--dsn.1/relay\r\n\r\n') }, 'occurs'],
    ] as const)('refuses %s', (_, change, why) => {
      expect(reason({ ...base, ...(change as Partial<DsnInput>) })).toContain(why)
    })
  })

  test.prop([fc.uint8Array({ maxLength: 300 })])(
    'RET=FULL carries the message octet for octet, or refuses it for its boundary',
    (body) => {
      const r = buildDsn({ ...base, original: body, returnContent: 'full', boundary: 'zz-boundary-zz' })
      if (E.isLeft(r)) return expect(decode(body)).toContain('--zz-boundary-zz')
      const m = r.right.message
      const marker = 'Content-Type: message/rfc822\r\n\r\n'
      const at = decode(m).indexOf(marker) + marker.length
      expect(Array.from(m.subarray(at, at + body.length))).toEqual(Array.from(body))
    },
  )
})
