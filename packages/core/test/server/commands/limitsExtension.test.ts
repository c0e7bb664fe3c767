import { describe, expect, it } from 'vitest'
import { Harness, transcript } from '../harness.js'

describe('server session', () => {
  describe('LIMITS (RFC 9422)', () => {
    it('advertises RCPTMAX and MAILMAX from the configuration, and enforces RCPTMAX with 452 (RFC 9422 4.1, 4.2)', () => {
      const h = new Harness({
        hostname: 'mx.example.com',
        limits: true,
        maxRecipients: 2,
        maxMessagesPerSession: 5,
        chunking: false,
        binaryMime: false,
      })
      transcript(
        h,
        `S: 220 mx.example.com ESMTP
         C: EHLO client.example
         S: 250-mx.example.com
         S: 250-PIPELINING
         S: 250-SIZE 26214400
         S: 250-8BITMIME
         S: 250-SMTPUTF8
         S: 250-ENHANCEDSTATUSCODES
         S: 250 LIMITS RCPTMAX=2 MAILMAX=5
         C: MAIL FROM:<s@example.org>
         S: 250 2.1.0 Ok
         C: RCPT TO:<a@example.com>
         S: 250 2.1.5 Ok
         C: RCPT TO:<b@example.com>
         S: 250 2.1.5 Ok`,
      )
      h.feed('RCPT TO:<c@example.com>\r\n')
      expect(h.read()).toMatch(/^452 4\.5\.3 /)
    })
    it('leaves MAILMAX out when messages per session are unlimited, and LIMITS out unless asked', () => {
      const on = new Harness({ limits: true, maxMessagesPerSession: 0 })
      on.read()
      on.feed('EHLO client.example\r\n')
      expect(on.read()).toContain('250 LIMITS RCPTMAX=100\r\n')
      const off = new Harness({})
      off.read()
      off.feed('EHLO client.example\r\n')
      expect(off.read()).not.toContain('LIMITS')
    })
  })
})
