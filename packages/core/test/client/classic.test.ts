// The client side of the classic conversation (RFC 5321's example session): the client's bytes must be
// the C: lines of the shared transcript, byte for byte, when the server says the S: lines.
import { describe, expect, it } from 'vitest'
import { classicMessage, classicTranscript } from '../../examples/classic.js'
import { ClientHarness, transcript } from './harness.js'

const classicEnvelope = { from: 'bob@example.org', to: ['alice@example.com', 'theboss@example.com'] }

describe('client session', () => {
  describe('the classic conversation (RFC 5321 D.1, 4.1.1.4)', () => {
    it('sends exactly the C: lines of the example when greeting with HELO', () => {
      const h = new ClientHarness({ helo: 'relay.example.org', ehlo: false }, [
        { envelope: classicEnvelope, body: [classicMessage.map((l) => `${l}\r\n`).join('')] },
      ])
      transcript(h, classicTranscript)
      expect(h.closed).toBe(true)
    })
    it('reports both recipients and the message as accepted with the 250 after the dot', () => {
      const h = new ClientHarness({ helo: 'relay.example.org', ehlo: false }, [
        { envelope: classicEnvelope, body: [classicMessage.join('\n')] },
      ])
      transcript(h, classicTranscript)
      const [m] = h.of('MessageResult')
      expect(m).toMatchObject({ status: 'accepted', reply: { code: 250, lines: ['Ok: queued as 12345'] } })
      expect(h.of('RecipientResult').map((r) => [r.address, r.status])).toEqual([
        ['alice@example.com', 'accepted'],
        ['theboss@example.com', 'accepted'],
      ])
    })
  })
})
