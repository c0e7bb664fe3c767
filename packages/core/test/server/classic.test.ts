import { describe, expect, it } from 'vitest'
import { classicAnswers, classicMessage, classicOptions, classicTranscript } from '../../examples/classic.js'
import { Harness, bodyText, transcript } from './harness.js'

describe('server session', () => {
  describe('the classic conversation (RFC 5321 D.1, 4.1.1.4)', () => {
    it('replies byte for byte as the example shows and closes after 221', () => {
      const h = new Harness(classicOptions, classicAnswers)
      transcript(h, classicTranscript.join('\n'))
      expect(h.closed).toBe(true)
    })
    it('hands the application the client bytes after unstuffing, final CRLF kept', () => {
      const h = new Harness(classicOptions, classicAnswers)
      transcript(h, classicTranscript.join('\n'))
      expect(h.delivered).toHaveLength(1)
      expect(bodyText(h.delivered[0]!)).toBe(classicMessage.map((l) => `${l}\r\n`).join(''))
      const q = h.delivered[0]!.question
      expect(q.envelope.from).toMatchObject({ localPart: 'bob', domain: 'example.org' })
      expect(q.envelope.recipients.map((r) => `${r.to.localPart}@${r.to.domain}`)).toEqual([
        'alice@example.com',
        'theboss@example.com',
      ])
    })
  })
})
