// A message body as an async iterable of chunks, with a byte count the driver watches to pause
// reading while the application is slower than the network (backpressure).

export class MessageAbortedError extends Error {
  constructor(readonly reason: string) {
    super(`message aborted: ${reason}`)
    this.name = 'MessageAbortedError'
  }
}

/** One message's chunks, handed to the application as `for await (const chunk of message.chunks)`. */
export class ChunkStream implements AsyncIterable<Uint8Array> {
  private readonly queue: Uint8Array[] = []
  private waiting: ((r: IteratorResult<Uint8Array>) => void) | undefined
  private failWaiting: ((e: unknown) => void) | undefined
  private ended = false
  private error: unknown = undefined
  private taken = false
  /** Octets queued and not yet read by the application. */
  buffered = 0

  constructor(private readonly onDrain: () => void) {}

  push(chunk: Uint8Array): void {
    if (this.ended) return
    if (this.waiting !== undefined) {
      const w = this.waiting
      this.waiting = undefined
      this.failWaiting = undefined
      w({ value: chunk, done: false })
      return
    }
    this.queue.push(chunk)
    this.buffered += chunk.length
  }

  end(): void {
    this.ended = true
    this.settleWaiting()
  }

  /** End the stream with a MessageAbortedError; the error is made only if the stream is still open. */
  abort(reason: string): void {
    if (!this.ended) this.fail(new MessageAbortedError(reason))
  }

  fail(error: unknown): void {
    if (this.ended) return
    this.ended = true
    this.error = error
    this.queue.length = 0
    this.buffered = 0
    this.settleWaiting()
    this.onDrain() // nothing is queued any more: reading may go on
  }

  private settleWaiting(): void {
    if (this.waiting === undefined || this.queue.length > 0) return
    const w = this.waiting
    const f = this.failWaiting!
    this.waiting = undefined
    this.failWaiting = undefined
    if (this.error !== undefined) f(this.error)
    else w({ value: undefined, done: true })
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.taken) throw new Error('a message body can be read once')
    this.taken = true
    return {
      next: () => {
        const chunk = this.queue.shift()
        if (chunk !== undefined) {
          this.buffered -= chunk.length
          if (this.queue.length === 0) this.onDrain()
          return Promise.resolve({ value: chunk, done: false })
        }
        if (this.error !== undefined) return Promise.reject(this.error)
        if (this.ended) return Promise.resolve({ value: undefined, done: true })
        this.onDrain()
        return new Promise((resolve, reject) => {
          this.waiting = resolve
          this.failWaiting = reject
        })
      },
      return: () => {
        // the application stopped reading: drop what comes, never block the session on it
        this.abort('not read')
        return Promise.resolve({ value: undefined, done: true })
      },
    }
  }
}
