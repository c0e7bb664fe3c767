// writeFully under any sequence of short writes: every octet lands once and in order, a write that makes no
// progress (0, or a count that is not a positive number) fails with ENOSPC after a prefix of the octets, and
// a writev that throws or rejects is a rejected promise, never a throw out of writeFully itself.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { writeFully } from '../src/index.js'

/** A fake file that takes at most the next count of `counts` octets per writev (all of them once they run out). */
const shortFile = (counts: ReadonlyArray<number>) => {
  const sink: number[] = []
  let call = 0
  return {
    sink,
    writev: (buffers: ReadonlyArray<Uint8Array>): Promise<number> => {
      const offered = buffers.reduce((n, b) => n + b.length, 0)
      const want = call < counts.length ? counts[call]! : offered
      call += 1
      // a bad count (0, negative, NaN) writes nothing; a count past the offer writes what was offered
      const n = want > 0 ? Math.min(want, offered) : 0
      let left = n
      for (const b of buffers) {
        for (const x of b.subarray(0, left)) sink.push(x)
        left -= Math.min(left, b.length)
      }
      return Promise.resolve(want > 0 ? Math.min(want, offered) : want)
    },
  }
}

const buffersArb = fc.array(fc.uint8Array({ maxLength: 12 }), { maxLength: 6 })

describe('writeFully', () => {
  it('any sequence of short writes (each of at least one octet) leaves every octet once and in order', async () => {
    await fc.assert(
      fc.asyncProperty(
        buffersArb,
        fc.array(fc.integer({ min: 1, max: 20 }), { maxLength: 30 }),
        async (bufs, counts) => {
          const file = shortFile(counts)
          await writeFully(file, bufs)
          expect(file.sink).toEqual(bufs.flatMap((b) => [...b]))
        },
      ),
    )
  })

  it('a write that makes no progress, at any point, is ENOSPC after a prefix of the octets', async () => {
    await fc.assert(
      fc.asyncProperty(
        buffersArb.filter((bs) => bs.some((b) => b.length > 0)),
        fc.array(fc.integer({ min: 1, max: 5 }), { maxLength: 10 }),
        fc.constantFrom(0, -1, Number.NaN),
        async (bufs, counts, stall) => {
          const all = bufs.flatMap((b) => [...b])
          // the stall comes while octets remain: after fewer successful octets than the whole
          const before: number[] = []
          let sum = 0
          for (const c of counts) {
            if (sum + c >= all.length) break
            before.push(c)
            sum += c
          }
          const file = shortFile([...before, stall])
          const e = await writeFully(file, bufs).then(
            () => undefined,
            (x: unknown) => x,
          )
          expect((e as { code?: unknown } | undefined)?.code).toBe('ENOSPC')
          expect(file.sink).toEqual(all.slice(0, sum))
        },
      ),
    )
  })

  it.each([
    [
      'throws',
      (): Promise<number> => {
        throw Object.assign(new Error('injected'), { code: 'EIO' })
      },
    ],
    ['rejects', (): Promise<number> => Promise.reject(Object.assign(new Error('injected'), { code: 'EIO' }))],
  ])('a writev that %s on the first call is a rejected promise', async (_, writev) => {
    let result: Promise<void> | undefined
    expect(() => {
      result = writeFully({ writev }, [Uint8Array.from([1, 2, 3])])
    }).not.toThrow()
    await expect(result).rejects.toMatchObject({ code: 'EIO' })
  })

  it('a writev that throws after a short write is a rejected promise too', async () => {
    let call = 0
    const writev = (): Promise<number> => {
      call += 1
      if (call === 1) return Promise.resolve(1)
      throw Object.assign(new Error('injected'), { code: 'EIO' })
    }
    await expect(writeFully({ writev }, [Uint8Array.from([1, 2, 3])])).rejects.toMatchObject({ code: 'EIO' })
  })
})
