// Tests for the streaming dot-stuffer of the sending side of DATA.
// Covers RFC 5321 4.5.2 (transparency), 2.3.8 (CRLF only) and 4.1.1.4 (the end-of-data line).
import { describe, expect, it } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import { stuff, stuffEnd, stuffInit, type StuffState } from '../../src/wire/dotStuff.js'

const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'))
const text = (b: Uint8Array) => Buffer.from(b).toString('latin1')

/** Copies a chunk into a fresh buffer at the given offset, so that the word scan meets every alignment. */
const placed = (chunk: Uint8Array, offset: number) => {
  const buf = new Uint8Array(chunk.length + offset + 3).fill(0x0d)
  buf.set(chunk, offset)
  return buf.subarray(offset, offset + chunk.length)
}

/** Runs the whole transform and returns what goes on the wire, with every piece it produced. */
const wire = (chunks: ReadonlyArray<Uint8Array>) => {
  let state: StuffState = stuffInit
  const pieces: Uint8Array[] = []
  for (const chunk of chunks) {
    const [next, out] = stuff(state, chunk)
    state = next
    pieces.push(...out)
  }
  return { text: text(Buffer.concat([...pieces, stuffEnd(state)])), pieces, state }
}
const wireOf = (...chunks: string[]) => wire(chunks.map(bytes)).text

/** Reference normaliser, written the slow obvious way: every CRLF, bare CR and bare LF becomes CRLF. */
const normalise = (body: string) => {
  let out = ''
  for (let i = 0; i < body.length; i++) {
    const c = body[i]
    if (c === '\r' && body[i + 1] === '\n') {
      out += '\r\n'
      i++
    } else if (c === '\r' || c === '\n') out += '\r\n'
    else out += c
  }
  return out.length > 0 && !out.endsWith('\r\n') ? out + '\r\n' : out
}

/** Reference un-stuffer: drops the final "." line and one leading dot of every other line. */
const unstuff = (data: string) => {
  const lines = data.split('\r\n')
  expect(lines.pop()).toBe('')
  expect(lines.pop()).toBe('.')
  return lines.map((line) => (line.startsWith('.') ? line.slice(1) : line) + '\r\n').join('')
}

/**
 * Bodies rich in the bytes that matter, including the ones that can fool a word-at-a-time scan, and long
 * enough (size 'max') that chunks of 64 bytes and more, which are scanned by words, are common.
 */
const bodyArb = fc.oneof(
  fc.array(fc.constantFrom(...'\r\n.ax'), { maxLength: 40 }).map((cs) => cs.join('')),
  fc
    .array(fc.constantFrom('\r', '\n', '.', 'a', 'bcdefghijk', '\x0b', '\x0c', '\x00', '\x8d', '\xff', '\r\n'), {
      maxLength: 200,
      size: 'max',
    })
    .map((cs) => cs.join('')),
  fc.uint8Array({ maxLength: 300, size: 'max' }).map(text),
)

/** A body with cut points and an alignment for each chunk. */
const chunkedArb = bodyArb.chain((body) =>
  fc.record({
    body: fc.constant(body),
    cuts: fc.uniqueArray(fc.integer({ min: 0, max: body.length }), { maxLength: 8 }),
    offsets: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 9, maxLength: 9 }),
  }),
)
const split = (body: string, cuts: number[], offsets: number[]) => {
  const at = [0, ...[...cuts].sort((a, b) => a - b), body.length]
  return at.slice(1).map((end, k) => placed(bytes(body.slice(at[k], end)), offsets[k] ?? 0))
}

