// `questions`: the greeting, MAIL and RCPT left to the session are answered by it at once, exactly as an
// application that accepts them would have, with no question put and no input held.
import { describe, expect, it } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import { serverConfig } from '../../src/Config.js'
import { encode, latin1 } from '../../src/wire/bytes.js'
import { type Question, type ServerOutput, accept, init, received, step } from '../../src/server/index.js'
import { Harness } from './harness.js'
import { cut } from '../arb/chunks.js'

const left = ['Hello', 'Mail', 'Rcpt']

// a session of good and bad commands, with every check the session makes itself before it would ask
const command = fc.constantFrom(
  'EHLO c.example\r\n',
  'HELO c.example\r\n',
  'EHLO bad domain\r\n',
  'MAIL FROM:<a@b.example>\r\n',
  'MAIL FROM:<a@b.example> SIZE=900\r\n',
  'MAIL FROM:<ü@b.example>\r\n',
  'MAIL FROM:<ü@b.example> SMTPUTF8\r\n',
  'MAIL FROM:<a@b.example> FOO=1\r\n',
  'RCPT TO:<x@y.example>\r\n',
  'RCPT TO:<ü@y.example>\r\n',
  'RCPT TO:x@y.example\r\n',
  'DATA\r\n',
  'text\r\n..dot\r\n.\r\n',
  'BDAT 3\r\nabc',
  'BDAT 2 LAST\r\nxy',
  'RSET\r\n',
  'VRFY x\r\n',
  'NOOP\r\n',
)
const session = fc.array(command, { maxLength: 30 }).map((c) => encode(c.join('')))

// limits low enough that sessions meet them: the command past them must end the session the same way
const options = { maxMessageSize: 500, maxRecipients: 2, maxBadCommands: 4, maxJunkCommands: 2 }

const run = (asked: boolean, chunks: ReadonlyArray<Uint8Array>) => {
  const h = new Harness(asked ? options : { ...options, questions: [] }, () => accept())
  for (const c of chunks) h.feed(c)
  return {
    sent: h.sent,
    messages: h.delivered.map((d) => latin1(d.body)),
    // the questions still put: VRFY, the message
    questions: h.questions.filter((q) => !left.includes(q._tag)).map((q) => q._tag),
    aborted: h.aborted,
    closed: h.closed,
    asked: h.questions.filter((q) => left.includes(q._tag)).length,
  }
}

describe('questions left to the session', () => {
  test.prop([session, fc.array(fc.nat(), { maxLength: 8 })])(
    'give the same replies, messages and end as an application that accepts them, however the input is cut',
    (bytes, cuts) => {
      const asked = run(true, [bytes])
      const own = run(false, cut(bytes, cuts))
      expect(own.asked).toBe(0)
      expect({ ...own, asked: undefined }).toEqual({ ...asked, asked: undefined })
    },
  )

  it('answers a pipelined greeting and envelope in one step, holding nothing', () => {
    const config = serverConfig({ questions: [] })
    if (config._tag === 'Left') throw new Error(config.left.errors.join('; '))
    const [s0] = init(config.right)
    const [s1, outs] = step(
      s0,
      received(encode('EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nDATA\r\n')),
    )
    const sent = outs.flatMap((o: ServerOutput) => (o._tag === 'Send' ? [latin1(o.bytes)] : [])).join('')
    expect(outs.some((o) => o._tag === 'Ask')).toBe(false)
    expect(sent).toMatch(/^250-localhost\r\n[\s\S]*250 2\.1\.0 Ok\r\n250 2\.1\.5 Ok\r\n354 /)
    expect(s1.pending).toBeUndefined()
    expect(s1.held).toEqual([])
    expect(s1.phase._tag).toBe('Data')
  })

  it('a greeting past the junk limits ends the session alike, asked or not: the 421 alone, no 250 first', () => {
    const sent = (questions: ReadonlyArray<'Hello'>) => {
      const h = new Harness({ maxJunkCommands: 1, maxBadCommands: 1, questions }, () => accept())
      h.feed('HELO a.example\r\nHELO b.example\r\nHELO c.example\r\n')
      return h.read()
    }
    expect(sent([])).toBe(sent(['Hello']))
    expect(sent([])).toMatch(/^220 [^\r\n]*\r\n250 localhost\r\n250 localhost\r\n421 4\.7\.0 [^\r\n]*\r\n$/)
  })

  it('still asks what it is told to ask', () => {
    const h = new Harness({ questions: ['Rcpt'] }, () => undefined)
    h.feed('EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nDATA\r\n')
    expect(h.questions.map((q: Question) => q._tag)).toEqual(['Rcpt'])
    expect(h.read()).toMatch(/250 2\.1\.0 Ok\r\n$/) // DATA waits behind the question
  })

  it('refuses a question that cannot be left to the session', () => {
    const config = serverConfig({ questions: ['Auth'] })
    expect(config._tag).toBe('Left')
  })
})
