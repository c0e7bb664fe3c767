// The output collector both sessions use within one step: text (replies or command lines) is
// joined into one Send until another output comes, so a pipelined group leaves in one write
// (RFC 2920 3.1, 3.2).
import { encode } from './bytes.js'

export class Outbox<O> {
  private readonly list: O[] = []
  private pending = ''

  constructor(private readonly send: (bytes: Uint8Array) => O) {}

  /** Text to write, joined with the text before it. */
  write(text: string): void {
    this.pending += text
  }

  push(o: O): void {
    this.flush()
    this.list.push(o)
  }

  /** Nothing was written or pushed yet. */
  isEmpty(): boolean {
    return this.list.length === 0 && this.pending === ''
  }

  done(): ReadonlyArray<O> {
    this.flush()
    return this.list
  }

  private flush(): void {
    if (this.pending === '') return
    this.list.push(this.send(encode(this.pending)))
    this.pending = ''
  }
}
