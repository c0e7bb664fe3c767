// What `smtpure send` prints: written at once on file descriptor 1 (results) or 2 (failures, log lines),
// as Node itself writes to files and pipes, but without making the process.stdout and process.stderr
// streams, which costs about a twentieth of a process that sends one message.
import { writeSync } from 'node:fs'

/** The code of a system error, or undefined. */
const codeOf = (e: unknown): unknown =>
  typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined

const guarded = new WeakSet<NodeJS.WriteStream>()

/**
 * `stream`, which drops what it cannot write to a reader that went away (`smtpure send ... | head -0`): that is
 * no failure of the command, and the exit code still says what happened.
 */
export const guard = (stream: NodeJS.WriteStream): NodeJS.WriteStream => {
  if (!guarded.has(stream))
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e
    })
  guarded.add(stream)
  return stream
}

const write = (fd: 1 | 2, text: string): void => {
  let rest = Buffer.from(text)
  while (rest.length > 0)
    try {
      rest = rest.subarray(writeSync(fd, rest))
    } catch (e) {
      if (codeOf(e) === 'EPIPE') return // the reader went away: dropped, as guard() drops it
      // a descriptor another process made non-blocking, now full: the stream waits for it
      if (codeOf(e) === 'EAGAIN') return void guard(fd === 1 ? process.stdout : process.stderr).write(rest)
      throw e
    }
}

/** Write `text` on standard output. */
export const stdout = (text: string): void => write(1, text)

/** Write `text` on standard error. */
export const stderr = (text: string): void => write(2, text)
