// The client's events read the server's id for a message out of its 250 reply, and nothing else.
import { describe, expect, it } from 'vitest'
import { queueIdOf, replyLine } from '../src/index.js'

describe('queueIdOf', () => {
  it.each<[string, string | undefined]>([
    ['Ok: queued as 4dQk2x1Z9', '4dQk2x1Z9'],
    ['OK id=1vQx8e-000123-AB', '1vQx8e-000123-AB'],
    ['5AUJj4x1012345 Message accepted for delivery', '5AUJj4x1012345'],
    ['OK  1764528000 a1b2c3-4d5e6f.12 - gsmtp', 'a1b2c3-4d5e6f.12'],
    ['<a@b> [InternalId=123456789, Hostname=X.example] Queued mail for delivery', '123456789'],
    ['Ok 0100018c2e5f1a2b-3c4d5e6f-000000', '0100018c2e5f1a2b-3c4d5e6f-000000'],
    ['Ok: delivered', undefined],
    ['Message accepted for delivery', undefined],
    ['OK: message queued', undefined],
    ['Ok', undefined],
  ])('%j gives %j', (text, id) => {
    expect(queueIdOf({ code: 250, enhanced: '2.0.0', lines: [text] })).toBe(id)
  })
})

describe('replyLine', () => {
  it('shows a reply of many lines as its first and a count of the rest', () => {
    expect(replyLine({ code: 250, lines: Array.from({ length: 201 }, (_, i) => `line ${i}`) })).toBe(
      '250 line 0 (200 more lines)',
    )
    expect(replyLine({ code: 550, enhanced: '5.1.1', lines: ['No such user', 'here'] })).toBe(
      '550 5.1.1 No such user (1 more line)',
    )
    expect(replyLine({ code: 221, lines: [] })).toBe('221')
  })
})
