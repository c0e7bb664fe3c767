// What the tests of the worker path (worker-steps, worker-trial) share: messages and targets, scratch roots
// removed after each test, and a look at a store's folders and its worker.
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Worker } from 'node:worker_threads'
import { afterEach } from 'vitest'
import { FileSteps, type Maildir } from '../src/index.js'
import { until } from './wait.js'

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
export async function* chunks(...parts: Uint8Array[]): AsyncIterable<Uint8Array> {
  yield* parts
}
export const addresses = (n: number): string[] => Array.from({ length: n }, (_, i) => `r${i}@x.example`)
export const targets = (list: ReadonlyArray<string>) =>
  list.map((address) => ({ address, head: enc(`Delivered-To: ${address}\r\n`) }))

/**
 * A store that takes the worker for 8 copies or more (off by default), its steps judged quick however long they
 * take (the tests' folders are on whatever disk the machine's temporary folder is on).
 */
export const steady = () => ({ workerCopies: 8, workerTiming: new FileSteps({ slowMs: 1e6 }) })

const roots: string[] = []
/** A scratch root, removed after the test (call `removeRootsAfterEach` once in the file). */
export const newRoot = (): string => {
  const root = mkdtempSync(join(tmpdir(), 'smtpure-maildir-worker-'))
  roots.push(root)
  return root
}
export const removeRootsAfterEach = (): void =>
  afterEach(async () => {
    // off the test's event loop: on a disk busy with other tests' syncs, unlinking a few thousand files took
    // longer than the hook timeout once
    await Promise.all(roots.splice(0).map((r) => rm(r, { recursive: true, force: true })))
  })

/** The files of a folder (new or tmp) of each address, with their text. */
export const contents = (store: Maildir, list: ReadonlyArray<string>, folder: 'new' | 'tmp'): string[][] =>
  list.map((a) => {
    const dir = join(store.folder(a), folder)
    return existsSync(dir) ? readdirSync(dir).map((n) => readFileSync(join(dir, n), 'latin1')) : []
  })

/**
 * Wait until each address's tmp/ holds a file: the delivery's files are open (on the worker, for one with many
 * copies). Polls, so that a loaded machine only makes it slower; gives up after 10 s (`until`).
 */
export const untilOpen = (store: Maildir, list: ReadonlyArray<string>): Promise<void> =>
  until(
    "a file in each address's tmp/ (the delivery's files open)",
    () => contents(store, list, 'tmp').every((files) => files.length === 1),
    () => contents(store, list, 'tmp').map((files) => files.length),
  )

/** The store's worker thread, while one runs. */
export const workerOf = (store: Maildir): Worker | undefined =>
  (store.workerSteps as unknown as { worker?: Worker }).worker
