// A server's reply text reaches users (smtpure send prints it, applications log it). RFC 5321 4.2 allows
// only HT and printable characters in it (textstring = 1*(%d09 / %d32-126), UTF-8 with SMTPUTF8): a bare
// CR, NUL or ESC must not come through, or a server can forge what a terminal or a log shows.
import { describe, expect, it } from 'vitest'
import { readReply, replyParserInit } from '../../src/client/replyParser.js'

const limits = { maxLine: 2048, maxLines: 200 }
const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0))

describe('reply text carries no control characters', () => {
  for (const text of [
    'ok\rr@x.y 550 5.1.1 refused',
    'ok \x1b[31mRED\x1b[0m\x07',
    'ok\x00hidden',
    'ok \x1b]0;title\x07',
  ]) {
    it(`250 ${JSON.stringify(text)} is refused or cleaned`, () => {
      const r = readReply(replyParserInit, bytes(`250 2.0.0 ${text}\r\n`), 0, limits)
      if (r._tag === 'Fault') return expect(r.fault._tag).toBe('Malformed')
      expect(r._tag).toBe('Reply')
      if (r._tag !== 'Reply') return
      // fails: the text keeps CR, ESC, BEL and NUL as the server sent them
      expect(
        [...r.reply.lines.join('')].filter((c) => (c.charCodeAt(0) < 0x20 && c !== '\t') || c.charCodeAt(0) === 0x7f),
      ).toEqual([])
    })
  }
})