describe('dotStuff', () => {
  describe('examples', () => {
    it.each([
      ['an empty body is just the end-of-data line (RFC 5321 4.1.1.4)', [], '.\r\n'],
      ['an empty chunk changes nothing', [''], '.\r\n'],
      ['a body ending in CRLF gets no extra line (RFC 5321 4.1.1.4)', ['Hi\r\n'], 'Hi\r\n.\r\n'],
      ['a body without a final line break gets a CRLF (RFC 5321 4.1.1.4)', ['Hi'], 'Hi\r\n.\r\n'],
      ['a body of just "." is stuffed and closed (RFC 5321 4.5.2)', ['.'], '..\r\n.\r\n'],
      ['a line "." becomes ".." (RFC 5321 4.5.2)', ['a\r\n.\r\nb\r\n'], 'a\r\n..\r\nb\r\n.\r\n'],
      ['a line ".." becomes "..." (RFC 5321 4.5.2)', ['..\r\n'], '...\r\n.\r\n'],
      ['a leading dot on the first line is doubled (RFC 5321 4.5.2)', ['.Hi\r\n'], '..Hi\r\n.\r\n'],
      ['a dot inside a line stays single (RFC 5321 4.5.2)', ['a.b\r\n'], 'a.b\r\n.\r\n'],
      ['a bare LF becomes CRLF (RFC 5321 2.3.8)', ['a\nb\n'], 'a\r\nb\r\n.\r\n'],
      ['a bare CR becomes CRLF (RFC 5321 2.3.8)', ['a\rb\r'], 'a\r\nb\r\n.\r\n'],
      ['CR CR LF is a bare CR then a CRLF (RFC 5321 2.3.8)', ['a\r\r\nb'], 'a\r\n\r\nb\r\n.\r\n'],
      ['LF CR is two line breaks (RFC 5321 2.3.8)', ['a\n\rb'], 'a\r\n\r\nb\r\n.\r\n'],
      ['a dot after a bare LF is doubled (RFC 5321 4.5.2)', ['a\n.b'], 'a\r\n..b\r\n.\r\n'],
      ['a dot after a bare CR is doubled (RFC 5321 4.5.2)', ['a\r.b'], 'a\r\n..b\r\n.\r\n'],
      ['a CR ending a chunk pairs with an LF opening the next (RFC 5321 2.3.8)', ['a\r', '\nb'], 'a\r\nb\r\n.\r\n'],
      ['a CR ending a chunk is bare when the next has no LF (RFC 5321 2.3.8)', ['a\r', 'b'], 'a\r\nb\r\n.\r\n'],
      ['a CR ending the body gets its LF at the end (RFC 5321 2.3.8)', ['a\r'], 'a\r\n.\r\n'],
      ['a pending CR survives empty chunks (RFC 5321 2.3.8)', ['a\r', '', '\n'], 'a\r\n.\r\n'],
      ['CRLF "." split after CR is stuffed (RFC 5321 4.5.2)', ['a\r', '\n.', '\r\n'], 'a\r\n..\r\n.\r\n'],
      ['CRLF "." split after LF is stuffed (RFC 5321 4.5.2)', ['a\r\n', '.', '\r\n'], 'a\r\n..\r\n.\r\n'],
      ['a pending CR then a dot is stuffed (RFC 5321 4.5.2)', ['a\r', '.'], 'a\r\n..\r\n.\r\n'],
      ['a body that is one CR gives one empty line (RFC 5321 2.3.8)', ['\r'], '\r\n.\r\n'],
    ])('%s', (_rule, chunks, expected) => {
      expect(wireOf(...chunks)).toBe(expected)
    })

    it('handles long chunks at every alignment, where words are scanned (RFC 5321 4.5.2, 2.3.8)', () => {
      const body = 'x'.repeat(61) + '\r\n.dot\r\nbare\nlf\x0c\rcr' + 'y'.repeat(70) + '\r\r\n' + '.'.repeat(9)
      const expected =
        'x'.repeat(61) + '\r\n..dot\r\nbare\r\nlf\x0c\r\ncr' + 'y'.repeat(70) + '\r\n\r\n..........\r\n.\r\n'
      for (let offset = 0; offset < 4; offset++) expect(wire([placed(bytes(body), offset)]).text).toBe(expected)
    })
  })

  describe('zero copy', () => {
    it('passes a clean chunk through as the very same array', () => {
      const chunk = bytes('Subject: hi\r\n\r\nbody\r\n'.repeat(10))
      const [, out] = stuff(stuffInit, chunk)
      expect(out).toHaveLength(1)
      expect(out[0]).toBe(chunk)
    })

    it('hands out views of the input, not copies, around inserted bytes', () => {
      const chunk = bytes('ab\n'.repeat(30))
      const [, out] = stuff(stuffInit, chunk)
      const views = out.filter((p) => p.buffer === chunk.buffer)
      expect(views.map((v) => v.length).reduce((a, b) => a + b, 0)).toBe(chunk.length)
    })

    it('returns a fresh end-of-data array each time, so a caller may keep it', () => {
      const a = stuffEnd(stuffInit)
      a[0] = 0
      expect(text(stuffEnd(stuffInit))).toBe('.\r\n')
    })
  })

  describe('properties', () => {
    test.prop([chunkedArb])('any chunking of a body gives the same wire bytes', ({ body, cuts, offsets }) => {
      expect(wire(split(body, cuts, offsets)).text).toBe(wire([bytes(body)]).text)
    })

    test.prop([chunkedArb])('no CR without LF and no LF without CR (RFC 5321 2.3.8)', ({ body, cuts, offsets }) => {
      const out = wire(split(body, cuts, offsets)).text
      expect(out.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/)
    })

    test.prop([chunkedArb])('CRLF "." CRLF appears only at the end (RFC 5321 4.5.2)', ({ body, cuts, offsets }) => {
      const out = wire(split(body, cuts, offsets)).text
      if (body === '') expect(out).toBe('.\r\n')
      else {
        expect(out.endsWith('\r\n.\r\n')).toBe(true)
        expect(out.indexOf('\r\n.\r\n')).toBe(out.length - 5)
        expect(out.startsWith('.\r\n')).toBe(false)
      }
    })

    test.prop([chunkedArb])(
      'un-stuffing gives back the normalised body (RFC 5321 4.5.2)',
      ({ body, cuts, offsets }) => {
        expect(unstuff(wire(split(body, cuts, offsets)).text)).toBe(normalise(body))
      },
    )

    test.prop([chunkedArb])('pieces are never empty', ({ body, cuts, offsets }) => {
      expect(wire(split(body, cuts, offsets)).pieces.every((p) => p.length > 0)).toBe(true)
    })
  })
})
