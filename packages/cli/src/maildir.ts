// Maildir delivery: write into tmp/, fsync, then rename into new/, so a reader never sees a partial
// message and a failure leaves nothing in new/ (the Maildir convention).
import { mkdir, open, rename, unlink } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'

let counter = 0

/** A unique Maildir file name: time, process, counter, host. */
const uniqueName = (): string => {
  const now = Date.now()
  counter += 1
  const host = hostname().replace(/[/:]/g, '_')
  return `${Math.floor(now / 1000)}.M${(now % 1000) * 1000}P${process.pid}Q${counter}.${host}`
}

// Maildirs this process has already made: three mkdir calls per message cost more than the write.
const made = new Set<string>()

/** Make `dir` a Maildir (cur, new, tmp) if it is not one yet. */
export const ensureMaildir = async (dir: string): Promise<void> => {
  if (made.has(dir)) return
  await Promise.all(['cur', 'new', 'tmp'].map((d) => mkdir(join(dir, d), { recursive: true })))
  made.add(dir)
}

/** One message being written into several Maildirs at once, one file each with its own header lines. */
export class MaildirDelivery {
  private files: Array<{ handle: FileHandle; tmp: string; final: string }> = []

  static async begin(targets: ReadonlyArray<{ dir: string; head: string }>): Promise<MaildirDelivery> {
    const d = new MaildirDelivery()
    try {
      for (const t of targets) {
        await ensureMaildir(t.dir)
        const name = uniqueName()
        const tmp = join(t.dir, 'tmp', name)
        const handle = await open(tmp, 'wx', 0o600)
        d.files.push({ handle, tmp, final: join(t.dir, 'new', name) })
        await handle.write(t.head, null, 'latin1')
      }
    } catch (e) {
      await d.abort()
      for (const t of targets) made.delete(t.dir) // make them again next time, in case they were removed
      throw e
    }
    return d
  }

  async write(chunk: Uint8Array): Promise<void> {
    for (const f of this.files) await f.handle.write(chunk)
  }

  /**
   * fsync every file, then rename each into new/. If a rename fails, the ones already done are
   * taken back out of new/, so a failure (451, and a retry by the client) delivers nothing twice.
   */
  async commit(): Promise<void> {
    const renamed: string[] = []
    try {
      for (const f of this.files) {
        await f.handle.sync()
        await f.handle.close()
      }
      for (const f of this.files) {
        await rename(f.tmp, f.final)
        renamed.push(f.final)
      }
      this.files = []
    } catch (e) {
      for (const final of renamed) await unlink(final).catch(() => undefined)
      await this.abort()
      throw e
    }
  }

  /** Remove the temporary files; nothing reaches new/. */
  async abort(): Promise<void> {
    const files = this.files
    this.files = []
    for (const f of files) {
      await f.handle.close().catch(() => undefined)
      await unlink(f.tmp).catch(() => undefined)
    }
  }
}
