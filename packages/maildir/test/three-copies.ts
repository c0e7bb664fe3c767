// One message for three recipients, and what the example tests read back: a scratch root, how many files each
// recipient's new/ or tmp/ holds, and a delivery's outcome as a value.
import { mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Maildir } from '../src/index.js'

export const scratch = (name: string): string => mkdtempSync(join(tmpdir(), `smtpure-maildir-${name}-`))
export const head = new TextEncoder().encode('Delivered-To: x\r\n')
export const body = new TextEncoder().encode('Subject: x\r\n\r\nhi\r\n')
export const addresses = ['a@x.example', 'b@x.example', 'c@x.example']
export const targets = addresses.map((address) => ({ address, head }))

/** Files in each recipient's `new/` or `tmp/`, in the order of `addresses`. */
export const count = (store: Maildir, d: 'new' | 'tmp'): number[] =>
  addresses.map((a) => readdirSync(join(store.folder(a), d)).length)

/** `'delivered'`, or what the delivery rejected with. */
export const outcome = (p: Promise<void>): Promise<unknown> =>
  p.then(
    () => 'delivered',
    (e: unknown) => e,
  )
