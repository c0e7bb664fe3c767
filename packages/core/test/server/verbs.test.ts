// The verb of a command line, read from its octets (src/server/sequencing.ts `verbAt`): the first word, up to the
// first space, names a verb in any ASCII case and in no other (RFC 5321 2.4).
import { describe, expect, it } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import { asciiUpper } from '../../src/grammar/chars.js'
import { type Verb, verbAt, verbs } from '../../src/server/sequencing.js'
import { encodeUtf8 } from '../../src/wire/bytes.js'

/** The verb as a reader of RFC 5321 would find it: the text up to the first space, ASCII letters upper-cased. */
const named = (line: string): Verb | undefined => {
  const space = line.indexOf(' ')
  const word = asciiUpper(space === -1 ? line : line.slice(0, space))
  return verbs.find((v) => v === word)
}

const at = (line: string): Verb | undefined => {
  const bytes = encodeUtf8(`x${line}x`) // not at the start of its buffer, and not running to its end
  return verbAt(bytes, 1, bytes.length - 1)
}

// each verb's letters in either case, or now and then a neighbour: the octets next to it in either case, and
// look-alikes that some case mappings turn into ASCII letters (U+0131 dotless i, U+017F long s, U+212A Kelvin sign)
const near = (c: string): string[] => {
  const up = c.charCodeAt(0)
  return [up - 1, up + 1, (up | 0x20) - 1, (up | 0x20) + 1].map((x) => String.fromCharCode(x))
}
const letter = (c: string): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(c, c.toLowerCase()) },
    { weight: 1, arbitrary: fc.constantFrom(...near(c), '\u0131', '\u017f', '\u212a') },
  )
const word = fc
  .constantFrom(...verbs)
  .chain((v) => fc.tuple(...[...v].map(letter)))
  .map((cs) => cs.join(''))
const line = fc
  .tuple(
    fc.oneof(word, fc.string({ maxLength: 10 })),
    fc.constantFrom('', 'S', ' ', ' FROM:<a@b.example>', '  x', 'TLS', '\u00e9'),
  )
  .map(([w, rest]) => w + rest)

describe('verbAt', () => {
  test.prop([line], { numRuns: 5000 })('finds the verb RFC 5321 2.4 names, and no other', (l) => {
    expect(at(l)).toBe(named(l))
  })

  it('tells every verb from each word one character away from it', () => {
    const others = [
      ...Array.from({ length: 0x5f }, (_, i) => String.fromCharCode(0x21 + i)),
      '\u0131',
      '\u017f',
      '\u212a',
    ]
    for (const v of verbs)
      for (let i = 0; i < v.length; i++)
        for (const c of others) {
          const l = v.slice(0, i) + c + v.slice(i + 1)
          expect([l, at(l)]).toEqual([l, named(l)])
        }
  })

  it('knows every verb in any case, and only by its whole first word', () => {
    for (const v of verbs) {
      expect(at(v)).toBe(v)
      expect(at(`${v.toLowerCase()} x`)).toBe(v)
      expect(at(`${v}X`)).toBeUndefined()
      expect(at(v.slice(1))).toBeUndefined()
    }
    expect(at('')).toBeUndefined()
    expect(at(' QUIT')).toBeUndefined()
    expect(at('QU\u0131T')).toBeUndefined()
  })
})
