// Flushes are written in the order they were asked for, even when a write is not awaited, and commit
// waits for every one: the octets land in order and no file is closed under a running write.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Maildir } from '../src/index.js'
import { fakeFiles } from './fake-file.js'
import { until } from './wait.js'

const scratch = (): string => mkdtempSync(join(tmpdir(), 'smtpure-maildir-write-order-'))
const head = new TextEncoder().encode('Delivered-To: x\r\n')
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
const addresses = ['a@x.example', 'b@x.example', 'c@x.example']
const targets = addresses.map((address) => ({ address, head }))

describe('writes not awaited', () => {
  it('a flush not awaited before commit: every octet in order, no file closed under its write', async () => {
    const root = scratch()
    let n = 0
    // the first flush's writes are slow, the second's (commit's) fast: they must not overtake
    const { openFile, ledger } = fakeFiles({
      before: (step) => (step === 'writev' && n++ < 3 ? sleep(60) : undefined),
    })
    const store = new Maildir(root, { openFile, flushOctets: 4 })
    const d = store.begin(targets)
    const one = new TextEncoder().encode('one\r\n')
    const two = new TextEncoder().encode('two\r\n')
    const first = d.write(one) // past flushOctets: written now, not awaited
    d.write(two).catch(() => undefined)
    await d.commit()
    await first
    await until(
      'every write to end',
      () => ledger.running === 0,
      () => ledger.steps,
    )
    expect(ledger.wrong).toEqual([])
    for (const a of addresses) {
      const [name] = readdirSync(join(store.folder(a), 'new'))
      expect(readFileSync(join(store.folder(a), 'new', name!), 'latin1')).toBe('Delivered-To: x\r\none\r\ntwo\r\n')
    }
    await store.close()
    rmSync(root, { recursive: true })
  })
})
